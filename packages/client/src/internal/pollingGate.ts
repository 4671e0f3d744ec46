/**
 * One gate per polled queue (API root + organization + queue name) in this process. Workers on the same queue take
 * turns through it: only one poll of a queue is in flight at a time, and every worker honours the next permitted
 * poll time that any of them was given. Without this, a second worker in the same process would poll right after
 * the first one's "no changes" and collect a 429 (the service keeps one permitted time per queue, not per caller).
 */
import { type Deferred, Semaphore } from "effect"
import { JobTracks, type Line } from "./pollingJobs.js"

/** Jobs remembered per queue for the stale-change rules (see `pollingJobs.ts`): about 1 MB at most. */
export const MAX_TRACKED_JOBS = 10_000

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
   * Held by a poll while its request is out and by a line confirming: a confirmation decided on what this process
   * knows can never race a poll that delivers a newer change of the same job.
   */
  readonly exchange: Semaphore.Semaphore
  /** Consecutive 429s of any kind: the floor after a 429 doubles with them. */
  tooMany: number
  /**
   * Per job, its line in this process: a change of a job waits for the one taken before it (so that two workers never
   * hand an older status to the handler after a newer one), and the last one confirms for the line.
   */
  readonly lines: Map<string, Line<unknown, Deferred.Deferred<void>>>
  /** Per job, the newest status handed over, handled and outstanding (see `pollingJobs.ts`). */
  readonly tracks: JobTracks<unknown>
  /**
   * 0, or the epoch milliseconds by which the change of a poll answer lost in transit must have been due again (the
   * time it was lost plus the re-queue delay and a margin). While it is set, confirmations of `IN_PROGRESS` changes
   * are held: the service puts a due change back on the queue only when the queue is polled, so the clock alone
   * proves nothing. A poll that started at or after that time and came back empty clears it (see `pollingLoop.ts`).
   */
  suspectUntil: number
  /**
   * Confirmations held while `suspectUntil` is set, by confirmation URL (a re-delivery replaces its entry). Bounded:
   * what does not fit is not confirmed and comes back after the re-queue delay.
   */
  readonly deferred: Map<string, unknown>
}

const gates = new Map<string, Gate>()

export const gateKey = (
  apiRoot: string,
  organizationNumber: string,
  queue: string | undefined,
  flow: "direct" | "portal" = "direct",
): string => `${apiRoot.replace(/\/+$/, "")}\u0000${organizationNumber}\u0000${flow}\u0000${queue ?? ""}`

/** The process-wide gate of a queue, created on first use. */
export const gateFor = (key: string): Gate => {
  let gate = gates.get(key)
  if (gate === undefined) {
    gate = {
      semaphore: Semaphore.makeUnsafe(1),
      exchange: Semaphore.makeUnsafe(1),
      nextPermittedAt: 0,
      failures: 0,
      tooEager: 0,
      tooMany: 0,
      lines: new Map(),
      tracks: new JobTracks(MAX_TRACKED_JOBS),
      suspectUntil: 0,
      deferred: new Map(),
    }
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
