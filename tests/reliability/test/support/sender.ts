/**
 * What the load test's sender does and records, shared by the direct and the portal flow: a ledger of what it
 * observed, steps retried the way a sender's job would, and a create that accounts for unknown outcomes.
 */
import type { DirectResponse } from "@signering/protocol"
import { captureError } from "./secrets.js"

/** A portal status change as the polling worker reads it: the signatures also under the name `signers`. */
export type PortalChange = import("@signering/protocol").PortalResponse.StatusChangeResponse & {
  readonly signers: import("@signering/protocol").PortalResponse.StatusChangeResponse["signatures"]
}

/** mulberry32, so a run can be repeated. */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Runs `task` over `items`, `limit` at a time. */
export const pool = async <A, B>(
  items: ReadonlyArray<A>,
  limit: number,
  task: (item: A) => Promise<B>,
): Promise<Array<B>> => {
  const results: Array<B> = new Array(items.length)
  let next = 0
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]!)
    }
  })
  await Promise.all(runners)
  return results
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Per phase: what the sender observed (both flows). */
export interface Ledger {
  createCalls: number
  unknownOutcomes: number
  rateLimitedCreates: number
  refusedCreates: number
  appRetries: number
  /** Portal cancellations the service accepted. */
  cancels: number
  /** Cancellations of final portal jobs, refused with `JobCannotBeCancelled` as they must be. */
  cancelsRefusedAsFinal: number
  /** Direct changes handed to the handler, per job, in the order handed. */
  readonly handled: Map<bigint, Array<DirectResponse.JobStatusResponse>>
  /** Portal changes handed to the handler, per job, in the order handed. */
  readonly portalHandled: Map<bigint, Array<PortalChange>>
  readonly pollingErrors: Map<string, number>
  /** Distinct failures the sender met (messages are masked by the client; the secrets scan checks that). */
  readonly failures: Map<string, number>
}

export const newLedger = (): Ledger => ({
  createCalls: 0,
  unknownOutcomes: 0,
  rateLimitedCreates: 0,
  refusedCreates: 0,
  appRetries: 0,
  cancels: 0,
  cancelsRefusedAsFinal: 0,
  handled: new Map(),
  portalHandled: new Map(),
  pollingErrors: new Map(),
  failures: new Map(),
})

export const note = (ledger: Ledger, what: string, error: unknown) => {
  const e = error as { _tag?: string; reason?: string; status?: number; message?: string }
  const key = `${what}: ${e._tag ?? "?"}${e.reason === undefined ? "" : `/${e.reason}`}${e.status === undefined ? "" : ` ${e.status}`}`
  ledger.failures.set(key, (ledger.failures.get(key) ?? 0) + 1)
}

/** A failure that trying the same idempotent step again may cure. */
export const isTransient = (error: unknown): boolean => {
  const e = error as { _tag?: string; status?: number }
  return (
    e._tag === "TransportError" ||
    e._tag === "DecodeError" ||
    e._tag === "RateLimited" ||
    (e._tag === "UnexpectedResponse" && (e.status ?? 0) >= 500)
  )
}

/** Retries an idempotent step the way a sender's job would (the client already retried what is safe to retry). */
export const patiently = async <A>(ledger: Ledger, what: string, step: () => Promise<A>): Promise<A> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (error) {
      captureError(`sender: ${what}`, error)
      note(ledger, what, error)
      if (!isTransient(error) || attempt >= 20) throw error
      ledger.appRetries++
      const blockedUntil = (error as { blockedUntil?: Date }).blockedUntil
      await sleep(
        blockedUntil === undefined ? Math.min(2_000, 250 * attempt) : Math.max(0, blockedUntil.getTime() - Date.now()),
      )
    }
  }
}

/**
 * Creates a job with `send(attempt)` (the attempt number goes into the reference); on an unknown outcome records it
 * and creates the job again under a new reference (see the load test's header). Definite refusals before the request
 * was handled (connection never opened, DoS block) are simply tried again.
 */
export const createWithUnknownOutcome = async <A>(
  ledger: Ledger,
  send: (attempt: number) => Promise<A>,
): Promise<A> => {
  for (let attempt = 0; ; attempt++) {
    ledger.createCalls++
    try {
      return await send(attempt)
    } catch (error) {
      captureError("sender: create", error)
      note(ledger, "create", error)
      const e = error as { _tag?: string; reason?: string; status?: number; blockedUntil?: Date }
      if (e._tag === "RateLimited") {
        ledger.rateLimitedCreates++
        await sleep(Math.max(0, (e.blockedUntil?.getTime() ?? Date.now()) - Date.now()))
        continue
      }
      if (e._tag === "TransportError" && e.reason === "Connect") continue
      if (
        e._tag === "ValidationError" ||
        (e._tag !== "TransportError" && (e.status ?? 0) >= 400 && (e.status ?? 0) < 500)
      ) {
        ledger.refusedCreates++
        throw error
      }
      // Timeout, reset, closed early, 5xx, an unreadable answer: the job may or may not exist.
      ledger.unknownOutcomes++
    }
  }
}
