/**
 * Which of two status changes of one job is newer: for an application that stores each job's status and must never
 * let an older change overwrite a newer one (a monotonic store).
 *
 * Why it is needed: the service re-queues a change that was not confirmed (after 10 minutes), so a job's changes can
 * arrive out of order: an `IN_PROGRESS` change whose poll answer was lost comes back after the job's
 * `COMPLETED_SUCCESSFULLY`. The polling worker skips such stale changes within one process (see `Polling`), but
 * across processes, or across a restart, only the store can tell: update a job's row only when the incoming change
 * is newer than the stored one ({@link isNewer}), in the same transaction as the write.
 *
 * The order, from strongest to weakest:
 * 1. the job status: a final status (`COMPLETED_SUCCESSFULLY`, `FAILED`, anything but `IN_PROGRESS`) is newer than
 *    `IN_PROGRESS`, and a final status never regresses;
 * 2. the newest signer `since`: each signer's `since` is when it reached its status, so a later change has a later
 *    newest `since`;
 * 3. how many signers have left `WAITING` (two changes within the same millisecond).
 * Equal keys are the same change delivered twice (a re-delivery): storing it again is harmless.
 *
 * Pure and runtime-agnostic; works for direct and portal status changes alike (anything with a job status and signers
 * with a `since`). {@link key} gives three plain values to store beside the status, so that a SQL `UPDATE … WHERE`
 * can compare without decoding anything.
 *
 * @since 0.1.0
 */

/**
 * The parts of a status change the order reads: a direct `JobStatusResponse`, a portal status change, or a row.
 *
 * @example
 * ```ts
 * const change: JobStatusOrder.Comparable = { status: "IN_PROGRESS", signers: [{ status: "SIGNED", since: new Date() }] }
 * ```
 */
export interface Comparable {
  readonly status: string
  readonly signers: ReadonlyArray<{ readonly status: string; readonly since?: Date | undefined }>
}

/**
 * The order key of a change: three numbers, compared in order. Store them beside the status to compare in SQL.
 *
 * @example
 * ```ts
 * const k = JobStatusOrder.key(change.status) // { rank: 0, newestSince: 1733400000000, progressed: 1 }
 * db.run("UPDATE jobs SET status = ?, rank = ?, newest_since = ?, progressed = ? WHERE id = ? AND (rank, newest_since, progressed) < (?, ?, ?)", [k.rank, k.newestSince, k.progressed])
 * ```
 */
export interface Key {
  /** 0 for `IN_PROGRESS`, 1 for a final status. */
  readonly rank: 0 | 1
  /** The newest signer `since`, epoch milliseconds (0 without signers or times). */
  readonly newestSince: number
  /** Signers whose status is not `WAITING`. */
  readonly progressed: number
}

/**
 * Whether a job status is final: anything but `IN_PROGRESS` (no further change comes for the job).
 *
 * @example
 * ```ts
 * JobStatusOrder.isFinal("COMPLETED_SUCCESSFULLY") // true
 * ```
 */
export const isFinal = (status: string): boolean => status !== "IN_PROGRESS"

/**
 * The order key of a change.
 *
 * @example
 * ```ts
 * JobStatusOrder.key({ status: "FAILED", signers: [{ status: "REJECTED", since: new Date(1000) }] })
 * // { rank: 1, newestSince: 1000, progressed: 1 }
 * ```
 */
export const key = (change: Comparable): Key => {
  let newestSince = 0
  let progressed = 0
  for (const signer of change.signers) {
    const t = signer.since?.getTime()
    if (t !== undefined && Number.isFinite(t) && t > newestSince) newestSince = t
    if (signer.status !== "WAITING") progressed++
  }
  return { rank: isFinal(change.status) ? 1 : 0, newestSince, progressed }
}

/**
 * Compares two keys: negative when `a` is older, 0 when equal, positive when `a` is newer.
 *
 * @example
 * ```ts
 * JobStatusOrder.compareKeys(stored, JobStatusOrder.key(incoming)) < 0 // the incoming change is newer
 * ```
 */
export const compareKeys = (a: Key, b: Key): number =>
  a.rank !== b.rank
    ? a.rank - b.rank
    : a.newestSince !== b.newestSince
      ? Math.sign(a.newestSince - b.newestSince)
      : Math.sign(a.progressed - b.progressed)

/**
 * Compares two changes of one job: negative when `a` is older than `b`, 0 when they are the same, positive when newer.
 *
 * @example
 * ```ts
 * changes.sort(JobStatusOrder.compare) // oldest first
 * ```
 */
export const compare = (a: Comparable, b: Comparable): number => compareKeys(key(a), key(b))

/**
 * Whether `incoming` should replace what is stored: true when nothing is stored or the incoming change is newer.
 * A re-delivery of the stored change (an equal key) is not newer.
 *
 * @example
 * ```ts
 * const stored = db.get(jobId) // { status, signers } or undefined
 * if (JobStatusOrder.isNewer(change.status, stored)) db.put(jobId, change.status)
 * ```
 */
export const isNewer = (incoming: Comparable | Key, stored: Comparable | Key | undefined): boolean =>
  stored === undefined || compareKeys(asKey(incoming), asKey(stored)) > 0

const asKey = (value: Comparable | Key): Key => ("rank" in value ? value : key(value))
