/**
 * The Redis limiter against a real Redis (see support/redis.ts) and the simulator with the service's rate limit
 * (10 requests/s per organization, then a 30 s block), over mutual TLS:
 * - two limiters on two connections share one bucket: their takes interleave, evenly spaced, never more than the
 *   limit in any window of 1.1 s;
 * - two sender processes bursting at once trip the block with in-process pacing alone, and never with the Redis
 *   limiter (0 `RateLimited`, every call succeeds);
 * - Redis unreachable: takes fall back to in-process pacing, with one warning.
 */
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Pki, Simulator } from "@signering/simulator"
import { Effect, Logger } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RedisRateLimiter } from "../src/index.js"
import { startRedis, type TestRedis } from "./support/redis.js"

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
}, 20_000)
afterAll(() => redis?.stop())

/** The most start times in any half-open window of `windowMs`. */
const maxInWindow = (times: ReadonlyArray<number>, windowMs: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  let from = 0
  for (let to = 0; to < sorted.length; to++) {
    while (sorted[to]! - sorted[from]! >= windowMs) from++
    most = Math.max(most, to - from + 1)
  }
  return most
}

const prefix = () => `signering:test:${process.pid}:${Math.random().toString(36).slice(2)}:`

describe("RedisRateLimiter", () => {
  it("two limiters on two connections share one bucket per organization: evenly spaced, at most 10 in any second", async () => {
    const keyPrefix = prefix()
    const starts = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const a = yield* RedisRateLimiter.make({ url: redis.url, keyPrefix })
          const b = yield* RedisRateLimiter.make({ url: redis.url, keyPrefix })
          const times: Array<number> = []
          const take = (limiter: typeof a) =>
            limiter.take("123456785").pipe(Effect.andThen(Effect.sync(() => times.push(performance.now()))))
          yield* Effect.all(
            Array.from({ length: 30 }, (_, i) => take(i % 2 === 0 ? a : b)),
            { concurrency: "unbounded" },
          )
          // Another organization has its own bucket: not delayed by the 30 above.
          const before = performance.now()
          yield* a.take("987654325")
          expect(performance.now() - before).toBeLessThan(100)
          return times
        }),
      ),
    )
    expect(starts).toHaveLength(30)
    // The service counts a sliding second; the 200 ms margin covers timer jitter in these measurements.
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(10)
    // 30 requests at one per 120 ms: about 3.5 s from the first to the last, not a burst.
    const span = Math.max(...starts) - Math.min(...starts)
    expect(span).toBeGreaterThan(3200)
    expect(span).toBeLessThan(6000)
  }, 20_000)

  it("Redis unreachable: takes fall back to in-process pacing (at most 10 in any second) and warn once", async () => {
    const warnings: Array<string> = []
    const capture = Logger.make((options) => {
      if (options.logLevel === "Warn") warnings.push(String(options.message))
    })
    const starts = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          // Port 9 (discard) on loopback: nothing listens, every connection is refused.
          const limiter = yield* RedisRateLimiter.make({ url: "redis://127.0.0.1:9", redisTimeout: "200 millis" })
          const times: Array<number> = []
          yield* Effect.all(
            Array.from({ length: 15 }, () =>
              limiter.take("123456785").pipe(Effect.andThen(Effect.sync(() => times.push(performance.now())))),
            ),
            { concurrency: "unbounded" },
          )
          return times
        }),
      ).pipe(Effect.provide(Logger.layer([capture]))),
    )
    expect(starts).toHaveLength(15)
    // The service counts a sliding second; the 200 ms margin covers timer jitter in these measurements.
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(10)
    expect(warnings.filter((w) => w.includes("Redis rate limiter unreachable"))).toHaveLength(1)
  }, 20_000)

  it("bad options fail with the field and the limit", async () => {
    await expect(
      Effect.runPromise(Effect.scoped(RedisRateLimiter.make({ url: redis.url, requestsPerSecond: 0 }))),
    ).rejects.toThrow("requestsPerSecond: must be an integer from 1 to 100000, got 0")
  })
})

describe("two sender processes against the service's rate limit", () => {
  let sim: Simulator.Instance
  let files: Record<string, string>
  const org = Pki.defaultOrganizations[0]!.organizationNumber

  beforeAll(async () => {
    const pki = await Pki.make()
    sim = await Simulator.start({ pki, rateLimit: true })
    files = await pki.writeTo(mkdtempSync(path.join(tmpdir(), "signering-redis-limiter-")))
  }, 60_000)
  afterAll(() => sim?.close())

  const runSender = (limiter: "redis" | "local", keyPrefix: string, killAfterMs?: number, burst = 25) =>
    new Promise<{ ok: number; failed: number; ms: number } | undefined>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--conditions=@signering/source", "--import", "tsx", path.join(import.meta.dirname, "support", "burst.ts")],
        {
          env: {
            ...process.env,
            SIGNERING_API_ROOT: sim.url,
            SIGNERING_CA: files["caCertificate"]!,
            SIGNERING_PKCS12: files[`sender.${org}.pkcs12`]!,
            SIGNERING_PKCS12_PASSPHRASE: files[`sender.${org}.pkcs12Passphrase`]!,
            SIGNERING_SENDER: org,
            SIGNERING_REDIS_URL: redis.url,
            SIGNERING_REDIS_PREFIX: keyPrefix,
            // CI machines are shared and busy: a sender's event loop was seen stalling 350 ms between a take and
            // the request leaving, more than the default 200 ms margin covers (see the README).
            SIGNERING_MARGIN_MS: "500",
            SIGNERING_BURST: String(burst),
            SIGNERING_LIMITER: limiter,
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      )
      if (killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs)
      let out = ""
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString()
      })
      child.stderr.on("data", (c: Buffer) => {
        out += c.toString()
      })
      child.once("exit", () => {
        const line = /^RESULT (.*)$/m.exec(out)
        if (line === null && killAfterMs !== undefined) resolve(undefined)
        else if (line === null) reject(new Error(`sender process failed:\n${out}`))
        else {
          if (process.env["DEBUG_BURST"]) console.log(out)
          resolve(JSON.parse(line[1]!))
        }
      })
    })

  it("with the Redis limiter: 50 calls from two running processes at once all succeed, 0 RateLimited", async () => {
    const before = sim.counters().rateLimited
    const keyPrefix = prefix()
    const results = await Promise.all([runSender("redis", keyPrefix), runSender("redis", keyPrefix)])
    if (process.env["DEBUG_BURST"]) {
      const log = sim.requestLog().filter((e) => e.listener === "api")
      const t0 = log[0]!.at.getTime()
      console.log(log.map((e) => `${e.at.getTime() - t0}:${e.status}`).join(" "))
    }
    expect(results.map((r) => r?.failed)).toEqual([0, 0])
    expect(results.map((r) => r?.ok)).toEqual([25, 25])
    expect(sim.counters().rateLimited - before).toBe(0)
  }, 60_000)

  it("control: with in-process pacing alone the two processes together trip the block", async () => {
    const before = sim.counters().rateLimited
    // Each process keeps to 10 per 1.2 s; together they send twice that and the service blocks the organization
    // (the senders then wait out the 30 s block: they are stopped before).
    await Promise.all([runSender("local", prefix(), 20_000, 80), runSender("local", prefix(), 20_000, 80)])
    expect(sim.counters().rateLimited - before).toBeGreaterThan(0)
  }, 60_000)
})
