/**
 * When a held confirmation may go out: after a poll answer was lost in transit, the change it carried stays delivered at
 * the service until the re-queue delay, and the service (the simulator, and nothing says the real one is quicker) puts
 * it back on the queue only when the queue is next polled. A confirmation of an `IN_PROGRESS` change of the same job
 * sent after the re-queue time but before that poll still settles the lost change (worst-case confirmation model),
 * and a lost final status never comes back. In production an empty queue's next poll can be 10 minutes away. Set-up
 * and time: `support/pollingWorld.ts`.
 *
 * Both scenarios: the job's first `IN_PROGRESS` handler fails (it stays delivered and comes back after the re-queue
 * delay); COMPLETED goes on the queue and the poll that takes it is cut, the client's retry finding the queue empty;
 * `IN_PROGRESS` comes back before COMPLETED is due, and its handling ends after the re-queue time with no poll since.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import type * as DirectClient from "../src/DirectClient.js"
import * as Polling from "../src/Polling.js"
import type { Harness } from "./support/harness.js"
import {
  confirmsOf,
  driveClock,
  metricCount,
  pollingJob,
  provideClient,
  REQUEUE_MS,
  requests,
  setupWorld,
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

/**
 * Runs one scenario: `slowInProgress` makes the handling of the returning `IN_PROGRESS` itself outlast the re-queue
 * time (its confirmation is decided when it leaves its line); otherwise that handling signs a second job, whose
 * handler outlasts it (the held confirmation is decided at the next loop turn).
 */
const scenario = (queue: string, slowInProgress: boolean) =>
  Effect.gen(function* () {
    yield* syncClocks
    const created = yield* client.create(pollingJob(queue, [`${queue}-1`, `${queue}-2`], `${queue}-1`))
    const jobId = String(created.signatureJobId)
    const other = String((yield* client.create(pollingJob(queue, [`${queue}-k`], `${queue}-k`))).signatureJobId)
    yield* Effect.promise(() => h.sim.sign(jobId, `${queue}-1`)) // IN_PROGRESS on the queue
    const seen: Array<string> = []
    let completedAt = Number.POSITIVE_INFINITY
    const handler = (change: Polling.Change) =>
      Effect.gen(function* () {
        if (String(change.jobId) === other) {
          // Longer than the re-queue delay: the loop's next turn comes after the lost change's re-queue time.
          yield* Effect.sleep(Duration.millis(2 * REQUEUE_MS))
          return
        }
        seen.push(change.status.status)
        if (seen.length === 1) return yield* Effect.fail("database unavailable")
        if (change.final) {
          completedAt = performance.now()
          return
        }
        if (slowInProgress) yield* Effect.sleep(Duration.millis(2 * REQUEUE_MS))
        else yield* Effect.promise(() => h.sim.sign(other, `${queue}-k`))
      })
    const start = requests.length
    const earlyBefore = h.sim.counters().pollsBeforePermittedTime
    const polls = () => requests.slice(start).filter((r) => r.route === "poll")
    const worker = yield* Effect.forkChild(
      Polling.run({ queue, handler, requeueDelay: Duration.millis(REQUEUE_MS) }).pipe(provideClient),
    )
    // The test clock stands still: IN_PROGRESS is taken (its handler fails), the queue is found empty.
    yield* waitLive(
      () => seen.length === 1 && polls().some((p) => p.status === 204),
      () => `seen ${JSON.stringify(seen)}, polls ${JSON.stringify(polls().map((p) => p.status))}`,
    )
    yield* Effect.promise(() => h.sim.sign(jobId, `${queue}-2`)) // COMPLETED on the queue
    h.sim.faults.inject({ route: "poll", kind: "truncate" })
    yield* driveClock
    // The first confirmation of the job must come after COMPLETED was handled: an earlier one settled it unseen.
    yield* waitUntil(
      () => confirmsOf(jobId, start).length >= 1,
      () => `seen ${JSON.stringify(seen)}, no confirmation of the job`,
    )
    expect(seen, "COMPLETED was settled unseen by an IN_PROGRESS confirmation").toContain("COMPLETED_SUCCESSFULLY")
    yield* waitUntil(
      () => confirmsOf(jobId, start).length >= 2 && (slowInProgress || confirmsOf(other, start).length >= 1),
      () => `${confirmsOf(jobId, start).length} confirmations of the job`,
    )
    // One more re-queue delay: nothing of the job comes back.
    yield* Effect.sleep(Duration.millis(2 * REQUEUE_MS))
    yield* Fiber.interrupt(worker)

    const cut = polls().find((p) => p.flags.includes("fault:truncate"))!
    expect(cut).toBeDefined()
    expect(seen).toEqual(["IN_PROGRESS", "IN_PROGRESS", "COMPLETED_SUCCESSFULLY"])
    const confirms = confirmsOf(jobId, start)
    expect(Math.min(...confirms.map((c) => c.startedAt))).toBeGreaterThan(completedAt)
    // The held IN_PROGRESS confirmation went out only after an empty poll that started after the lost change's
    // re-queue time.
    const held = confirms.at(-1)!
    const requeueAt = cut.at.getTime() + REQUEUE_MS
    expect(
      polls().some((p) => p.status === 204 && p.at.getTime() >= requeueAt && p.at.getTime() <= held.at.getTime()),
    ).toBe(true)
    expect(h.sim.job(jobId)!.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(yield* metricCount(Polling.metrics.heldConfirmations, queue)).toBeGreaterThanOrEqual(1)
    expect(h.sim.counters().pollsBeforePermittedTime - earlyBefore).toBe(0)
  })

describe("Polling.run: held confirmations after a lost poll answer (worst-case confirmation model)", () => {
  it.effect(
    "an IN_PROGRESS handling that ends after the re-queue time does not confirm before the queue was polled again: the lost COMPLETED comes back and is handled",
    () => scenario("hold-leave", true),
    60_000,
  )

  it.effect(
    "a held IN_PROGRESS confirmation is not released by the clock alone, while another job's handling outlasts the re-queue time: the lost COMPLETED comes back and is handled",
    () => scenario("hold-deferred", false),
    60_000,
  )
})
