/**
 * The polling worker against the simulator over mutual TLS, under faults: resets, 503 bursts, a DoS block, failing
 * handlers, a poll made by another process, and poll answers lost in transit (the stale change of issue 14, and a cut
 * answer that the client's own retry absorbed). Set-up and time: `support/pollingWorld.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import type * as DirectClient from "../src/DirectClient.js"
import * as Polling from "../src/Polling.js"
import { type Harness, ORG_A } from "./support/harness.js"
import {
  confirmsOf,
  driveClock,
  keyOf,
  metricCount,
  pollingJob,
  provideClient,
  REQUEUE_MS,
  requests,
  setupWorld,
  simKey,
  syncClocks,
  waitLive,
  waitUntil,
} from "./support/pollingWorld.js"

let h: Harness
let client: DirectClient.Service
setupWorld((harness, direct) => {
  h = harness
  client = direct
})

describe("Polling.run: faults", () => {
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
})

describe("Polling.run: out-of-order changes and lost answers", () => {
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

  it.effect(
    "a poll answer cut short and absorbed by the client's retry still counts as lost: an older change that comes back is handled, and its confirmation waits until the lost COMPLETED was re-queued and handled (worst-case confirmation model)",
    () =>
      Effect.gen(function* () {
        yield* syncClocks
        const queue = "lost-on-retry"
        const created = yield* client.create(pollingJob(queue, ["r-1", "r-2"], "retry-1"))
        const jobId = String(created.signatureJobId)
        yield* Effect.promise(() => h.sim.sign(jobId, "r-1")) // IN_PROGRESS on the queue
        const seen: Array<string> = []
        const errors: Array<Polling.PollingError> = []
        let completedAt = Number.POSITIVE_INFINITY
        const handler = (change: Polling.Change) =>
          Effect.gen(function* () {
            seen.push(change.status.status)
            // The first IN_PROGRESS fails: it stays delivered, unconfirmed, and comes back after the re-queue delay.
            if (seen.length === 1) return yield* Effect.fail("database unavailable")
            if (change.final) completedAt = performance.now()
          })
        const start = requests.length
        const earlyBefore = h.sim.counters().pollsBeforePermittedTime
        const polls = () => requests.slice(start).filter((r) => r.route === "poll")
        // The test clock stands still: the worker takes IN_PROGRESS (its handler fails), finds the queue empty and
        // waits for the permitted time, 10 s of test time away.
        const worker = yield* Effect.forkChild(
          Polling.run({ queue, handler, onError: (e) => Effect.sync(() => errors.push(e)) }).pipe(provideClient),
        )
        yield* waitLive(
          () => seen.length === 1 && polls().some((p) => p.status === 204),
          () => `seen ${JSON.stringify(seen)}, polls ${JSON.stringify(polls().map((p) => p.status))}`,
        )
        // COMPLETED goes on the queue; the next poll takes it and its answer is cut. The client retries the poll
        // at once and gets "no changes": the worker sees a successful poll, and COMPLETED stays delivered at the
        // service until its re-queue delay, after the older IN_PROGRESS comes back. Confirming IN_PROGRESS then
        // would settle COMPLETED for good (the worst case): the job's final status would never reach the handler.
        yield* Effect.promise(() => h.sim.sign(jobId, "r-2"))
        h.sim.faults.inject({ route: "poll", kind: "truncate" })
        yield* driveClock
        yield* waitUntil(
          () => seen.includes("COMPLETED_SUCCESSFULLY") && confirmsOf(jobId, start).length >= 1,
          () =>
            `seen ${JSON.stringify(seen)}, ${confirmsOf(jobId, start).length} confirmed (COMPLETED settled unseen by an IN_PROGRESS confirmation?)`,
        )
        yield* Fiber.interrupt(worker)
        // The cut answer was absorbed by the client's retry, which found the queue empty: no failed poll reported.
        const cut = polls().findIndex((p) => p.flags.includes("fault:truncate"))
        expect(cut).toBeGreaterThan(0)
        expect(polls()[cut + 1]!.status).toBe(204)
        expect(errors.map((e) => e.reason)).toEqual(["Handler"])
        // IN_PROGRESS failed, came back and was handled; COMPLETED came back after its re-queue delay and was handled.
        expect(seen).toEqual(["IN_PROGRESS", "IN_PROGRESS", "COMPLETED_SUCCESSFULLY"])
        // Nothing of the job was confirmed before COMPLETED was handled: the IN_PROGRESS confirmation was held.
        const confirms = confirmsOf(jobId, start).map((c) => c.startedAt)
        expect(Math.min(...confirms)).toBeGreaterThan(completedAt)
        expect(yield* metricCount(Polling.metrics.heldConfirmations, queue)).toBeGreaterThanOrEqual(1)
        expect(h.sim.counters().pollsBeforePermittedTime - earlyBefore).toBe(0)
      }),
    60_000,
  )
})
