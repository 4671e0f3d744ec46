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
import { Deferred, Duration, Effect, Exit, Fiber, Logger, Metric, References } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll } from "vitest"
import * as DirectClient from "../src/DirectClient.js"
import * as Polling from "../src/Polling.js"
import { createDirectClient } from "../src/promise.js"
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
  // Pacing is off: the test clock runs 100 times faster than the service's limit is meant for (pacing has its own tests).
  client = await h.client({
    timeouts: { api: "1 hour", download: "1 hour" },
    retry: { times: 2, base: "100 millis" },
    rateLimiter: false,
  })
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

/** Waits in real time (the test clock stands still) until `done()` holds. */
const waitLive = (done: () => boolean, describe: () => string, realMs = 10_000) =>
  TestClock.withLive(
    Effect.gen(function* () {
      const started = performance.now()
      while (!done()) {
        if (performance.now() - started > realMs) return yield* Effect.die(new Error(`timed out: ${describe()}`))
        yield* Effect.sleep("5 millis")
      }
    }),
  )

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

const metricCount = (metric: Metric.Metric<number, unknown>, queue: string, extra: Record<string, string> = {}) =>
  Metric.value(Metric.withAttributes(metric, { organization: ORG_A, queue, ...extra })).pipe(
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

  it.effect(
    "under faults (handler throws; reset during poll, download and confirm; 503 bursts; a DoS block): nothing lost, zero early polls",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "faults"
        const jobs: Array<string> = []
        for (let i = 0; i < 12; i++) {
          // One signer per job: one change per job (the confirmation URL is per job, see the report on the simulator).
          const created = yield* client.create(pollingJob(queue, [`f-${i}`], `fault-${i}`))
          jobs.push(String(created.signatureJobId))
        }
        const attempts = new Map<string, number>()
        const succeeded: Array<{ key: string; jobId: string; finishedAt: number }> = []
        const errors: Array<Polling.PollingError> = []
        const handler = (change: Polling.Change) =>
          Effect.gen(function* () {
            const jobId = String(change.jobId)
            const n = (attempts.get(jobId) ?? 0) + 1
            attempts.set(jobId, n)
            yield* Effect.sleep("300 millis")
            // Every third job's handler fails the first time: once with a typed failure, once by throwing.
            if (n === 1 && jobs.indexOf(jobId) % 3 === 0) {
              if (jobs.indexOf(jobId) % 2 === 0) return yield* Effect.fail("database unavailable")
              throw new Error("handler bug")
            }
            succeeded.push({
              key: keyOf(
                jobId,
                change.status.status,
                change.status.signers.map((s) => s.status),
              ),
              jobId,
              finishedAt: performance.now(),
            })
          })
        const start = requests.length
        const counters = h.sim.counters()
        // Faults hit the next requests of each route, first injected first served.
        h.sim.faults.inject({ route: "poll", kind: "reset" })
        h.sim.faults.inject({ route: "poll", kind: "status", status: 503, times: 4 }) // more than the client retries
        h.sim.faults.inject({ route: "poll", kind: "dos" })
        h.sim.faults.inject({ route: "poll", kind: "status", status: 502, times: 1 })
        h.sim.faults.inject({ route: "pades", kind: "reset" }) // retried by the client
        // Two workers download at once and share these faults: six of them make at least one download fail.
        h.sim.faults.inject({ route: "pades", kind: "status", status: 503, times: 6 })
        h.sim.faults.inject({ route: "xades", kind: "reset" })
        h.sim.faults.inject({ route: "confirm", kind: "reset" }) // retried by the client
        h.sim.faults.inject({ route: "confirm", kind: "status", status: 503, times: 6 }) // at least one fails
        yield* driveClock
        const workers: Array<Fiber.Fiber<never, unknown>> = []
        for (const name of ["a", "b"]) {
          workers.push(
            yield* Effect.forkChild(
              Polling.run({
                queue,
                download: { pades: true, xades: true },
                backoff: { base: "1 second", cap: "20 seconds" },
                handler,
                onError: (e) => Effect.sync(() => errors.push(e)),
              }).pipe(provideClient, Effect.annotateLogs({ worker: name })),
            ),
          )
        }
        const expected = new Set<string>()
        for (const [i, jobId] of jobs.entries()) {
          yield* Effect.sleep(Duration.millis(700))
          const act = i % 4 === 3 ? h.sim.reject : i % 5 === 4 ? h.sim.fail : h.sim.sign
          yield* Effect.promise(() => act(jobId, `f-${i}`))
          expected.add(simKey(jobId))
        }
        const confirmedJobs = () => new Set(jobs.filter((id) => confirmsOf(id, start).length > 0)).size
        yield* waitUntil(
          () => [...expected].every((k) => succeeded.some((s) => s.key === k)) && confirmedJobs() === jobs.length,
          () => `${succeeded.length}/${expected.size} handled, ${confirmedJobs()} confirmed`,
        )
        yield* Fiber.interruptAll(workers)

        // Nothing lost: every final status reached a handler that succeeded, and each job was confirmed once.
        expect(new Set(succeeded.map((s) => s.key))).toEqual(expected)
        for (const jobId of jobs) {
          const confirms = confirmsOf(jobId, start)
          expect(confirms).toHaveLength(1)
          const firstSuccess = Math.min(...succeeded.filter((s) => s.jobId === jobId).map((s) => s.finishedAt))
          expect(confirms[0]!.startedAt).toBeGreaterThan(firstSuccess)
        }
        // Every fault was used, and each kind of failure was reported.
        expect(h.sim.faults.pending()).toEqual([])
        const reasons = new Set(errors.map((e) => e.reason))
        expect(reasons).toEqual(new Set(["Poll", "Handler", "Download", "Confirm"]))
        expect(errors.filter((e) => e.reason === "Handler")).toHaveLength(4)
        for (const e of errors.filter((e) => e.reason !== "Poll")) expect(jobs).toContain(String(e.jobId))
        expect(yield* metricCount(Polling.metrics.handlerFailures, queue)).toBe(4)
        expect(yield* metricCount(Polling.metrics.tooManyRequests, queue, { kind: "RateLimited" })).toBe(1)
        expect(yield* metricCount(Polling.metrics.tooManyRequests, queue, { kind: "TooEagerPolling" })).toBe(0)
        // Each failed handler, download and confirmation put its change back: handed out once more, no more.
        const failedChanges = errors.filter((e) => e.reason !== "Poll").length
        expect(h.sim.counters().pollChanges - counters.pollChanges).toBe(jobs.length + failedChanges)
        // And never a poll before the permitted time.
        expect(h.sim.counters().pollsBeforePermittedTime - counters.pollsBeforePermittedTime).toBe(0)
        expect(requests.slice(start).filter((r) => r.flags.includes("polled-before-permitted-time"))).toEqual([])
        // The DoS block was honoured: no poll in the 30 s after it.
        const dos = requests.slice(start).find((r) => r.route === "poll" && r.flags.includes("fault:dos"))!
        const next = requests.slice(start).find((r) => r.route === "poll" && r.at.getTime() > dos.at.getTime())!
        expect(next.at.getTime() - dos.at.getTime()).toBeGreaterThanOrEqual(30_000)
        // Before the block, after the client's own quick retries were spent, the worker backed off (base 1 s, at
        // least half of it).
        const faulted = requests
          .slice(start)
          .filter((r) => r.route === "poll" && r.flags.includes("fault:status") && r.at.getTime() < dos.at.getTime())
        const gaps = faulted.slice(1).map((r, i) => r.at.getTime() - faulted[i]!.at.getTime())
        expect(Math.max(...gaps)).toBeGreaterThanOrEqual(500)
      }),
    60_000,
  )

  it.effect(
    "shutdown in the middle of a handler: the change is confirmed when the handler completes, then no more polls",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "shutdown"
        const created = yield* client.create(pollingJob(queue, ["stop-1"], "stop-1"))
        const jobId = String(created.signatureJobId)
        yield* Effect.promise(() => h.sim.sign(jobId, "stop-1"))
        const started = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        let finishedAt = Number.POSITIVE_INFINITY
        const start = requests.length
        yield* driveClock
        const worker = yield* Effect.forkChild(
          Polling.run({
            queue,
            handler: () =>
              Effect.gen(function* () {
                yield* Deferred.succeed(started, undefined)
                yield* Deferred.await(release)
                finishedAt = performance.now()
              }),
          }).pipe(provideClient),
        )
        yield* Deferred.await(started)
        const stopping = yield* Effect.forkChild(Fiber.interrupt(worker))
        // Half a minute passes: the interruption waits for the handler, and nothing is confirmed meanwhile.
        yield* Effect.sleep("30 seconds")
        expect(stopping.pollUnsafe()).toBeUndefined()
        expect(confirmsOf(jobId, start)).toHaveLength(0)
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(stopping)
        const confirms = confirmsOf(jobId, start)
        expect(confirms).toHaveLength(1)
        expect(confirms[0]!.startedAt).toBeGreaterThan(finishedAt)
        // Stopped: a new change stays on the queue, no poll is made.
        const polls = requests.filter((r) => r.route === "poll").length
        const later = yield* client.create(pollingJob(queue, ["stop-2"], "stop-2"))
        yield* Effect.promise(() => h.sim.sign(later.signatureJobId, "stop-2"))
        yield* Effect.sleep("2 minutes")
        expect(requests.filter((r) => r.route === "poll").length).toBe(polls)
        expect(confirmsOf(String(later.signatureJobId))).toHaveLength(0)
      }),
    30_000,
  )

  it.effect(
    "shutdown in the middle of a handler that then fails: nothing is confirmed",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "shutdown-fail"
        const created = yield* client.create(pollingJob(queue, ["stop-f"], "stop-f"))
        const jobId = String(created.signatureJobId)
        yield* Effect.promise(() => h.sim.sign(jobId, "stop-f"))
        const started = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const start = requests.length
        yield* driveClock
        const worker = yield* Effect.forkChild(
          Polling.run({
            queue,
            handler: () =>
              Deferred.succeed(started, undefined).pipe(
                Effect.andThen(Deferred.await(release)),
                Effect.andThen(Effect.fail("rolled back")),
              ),
          }).pipe(provideClient),
        )
        yield* Deferred.await(started)
        const stopping = yield* Effect.forkChild(Fiber.interrupt(worker))
        yield* Effect.sleep("10 seconds")
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(stopping)
        expect(Exit.hasInterrupts((yield* Fiber.await(worker)) as Exit.Exit<never, unknown>)).toBe(true)
        expect(confirmsOf(jobId, start)).toHaveLength(0)
        expect(h.sim.job(jobId)!.status).toBe("COMPLETED_SUCCESSFULLY")
      }),
    30_000,
  )

  it.effect(
    "a poll made elsewhere (another process) moved the permitted time: one 429, honoured, then the change is handled",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "elsewhere"
        const created = yield* client.create(pollingJob(queue, ["e-1"], "elsewhere-1"))
        const jobId = String(created.signatureJobId)
        // Another process polls the empty queue: the next poll is permitted only in 10 s, and this process's
        // worker cannot know.
        const other = yield* client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: queue })
        expect(other._tag).toBe("NoChanges")
        yield* Effect.promise(() => h.sim.sign(jobId, "e-1"))
        const start = requests.length
        const seen: Array<string> = []
        const worker = yield* Effect.forkChild(
          Polling.run({ queue, handler: (change) => Effect.sync(() => seen.push(change.status.status)) }).pipe(
            provideClient,
          ),
        )
        // Its first poll goes at once (it knows no permitted time yet); only then does the test clock move.
        yield* waitLive(
          () => requests.slice(start).some((r) => r.route === "poll"),
          () => "no poll",
        )
        yield* driveClock
        yield* waitUntil(
          () => confirmsOf(jobId, start).length === 1,
          () => `${seen.length} handled`,
        )
        yield* Fiber.interrupt(worker)
        expect(seen).toEqual(["COMPLETED_SUCCESSFULLY"])
        const polls = requests.slice(start).filter((r) => r.route === "poll")
        // Exactly one early poll (the unavoidable first one), and the next one after the time the 429 gave.
        expect(polls.filter((p) => p.status === 429)).toHaveLength(1)
        expect(polls[0]!.status).toBe(429)
        expect(polls[1]!.at.getTime()).toBeGreaterThanOrEqual(other.nextPermittedPollTime.getTime())
        expect(yield* metricCount(Polling.metrics.tooManyRequests, queue, { kind: "TooEagerPolling" })).toBe(1)
      }),
    30_000,
  )

  it.effect("stopping a worker that waits for its turn to poll does not wait for the other worker's turn", () =>
    Effect.gen(function* () {
      yield* syncClocks
      const queue = "turns"
      const early = h.sim.counters().pollsBeforePermittedTime
      const polls = () => requests.filter((r) => r.route === "poll" && r.path.includes(`polling_queue=${queue}`))
      // The test clock stands still here: the first worker polls the empty queue (nothing to wait for yet) and then
      // waits 10 s of test time, holding the queue's turn, for as long as the test lets it.
      const run = Polling.run({ queue, handler: () => Effect.void }).pipe(provideClient)
      const first = yield* Effect.forkChild(run)
      yield* waitLive(
        () => polls().length === 1,
        () => "no poll",
      )
      const second = yield* Effect.forkChild(run)
      yield* TestClock.withLive(Effect.sleep("50 millis"))
      // Stopping the second worker completes without the first worker's 10 s passing.
      const stopped = yield* TestClock.withLive(Fiber.interrupt(second).pipe(Effect.timeoutOption("5 seconds")))
      expect(stopped._tag).toBe("Some")
      yield* TestClock.withLive(Fiber.interrupt(first).pipe(Effect.timeoutOption("5 seconds")))
      expect(polls()).toHaveLength(1)
      expect(h.sim.counters().pollsBeforePermittedTime).toBe(early)
    }),
  )

  it.effect("a handler that outlives handlerTimeout is interrupted and its change not confirmed", () =>
    Effect.gen(function* () {
      yield* syncClocks
      const queue = "slow-handler"
      const created = yield* client.create(pollingJob(queue, ["slow-1"], "slow-1"))
      const jobId = String(created.signatureJobId)
      yield* Effect.promise(() => h.sim.sign(jobId, "slow-1"))
      const start = requests.length
      const errors: Array<Polling.PollingError> = []
      yield* driveClock
      const worker = yield* Effect.forkChild(
        Polling.run({
          queue,
          handlerTimeout: "5 seconds",
          handler: () => Effect.sleep("1 minute"),
          onError: (e) => Effect.sync(() => errors.push(e)),
        }).pipe(provideClient),
      )
      yield* waitUntil(
        () => errors.length > 0,
        () => "no error",
      )
      yield* Fiber.interrupt(worker)
      expect(errors[0]!.reason).toBe("Handler")
      expect(String(errors[0]!.jobId)).toBe(jobId)
      expect(confirmsOf(jobId, start)).toHaveLength(0)
    }),
  )

  it.effect("one log line per change with the job id and statuses; no personal identification number anywhere", () =>
    Effect.gen(function* () {
      yield* syncClocks
      const queue = "logs"
      const created = yield* client.create(pollingJob(queue, [PIN, "log-2"], "log-ref"))
      const jobId = String(created.signatureJobId)
      yield* Effect.promise(() => h.sim.sign(jobId, PIN))
      yield* Effect.promise(() => h.sim.reject(jobId, "log-2"))
      const lines: Array<{ message: string; annotations: Record<string, unknown>; level: string }> = []
      const capture = Logger.make((options) => {
        lines.push({
          message: JSON.stringify(options.message),
          annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) },
          level: options.logLevel,
        })
      })
      const start = requests.length
      yield* driveClock
      const worker = yield* Effect.forkChild(
        Polling.run({ queue, download: { pades: true, xades: true }, handler: () => Effect.void }).pipe(
          provideClient,
          Effect.provide(Logger.layer([capture])),
          Effect.provideService(References.MinimumLogLevel, "Trace"),
        ),
      )
      yield* waitUntil(
        () => confirmsOf(jobId, start).length === 2,
        () => `${confirmsOf(jobId, start).length} confirmed`,
      )
      yield* Fiber.interrupt(worker)
      const perChange = lines.filter((l) => l.message.includes(`signering polling: job ${jobId}`))
      expect(perChange.map((l) => l.message)).toEqual([
        expect.stringContaining(`job ${jobId} IN_PROGRESS handled and confirmed`),
        expect.stringContaining(`job ${jobId} FAILED handled and confirmed`),
      ])
      expect(perChange[1]!.annotations).toMatchObject({
        jobId,
        jobStatus: "FAILED",
        signerStatuses: "SIGNED,REJECTED",
        reference: "log-ref",
        queue,
        organization: ORG_A,
      })
      for (const line of lines) expect(JSON.stringify(line)).not.toContain(PIN)
    }),
  )

  it.effect("two changes of one job taken by two workers reach the handler in the queue's order", () =>
    Effect.gen(function* () {
      yield* syncClocks
      const queue = "order"
      const created = yield* client.create(pollingJob(queue, [PIN, "o-2"], "order-1"))
      const jobId = String(created.signatureJobId)
      // Both changes wait on the queue: IN_PROGRESS (one signed), then COMPLETED_SUCCESSFULLY.
      yield* Effect.promise(() => h.sim.sign(jobId, PIN))
      yield* Effect.promise(() => h.sim.sign(jobId, "o-2"))
      const finished: Array<string> = []
      const start = requests.length
      yield* driveClock
      // The older change is slow to handle; the newer one waits for it instead of overtaking it.
      const handler = (change: Polling.Change) =>
        Effect.sleep(change.status.status === "IN_PROGRESS" ? "5 seconds" : "0 millis").pipe(
          Effect.andThen(Effect.sync(() => finished.push(change.status.status))),
        )
      const workers: Array<Fiber.Fiber<never, unknown>> = []
      for (let i = 0; i < 2; i++)
        workers.push(yield* Effect.forkChild(Polling.run({ queue, handler }).pipe(provideClient)))
      yield* waitUntil(
        () => finished.length === 2 && confirmsOf(jobId, start).length === 2,
        () => `${finished.length} handled`,
      )
      yield* Fiber.interruptAll(workers)
      expect(finished).toEqual(["IN_PROGRESS", "COMPLETED_SUCCESSFULLY"])
    }),
  )

  it.effect("invalid options fail before any request, naming the option", () =>
    Effect.gen(function* () {
      const before = requests.length
      for (const [options, path] of [
        [{ sender: "12345" }, "sender.organizationNumber"],
        [{ backoff: { base: "0 millis" } }, "backoff.base"],
        [{ backoff: { base: "10 seconds", cap: "1 second" } }, "backoff.cap"],
        [{ handlerTimeout: "0 millis" }, "handlerTimeout"],
      ] as const) {
        const error = yield* Effect.flip(Polling.run({ ...options, handler: () => Effect.void }).pipe(provideClient))
        expect(error._tag).toBe("ValidationError")
        expect(error.issues[0]!.path).toBe(path)
      }
      const noSender = yield* Effect.promise(() => h.client({ sender: undefined }))
      const error = yield* Effect.flip(
        Polling.run({ handler: () => Effect.void }).pipe(Effect.provideService(DirectClient.DirectClient, noSender)),
      )
      expect(error.issues[0]!.path).toBe("sender")
      expect(requests.length).toBe(before)
    }),
  )
})

describe("Polling.run: out-of-order changes and clocks", () => {
  it.effect(
    "the issue's lost final status: an IN_PROGRESS change lost in transit comes back after COMPLETED, whose handler failed once; the stale change is skipped and not confirmed, COMPLETED comes back and is handled (worst-case confirmation model)",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "order"
        const created = yield* client.create(pollingJob(queue, ["o-1", "o-2"], "order-1"))
        const jobId = String(created.signatureJobId)
        yield* Effect.promise(() => h.sim.sign(jobId, "o-1")) // IN_PROGRESS, first on the queue
        yield* Effect.promise(() => h.sim.sign(jobId, "o-2")) // COMPLETED_SUCCESSFULLY, second
        // The first poll's answer is cut after the service took the IN_PROGRESS change: it stays delivered (in
        // flight) until the re-queue delay, and comes back after COMPLETED was delivered.
        h.sim.faults.inject({ route: "poll", kind: "truncate" })
        const seen: Array<string> = []
        let failures = 0
        const handler = (change: Polling.Change) =>
          Effect.gen(function* () {
            seen.push(change.status.status)
            if (change.final && failures === 0) {
              failures++
              return yield* Effect.fail("database unavailable")
            }
          })
        const start = requests.length
        const earlyBefore = h.sim.counters().pollsBeforePermittedTime
        yield* driveClock
        const worker = yield* Effect.forkChild(Polling.run({ queue, handler }).pipe(provideClient))
        yield* waitUntil(
          () => seen.filter((s) => s === "COMPLETED_SUCCESSFULLY").length === 2 && confirmsOf(jobId, start).length >= 1,
          () => `seen ${JSON.stringify(seen)}, ${confirmsOf(jobId, start).length} confirmed`,
        )
        // Let the stale change's re-queue delay pass once more: nothing of the job may come back to the handler.
        yield* Effect.sleep(Duration.millis(3 * REQUEUE_MS))
        yield* Fiber.interrupt(worker)
        // The handler never got IN_PROGRESS after COMPLETED: only COMPLETED, failed once and then handled.
        expect(seen).toEqual(["COMPLETED_SUCCESSFULLY", "COMPLETED_SUCCESSFULLY"])
        expect(yield* metricCount(Polling.metrics.staleChanges, queue)).toBeGreaterThanOrEqual(1)
        // No confirmation of the job went out between the delivery of COMPLETED and its successful handling.
        const confirms = confirmsOf(jobId, start).map((c) => c.startedAt)
        expect(confirms.length).toBeGreaterThanOrEqual(1)
        expect(h.sim.counters().pollsBeforePermittedTime - earlyBefore).toBe(0)
      }),
    60_000,
  )

  it.live(
    "a client clock 15 s ahead of the service's: polls after a 204 and 429s stay a handful, never a hot loop",
    () =>
      Effect.gen(function* () {
        // Real time: the service's clock runs 15 s behind this process's, so every permitted time it sends is
        // already past here (its Date header is the real time: the worker can only rely on its floors).
        clockSource = () => {
          lastVirtual = Math.max(lastVirtual, Date.now())
          return Date.now() - 15_000
        }
        const queue = "ahead"
        const start = requests.length
        const worker = yield* Effect.forkChild(Polling.run({ queue, handler: () => Effect.void }).pipe(provideClient))
        yield* Effect.sleep("8 seconds")
        yield* Fiber.interrupt(worker)
        const polls = requests.slice(start).filter((r) => r.route === "poll")
        // Before: a poll again at once after each answer (~420 polls/s). Now: the 204's floor (1 s), then 429
        // floors doubling (1 s, 2 s, 4 s): about five polls in 8 s.
        expect(polls.length).toBeGreaterThanOrEqual(3)
        expect(polls.length).toBeLessThanOrEqual(8)
        expect(polls[0]!.status).toBe(204)
        expect(polls.slice(1).every((p) => p.status === 429)).toBe(true)
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            clockSource = () => Math.max(Date.now(), lastVirtual)
          }),
        ),
      ),
    30_000,
  )

  it.effect(
    "X-Next-permitted-poll-time 9999-12-31: the wait is clamped to maxWait, logged as a warning and counted",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "far-future"
        const testClock = yield* TestClock.testClockWith(Effect.succeed)
        // One answer from a service whose clock reads the year 9999: it permits the next poll at
        // 9999-12-31T23:59:59+01:00 (its clock plus the 10 s empty-queue delay, in Oslo time).
        const farFuture = Date.parse("9999-12-31T22:59:49Z")
        let served = false
        clockSource = () => {
          lastVirtual = testClock.currentTimeMillisUnsafe()
          if (!served) return farFuture
          return lastVirtual
        }
        const warnings: Array<string> = []
        const capture = Logger.make((options) => {
          if (options.logLevel === "Warn") warnings.push(String(options.message))
        })
        const start = requests.length
        const worker = yield* Effect.forkChild(
          Polling.run({ queue, handler: () => Effect.void, maxWait: "2 minutes" }).pipe(
            provideClient,
            Effect.provide(Logger.layer([capture])),
          ),
        )
        yield* waitLive(
          () => requests.slice(start).some((r) => r.route === "poll"),
          () => "no poll",
        )
        served = true
        const firstPollAt = testClock.currentTimeMillisUnsafe()
        yield* driveClock
        // Without the clamp the worker would sleep until the year 9999; with it, it polls again within 2 minutes.
        yield* waitUntil(
          () => requests.slice(start).filter((r) => r.route === "poll").length >= 2,
          () => "no second poll",
        )
        yield* Fiber.interrupt(worker)
        const polls = requests.slice(start).filter((r) => r.route === "poll")
        // The second poll came minutes after the first, not in the year 9999.
        expect(polls[1]!.at.getTime() - firstPollAt).toBeLessThan(200_000)
        expect(yield* metricCount(Polling.metrics.clampedWaits, queue)).toBeGreaterThanOrEqual(1)
        expect(warnings.some((w) => w.includes("9999-12-31T22:59:59.000Z") && w.includes("waiting 120 s"))).toBe(true)
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            clockSource = () => Math.max(Date.now(), lastVirtual)
          }),
        ),
      ),
    30_000,
  )
})

describe("startPollingWorker (Promise form)", () => {
  it("handles, confirms after the handler, and stop() waits for the handler in progress", async () => {
    // Real time here: the Promise client runs on the live clock.
    clockSource = () => Math.max(Date.now(), lastVirtual)
    const promiseClient = createDirectClient({
      environment: h.environment,
      keystore: h.keystore,
      sender: { organizationNumber: ORG_A, pollingQueue: "promise" },
      validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
      retry: { times: 2, base: "10 millis" },
      transport: h.transport.layer,
    })
    try {
      const created = await promiseClient.create(pollingJob("promise", ["p-1"], "promise-1"))
      const jobId = String(created.signatureJobId)
      await h.sim.sign(jobId, "p-1")
      const start = requests.length
      let started!: () => void
      const handlerStarted = new Promise<void>((resolve) => {
        started = resolve
      })
      let release!: () => void
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      let finishedAt = Number.POSITIVE_INFINITY
      const seen: Array<Polling.Change> = []
      const worker = Polling.startPollingWorker(promiseClient, {
        download: { pades: true },
        handler: async (change) => {
          seen.push(change)
          started()
          await released
          finishedAt = performance.now()
        },
      })
      await handlerStarted
      let stopped = false
      const stopping = worker.stop().then(() => {
        stopped = true
      })
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(stopped).toBe(false)
      expect(confirmsOf(jobId, start)).toHaveLength(0)
      release()
      await stopping
      await worker.done
      expect(seen).toHaveLength(1)
      expect(seen[0]!.final).toBe(true)
      expect(new TextDecoder().decode(seen[0]!.pades!.subarray(0, 5))).toBe("%PDF-")
      const confirms = confirmsOf(jobId, start)
      expect(confirms).toHaveLength(1)
      expect(confirms[0]!.startedAt).toBeGreaterThan(finishedAt)
      // Invalid options: `done` rejects with the ValidationError, nothing is polled.
      const polls = requests.filter((r) => r.route === "poll").length
      const invalid = Polling.startPollingWorker(promiseClient, { sender: "1", handler: () => {} })
      await expect(invalid.done).rejects.toMatchObject({ _tag: "ValidationError" })
      await invalid.stop()
      expect(requests.filter((r) => r.route === "poll").length).toBe(polls)
      expect(() => Polling.startPollingWorker({} as never, { handler: () => {} })).toThrow(/createDirectClient/)
    } finally {
      await promiseClient.close()
    }
  }, 20_000)
})
