/**
 * The server's side of the portal-flow messages, for the simulator (or any server): response encoders and
 * request decoders, on the same element reader as the client's `PortalXml`. Decoders check structure and values
 * of closed types, not the documented limits: those are the schema's and the server's job.
 *
 * @since 0.1.0
 */
import { Redacted, type Result } from "effect"
import {
  type AuthenticationLevel,
  authenticationLevels,
  type IdentifierInSignedDocuments,
  identifierInSignedDocumentsValues,
  type OnBehalfOf,
  onBehalfOfValues,
  type SignatureType,
  signatureTypes,
} from "./Common.js"
import type { ErrorResponse } from "./DirectResponse.js"
import { encodeError as encodeDirectError } from "./DirectServerXml.js"
import type { DecodeOptions } from "./DirectXml.js"
import { readManifestDocuments } from "./internal/manifestDocuments.js"
import { encodeContact, readContact } from "./internal/portalParts.js"
import { parseDateTime, type Reader, run } from "./internal/xmlDecode.js"
import { formatDateTime, open } from "./internal/xmlEncode.js"
import { element, escapeText, optionalElement } from "./internal/xmlText.js"
import type { ContactInformation } from "./PortalJob.js"
import type { JobResponse, Signature, StatusChangeResponse } from "./PortalResponse.js"
import type { DecodeError } from "./ProtocolError.js"

export type { DecodeOptions }

// ---------------------------------------------------------------------------------------------------------------
// Response encoders
// ---------------------------------------------------------------------------------------------------------------

/**
 * `portal-signature-job-response` (answer to create).
 *
 * @example
 * ```ts
 * import { PortalServerXml } from "@signering/protocol/server"
 * PortalServerXml.encodeJobResponse({ signatureJobId: 1n, cancellationUrl: "https://sim/api/983163327/portal/signature-jobs/1/cancel" })
 * ```
 * @since 0.1.0
 */
export const encodeJobResponse = (response: JobResponse): string =>
  open("portal-signature-job-response") +
  optionalElement("reference", response.reference) +
  element("signature-job-id", response.signatureJobId.toString()) +
  element("cancellation-url", response.cancellationUrl) +
  "</portal-signature-job-response>"

const encodeSignature = (s: Signature): string =>
  "<signature>" +
  `<status since="${formatDateTime(s.since)}">${escapeText(s.status)}</status>` +
  (s.signer._tag === "PersonalIdentificationNumber"
    ? element("personal-identification-number", Redacted.value(s.signer.personalIdentificationNumber))
    : `<identifier>${encodeContact(s.signer)}</identifier>`) +
  optionalElement("xades-url", s.xadesUrl) +
  "</signature>"

/**
 * `portal-signature-job-status-change-response` (answer to a poll). `since` is written in UTC.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { PortalServerXml } from "@signering/protocol/server"
 * PortalServerXml.encodeStatusChangeResponse({
 *   signatureJobId: 1n, status: "IN_PROGRESS", confirmationUrl: "https://sim/…/1/complete",
 *   signatures: [{ signer: { _tag: "ContactInformation", email: "kari@example.com" }, status: "WAITING", since: new Date() }],
 * })
 * ```
 * @since 0.1.0
 */
export const encodeStatusChangeResponse = (response: StatusChangeResponse): string =>
  open("portal-signature-job-status-change-response") +
  optionalElement("reference", response.reference) +
  element("signature-job-id", response.signatureJobId.toString()) +
  element("status", response.status) +
  element("confirmation-url", response.confirmationUrl) +
  optionalElement("cancellation-url", response.cancellationUrl) +
  optionalElement("delete-documents-url", response.deleteDocumentsUrl) +
  "<signatures>" +
  response.signatures.map(encodeSignature).join("") +
  optionalElement("pades-url", response.padesUrl) +
  "</signatures>" +
  "</portal-signature-job-status-change-response>"

/**
 * `error` body (the same message in both flows; this is `DirectServerXml.encodeError`).
 *
 * @example
 * ```ts
 * import { PortalServerXml } from "@signering/protocol/server"
 * PortalServerXml.encodeError({ errorCode: "SIGNATURE_JOB_NOT_CANCELLABLE", errorMessage: "…", errorType: "CLIENT" })
 * ```
 * @since 0.1.0
 */
export const encodeError = (error: ErrorResponse): string => encodeDirectError(error)

// ---------------------------------------------------------------------------------------------------------------
// Request decoders
// ---------------------------------------------------------------------------------------------------------------

/**
 * A decoded `portal-signature-job-request`.
 *
 * @example
 * ```ts
 * import type { PortalServerXml } from "@signering/protocol/server"
 * const queueOf = (r: PortalServerXml.JobRequest) => r.pollingQueue ?? "default"
 * ```
 * @since 0.1.0
 */
export interface JobRequest {
  readonly reference?: string | undefined
  readonly pollingQueue?: string | undefined
}

/**
 * A signer of a decoded manifest. The national identity number is plain text here: the server needs it.
 *
 * @example
 * ```ts
 * import type { PortalServerXml } from "@signering/protocol/server"
 * const id = (s: PortalServerXml.ManifestSigner) =>
 *   s.signer._tag === "PersonalIdentificationNumber" ? s.signer.value : (s.notifications._tag === "Notifications" ? s.notifications.email : undefined)
 * ```
 * @since 0.1.0
 */
export interface ManifestSigner {
  /** `@order`, absent when the manifest left it out (the service then treats it as 0). */
  readonly order?: number | undefined
  readonly signer:
    | { readonly _tag: "PersonalIdentificationNumber"; readonly value: string }
    | { readonly _tag: "ContactInformation" }
  readonly signatureType?: SignatureType | undefined
  readonly notifications:
    | ({ readonly _tag: "Notifications" } & ContactInformation)
    | { readonly _tag: "NotificationsUsingLookup"; readonly sms: boolean }
  readonly onBehalfOf?: OnBehalfOf | undefined
}

/**
 * A decoded `portal-signature-job-manifest`. The deprecated single-document form (`legacy: true`) is mapped to the
 * same shape: its title, non-sensitive title and description become the job's.
 *
 * @example
 * ```ts
 * import { PortalServerXml } from "@signering/protocol/server"
 * const result = PortalServerXml.decodeManifest(manifestBytes)
 * if (result._tag === "Success") for (const d of result.success.documents) zip.file(d.href) // each must exist
 * ```
 * @since 0.1.0
 */
export interface Manifest {
  readonly legacy: boolean
  readonly signers: ReadonlyArray<ManifestSigner>
  readonly organizationNumber: string
  readonly title: string
  readonly nonsensitiveTitle?: string | undefined
  readonly description?: string | undefined
  readonly documents: ReadonlyArray<{ readonly href: string; readonly mime: string; readonly title: string }>
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  /** Absent when the manifest has no `<availability>`; empty when it has an empty one. */
  readonly availability?:
    | { readonly activationTime?: Date | undefined; readonly availableSeconds?: number | undefined }
    | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

/**
 * Decodes `portal-signature-job-request` (what a server receives as multipart part 1).
 *
 * @example
 * ```ts
 * import { PortalServerXml } from "@signering/protocol/server"
 * const result = PortalServerXml.decodeJobRequest(part1)
 * if (result._tag === "Success") result.success.pollingQueue
 * ```
 * @since 0.1.0
 */
export const decodeJobRequest = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<JobRequest, DecodeError> =>
  run(xml, "portal-signature-job-request", options, (root) => {
    const reference = root.optionalText("reference")
    const pollingQueue = root.optionalText("polling-queue")
    return {
      ...(reference === undefined ? {} : { reference }),
      ...(pollingQueue === undefined ? {} : { pollingQueue }),
    }
  })

const integer = /^[+-]?[0-9]+$/

const readOrder = (r: Reader): number | undefined => {
  const raw = r.attribute("order")
  if (raw === undefined) return undefined
  const t = raw.trim()
  const n = integer.test(t) ? Number(t) : Number.NaN
  if (!Number.isSafeInteger(n)) r.fail("InvalidValue", `${r.path}/@order is not an integer`)
  return n
}

const readManifestSigner = (r: Reader): ManifestSigner => {
  const order = readOrder(r)
  const pin = r.optional("personal-identification-number")
  const byContact = r.optional("identified-by-contact-information")
  if ((pin === undefined) === (byContact === undefined)) {
    r.fail(
      "InvalidValue",
      `${r.path} needs exactly one of personal-identification-number and identified-by-contact-information`,
    )
  }
  const lookup = r.optional("notifications-using-lookup")
  const given = r.optional("notifications")
  if ((lookup === undefined) === (given === undefined)) {
    r.fail("InvalidValue", `${r.path} needs exactly one of notifications and notifications-using-lookup`)
  }
  let notifications: ManifestSigner["notifications"]
  if (lookup !== undefined) {
    lookup.required("email")
    notifications = { _tag: "NotificationsUsingLookup", sms: lookup.optional("sms") !== undefined }
  } else {
    notifications = { _tag: "Notifications", ...readContact(given!) }
  }
  const signatureType = r.optionalOneOf("signature-type", signatureTypes)
  const onBehalfOf = r.optionalOneOf("on-behalf-of", onBehalfOfValues)
  return {
    ...(order === undefined ? {} : { order }),
    signer:
      pin !== undefined ? { _tag: "PersonalIdentificationNumber", value: pin.token() } : { _tag: "ContactInformation" },
    ...(signatureType === undefined ? {} : { signatureType }),
    notifications,
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
  }
}

const readAvailability = (r: Reader) => {
  const activation = r.optional("activation-time")
  let activationTime: Date | undefined
  if (activation !== undefined) {
    activationTime = parseDateTime(activation.token())
    if (activationTime === undefined) activation.fail("InvalidValue", `${activation.path} is not a valid xs:dateTime`)
  }
  const secondsReader = r.optional("available-seconds")
  let availableSeconds: number | undefined
  if (secondsReader !== undefined) {
    const t = secondsReader.token()
    const n = /^\+?[0-9]+$/.test(t) ? Number(t) : Number.NaN
    if (!Number.isSafeInteger(n))
      secondsReader.fail("InvalidValue", `${secondsReader.path} is not a non-negative integer`)
    availableSeconds = n
  }
  return {
    ...(activationTime === undefined ? {} : { activationTime }),
    ...(availableSeconds === undefined ? {} : { availableSeconds }),
  }
}

/**
 * Decodes `portal-signature-job-manifest` (the bundle's `manifest.xml`), current or legacy form.
 *
 * @example
 * ```ts
 * import { PortalServerXml } from "@signering/protocol/server"
 * const result = PortalServerXml.decodeManifest(manifestBytes)
 * if (result._tag === "Success") result.success.signers.map((s) => s.order ?? 0)
 * ```
 * @since 0.1.0
 */
export const decodeManifest = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<Manifest, DecodeError> =>
  run(xml, "portal-signature-job-manifest", options, (root) => {
    const signersReader = root.required("signers")
    const signers = signersReader.all("signer").map(readManifestSigner)
    if (signers.length === 0) signersReader.fail("MissingElement", `${signersReader.path}/signer is missing`)
    const organizationNumber = root.required("sender").requiredToken("organization-number")
    const requiredAuthentication = root.optionalOneOf("required-authentication", authenticationLevels)
    const identifierInSignedDocuments = root.optionalOneOf(
      "identifier-in-signed-documents",
      identifierInSignedDocumentsValues,
    )
    const availabilityReader = root.optional("availability")
    const rest = {
      ...(requiredAuthentication === undefined ? {} : { requiredAuthentication }),
      ...(availabilityReader === undefined ? {} : { availability: readAvailability(availabilityReader) }),
      ...(identifierInSignedDocuments === undefined ? {} : { identifierInSignedDocuments }),
    }
    const documents = readManifestDocuments(root, {
      nonsensitiveTitle: "nonsensitive-title",
      description: "description",
    })
    return { signers, organizationNumber, ...documents, ...rest }
  })
