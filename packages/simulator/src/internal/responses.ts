/**
 * Maps simulator state to the protocol's response types (§5.3, §5.4, §5.6), with the URL shapes of the specification.
 */
import type { DirectResponse } from "@signering/protocol"
import { type JobRecord, jobStatusOf, type SignerRecord, type State, type StatusChange } from "./state.js"

export interface Urls {
  /** API root, e.g. `https://127.0.0.1:4443/api`. */
  readonly api: string
  /** Portal root, e.g. `http://127.0.0.1:4080`. */
  readonly portal: string
}

export const jobBase = (urls: Urls, job: JobRecord) =>
  `${urls.api}/${job.organization}/${job.flow}/signature-jobs/${job.id}`

export const signerHref = (urls: Urls, job: JobRecord, signer: SignerRecord) =>
  `${jobBase(urls, job)}/signers/${signer.index}`

export const redirectUrl = (urls: Urls, token: string) => `${urls.portal}/redirect/${token}`

// Direct jobs have only these two kinds (contact-information signers are a portal thing).
const signerRef = (signer: SignerRecord): DirectResponse.SignerRef => ({
  _tag: signer.kind === "PersonalIdentificationNumber" ? "PersonalIdentificationNumber" : "CustomIdentifier",
  value: signer.value,
})

export const signerResponse = (
  urls: Urls,
  job: JobRecord,
  signer: SignerRecord,
  token: string,
): DirectResponse.SignerResponse => ({
  href: signerHref(urls, job, signer),
  signer: signerRef(signer),
  redirectUrl: redirectUrl(urls, token),
})

export const jobResponse = (urls: Urls, job: JobRecord): DirectResponse.JobResponse => ({
  signatureJobId: BigInt(job.id),
  reference: job.reference,
  statusUrl: `${jobBase(urls, job)}/status`,
  signers: job.signers.map((s) => signerResponse(urls, job, s, s.redirectToken!)),
})

/** Under the `settles-change` model a polled change's URL names the change; otherwise one URL per job. */
export const confirmationUrl = (state: State, base: string, polled: StatusChange | undefined) =>
  polled !== undefined && state.options.confirmationModel === "settles-change"
    ? `${base}/changes/${polled.seq}/complete`
    : `${base}/complete`

/**
 * A status response. `change` is the queued snapshot when answering a poll; status by token shows the job as it is now.
 * URLs always reflect the job as it is now (documents may have been deleted since the change).
 */
export const statusResponse = (
  urls: Urls,
  state: State,
  job: JobRecord,
  polled?: StatusChange,
): DirectResponse.JobStatusResponse => {
  const change = polled ?? state.snapshot(job)
  const base = jobBase(urls, job)
  const documentsPresent = job.documents !== undefined
  const signedValues = new Set(change.signers.filter((s) => s.status === "SIGNED").map((s) => s.value))
  const final = change.jobStatus !== "IN_PROGRESS"
  const xadesUrls = documentsPresent
    ? job.signers
        .filter((s) => signedValues.has(s.value))
        .map((s) => ({ signer: s.value, url: `${base}/xades/${s.xadesId}` }))
    : []
  return {
    signatureJobId: BigInt(job.id),
    reference: job.reference,
    status: change.jobStatus,
    signers: change.signers.map((s) => ({
      signer: s.value,
      status: s.status,
      since: new Date(s.since),
      xadesUrl: xadesUrls.find((x) => x.signer === s.value)?.url,
    })),
    // POLLING jobs confirm every change (else it comes back); callback jobs confirm once the job is final.
    confirmationUrl:
      job.statusRetrievalMethod === "POLLING" || final ? confirmationUrl(state, base, polled) : undefined,
    deleteDocumentsUrl:
      state.deletable(job) && jobStatusOf(job.signers) === "COMPLETED_SUCCESSFULLY"
        ? `${base}/delete-documents`
        : undefined,
    xadesUrls,
    padesUrl: documentsPresent && signedValues.size > 0 ? `${base}/pades` : undefined,
  }
}
