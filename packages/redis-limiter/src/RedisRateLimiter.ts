/**
 * A `RateLimiter` for `@signering/client` shared through Redis: every process of a sender (several instances of an
 * application, workers on several machines) takes its turn from one bucket per organization, so that together they
 * stay under the service's limit (10 requests/s per organization; over it the organization is blocked for 30 s).
 *
 * Built on Effect's own rate limiter (`effect/persistence/RateLimiter`, its Redis store: one Lua script per take, in
 * milliseconds) over an `ioredis` connection. Why not `rate-limiter-flexible`: its Redis limiter counts in fixed
 * windows of whole seconds (`EX`), and the service's `DoSFilter` counts a sliding second: fixed windows let up to
 * twice the limit through around a window's edge, so they would have to run at half the rate to be safe.
 *
 * How it paces: a token bucket of one token, refilled every `(1 s + windowMargin) / requestsPerSecond` (120 ms by
 * default), in "delay" mode: a take reserves the next free start time in Redis and sleeps until then, so requests
 * of all processes leave evenly spaced, first come first served, and no span of `1 s + windowMargin` holds more than
 * `requestsPerSecond` of them. The margin (200 ms, as `RateLimiter.make`'s) absorbs network delays between here and the service and the
 * clock differences between the hosts (the bucket is timed by each process's clock: keep them in NTP sync).
 *
 * When Redis cannot be reached (or answers slower than `redisTimeout`), a take falls back to an in-process limiter
 * with the same limit and logs a warning once per outage: each process then paces itself alone, which keeps one
 * process safe but not several together; pacing through Redis resumes by itself.
 *
 * @since 0.1.0
 */
import { RateLimiter } from "@signering/client"
import { Duration, Effect, type Scope } from "effect"
import * as EffectRateLimiter from "effect/persistence/RateLimiter"
import * as Redis from "effect/persistence/Redis"
import { Redis as IORedis, type RedisOptions } from "ioredis"

/**
 * Options of {@link make}.
 *
 * @example
 * ```ts
 * const options: RedisRateLimiter.Options = { url: "redis://127.0.0.1:6379", keyPrefix: "signering:pace:" }
 * ```
 */
export interface Options {
  /** A Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS). Ignored when `client` is given. */
  readonly url?: string | undefined
  /** An ioredis connection of yours (not closed by the limiter). */
  readonly client?: IORedis | undefined
  /** Extra ioredis options for a connection made from `url`. */
  readonly redisOptions?: RedisOptions | undefined
  /** The service's limit per organization, shared by every process. Default 10. */
  readonly requestsPerSecond?: number | undefined
  /** Added to the one-second window for network delays and clock differences. Default 200 ms. */
  readonly windowMargin?: Duration.Input | undefined
  /** Prefix of the Redis keys (one bucket per organization). Default `signering:ratelimit:`. */
  readonly keyPrefix?: string | undefined
  /** Longest wait for Redis before a take falls back to the in-process limiter. Default 1 s. */
  readonly redisTimeout?: Duration.Input | undefined
}

const DEFAULT_MARGIN_MS = 200

/**
 * A limiter shared through Redis, for the client's `rateLimiter` option. Scoped: a connection made from `url` is
 * closed with the scope. Throws `RateLimiter.InvalidOptions` for a bad limit or margin, naming the field.
 *
 * @example
 * ```ts
 * import { DirectClient } from "@signering/client"
 * import { RedisRateLimiter } from "@signering/redis-limiter"
 * import { Effect, Layer } from "effect"
 *
 * const Client = Layer.unwrap(
 *   Effect.gen(function* () {
 *     const rateLimiter = yield* RedisRateLimiter.make({ url: process.env.REDIS_URL })
 *     return DirectClient.layer({ environment, keystore, rateLimiter })
 *   }),
 * )
 * ```
 */
export const make = (options: Options = {}): Effect.Effect<RateLimiter.RateLimiter, never, Scope.Scope> =>
  Effect.gen(function* () {
    // The same validation and the fallback as the in-process limiter (throws InvalidOptions for bad input).
    const fallback = RateLimiter.make({
      requestsPerSecond: options.requestsPerSecond,
      windowMargin: options.windowMargin,
    })
    const limit = options.requestsPerSecond ?? RateLimiter.SERVICE_REQUESTS_PER_SECOND
    const marginMs =
      options.windowMargin === undefined
        ? DEFAULT_MARGIN_MS
        : Duration.toMillis(Duration.fromInputUnsafe(options.windowMargin))
    const spacingMs = (1000 + marginMs) / limit
    const timeout = Duration.fromInputUnsafe(options.redisTimeout ?? "1 second")

    const client =
      options.client ??
      (yield* Effect.acquireRelease(
        Effect.sync(
          () =>
            new IORedis(options.url ?? "redis://127.0.0.1:6379", {
              // Fail a command fast while disconnected: the take falls back instead of waiting for a reconnect.
              maxRetriesPerRequest: 1,
              enableOfflineQueue: true,
              connectTimeout: 2000,
              ...options.redisOptions,
            }),
        ),
        (c) => Effect.promise(() => c.quit().catch(() => c.disconnect())),
      ))
    // ioredis reports connection failures as events; without a listener Node would print them as unhandled.
    client.on("error", () => undefined)

    const notUsed = Effect.fail(new Redis.RedisError({ cause: new Error("not used by the rate limiter") }))
    const redis = yield* Redis.make({
      send: <A>(command: string, ...args: ReadonlyArray<string>) =>
        Effect.tryPromise({
          try: () => client.call(command, ...args) as Promise<A>,
          catch: (cause) => new Redis.RedisError({ cause }),
        }),
      subscribe: () => notUsed,
      connect: notUsed,
    })
    const store = yield* EffectRateLimiter.makeStoreRedis({ prefix: options.keyPrefix ?? "signering:ratelimit:" }).pipe(
      Effect.provideService(Redis.Redis, redis),
    )
    const limiter = yield* EffectRateLimiter.make.pipe(Effect.provideService(EffectRateLimiter.RateLimiterStore, store))

    let degraded = false
    const take = (organizationNumber: string): Effect.Effect<void> =>
      limiter
        .consume({
          key: organizationNumber,
          algorithm: "token-bucket",
          onExceeded: "delay",
          limit: 1,
          window: Duration.millis(spacingMs),
        })
        .pipe(
          Effect.timeout(timeout),
          Effect.flatMap((result) => {
            degraded = false
            return Duration.toMillis(result.delay) > 0 ? Effect.sleep(result.delay) : Effect.void
          }),
          Effect.catchCause(() =>
            Effect.gen(function* () {
              if (!degraded) {
                degraded = true
                yield* Effect.logWarning(
                  "signering: Redis rate limiter unreachable; pacing this process alone until it answers again",
                )
              }
              yield* fallback.take(organizationNumber)
            }),
          ),
        )
    // The client paces with `around`: this process's requests also keep the in-process window by answers (exact for
    // this process whatever delays a request), and all processes take their turns from Redis.
    const around = <A, E, R>(organizationNumber: string, request: Effect.Effect<A, E, R>) =>
      fallback.around!(organizationNumber, Effect.andThen(take(organizationNumber), request))
    return { take, around }
  })
