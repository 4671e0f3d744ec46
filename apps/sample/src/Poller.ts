/**
 * Keeps POLLING jobs up to date: the signing port's watcher (the client library's polling worker) hands over each
 * status change of the app's queue; this module stores it, with the signed PDF of a completed job, and only when
 * that succeeded does the worker confirm the change. A failure leaves it unconfirmed, so the service re-delivers
 * it after its re-queue delay instead of losing it (PROTOCOL §7–§8).
 */
import type { SigningPort, Status } from "./Signing.js"
import { type Api, isNewer, type Store, storedOrder } from "./Store.js"
import { testHold } from "./TestHold.js"

/** Where the desk reads what a worker did last; the portal queue's worker has its own. */
const keys = (api: Api = "direct") =>
  api === "portal"
    ? { lastChange: "poller.portal.lastChange", lastError: "poller.portal.lastError" }
    : { lastChange: "poller.lastChange", lastError: "poller.lastError" }

export interface PollerState {
  /** `<ISO time> <what>` of the last change handled. */
  readonly lastChange: string | undefined
  /** `<ISO time> <message>` of the last failure the worker recovered from. */
  readonly lastError: string | undefined
}

export const state = (store: Store, api: Api = "direct"): PollerState => ({
  lastChange: store.setting(keys(api).lastChange),
  lastError: store.setting(keys(api).lastError),
})

/** The reference the app sends at create; it finds a job whose create answer was never stored. */
export const referenceOf = (jobId: number): string => `sample-${jobId}`

const jobIdOfReference = (reference: string | undefined): number | undefined => {
  const match = reference === undefined ? null : /^sample-([0-9]{1,15})$/.exec(reference)
  return match === null ? undefined : Number(match[1])
}

/**
 * Stores one status change for a job the app knows, downloading the signed PDF when the job completed. Returns
 * `false` for a job the app does not know (created with an earlier database): nothing to store, and confirming it
 * is right, or it would come back forever. Throws when the PDF cannot be downloaded, so the change stays unconfirmed.
 *
 * A job recorded but never linked to the service (the app died between the create and storing its answer) is found
 * by its reference and linked, so its statuses are not thrown away. The store is monotonic: a change older than what
 * is stored (re-queued and delivered late) is noted and not applied, and then confirmed, since nothing is lost.
 */
export const storeChange = async (
  store: Store,
  signing: Pick<SigningPort, "pades">,
  status: Status,
  api: Api = "direct",
): Promise<boolean> => {
  let job = store.jobBySignatureJobId(status.signatureJobId, api)
  if (job === undefined) {
    const id = jobIdOfReference(status.reference)
    job = id === undefined ? undefined : store.adopt(id, status.signatureJobId, api)
  }
  if (job === undefined) return false
  const stale = isNewer(storedOrder(job), status)
  if (stale === "newer" && status.status === "COMPLETED_SUCCESSFULLY" && status.padesUrl !== undefined) {
    store.storeSignedDocument(job.id, await signing.pades(status.padesUrl))
  }
  await testHold("handler")
  const applied = store.applyStatus(job.id, status, "Status change from the polling queue")
  if (api === "portal" && applied.applied) store.setCancellationUrl(job.id, status.cancellationUrl)
  return true
}

export interface Poller {
  /** Stops taking changes; one being stored is finished and confirmed first. */
  readonly stop: () => Promise<void>
}

export const start = (options: {
  readonly store: Store
  readonly signing: Pick<SigningPort, "watch" | "pades">
  /** Which API's queue this is (the portal flow's job ids are its own). Default: direct. */
  readonly api?: Api
  readonly now?: () => Date
  readonly onError?: (message: string) => void
}): Poller => {
  const { store, signing } = options
  const now = options.now ?? (() => new Date())
  const watcher = signing.watch({
    handler: async (status) => {
      const known = await storeChange(store, signing, status, options.api)
      store.setSetting(
        keys(options.api).lastChange,
        `${now().toISOString()} job ${status.signatureJobId}: ${status.status}${known ? "" : " (not ours)"}`,
      )
    },
    onError: (message) => {
      store.setSetting(keys(options.api).lastError, `${now().toISOString()} ${message}`)
      options.onError?.(message)
    },
  })
  return { stop: () => watcher.stop() }
}
