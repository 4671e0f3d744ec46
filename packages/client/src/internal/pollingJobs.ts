/**
 * What the worker remembers per job, so that a job's changes arriving out of order neither reach the handler as
 * current when they are older than one it already got, nor get confirmed in a way that settles a newer change the
 * handler has not yet handled.
 *
 * The model it must be safe under (the simulator's `confirmationModel: "settles-job"`, the worst case the sources
 * allow): a confirmation settles EVERY delivered, unconfirmed change of the job, whichever change's URL was used.
 * Under the kinder reading (`"settles-change"`) a confirmation settles only its own change. The rules:
 *
 * 1. A change older than the newest one handed to the handler (by `JobStatusOrder`) is **stale**: it is not handed
 *    over (the handler never sees an older status after a newer one), only confirmed when that is safe (rule 3).
 * 2. Within one process, the changes of a job are handled one after the other in the order they were polled (a
 *    "line" per job). A confirmation is sent only by the last change in the line, for every change of the line that
 *    may be confirmed: while a later change of the job waits in the line it is delivered and unhandled, and under the
 *    worst case any confirmation would settle it.
 * 3. Nothing of a job is confirmed while a change of it is **outstanding**: delivered to this process and not
 *    handled (its download or handler failed). It is still delivered at the service until its re-queue delay, so a
 *    confirmation would settle it for good. The changes that would have been confirmed stay unconfirmed and come back
 *    after the re-queue delay; by then the outstanding one has been re-queued too. An outstanding change is cleared
 *    when a change at least as new is handled.
 * 4. A change that the handler handled but whose confirmation failed is confirmed again when a stale change of the
 *    job comes back (its own confirmation would settle the stale one under the worst case anyway).
 *
 * What no client can see (documented in the README): a poll answer lost in transit (a cut connection after the
 * service took the change off the queue) leaves a change delivered that no worker knows of; the worker holds back
 * confirmations of `IN_PROGRESS` changes until a poll sent after that change was due again comes back empty (the
 * service re-queues it only when the queue is polled; see `Gate.suspectUntil`); a final change is always safe to
 * confirm, nothing is newer than it. Across processes the worker cannot see the other processes' lines: run one
 * process per queue when the worst case matters, and use `JobStatusOrder` in the store.
 *
 * Memory: at most `maxJobs` jobs per queue are remembered (least recently seen forgotten first).
 */
import * as JobStatusOrder from "../JobStatusOrder.js"

export interface Track<S> {
  /** The newest change handed to the handler, whatever came of it. */
  handed: JobStatusOrder.Key | undefined
  /** The newest change the handler handled successfully. */
  handled: { readonly key: JobStatusOrder.Key; readonly status: S } | undefined
  /** Whether `handled` was confirmed. */
  confirmed: boolean
  /** The newest change delivered to this process and not handled (download or handler failed). */
  outstanding: JobStatusOrder.Key | undefined
}

/** Per-job memory of one queue, bounded: least recently seen jobs are forgotten first. */
export class JobTracks<S> {
  private readonly tracks = new Map<string, Track<S>>()
  constructor(readonly maxJobs: number) {}

  get size(): number {
    return this.tracks.size
  }

  /** The job's track, created on first use and marked most recently seen. */
  get(jobId: string): Track<S> {
    let track = this.tracks.get(jobId)
    if (track === undefined) {
      track = { handed: undefined, handled: undefined, confirmed: false, outstanding: undefined }
      if (this.tracks.size >= this.maxJobs) {
        const oldest = this.tracks.keys().next()
        if (!oldest.done) this.tracks.delete(oldest.value)
      }
    } else {
      this.tracks.delete(jobId)
    }
    this.tracks.set(jobId, track)
    return track
  }
}

const max = (a: JobStatusOrder.Key | undefined, b: JobStatusOrder.Key): JobStatusOrder.Key =>
  a === undefined || JobStatusOrder.compareKeys(b, a) > 0 ? b : a

/** Rule 1: older than the newest change already handed to the handler. A re-delivery (equal) is not stale. */
export const isStale = <S>(track: Track<S>, key: JobStatusOrder.Key): boolean =>
  track.handed !== undefined && JobStatusOrder.compareKeys(key, track.handed) < 0

/** The handler handled the change: it is the newest handled, and clears an outstanding change no newer than it. */
export const handled = <S>(track: Track<S>, key: JobStatusOrder.Key, status: S): void => {
  track.handed = max(track.handed, key)
  if (track.handled === undefined || JobStatusOrder.compareKeys(key, track.handled.key) >= 0) {
    track.handled = { key, status }
    track.confirmed = false
  }
  if (track.outstanding !== undefined && JobStatusOrder.compareKeys(track.outstanding, key) <= 0)
    track.outstanding = undefined
}

/** The change was not handled (download or handler failed): it stays delivered at the service until re-queued. */
export const notHandled = <S>(track: Track<S>, key: JobStatusOrder.Key, handedOver: boolean): void => {
  if (handedOver) track.handed = max(track.handed, key)
  track.outstanding = max(track.outstanding, key)
}

/** Rule 3: whether anything of the job may be confirmed now. */
export const mayConfirm = <S>(track: Track<S>): boolean => track.outstanding === undefined

/** One job's line in this process: changes polled and not yet finished, and what they leave to confirm. */
export interface Line<S, T> {
  /** The turn of the latest change taken into the line; the next change waits for it. */
  tail: T | undefined
  /** Changes in the line (taken and not finished). */
  members: number
  /** Changes of the line to confirm when the line empties (rule 2), newest handled first at flush. */
  readonly pending: Array<S>
}
