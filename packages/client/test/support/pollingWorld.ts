/**
 * The set-up the polling worker's integration suites share: one simulator per test file over mutual TLS, a direct
 * client, and the simulator's clock tied to the running test's `TestClock`.
 *
 * Time: the worker sleeps on Effect's `TestClock`, and the simulator reads the same clock (its `clock` option), so
 * permitted poll times, re-queue delays and the 30 s DoS block are real values that pass in milliseconds: a driver
 * fiber moves the test clock 200 ms every 2 ms of real time while requests travel over real loopback sockets. Nothing
 * sleeps for real except that driver. The client's timeouts are set to an hour so that moving the clock never times
 * out a request that is merely slow on a busy machine.
 *
 * What the suites assert comes from the simulator: its confirmation log (with the real time each confirmation
 * started), its counter of polls before the permitted time (must stay 0), and the jobs' states.
 */
import type { Simulator } from "@signering/simulator"
import { Effect, Metric } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll } from "vitest"
import * as DirectClient from "../../src/DirectClient.js"
import { type Harness, jobInput, minimalPdf, ORG_A, PIN, start } from "./harness.js"

export const REQUEUE_MS = 60_000
export const EMPTY_QUEUE_MS = 10_000

let h: Harness
let client: DirectClient.Service

/**
 * The simulator's time source: the running test's TestClock, or the real clock (never going backwards). A test may
 * replace `source`; `lastVirtual` keeps every later test's time after every earlier one's.
 */
export const clock = {
  lastVirtual: 0,
  source: (): number => Math.max(Date.now(), clock.lastVirtual),
}

/** Back to the real clock, never earlier than any test clock so far. */
export const liveClock = () => {
  clock.source = () => Math.max(Date.now(), clock.lastVirtual)
}

export type Logged = Simulator.RequestLogEntry & { readonly startedAt: number }
/** Every API request of this file's simulator, with the real time it started. */
export const requests: Array<Logged> = []

/**
 * Starts this file's simulator and client before its tests (and closes them after); `ready` receives both.
 * Pacing is off: the test clock runs 100 times faster than the service's limit is meant for (pacing has its own tests).
 */
export const setupWorld = (ready: (harness: Harness, direct: DirectClient.Service) => void): void => {
  beforeAll(async () => {
    h = await start({
      clock: { now: () => clock.source() },
      emptyQueuePollDelayMs: EMPTY_QUEUE_MS,
      unconfirmedRequeueDelayMs: REQUEUE_MS,
      signingTimeLeniencyMs: 30 * 24 * 60 * 60 * 1000,
      requestLogLimit: 100_000,
      onRequest: (entry) => {
        if (entry.listener === "api") requests.push({ ...entry, startedAt: performance.now() - entry.durationMs })
      },
    })
    client = await h.client({
      timeouts: { api: "1 hour", download: "1 hour" },
      retry: { times: 2, base: "100 millis" },
      rateLimiter: false,
    })
    ready(h, client)
  }, 60_000)
  afterAll(() => h?.close())
}

/** Points the simulator at this test's TestClock, starting after every earlier test's time. */
export const syncClocks = Effect.gen(function* () {
  yield* TestClock.setTime(Math.max(Date.now(), clock.lastVirtual) + 1000)
  const testClock = yield* TestClock.testClockWith(Effect.succeed)
  clock.source = () => {
    clock.lastVirtual = testClock.currentTimeMillisUnsafe()
    return clock.lastVirtual
  }
})

/** Moves the test clock 200 ms every 2 ms of real time, until the test's scope closes. */
export const driveClock = Effect.forkScoped(
  Effect.forever(TestClock.adjust("200 millis").pipe(Effect.andThen(TestClock.withLive(Effect.sleep("2 millis"))))),
)

export const provideClient = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provideService(self, DirectClient.DirectClient, client)

/** Waits (in test-clock time) until `done()` holds; fails after `realMs` of real time with `describe()`. */
export const waitUntil = (done: () => boolean, describe: () => string, realMs = 25_000) =>
  Effect.gen(function* () {
    const started = performance.now()
    while (!done()) {
      if (performance.now() - started > realMs) return yield* Effect.die(new Error(`timed out: ${describe()}`))
      yield* Effect.sleep("500 millis")
    }
  })

/** Waits in real time (the test clock stands still) until `done()` holds. */
export const waitLive = (done: () => boolean, describe: () => string, realMs = 10_000) =>
  TestClock.withLive(
    Effect.gen(function* () {
      const started = performance.now()
      while (!done()) {
        if (performance.now() - started > realMs) return yield* Effect.die(new Error(`timed out: ${describe()}`))
        yield* Effect.sleep("5 millis")
      }
    }),
  )

export const confirmsOf = (jobId: string, from = 0) =>
  requests
    .slice(from)
    .filter((r) => r.route === "confirm" && r.status === 200 && r.path.includes(`/signature-jobs/${jobId}/complete`))

/** A small deterministic PRNG (mulberry32), so a failing order can be replayed from the seed in the test name. */
export const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** The key of a change as the handler sees it, and as the simulator's job view shows it right after an action. */
export const keyOf = (jobId: string, jobStatus: string, signerStatuses: ReadonlyArray<string>) =>
  `${jobId}|${jobStatus}|${signerStatuses.join(",")}`
export const simKey = (jobId: string) => {
  const job = h.sim.job(jobId)!
  return keyOf(
    jobId,
    job.status,
    job.signers.map((s) => s.status),
  )
}

export interface Delivery {
  readonly key: string
  readonly jobId: string
  readonly finishedAt: number
  readonly worker: string
  readonly pades: boolean
  readonly xades: number
}

export const pollingJob = (queue: string, signers: ReadonlyArray<string>, reference: string) =>
  jobInput({
    reference,
    sender: { organizationNumber: ORG_A, pollingQueue: queue },
    statusRetrievalMethod: "POLLING",
    signers: signers.map((s) => (s === PIN ? { personalIdentificationNumber: PIN } : { customIdentifier: s })),
    documents: [{ title: "Contract", bytes: minimalPdf(reference) }],
  })

export const metricCount = (
  metric: Metric.Metric<number, unknown>,
  queue: string,
  extra: Record<string, string> = {},
) =>
  Metric.value(Metric.withAttributes(metric, { organization: ORG_A, queue, ...extra })).pipe(
    Effect.map((state) => (state as { count: number }).count),
  )
