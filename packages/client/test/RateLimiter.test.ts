/**
 * The in-process limiter on Effect's TestClock: the sliding window the service enforces (no span of 1 s + margin holds
 * more than the limit), first come first served, organizations apart, no wait below the limit, and bad options.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as RateLimiter from "../src/RateLimiter.js"

/** Starts `n` takes at once and returns the (test-clock) time each one was let through, in order of start. */
const startTimes = (limiter: RateLimiter.RateLimiter, org: string, n: number) =>
  Effect.gen(function* () {
    const times: Array<number> = new Array(n)
    const fibers = []
    for (let i = 0; i < n; i++) {
      fibers.push(
        yield* Effect.forkChild(
          limiter.take(org).pipe(
            Effect.andThen(Clock.currentTimeMillis),
            Effect.tap((t) =>
              Effect.sync(() => {
                times[i] = t
              }),
            ),
          ),
        ),
      )
    }
    return { times, fibers }
  })

/** The most starts in any half-open window of `windowMs`. */
const maxInWindow = (times: ReadonlyArray<number>, windowMs: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  let from = 0
  for (let to = 0; to < sorted.length; to++) {
    while ((sorted[to] as number) - (sorted[from] as number) >= windowMs) from++
    most = Math.max(most, to - from + 1)
  }
  return most
}

describe("RateLimiter.make", () => {
  it.effect("lets the first `limit` requests through at once, then spaces them so no 1.2 s span holds more", () =>
    Effect.gen(function* () {
      const limiter = RateLimiter.make()
      const { times, fibers } = yield* startTimes(limiter, "123456785", 35)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.joinAll(fibers)
      const t0 = times[0] as number
      expect(times.slice(0, 10).every((t) => t === t0)).toBe(true)
      expect(times[10]).toBe(t0 + 1200)
      expect(times[20]).toBe(t0 + 2400)
      expect(times[34]).toBe(t0 + 3600)
      expect(maxInWindow(times, 1200)).toBe(10)
      // First come, first served: start times follow the order of the calls.
      expect(times).toEqual([...times].sort((a, b) => a - b))
    }),
  )

  it.effect("keeps organizations apart", () =>
    Effect.gen(function* () {
      const limiter = RateLimiter.make({ requestsPerSecond: 2, windowMargin: 0 })
      const a = yield* startTimes(limiter, "111111111", 3)
      const b = yield* startTimes(limiter, "222222222", 2)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.joinAll([...a.fibers, ...b.fibers])
      expect(a.times[2]! - a.times[0]!).toBe(1000)
      expect(b.times[1]).toBe(b.times[0])
    }),
  )

  it.effect("never delays a request below the limit, whatever the history", () =>
    Effect.gen(function* () {
      const limiter = RateLimiter.make()
      for (let i = 0; i < 50; i++) {
        const before = yield* Clock.currentTimeMillis
        const { fibers, times } = yield* startTimes(limiter, "123456785", 9)
        yield* Fiber.joinAll(fibers) // would hang on the TestClock if any had to wait
        expect(times.every((t) => t === before)).toBe(true)
        yield* TestClock.adjust("1200 millis")
      }
    }),
  )

  it.effect("around: a request starts a second after the answer to the one `limit` places before it", () =>
    Effect.gen(function* () {
      const limiter = RateLimiter.make({ requestsPerSecond: 2 })
      const around = limiter.around!
      const starts: Array<number> = []
      const request = (ms: number) =>
        Clock.currentTimeMillis.pipe(
          Effect.tap((t) => Effect.sync(() => starts.push(t))),
          Effect.andThen(Effect.sleep(`${ms} millis`)),
        )
      const t0 = yield* Clock.currentTimeMillis
      // The first request is answered after 500 ms (queued in a pool, say), the second at once.
      const fibers = [
        yield* Effect.forkChild(around("123456785", request(500))),
        yield* Effect.forkChild(around("123456785", request(0))),
        yield* Effect.forkChild(around("123456785", request(0))),
        yield* Effect.forkChild(around("123456785", request(0))),
      ]
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.joinAll(fibers)
      // The third waits for the first's answer (500) + 1020; the fourth for the second's (0) + 1020.
      expect(starts.map((t) => t - t0).sort((a, b) => a - b)).toEqual([0, 0, 1020, 1520])
    }),
  )

  it.effect("around: a failed request frees its place when it fails", () =>
    Effect.gen(function* () {
      const limiter = RateLimiter.make({ requestsPerSecond: 1 })
      const t0 = yield* Clock.currentTimeMillis
      const failed = yield* Effect.exit(limiter.around!("123456785", Effect.fail("refused")))
      expect(failed._tag).toBe("Failure")
      const next = yield* Effect.forkChild(limiter.around!("123456785", Clock.currentTimeMillis))
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(next)) - t0).toBe(1020)
    }),
  )

  it.effect("enter: a place when none must wait, nothing taken when one must, and around keeps the same ring", () =>
    Effect.gen(function* () {
      const limiter = RateLimiter.make({ requestsPerSecond: 2 })
      const enter = limiter.enter!
      const t0 = yield* Clock.currentTimeMillis
      const first = enter("123456785", t0)
      const second = enter("123456785", t0)
      expect(first).toBeTypeOf("function")
      expect(second).toBeTypeOf("function")
      // Both places are out: a third must wait, and asking takes nothing.
      expect(enter("123456785", t0)).toBeUndefined()
      expect(enter("123456785", t0 + 5_000)).toBeUndefined()
      // Another organization has its own ring.
      expect(enter("987654321", t0)).toBeTypeOf("function")
      first!(t0 + 500)
      first!(t0 + 9_000) // a second call changes nothing
      // A second (and 20 ms) after the first answer, not before.
      expect(enter("123456785", t0 + 1519)).toBeUndefined()
      // around takes the next place, the first's, and starts a second (and 20 ms) after that answer.
      const next = yield* Effect.forkChild(limiter.around!("123456785", Clock.currentTimeMillis))
      yield* TestClock.adjust("1 second")
      second!(t0 + 1000)
      yield* TestClock.adjust("3 seconds")
      expect((yield* Fiber.join(next)) - t0).toBe(1520)
      const late = yield* Clock.currentTimeMillis
      expect(enter("123456785", late)).toBeTypeOf("function")
    }),
  )

  it("refuses bad options with the field and the limit", () => {
    expect(() => RateLimiter.make({ requestsPerSecond: 0 })).toThrow(
      "Invalid rate limiter option requestsPerSecond: must be an integer from 1 to 100000, got 0",
    )
    expect(() => RateLimiter.make({ requestsPerSecond: 2.5 })).toThrow(RateLimiter.InvalidOptions)
    expect(() => RateLimiter.make({ windowMargin: -1 })).toThrow("windowMargin: must be from 0 to 60 s, got -1 ms")
    expect(RateLimiter.tokenBucket).toBe(RateLimiter.make)
  })
})
