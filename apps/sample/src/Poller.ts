/**
 * A small polling loop for the app's POLLING jobs, kept in this one module so it can be replaced by the client
 * library's polling worker without touching the pages.
 *
 * The rules it keeps (PROTOCOL §7–§8): never poll before the next permitted poll time the service gave (kept in
 * the database, so a restart honours it too); after a change, poll again at once; store the change (and the signed
 * PDF of a completed job) first and confirm only after that succeeded, so a crash in between makes the service
 * re-deliver the change after its re-queue delay instead of losing it.
 */

import { SigningError, type SigningPort, type Status } from "./Signing.js"
import type { Store } from "./Store.js"

const nextPollKey = "poller.nextPermittedPollTime"
const lastPollKey = "poller.lastPoll"

export interface PollerState {
  readonly nextPermittedPollTime: Date | undefined
  readonly lastPoll: string | undefined
}

export interface PollerOptions {
  readonly store: Store
  readonly signing: SigningPort
  readonly now?: () => Date
  /** Called with each failure; the loop itself carries on with backoff. */
  readonly onError?: (error: unknown) => void
  /** Upper bound for one sleep, so the loop notices `stop()` and a clock that moved. Default 60 s. */
  readonly maxSleepMs?: number
}

export const state = (store: Store): PollerState => {
  const next = store.setting(nextPollKey)
  return {
    nextPermittedPollTime: next === undefined ? undefined : new Date(next),
    lastPoll: store.setting(lastPollKey),
  }
}

/** Stores one status change for a job the app knows, downloading the signed PDF when the job completed. */
export const storeChange = async (store: Store, signing: SigningPort, status: Status): Promise<boolean> => {
  const job = store.jobBySignatureJobId(status.signatureJobId)
  if (job === undefined) return false
  if (status.status === "COMPLETED_SUCCESSFULLY" && status.padesUrl !== undefined) {
    const pdf = await signing.pades(status.padesUrl)
    store.storeSignedDocument(job.id, pdf)
  }
  store.applyStatus(job.id, status, "Status change from the queue")
  return true
}

export interface Poller {
  /** Resolves when the loop has stopped; a change being handled is finished and confirmed first. */
  stop(): Promise<void>
  /** When the next poll may happen and what the last one brought, for the status page. */
  readonly state: () => PollerState
}

export const start = (options: PollerOptions): Poller => {
  const { store, signing } = options
  const now = options.now ?? (() => new Date())
  const maxSleep = options.maxSleepMs ?? 60_000
  let stopping = false
  let wake: (() => void) | undefined
  let failures = 0

  const sleepUntil = (until: number): Promise<void> =>
    new Promise((resolve) => {
      const ms = Math.max(0, Math.min(maxSleep, until - now().getTime()))
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  const remember = (next: Date, what: string) => {
    store.setSetting(nextPollKey, next.toISOString())
    store.setSetting(lastPollKey, `${now().toISOString()} ${what}`)
  }

  const once = async (): Promise<void> => {
    const change = await signing.statusChange()
    if (change.status === undefined) {
      remember(change.nextPermittedPollTime, "no changes")
      return
    }
    const known = await storeChange(store, signing, change.status)
    // Confirm only now that the change is stored. The app polls its own queue, so a job it does not know was
    // created with an earlier database: nothing to store, and leaving it unconfirmed would only bring it back.
    await signing.confirm(change.status)
    const job = store.jobBySignatureJobId(change.status.signatureJobId)
    if (job !== undefined) store.note(job.id, "Status change confirmed")
    remember(
      change.nextPermittedPollTime,
      `job ${change.status.signatureJobId}: ${change.status.status}${known ? "" : " (unknown job)"}`,
    )
  }

  const loop = async (): Promise<void> => {
    while (!stopping) {
      const next = state(store).nextPermittedPollTime
      if (next !== undefined && next.getTime() > now().getTime()) {
        await sleepUntil(next.getTime())
        continue
      }
      try {
        await once()
        failures = 0
      } catch (error) {
        if (error instanceof SigningError && error.kind === "TooEagerPolling" && error.nextPermittedPollTime) {
          remember(error.nextPermittedPollTime, "told to wait (429)")
          continue
        }
        failures++
        options.onError?.(error)
        store.setSetting(
          lastPollKey,
          `${now().toISOString()} failed: ${error instanceof Error ? error.message : "error"}`,
        )
        if (!stopping) await sleepUntil(now().getTime() + Math.min(30_000, 500 * 2 ** Math.min(failures, 6)))
      }
    }
  }

  const running = loop()
  return {
    stop: async () => {
      stopping = true
      wake?.()
      await running
    },
    state: () => state(store),
  }
}
