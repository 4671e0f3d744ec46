/**
 * What the service answers in the direct flow, as decoded by `DirectXml`.
 *
 * CONTRACT (shared by the simulator and the client): the type names and fields below.
 *
 * @since 0.1.0
 */

/** Job status: a closed set. */
export type JobStatus = "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"

export const knownSignerStatuses = [
  "WAITING",
  "SIGNED",
  "REJECTED",
  "FAILED",
  "EXPIRED",
  "SIGNERS_NAME_NOT_AVAILABLE",
  "NOT_APPLICABLE",
] as const
export type KnownSignerStatus = (typeof knownSignerStatuses)[number]
/** Signer status: an open set. An unknown value from the server is kept as its string, never a failure. */
export type SignerStatus = KnownSignerStatus | (string & {})

/** Identifies a signer in responses: the `@signer` attribute (a PIN or a custom identifier). */
export type SignerRef =
  | { readonly _tag: "PersonalIdentificationNumber"; readonly value: string }
  | { readonly _tag: "CustomIdentifier"; readonly value: string }

/** `direct-signer-response`: the signer URL (for the sender's back end) and the one-time redirect URL (for the browser). */
export interface SignerResponse {
  /** The signer URL (`@href`), used to request a new redirect URL. */
  readonly href: string
  readonly signer: SignerRef
  /** One-time URL to send the signer's browser to. Contains a secret token. */
  readonly redirectUrl: string
}

/** `direct-signature-job-response` (answer to create). */
export interface JobResponse {
  readonly signatureJobId: bigint
  readonly reference?: string | undefined
  readonly statusUrl?: string | undefined
  readonly signers: ReadonlyArray<SignerResponse>
}

export interface SignerStatusEntry {
  /** From `@signer`; absent when the server left it out. */
  readonly signer?: string | undefined
  readonly status: SignerStatus
  /** `@since`, an xs:dateTime with offset, kept as sent and parsed. */
  readonly since: Date
  /** This signer's XAdES URL, paired by the `signer` attribute. */
  readonly xadesUrl?: string | undefined
}

/** `direct-signature-job-status-response` (answer to status-by-token and to a poll). */
export interface JobStatusResponse {
  readonly signatureJobId: bigint
  readonly reference?: string | undefined
  readonly status: JobStatus
  readonly signers: ReadonlyArray<SignerStatusEntry>
  readonly confirmationUrl?: string | undefined
  readonly deleteDocumentsUrl?: string | undefined
  /** Every `xades-url`, in document order, with its `@signer` when present. */
  readonly xadesUrls: ReadonlyArray<{ readonly signer?: string | undefined; readonly url: string }>
  readonly padesUrl?: string | undefined
}

/** `error` body. */
export interface ErrorResponse {
  readonly errorCode: string
  readonly errorMessage: string
  readonly errorType: string
}
