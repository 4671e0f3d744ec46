/**
 * One gate per polled queue (API root + organization + queue name) in this process. Workers on the same queue take
 * turns through it: only one poll of a queue is in flight at a time, and every worker honours the next permitted
 * poll time that any of them was given. Without this, a second worker in the same process would poll right after
 * the first one's "no changes" and collect a 429 (the service keeps one permitted time per queue, not per caller).
 */
import { type Deferred, Semaphore } from "effect"

export interface Gate {
  /** One permit: held while waiting for the permitted time and while polling, released before handling. */
  readonly semaphore: Semaphore.Semaphore
  /** Epoch milliseconds before which the queue must not be polled (0: unknown, poll at once). */
  nextPermittedAt: number
  /** Consecutive failed polls, downloads or confirmations: drives the exponential backoff. */
  failures: number
  /** Consecutive 429s for polling too early: a safety margin grows with them (a clock behind the service's). */
  tooEager: number
  /**
   * Per job, the end of the latest handling taken from this queue in this process. A change of a job waits for the
   * one taken before it, so that two workers never hand an older status to the handler after a newer one.
   */
  readonly jobTurns: Map<string, Deferred.Deferred<void>>
}

const gates = new Map<string, Gate>()

export const gateKey = (apiRoot: string, organizationNumber: string, queue: string | undefined): string =>
  `${apiRoot.replace(/\/+$/, "")}\u0000${organizationNumber}\u0000${queue ?? ""}`

/** The process-wide gate of a queue, created on first use. */
export const gateFor = (key: string): Gate => {
  let gate = gates.get(key)
  if (gate === undefined) {
    gate = { semaphore: Semaphore.makeUnsafe(1), nextPermittedAt: 0, failures: 0, tooEager: 0, jobTurns: new Map() }
    gates.set(key, gate)
  }
  return gate
}

/** Moves the permitted time later, never earlier (a late answer must not undo a later time another worker got). */
export const postpone = (gate: Gate, until: number): void => {
  if (until > gate.nextPermittedAt) gate.nextPermittedAt = until
}

/**
 * Exponential backoff with a cap and "full jitter" (a random delay between half the step and the step), so that
 * workers in several processes recovering from the same outage do not come back in lockstep.
 */
export const backoffMillis = (failures: number, baseMs: number, capMs: number, random: number): number => {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
  return Math.round(step / 2 + (step / 2) * random)
}

/**
 * Extra delay after the permitted time, so that workers in several processes spread out: up to a tenth of the wait,
 * capped; nothing when the wait is zero (after a change the next poll goes at once).
 */
export const jitterMillis = (waitMs: number, maxJitterMs: number, random: number): number =>
  waitMs <= 0 ? 0 : Math.round(Math.min(maxJitterMs, waitMs / 10) * random)
