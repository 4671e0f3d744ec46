/**
 * Client-side pacing: keeps every request of one organization under the service's rate limit, so that requests are
 * delayed here instead of being sent into a 429 that blocks the whole organization for 30 s (PROTOCOL.md §5: over
 * 10 API calls per second per organization number).
 *
 * What the limit is: the `DoSFilter` the service names in its 429 is Jetty's, which keeps the times of each key's
 * last N requests and refuses a request when the N-th previous one is less than a second old: a **sliding window**,
 * not calendar seconds. A token bucket of burst B and rate r lets B + r requests into some second, so at the full
 * rate it trips such a window; this limiter therefore enforces the window itself: at most `requestsPerSecond`
 * requests start in any span of `1 s + windowMargin`. The margin (default 200 ms) absorbs what separates the moment
 * a request leaves this limiter from the moment the service counts it (a connection and TLS handshake, a busy event
 * loop): requests whose departures are spread over 1.2 s cannot arrive within one second unless one is delayed by
 * 200 ms more than another. Measured: with 100 ms, two freshly started processes bursting 25 requests each on a
 * loaded two-core machine tripped the block (cold TLS handshakes); with 200 ms they did not. It costs 17 % of the
 * peak rate (8.3 instead of 10 requests/s), and only at the limit; below it a request waits for nothing.
 *
 * The client paces with {@link RateLimiter.around}, which keeps a request's place until its answer has come back: a
 * request starts only a second after the answer to the one `requestsPerSecond` places before it. The service counted
 * that request before answering it, so this holds whatever delays a request between the limiter and the service (a
 * connection pool's queue, a TLS handshake, a busy event loop), which pacing by departures (`take`, with its margin)
 * cannot promise: 40 concurrent creates on 8 connections queued in the pool and tripped the block with `take`.
 *
 * Why in-process and not a library: the client runs on Node, Deno, Bun and edge runtimes and its tests drive time
 * with Effect's `TestClock`. The candidates (`limiter`, `bottleneck`, `rate-limiter-flexible`'s memory limiter) use
 * `setTimeout` and `Date.now` directly, offer token buckets or fixed windows (see above), and would add a dependency
 * for forty lines. This one reserves a start time per request from Effect's `Clock` and sleeps with `Effect.sleep`:
 * first come, first served, no timers when under the limit, and an interruption simply gives up the reserved slot.
 * Several processes of one sender share the service's limit too: use `@signering/redis-limiter` for them.
 *
 * @since 0.1.0
 */
import { Clock, Data, Deferred, Duration, Effect, Exit } from "effect"

/**
 * Waits until a request for an organization may be sent. The client calls `take` once per attempt, right before
 * sending (creates, polls, confirmations, downloads: every request counts against the same limit).
 *
 * @example
 * ```ts
 * import { RateLimiter } from "@signering/client"
 * const limiter: RateLimiter.RateLimiter = RateLimiter.make({ requestsPerSecond: 10 })
 * yield* limiter.take("123456785") // returns at once, or when the window has room
 * ```
 */
export interface RateLimiter {
  readonly take: (organizationNumber: string) => Effect.Effect<void>
  /**
   * Runs one request in its turn and keeps its place until the request has been answered (optional; the client uses
   * it when present). Pacing by answers is exact where pacing by departures is not: a request queued behind others
   * in the connection pool, or delayed by a handshake, still reaches the service before its answer comes back.
   */
  readonly around?: <A, E, R>(organizationNumber: string, request: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * The synchronous fast path of `around` (optional): when a request may start at `now` without waiting, takes its
   * place and returns the function to call once with the time it was answered (or gave up); otherwise returns
   * `undefined` and changes nothing, and the caller goes through `around`. Below the limit this is what every
   * request pays, so it is kept out of the effect runtime.
   */
  readonly enter?: (organizationNumber: string, now: number) => ((answeredAt: number) => void) | undefined
}

/**
 * Options of {@link make}.
 *
 * @example
 * ```ts
 * const options: RateLimiter.Options = { requestsPerSecond: 10, windowMargin: "200 millis" }
 * ```
 */
export interface Options {
  /** The service's limit per organization: requests allowed in any one-second window. Default 10 (the service's). */
  readonly requestsPerSecond?: number | undefined
  /** Added to the one-second window for what delays a request between here and the service. Default 200 ms. */
  readonly windowMargin?: Duration.Input | undefined
}

/**
 * Options that cannot make a limiter, naming the field and the limit.
 *
 * @example
 * ```ts
 * try { RateLimiter.make({ requestsPerSecond: 0 }) } catch (e) { if (e instanceof RateLimiter.InvalidOptions) console.error(e.message) }
 * ```
 */
export class InvalidOptions extends Data.TaggedError("InvalidOptions")<{
  readonly reason: "requestsPerSecond" | "windowMargin"
  readonly detail: string
}> {
  override get message(): string {
    return `Invalid rate limiter option ${this.reason}: ${this.detail}`
  }
}

/** The service's documented limit per organization. */
export const SERVICE_REQUESTS_PER_SECOND = 10
const MAX_REQUESTS_PER_SECOND = 100_000
const DEFAULT_MARGIN_MS = 200
const MAX_MARGIN_MS = 60_000
/** `around`'s window after an answer: the service's second, and 20 ms for its clock's rounding. */
const ANSWERED_WINDOW_MS = 1020
/** Idle organizations are forgotten once this many are tracked (a broker may send for many). */
const SWEEP_AT = 1024

interface Window {
  /** The reserved start times of the last `limit` requests, oldest at `next`. */
  readonly starts: Array<number>
  next: number
  /** The latest reserved start time. */
  last: number
}

/**
 * A sliding-window limiter per organization: at most `requestsPerSecond` requests start in any span of
 * `1 s + windowMargin`. Throws {@link InvalidOptions} for a limit that is not an integer from 1 to 100 000 or a margin
 * that is negative or over a minute.
 *
 * @example
 * ```ts
 * import { DirectClient, RateLimiter } from "@signering/client"
 * // A test environment granted a higher limit, shared by every client of this process that gets it:
 * const limiter = RateLimiter.make({ requestsPerSecond: 20 })
 * DirectClient.layer({ environment, keystore, rateLimiter: limiter })
 * ```
 */
export const make = (options: Options = {}): RateLimiter => {
  const limit = options.requestsPerSecond ?? SERVICE_REQUESTS_PER_SECOND
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REQUESTS_PER_SECOND) {
    throw new InvalidOptions({
      reason: "requestsPerSecond",
      detail: `must be an integer from 1 to ${MAX_REQUESTS_PER_SECOND}, got ${String(limit)}`,
    })
  }
  const margin =
    options.windowMargin === undefined
      ? DEFAULT_MARGIN_MS
      : Duration.toMillis(Duration.fromInputUnsafe(options.windowMargin))
  if (!(margin >= 0 && margin <= MAX_MARGIN_MS)) {
    throw new InvalidOptions({ reason: "windowMargin", detail: `must be from 0 to 60 s, got ${margin} ms` })
  }
  const windowMs = 1000 + margin
  const windows = new Map<string, Window>()

  const sweep = (now: number) => {
    for (const [key, w] of windows) if (w.last <= now - windowMs) windows.delete(key)
  }

  /** Reserves the earliest start time that keeps every window under the limit; synchronous, so never raced. */
  const reserve = (organizationNumber: string, now: number): number => {
    let w = windows.get(organizationNumber)
    if (w === undefined) {
      if (windows.size >= SWEEP_AT) sweep(now)
      w = { starts: [], next: 0, last: Number.NEGATIVE_INFINITY }
      windows.set(organizationNumber, w)
    }
    // Start times are reserved in order and never decrease, so the one `limit` places back is the oldest that can
    // share a window with this one: starting `windowMs` after it keeps every window at `limit` at most.
    const start = w.starts.length < limit ? now : Math.max(now, (w.starts[w.next] as number) + windowMs)
    if (w.starts.length < limit) w.starts.push(start)
    else {
      w.starts[w.next] = start
      w.next = (w.next + 1) % limit
    }
    w.last = start
    return start
  }

  // `around`: per organization, the ends of the last `limit` requests (a Deferred while one is in flight). A request
  // starts a second (and 20 ms) after the answer to the one `limit` places before it: the service counted that one
  // before it answered, so no second of the service's can hold more than `limit`, whatever delayed a request on its
  // way (a connection pool's queue, a handshake, a busy event loop). No margin is needed for those, so none is used.
  //
  // The path below the limit is what every request pays, so it allocates nothing that outlives the request: the
  // ring holds numbers (the end of each place's last request, NaN while it is in flight, with its sequence number),
  // and a Deferred is made only when a request must wait for an answer still out. Objects kept per request for a
  // second (a ring of 5000 at a high limit) were measurable in garbage collection.
  interface Ring {
    readonly ends: Array<number>
    readonly seqs: Array<number>
    next: number
    seq: number
    /** Requests waiting for the answer of a request that has lost its place in the ring, by its sequence number. */
    readonly waiting: Map<number, Deferred.Deferred<number>>
  }
  const rings = new Map<string, Ring>()
  const after = <A, E, R>(end: number, now: number, request: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    const due = end + ANSWERED_WINDOW_MS - now
    return due > 0 ? Effect.andThen(Effect.sleep(Duration.millis(due)), request) : request
  }
  const ringOf = (organizationNumber: string): Ring => {
    let ring = rings.get(organizationNumber)
    if (ring === undefined) {
      if (rings.size >= SWEEP_AT) rings.clear() // idle organizations: their windows have long passed
      ring = { ends: [], seqs: [], next: 0, seq: 0, waiting: new Map() }
      rings.set(organizationNumber, ring)
    }
    return ring
  }
  /** Takes the next place; what it held before (end and sequence number), if anything. */
  const takePlace = (r: Ring) => {
    const mine = r.seq++
    if (r.ends.length < limit) {
      r.ends.push(Number.NaN)
      r.seqs.push(mine)
      return { mine, place: r.ends.length - 1, previousEnd: undefined, previousSeq: -1 }
    }
    const place = r.next
    r.next = (r.next + 1) % limit
    const previousEnd = r.ends[place]
    const previousSeq = r.seqs[place] as number
    r.ends[place] = Number.NaN
    r.seqs[place] = mine
    return { mine, place, previousEnd, previousSeq }
  }
  const release = (r: Ring, place: number, mine: number, answered: number) => {
    if (r.seqs[place] === mine) r.ends[place] = answered
    else {
      // A later request took this place while this one was out, and waits for its answer.
      const waiter = r.waiting.get(mine)
      if (waiter !== undefined) {
        r.waiting.delete(mine)
        Deferred.doneUnsafe(waiter, Exit.succeed(answered))
      }
    }
  }
  const enter = (organizationNumber: string, now: number): ((answeredAt: number) => void) | undefined => {
    const r = ringOf(organizationNumber)
    if (r.ends.length >= limit) {
      const end = r.ends[r.next] as number
      if (Number.isNaN(end) || end + ANSWERED_WINDOW_MS > now) return undefined
    }
    const { mine, place } = takePlace(r)
    let released = false
    return (answeredAt) => {
      if (released) return
      released = true
      release(r, place, mine, answeredAt)
    }
  }
  const around = <A, E, R>(organizationNumber: string, request: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.clockWith((clock) => {
        const now = clock.currentTimeMillisUnsafe()
        const r = ringOf(organizationNumber)
        const { mine, place, previousEnd, previousSeq } = takePlace(r)
        const settle = Effect.sync(() => release(r, place, mine, clock.currentTimeMillisUnsafe()))
        let inTurn: Effect.Effect<A, E, R>
        if (previousEnd === undefined) inTurn = request
        else if (!Number.isNaN(previousEnd)) inTurn = after(previousEnd, now, request)
        else {
          const done = Deferred.makeUnsafe<number>()
          r.waiting.set(previousSeq, done)
          inTurn = Effect.flatMap(Deferred.await(done), (end) =>
            Effect.suspend(() => after(end, clock.currentTimeMillisUnsafe(), request)),
          )
        }
        return Effect.ensuring(restore(inTurn), settle)
      }),
    )

  return {
    take: (organizationNumber) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const wait = reserve(organizationNumber, now) - now
        return wait > 0 ? Effect.sleep(Duration.millis(wait)) : Effect.void
      }),
    around,
    enter,
  }
}

/**
 * The name the client's options first used for {@link make}; the same limiter (see the module comment for why it
 * enforces a sliding window rather than a plain token bucket).
 *
 * @example
 * ```ts
 * const limiter = RateLimiter.tokenBucket({ requestsPerSecond: 10 })
 * ```
 */
export const tokenBucket: (options?: Options) => RateLimiter = make

/**
 * The limiter every client of this process uses unless given another: the service's 10 requests/s per organization,
 * shared by all clients, workers and operations of the process, so that two clients of one sender in one process do
 * not add up to twice the limit.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, keystore, rateLimiter: RateLimiter.processDefault }) // the same as leaving it out
 * ```
 */
export const processDefault: RateLimiter = make()

/**
 * A limiter that never waits: for a service or test environment without a limit (the same as `rateLimiter: false`).
 *
 * @example
 * ```ts
 * yield* RateLimiter.unlimited.take("123456785") // returns at once
 * ```
 */
export const unlimited: RateLimiter = { take: () => Effect.void }
