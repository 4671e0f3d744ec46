/**
 * What a confirmation does: the two models of what it settles (issue 14 §1), spent status query tokens, and the
 * archive it fills for organizations with long-term storage.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { request } from "undici"
import * as Simulator from "../src/Simulator.js"
import { call, xmlText } from "./support/client.js"
import { createPortal, nextChange, pollPortal } from "./support/portal.js"
import { type Harness, pki, start, tokenOf } from "./support/setup.js"

const DAY = 24 * 3_600_000
const TWO = [{ pin: "01013300002" }, { pin: "02038512345" }]

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const harness = async (options: Simulator.Options = {}) => {
  h = await start({
    clock: Simulator.testClock(new Date("2026-03-02T10:00:00Z")),
    emptyQueuePollDelayMs: 0,
    unconfirmedRequeueDelayMs: 60_000,
    ...options,
  })
  return h
}

const pollDirect = (h: Harness) => call(h.a, "GET", `${h.sim.url}/${h.orgA}/direct/signature-jobs`)

/**
 * Issue 14's scenario: the IN_PROGRESS change comes back after the final one; the final one is delivered but not
 * confirmed (the handler failed); the stale IN_PROGRESS one is confirmed. Answers what the queue gives afterwards.
 */
const staleConfirmation = async (h: Harness) => {
  const created = await h.create({ signers: TWO, polling: true })
  await h.sim.sign(created.jobId, "01013300002")
  await h.sim.sign(created.jobId, "02038512345")
  const inProgress = await pollDirect(h)
  const final = await pollDirect(h)
  expect(xmlText(inProgress.text, "signature-job-status")).toBe("IN_PROGRESS")
  expect(xmlText(final.text, "signature-job-status")).toBe("COMPLETED_SUCCESSFULLY")
  expect((await call(h.a, "POST", xmlText(inProgress.text, "confirmation-url")!)).status).toBe(200)
  h.sim.clock.advance(60_000)
  return { created, final, after: await pollDirect(h) }
}

describe("confirmation models", () => {
  it("settles-job (default, the worst case): confirming one change settles every delivered change of the job", async () => {
    const h = await harness()
    const { final, after } = await staleConfirmation(h)
    // Both changes share the job's one confirmation URL.
    expect(xmlText(final.text, "confirmation-url")).toMatch(/\/signature-jobs\/\d+\/complete$/)
    // The final change was delivered, never confirmed, and is gone: the worst case a worker must survive.
    expect(after.status).toBe(204)
    expect(h.sim.counters().requeued).toBe(0)
  })

  it("settles-change: a change's own confirmation URL settles only it; the unconfirmed final change comes back", async () => {
    const h = await harness({ confirmationModel: "settles-change" })
    const { created, final, after } = await staleConfirmation(h)
    expect(xmlText(final.text, "confirmation-url")).toMatch(/\/signature-jobs\/\d+\/changes\/\d+\/complete$/)
    expect(after.status).toBe(200)
    expect(xmlText(after.text, "signature-job-id")).toBe(created.jobId)
    expect(xmlText(after.text, "signature-job-status")).toBe("COMPLETED_SUCCESSFULLY")
    expect(h.sim.counters().requeued).toBe(1)
    await call(h.a, "POST", xmlText(after.text, "confirmation-url")!)
    h.sim.clock.advance(60_000)
    expect((await pollDirect(h)).status).toBe(204)
  })

  it("settles-change also holds for portal changes", async () => {
    const h = await harness({ confirmationModel: "settles-change" })
    const { jobId } = await createPortal(h, { signers: [{ pin: "01013300002" }, { pin: "02038512345" }] })
    await h.sim.sign(jobId, "01013300002")
    await h.sim.sign(jobId, "02038512345")
    const first = await pollPortal(h)
    const second = await pollPortal(h)
    await call(h.a, "POST", xmlText(first.text, "confirmation-url")!)
    h.sim.clock.advance(60_000)
    const again = await pollPortal(h)
    expect(again.status).toBe(200)
    expect(xmlText(again.text, "status")).toBe("COMPLETED_SUCCESSFULLY")
    expect(xmlText(again.text, "confirmation-url")).toBe(xmlText(second.text, "confirmation-url"))
  })

  it("refuses an unknown model, naming the option", async () => {
    await expect(
      Simulator.start({ confirmationModel: "maybe" as "settles-job", pki: await pki() }),
    ).rejects.toMatchObject({ reason: "InvalidOptions", detail: expect.stringContaining("confirmationModel") })
  })
})

describe("spent status query tokens", () => {
  const signAndConfirm = async (h: Harness) => {
    const created = await h.create()
    const exit = await h.sim.sign(created.jobId, "01013300002")
    const url = `${created.statusUrl}?status_query_token=${encodeURIComponent(tokenOf(exit))}`
    const first = await call(h.a, "GET", url)
    expect(first.status).toBe(200)
    expect((await call(h.a, "POST", xmlText(first.text, "confirmation-url")!)).status).toBe(200)
    return url
  }

  it("are refused with 403 INVALID_STATUS_QUERY_TOKEN once the final status was confirmed (default)", async () => {
    const h = await harness()
    const url = await signAndConfirm(h)
    const replay = await call(h.a, "GET", url)
    expect(replay.status).toBe(403)
    expect(xmlText(replay.text, "error-code")).toBe("INVALID_STATUS_QUERY_TOKEN")
  })

  it("stay usable with statusQueryTokensAfterConfirmation: accepted", async () => {
    const h = await harness({ statusQueryTokensAfterConfirmation: "accepted" })
    const url = await signAndConfirm(h)
    expect((await call(h.a, "GET", url)).status).toBe(200)
  })

  it("still work while the job is not final", async () => {
    const h = await harness()
    const created = await h.create({ signers: TWO })
    const exit = await h.sim.sign(created.jobId, "01013300002")
    const url = `${created.statusUrl}?status_query_token=${encodeURIComponent(tokenOf(exit))}`
    const first = await call(h.a, "GET", url)
    expect(xmlText(first.text, "signature-job-status")).toBe("IN_PROGRESS")
    expect((await call(h.a, "GET", url)).status).toBe(200)
  })
})

describe("archive (long-term storage)", () => {
  const signPortal = async (h: Harness) => {
    const { jobId } = await createPortal(h)
    await h.sim.sign(jobId, "01013300002")
    const reply = await pollPortal(h)
    return { jobId, reply }
  }

  it("archives when the final change is confirmed; serves it without Accept; DELETE removes it too", async () => {
    const h2 = await harness({ longTermStorage: [(await pki()).senders[0]!.organizationNumber] })
    const { jobId, reply } = await signPortal(h2)
    expect(h2.sim.job(jobId)?.archivedDocumentId).toBeUndefined()
    await call(h2.a, "POST", xmlText(reply.text, "confirmation-url")!)
    const id = h2.sim.job(jobId)?.archivedDocumentId
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    const archiveUrl = `${h2.sim.url}/${h2.orgA}/archive/documents/${id}/pades`
    // undici's request sends no Accept header unless told to (Java sends none).
    const res = await request(archiveUrl, { dispatcher: h2.a })
    const bytes = new Uint8Array(await res.body.arrayBuffer())
    expect(res.statusCode).toBe(200)
    expect(res.headers["content-type"]).toBe("application/pdf")
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-")
    // Another owner in the path finds nothing; the job id is not the archive id.
    expect((await call(h2.b, "GET", `${h2.sim.url}/${h2.orgB}/archive/documents/${id}/pades`)).status).toBe(404)
    expect((await call(h2.a, "GET", `${h2.sim.url}/${h2.orgA}/archive/documents/${jobId}/pades`)).status).toBe(404)
    h2.sim.clock.advance(DAY)
    expect((await call(h2.a, "DELETE", xmlText(reply.text, "delete-documents-url")!)).status).toBe(200)
    expect((await call(h2.a, "GET", archiveUrl)).status).toBe(404)
  })

  it("archives a direct job's documents too, once its final status is confirmed", async () => {
    const h = await harness({ longTermStorage: [(await pki()).senders[0]!.organizationNumber] })
    const created = await h.create()
    const exit = await h.sim.sign(created.jobId, "01013300002")
    const status = await call(h.a, "GET", `${created.statusUrl}?status_query_token=${tokenOf(exit)}`)
    expect(h.sim.job(created.jobId)?.archivedDocumentId).toBeUndefined()
    await call(h.a, "POST", xmlText(status.text, "confirmation-url")!)
    const id = h.sim.job(created.jobId)?.archivedDocumentId
    const res = await call(h.a, "GET", `${h.sim.url}/${h.orgA}/archive/documents/${id}/pades`)
    expect(res.status).toBe(200)
    expect(new TextDecoder().decode(res.bytes.slice(0, 5))).toBe("%PDF-")
  })

  it("refuses a long-term storage or contact register entry that is no number, naming the option", async () => {
    await expect(Simulator.start({ longTermStorage: ["12345"], pki: await pki() })).rejects.toMatchObject({
      reason: "InvalidOptions",
      detail: expect.stringContaining("longTermStorage"),
    })
    await expect(Simulator.start({ contactRegister: { "0101": "RESERVED" }, pki: await pki() })).rejects.toMatchObject({
      reason: "InvalidOptions",
      detail: expect.stringContaining("contactRegister"),
    })
  })

  it("archives nothing for an organization without long-term storage", async () => {
    const h = await harness()
    const { jobId } = await createPortal(h)
    await h.sim.sign(jobId, "01013300002")
    await nextChange(h)
    expect(h.sim.job(jobId)?.archivedDocumentId).toBeUndefined()
  })
})
