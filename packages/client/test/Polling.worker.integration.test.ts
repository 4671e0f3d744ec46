/**
 * The polling worker against the simulator over mutual TLS: many jobs and workers, shutdown, turns, handler timeout,
 * log lines, the order of one job's changes, option checks. The shared set-up (and how time passes) is in
 * `support/pollingWorld.ts`; faults and lost answers are in `Polling.faults.integration.test.ts`, clocks in
 * `Polling.clocks.integration.test.ts`, the Promise form in `Polling.promise.integration.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Logger, References } from "effect"
import { TestClock } from "effect/testing"
import * as DirectClient from "../src/DirectClient.js"
import * as Polling from "../src/Polling.js"
import { type Harness, ORG_A, PIN } from "./support/harness.js"
import {
  confirmsOf,
  type Delivery,
  driveClock,
  keyOf,
  metricCount,
  pollingJob,
  prng,
  provideClient,
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
