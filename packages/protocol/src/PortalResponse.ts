/**
 * What the service answers in the portal flow, as decoded by `PortalXml` (PROTOCOL.md §12.3–§12.4), and the
 * lookup of one signer's signature in a status change.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import type { ContactInformation } from "./PortalJob.js"

/**
 * Job status: a closed set, as in the direct flow. An unknown value is a `DecodeError`.
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const done = (s: PortalResponse.JobStatus) => s !== "IN_PROGRESS"
 * ```
 * @since 0.1.0
 */
export type JobStatus = "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"

/**
 * The signature statuses known today (portal.xsd). `WAITING` is the only one that is not final.
 *
 * @example
 * ```ts
 * import { PortalResponse } from "@signering/protocol"
 * PortalResponse.knownSignatureStatuses.includes("BLOCKED") // true
 * ```
 * @since 0.1.0
 */
export const knownSignatureStatuses = [
  "WAITING",
  "SIGNED",
  "REJECTED",
  "CANCELLED",
  "RESERVED",
  "CONTACT_INFORMATION_MISSING",
  "EXPIRED",
  "BLOCKED",
  "SIGNERS_NAME_NOT_AVAILABLE",
  "NOT_APPLICABLE",
] as const

/**
 * A known signature status.
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const s: PortalResponse.KnownSignatureStatus = "SIGNED"
 * ```
 * @since 0.1.0
 */
export type KnownSignatureStatus = (typeof knownSignatureStatuses)[number]

/**
 * Signature status: an open set. A value the library does not know is kept as its string, never a failure.
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const signed = (s: PortalResponse.SignatureStatus) => s === "SIGNED"
 * ```
 * @since 0.1.0
 */
export type SignatureStatus = KnownSignatureStatus | (string & {})

/**
 * Who a signature belongs to: the national identity number (kept `Redacted`), or the e-mail address and/or
 * mobile number exactly as given at creation.
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const show = (s: PortalResponse.SignatureSigner) =>
 *   s._tag === "PersonalIdentificationNumber" ? "by PIN" : (s.email ?? s.sms)
 * ```
 * @since 0.1.0
 */
export type SignatureSigner =
  | { readonly _tag: "PersonalIdentificationNumber"; readonly personalIdentificationNumber: Redacted.Redacted<string> }
  | ({ readonly _tag: "ContactInformation" } & ContactInformation)

/**
 * One signer's signature in a status change.
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const line = (s: PortalResponse.Signature) => `${s.status} since ${s.since.toISOString()}`
 * ```
 * @since 0.1.0
 */
export interface Signature {
  readonly signer: SignatureSigner
  readonly status: SignatureStatus
  /** When the signature got this status. */
  readonly since: Date
  /** This signer's XAdES, when the signer has signed. */
  readonly xadesUrl?: string | undefined
}

/**
 * `portal-signature-job-response` (answer to create).
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const cancelLater = (r: PortalResponse.JobResponse) => r.cancellationUrl
 * ```
 * @since 0.1.0
 */
export interface JobResponse {
  readonly signatureJobId: bigint
  readonly reference?: string | undefined
  readonly cancellationUrl: string
}

/**
 * `portal-signature-job-status-change-response` (answer to a poll). Every change must be confirmed.
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const final = (c: PortalResponse.StatusChangeResponse) => c.status !== "IN_PROGRESS"
 * ```
 * @since 0.1.0
 */
export interface StatusChangeResponse {
  readonly signatureJobId: bigint
  readonly reference?: string | undefined
  readonly status: JobStatus
  readonly confirmationUrl: string
  /** Present while the job can still be cancelled. */
  readonly cancellationUrl?: string | undefined
  readonly deleteDocumentsUrl?: string | undefined
  readonly signatures: ReadonlyArray<Signature>
  /** The PAdES of the job so far (after the signature list in the message). */
  readonly padesUrl?: string | undefined
}

/**
 * What identifies a signer for {@link getSignatureFrom}: a national identity number (plain or `Redacted`), an
 * e-mail address or a mobile number as a string, or contact information (every given field must match).
 *
 * @example
 * ```ts
 * import type { PortalResponse } from "@signering/protocol"
 * const byMail: PortalResponse.SignerIdentifier = { email: "kari@example.com" }
 * ```
 * @since 0.1.0
 */
export type SignerIdentifier =
  | string
  | Redacted.Redacted<string>
  | { readonly personalIdentificationNumber: string | Redacted.Redacted<string> }
  | ContactInformation

const plain = (v: string | Redacted.Redacted<string>): string => (typeof v === "string" ? v : Redacted.value(v))

const matches = (signer: SignatureSigner, identifier: SignerIdentifier): boolean => {
  if (typeof identifier === "string" || Redacted.isRedacted(identifier)) {
    const value = plain(identifier)
    return signer._tag === "PersonalIdentificationNumber"
      ? Redacted.value(signer.personalIdentificationNumber) === value
      : signer.email === value || signer.sms === value
  }
  if ("personalIdentificationNumber" in identifier) {
    return (
      signer._tag === "PersonalIdentificationNumber" &&
      Redacted.value(signer.personalIdentificationNumber) === plain(identifier.personalIdentificationNumber)
    )
  }
  const contact = identifier as ContactInformation
  if (signer._tag !== "ContactInformation" || (contact.email === undefined && contact.sms === undefined)) return false
  return (
    (contact.email === undefined || contact.email === signer.email) &&
    (contact.sms === undefined || contact.sms === signer.sms)
  )
}

/**
 * The signature of one signer in a status change (as Java's `getSignatureFrom`), compared verbatim: identifiers
 * are never normalized. `undefined` when no signature matches.
 *
 * @example
 * ```ts
 * import { PortalResponse } from "@signering/protocol"
 * const kari = PortalResponse.getSignatureFrom(change, "kari@example.com")
 * if (kari?.status === "SIGNED") console.log(kari.since)
 * ```
 * @since 0.1.0
 */
export const getSignatureFrom = (
  change: Pick<StatusChangeResponse, "signatures">,
  identifier: SignerIdentifier,
): Signature | undefined => change.signatures.find((s) => matches(s.signer, identifier))

/**
 * Whether the change carries a PAdES to download (Java's `isPAdESAvailable`).
 *
 * @example
 * ```ts
 * import { PortalResponse } from "@signering/protocol"
 * if (PortalResponse.isPadesAvailable(change)) download(change.padesUrl)
 * ```
 * @since 0.1.0
 */
export const isPadesAvailable = (
  change: Pick<StatusChangeResponse, "padesUrl">,
): change is Pick<StatusChangeResponse, "padesUrl"> & { readonly padesUrl: string } => change.padesUrl !== undefined
