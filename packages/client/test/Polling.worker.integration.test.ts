/**
 * The polling worker against the simulator over mutual TLS.
 *
 * Time: the worker sleeps on Effect's `TestClock`, and the simulator reads the same clock (its `clock` option), so
 * permitted poll times, re-queue delays and the 30 s DoS block are real values that pass in milliseconds: a driver
 * fiber moves the test clock 200 ms every 2 ms of real time while requests travel over real loopback sockets. Nothing
 * sleeps for real except that driver. The client's timeouts are set to an hour so that moving the clock never times
 * out a request that is merely slow on a busy machine.
 *
 * What is asserted, per scenario, comes from the simulator: its confirmation log (with the real time each confirmation
 * started), its counter of polls before the permitted time (must stay 0), and the jobs' states.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Simulator } from "@signering/simulator"
import { Duration, Effect, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll } from "vitest"
import * as DirectClient from "../src/DirectClient.js"
import * as Polling from "../src/Polling.js"
import { type Harness, jobInput, minimalPdf, ORG_A, PIN, start } from "./support/harness.js"

const REQUEUE_MS = 60_000
const EMPTY_QUEUE_MS = 10_000

let h: Harness
let client: DirectClient.Service
/** The simulator's time source: the running test's TestClock, or the real clock (never going backwards). */
let lastVirtual = 0
let clockSource: () => number = () => Math.max(Date.now(), lastVirtual)
type Logged = Simulator.RequestLogEntry & { readonly startedAt: number }
const requests: Array<Logged> = []

beforeAll(async () => {
  h = await start({
    clock: { now: () => clockSource() },
    emptyQueuePollDelayMs: EMPTY_QUEUE_MS,
    unconfirmedRequeueDelayMs: REQUEUE_MS,
    signingTimeLeniencyMs: 30 * 24 * 60 * 60 * 1000,
    requestLogLimit: 100_000,
    onRequest: (entry) => {
      if (entry.listener === "api") requests.push({ ...entry, startedAt: performance.now() - entry.durationMs })
    },
  })
  client = await h.client({ timeouts: { api: "1 hour", download: "1 hour" }, retry: { times: 2, base: "100 millis" } })
}, 60_000)
afterAll(() => h.close())

/** Points the simulator at this test's TestClock, starting after every earlier test's time. */
const syncClocks = Effect.gen(function* () {
  yield* TestClock.setTime(Math.max(Date.now(), lastVirtual) + 1000)
  const testClock = yield* TestClock.testClockWith(Effect.succeed)
  clockSource = () => {
    lastVirtual = testClock.currentTimeMillisUnsafe()
    return lastVirtual
  }
})

/** Moves the test clock 200 ms every 2 ms of real time, until the test's scope closes. */
const driveClock = Effect.forkScoped(
  Effect.forever(TestClock.adjust("200 millis").pipe(Effect.andThen(TestClock.withLive(Effect.sleep("2 millis"))))),
)

const provideClient = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provideService(self, DirectClient.DirectClient, client)

/** Waits (in test-clock time) until `done()` holds; fails after `realMs` of real time with `describe()`. */
const waitUntil = (done: () => boolean, describe: () => string, realMs = 25_000) =>
  Effect.gen(function* () {
    const started = performance.now()
    while (!done()) {
      if (performance.now() - started > realMs) return yield* Effect.die(new Error(`timed out: ${describe()}`))
      yield* Effect.sleep("500 millis")
    }
  })

const confirmsOf = (jobId: string, from = 0) =>
  requests
    .slice(from)
    .filter((r) => r.route === "confirm" && r.status === 200 && r.path.includes(`/signature-jobs/${jobId}/complete`))

/** A small deterministic PRNG (mulberry32), so a failing order can be replayed from the seed in the test name. */
const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** The key of a change as the handler sees it, and as the simulator's job view shows it right after an action. */
const keyOf = (jobId: string, jobStatus: string, signerStatuses: ReadonlyArray<string>) =>
  `${jobId}|${jobStatus}|${signerStatuses.join(",")}`
const simKey = (jobId: string) => {
  const job = h.sim.job(jobId)!
  return keyOf(
    jobId,
    job.status,
    job.signers.map((s) => s.status),
  )
}

interface Delivery {
  readonly key: string
  readonly jobId: string
  readonly finishedAt: number
  readonly worker: string
  readonly pades: boolean
  readonly xades: number
}

const pollingJob = (queue: string, signers: ReadonlyArray<string>, reference: string) =>
  jobInput({
    reference,
    sender: { organizationNumber: ORG_A, pollingQueue: queue },
    statusRetrievalMethod: "POLLING",
    signers: signers.map((s) => (s === PIN ? { personalIdentificationNumber: PIN } : { customIdentifier: s })),
    documents: [{ title: "Contract", bytes: minimalPdf(reference) }],
  })

const metricCount = (metric: Metric.Metric<number, unknown>, queue: string) =>
  Metric.value(Metric.withAttributes(metric, { organization: ORG_A, queue })).pipe(
    Effect.map((state) => (state as { count: number }).count),
  )

describe("Polling.run", () => {
  it.effect(
    "24 jobs on two queues, signed, rejected and failed in random order, two workers per queue: every change handled and confirmed once, after its handler",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const seed = 20261128
        const random = prng(seed)
        const queues = [`mix-a-${seed}`, `mix-b-${seed}`] as const
        // Jobs: one or two signers, on alternating queues.
        const jobs: Array<{ id: string; queue: string; signers: Array<string> }> = []
        for (let i = 0; i < 24; i++) {
          const queue = queues[i % 2]!
          const signers = i % 3 === 0 ? [PIN, `s-${i}`] : [`s-${i}`]
          const created = yield* client.create(pollingJob(queue, signers, `job-${i}`))
          jobs.push({ id: String(created.signatureJobId), queue, signers })
        }
        // Every signer acts once (signed, rejected or failed), in random order; a rejection ends the job.
        const actions = jobs.flatMap((job) => job.signers.map((signer) => ({ job, signer })))
        for (let i = actions.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1))
          ;[actions[i], actions[j]] = [actions[j]!, actions[i]!]
        }

        const deliveries: Array<Delivery> = []
        const store = new Map<string, string>()
        const handler = (worker: string) => (change: Polling.Change) =>
          Effect.gen(function* () {
            yield* Effect.sleep(Duration.millis(Math.floor(random() * 600)))
            const key = keyOf(
              String(change.jobId),
              change.status.status,
              change.status.signers.map((s) => s.status),
            )
            store.set(key, worker)
            deliveries.push({
              key,
              jobId: String(change.jobId),
              finishedAt: performance.now(),
              worker,
              pades: change.pades !== undefined,
              xades: change.xades.length,
            })
          })
        const start = requests.length
        yield* driveClock
        const workers = yield* Effect.forEach([0, 1, 2, 3], (n) =>
          Effect.forkChild(
            Polling.run({
              queue: queues[n % 2]!,
              download: n % 2 === 0 ? { pades: true, xades: true } : {},
              handler: handler(`w${n}`),
            }).pipe(provideClient),
          ),
        )

        const expected = new Set<string>()
        for (const { job, signer } of actions) {
          yield* Effect.sleep(Duration.millis(Math.floor(random() * 3000)))
          const outcome = random()
          const act = outcome < 0.6 ? h.sim.sign : outcome < 0.8 ? h.sim.reject : h.sim.fail
          const acted = yield* Effect.promise(() =>
            act(job.id, signer).then(
              () => true,
              () => false, // the job already ended for this signer (another signer rejected or failed)
            ),
          )
          if (acted) expected.add(simKey(job.id))
        }
        const confirmed = () => requests.slice(start).filter((r) => r.route === "confirm" && r.status === 200).length
        yield* waitUntil(
          () => [...expected].every((k) => store.has(k)) && confirmed() === expected.size,
          () =>
            `${store.size}/${expected.size} handled, ${confirmed()} confirmed; requests: ${JSON.stringify(
              requests.slice(start).reduce<Record<string, number>>((acc, r) => {
                const k = `${r.route}:${r.status}:${r.flags.join("+")}`
                acc[k] = (acc[k] ?? 0) + 1
                return acc
              }, {}),
            )}`,
        )
        yield* Fiber.interruptAll(workers)

        // Every change arrived, exactly once (no faults: nothing was re-delivered), and nothing else arrived.
        expect(deliveries.map((d) => d.key).sort()).toEqual([...expected].sort())
        for (const job of jobs) {
          const final = h.sim.job(job.id)!
          expect(final.status).not.toBe("IN_PROGRESS")
          expect(store.has(simKey(job.id))).toBe(true)
          // One confirmation per change of the job, each one after a handler of that job finished.
          const finishes = deliveries
            .filter((d) => d.jobId === job.id)
            .map((d) => d.finishedAt)
            .sort((a, b) => a - b)
          const confirms = confirmsOf(job.id, start)
            .map((c) => c.startedAt)
            .sort((a, b) => a - b)
          expect(confirms).toHaveLength(finishes.length)
          for (const [i, c] of confirms.entries()) expect(c).toBeGreaterThan(finishes[i]!)
        }
        // Documents as asked: the download queue got a PAdES whenever someone signed, and each signer's XAdES.
        for (const d of deliveries) {
          const signed = d.key
            .split("|")[2]!
            .split(",")
            .filter((s) => s === "SIGNED").length
          const downloads = jobs.find((j) => j.id === d.jobId)!.queue === queues[0]
          expect(d.pades).toBe(downloads && signed > 0)
          expect(d.xades).toBe(downloads ? signed : 0)
        }
        // Never a poll before the permitted time, even with two workers on each queue.
        expect(h.sim.counters().pollsBeforePermittedTime).toBe(0)
        expect(requests.slice(start).filter((r) => r.flags.includes("polled-before-permitted-time"))).toEqual([])
        // Metrics agree.
        let handled = 0
        let confirmations = 0
        for (const queue of queues) {
          handled += yield* metricCount(Polling.metrics.changesHandled, queue)
          confirmations += yield* metricCount(Polling.metrics.confirmations, queue)
          expect(yield* metricCount(Polling.metrics.sleptSeconds, queue)).toBeGreaterThan(0)
        }
        expect(handled).toBe(expected.size)
        expect(confirmations).toBe(expected.size)
      }),
    60_000,
  )
})
