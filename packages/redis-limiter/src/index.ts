/**
 * `@signering/redis-limiter`: the client's pacing shared through Redis by every process of a sender.
 *
 * @since 0.1.0
 */
import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"

EffectCopy.register("@signering/redis-limiter", Effect)

/** @since 0.1.0 */
export * as RedisRateLimiter from "./RedisRateLimiter.js"
