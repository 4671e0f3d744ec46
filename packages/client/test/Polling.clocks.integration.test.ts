/**
 * The polling worker against the simulator over mutual TLS when clocks disagree: a client clock ahead of the
 * service's, and a permitted poll time in the year 9999. Set-up and time: `support/pollingWorld.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Logger } from "effect"
import { TestClock } from "effect/testing"
import * as Polling from "../src/Polling.js"
import {
  clock,
  driveClock,
  liveClock,
  metricCount,
  provideClient,
  requests,
  setupWorld,
  syncClocks,
  waitLive,
  waitUntil,
} from "./support/pollingWorld.js"

// The worker reaches the client through `provideClient`; these tests need neither handle.
setupWorld(() => {})

describe("Polling.run: clocks", () => {
  it.live(
    "a client clock 15 s ahead of the service's: polls after a 204 and 429s stay a handful, never a hot loop",
    () =>
      Effect.gen(function* () {
        // Real time: the service's clock runs 15 s behind this process's, so every permitted time it sends is
        // already past here (its Date header is the real time: the worker can only rely on its floors).
        clock.source = () => {
          clock.lastVirtual = Math.max(clock.lastVirtual, Date.now())
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
      }).pipe(Effect.ensuring(Effect.sync(liveClock))),
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
        clock.source = () => {
          clock.lastVirtual = testClock.currentTimeMillisUnsafe()
          if (!served) return farFuture
          return clock.lastVirtual
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
      }).pipe(Effect.ensuring(Effect.sync(liveClock))),
    30_000,
  )
})
