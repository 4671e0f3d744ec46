/**
 * Polling semantics (PROTOCOL.md §7) over mutual TLS, with the simulator's frozen test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Simulator from "../src/Simulator.js"
import { call, collectedXml, type Reply, xmlText } from "./support/client.js"
import { schemaErrors } from "./support/schema.js"
import { type Harness, start, statusOf } from "./support/setup.js"

const MINUTE = 60_000
let h: Harness
let clock: Simulator.TestClock

beforeAll(async () => {
  clock = Simulator.testClock()
  h = await start({ clock, emptyQueuePollDelayMs: 5_000 })
})
afterAll(() => h.close())

const poll = (query = "", agent = h.a, org = h.orgA) =>
  call(agent, "GET", `${h.sim.url}/${org}/direct/signature-jobs${query}`)
const nextTime = (r: Reply) => Date.parse(String(r.headers["x-next-permitted-poll-time"]))
/** Lets every queue in the test become pollable again. */
const wait = () => clock.advance(5_000)

describe("polling", () => {
  it("answers 204 on an empty queue with the next permitted time, then 429 with that time when polled too early", async () => {
    const now = clock.now()
    const empty = await poll()
    expect(empty.status).toBe(204)
    expect(String(empty.headers["x-next-permitted-poll-time"])).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
    )
    expect(nextTime(empty)).toBe(now + 5_000)
    const before = h.sim.counters()
    clock.advance(4_999)
    const early = await poll()
    expect(early.status).toBe(429)
    expect(nextTime(early)).toBe(now + 5_000)
    expect(h.sim.counters().pollsBeforePermittedTime).toBe(before.pollsBeforePermittedTime + 1)
    expect(h.sim.requestLog().at(-1)?.flags).toContain("polled-before-permitted-time")
    clock.advance(1)
    expect((await poll()).status).toBe(204)
    wait()
  })

  it("delivers one change per poll for POLLING jobs, allows the next poll at once, and never queues callback jobs", async () => {
    const polling = await h.create({ polling: true, signers: [{ id: "p1" }, { id: "p2" }] })
    const callback = await h.create({ signers: [{ id: "c1" }] })
    await h.sim.sign(callback.jobId, "c1")
    await h.sim.sign(polling.jobId, "p1")
    await h.sim.sign(polling.jobId, "p2")
    const first = await poll()
    expect(first.status).toBe(200)
    expect(nextTime(first)).toBe(clock.now())
    expect(xmlText(first.text, "signature-job-id")).toBe(polling.jobId)
    expect(statusOf(first.text)).toMatchObject({
      job: "IN_PROGRESS",
      signers: [
        { signer: "p1", status: "SIGNED" },
        { signer: "p2", status: "WAITING" },
      ],
    })
    expect(statusOf(first.text).confirmationUrl).toBeDefined()
    const second = await poll()
    expect(second.status).toBe(200)
    expect(statusOf(second.text).job).toBe("COMPLETED_SUCCESSFULLY")
    for (const r of [first, second])
      expect((await call(h.a, "POST", statusOf(r.text).confirmationUrl!)).status).toBe(200)
    expect((await poll()).status).toBe(204)
    wait()
  })

  it("treats a missing, bare and empty polling_queue alike (the default queue) and keeps named queues apart", async () => {
    const inDefault = await h.create({ polling: true })
    const inNamed = await h.create({ polling: true, pollingQueue: "app-2" })
    await h.sim.reject(inDefault.jobId, "01013300002")
    await h.sim.reject(inNamed.jobId, "01013300002")
    const bare = await poll("?polling_queue")
    expect(xmlText(bare.text, "signature-job-id")).toBe(inDefault.jobId)
    expect((await poll("?polling_queue=")).status).toBe(204)
    expect((await poll()).status).toBe(429)
    const named = await poll("?polling_queue=app-2")
    expect(named.status).toBe(200)
    expect(xmlText(named.text, "signature-job-id")).toBe(inNamed.jobId)
    expect((await poll("?polling_queue=app-2")).status).toBe(204)
    for (const r of [bare, named]) await call(h.a, "POST", statusOf(r.text).confirmationUrl!)
    wait()
  })

  it("keeps organizations apart", async () => {
    const job = await h.create({ polling: true })
    await h.sim.sign(job.jobId, "01013300002")
    expect((await poll("", h.b, h.orgB)).status).toBe(204)
    const mine = await poll()
    expect(xmlText(mine.text, "signature-job-id")).toBe(job.jobId)
    await call(h.a, "POST", statusOf(mine.text).confirmationUrl!)
    wait()
  })

  it("puts an unconfirmed change back after 10 minutes; a confirmed one stays gone", async () => {
    const job = await h.create({ polling: true })
    await h.sim.sign(job.jobId, "01013300002")
    const first = await poll()
    expect(first.status).toBe(200)
    expect((await poll()).status).toBe(204)
    clock.advance(10 * MINUTE - 1)
    expect((await poll()).status).toBe(204)
    clock.advance(5_000)
    const requeued = h.sim.counters().requeued
    const again = await poll()
    expect(again.status).toBe(200)
    expect(h.sim.counters().requeued).toBe(requeued + 1)
    expect(xmlText(again.text, "signature-job-id")).toBe(job.jobId)
    expect(statusOf(again.text).signers).toEqual(statusOf(first.text).signers)
    const confirmations = h.sim.counters().confirmations
    expect((await call(h.a, "POST", statusOf(again.text).confirmationUrl!)).status).toBe(200)
    expect(h.sim.counters().confirmations).toBe(confirmations + 1)
    clock.advance(20 * MINUTE)
    expect((await poll()).status).toBe(204)
    expect(h.sim.counters().requeued).toBe(requeued + 1)
    wait()
  })

  it("reports an expiry as a change", async () => {
    const job = await h.create({ polling: true })
    clock.advance(30 * 24 * 60 * MINUTE)
    const r = await poll()
    expect(r.status).toBe(200)
    expect(statusOf(r.text)).toMatchObject({ job: "FAILED", signers: [{ status: "EXPIRED" }] })
    expect(xmlText(r.text, "signature-job-id")).toBe(job.jobId)
    await call(h.a, "POST", statusOf(r.text).confirmationUrl!)
    wait()
  })

  it("counts polls by outcome", () => {
    const c = h.sim.counters()
    expect(c.polls).toBe(c.pollChanges + c.pollsEmpty + c.pollsBeforePermittedTime)
    expect(c.pollChanges).toBeGreaterThanOrEqual(8)
  })

  it("every XML response validates against the protocol schema files", async () => {
    expect(await schemaErrors(collectedXml)).toEqual([])
  })
})
