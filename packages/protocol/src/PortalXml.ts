/**
 * XML codecs for the portal-flow messages a client sends and reads (portal.xsd), in namespace
 * `http://signering.posten.no/schema/v1`.
 *
 * - Encoders (`encodeJobRequest`, `encodeManifest`, `encodeManifestBytes`) take a validated `PortalJob` and write
 *   the elements in exactly the schema's sequence order, with the Java client's declaration and no indentation.
 * - Decoders (`decodeJobResponse`, `decodeStatusChangeResponse`, `decodeError`) accept a `string` or UTF-8
 *   `Uint8Array` and return an Effect `Result`; each has an `…Effect` twin. They share the hardened reader of
 *   `DirectXml` (namespace prefixes resolved, unknown elements ignored, DOCTYPE refused, size and depth bounded)
 *   and never throw: every failure is a `DecodeError`.
 *
 * The server's side (response encoders, request decoders) is `PortalServerXml` in `@signering/protocol/server`.
 *
 * @since 0.1.0
 */
import { type Effect, Redacted, type Result } from "effect"
import type { ErrorResponse } from "./DirectResponse.js"
import { type DecodeOptions, decodeError as decodeDirectError } from "./DirectXml.js"
import { encodeContact, readContact } from "./internal/portalParts.js"
import { effectOf } from "./internal/resultForms.js"
import { maxSigners, type Reader, run } from "./internal/xmlDecode.js"
import { formatDateTime, open } from "./internal/xmlEncode.js"
import { namespace as signeringNamespace } from "./internal/xmlRead.js"
import { element, escapeAttribute, optionalElement } from "./internal/xmlText.js"
import type { Notifications, PortalJob, PortalSigner } from "./PortalJob.js"
import type { JobResponse, JobStatus, Signature, SignatureSigner, StatusChangeResponse } from "./PortalResponse.js"
import type { DecodeError } from "./ProtocolError.js"

export type { DecodeOptions }

/**
 * The namespace of every signering message.
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * PortalXml.namespace // "http://signering.posten.no/schema/v1"
 * ```
 * @since 0.1.0
 */
export const namespace = signeringNamespace

// ---------------------------------------------------------------------------------------------------------------
// Request encoders
// ---------------------------------------------------------------------------------------------------------------

/**
 * `portal-signature-job-request`, part 1 of the create request (multipart `application/xml`): the reference and
 * the sender's polling queue, each written only when set (as Java does).
 *
 * @example
 * ```ts
 * import { PortalJob, PortalXml } from "@signering/protocol"
 * const xml: string = PortalXml.encodeJobRequest(PortalJob.makeOrThrow(input))
 * ```
 * @since 0.1.0
 */
export const encodeJobRequest = (job: PortalJob): string =>
  open("portal-signature-job-request") +
  optionalElement("reference", job.reference) +
  optionalElement("polling-queue", job.sender.pollingQueue) +
  "</portal-signature-job-request>"

const encodeNotifications = (n: Notifications): string =>
  n._tag === "NotificationsUsingLookup"
    ? `<notifications-using-lookup><email/>${n.sms ? "<sms/>" : ""}</notifications-using-lookup>`
    : `<notifications>${encodeContact(n)}</notifications>`

// Java always writes `order` (its default is 0), so a job without orders looks the same on the wire as Java's.
const encodeSigner = (signer: PortalSigner): string =>
  `<signer order="${signer.order}">` +
  (signer._tag === "PersonalIdentificationNumber"
    ? element("personal-identification-number", Redacted.value(signer.personalIdentificationNumber))
    : "<identified-by-contact-information/>") +
  optionalElement("signature-type", signer.signatureType) +
  (signer._tag === "PersonalIdentificationNumber"
    ? encodeNotifications(signer.notifications)
    : `<notifications>${encodeContact(signer.contactInformation)}</notifications>`) +
  optionalElement("on-behalf-of", signer.onBehalfOf) +
  "</signer>"

/**
 * `portal-signature-job-manifest` (the bundle's `manifest.xml`) in the current multi-document form. The Java
 * client always writes `<availability>`, empty when the job sets neither field; so do we. `activation-time` is
 * written in UTC (`…Z`), an xs:dateTime with an offset like Java's zoned value.
 *
 * @example
 * ```ts
 * import { PortalJob, PortalXml } from "@signering/protocol"
 * const manifest: string = PortalXml.encodeManifest(PortalJob.makeOrThrow(input))
 * ```
 * @since 0.1.0
 */
export const encodeManifest = (job: PortalJob): string =>
  open("portal-signature-job-manifest") +
  "<signers>" +
  job.signers.map(encodeSigner).join("") +
  "</signers>" +
  "<sender>" +
  element("organization-number", job.sender.organizationNumber) +
  "</sender>" +
  element("title", job.title) +
  optionalElement("nonsensitive-title", job.nonsensitiveTitle) +
  optionalElement("description", job.description) +
  "<documents>" +
  job.documents
    .map(
      (d) =>
        `<document href="${escapeAttribute(d.fileName)}" mime="${escapeAttribute(d.mediaType)}">` +
        element("title", d.title) +
        "</document>",
    )
    .join("") +
  "</documents>" +
  optionalElement("required-authentication", job.requiredAuthentication) +
  "<availability>" +
  (job.availability.activationTime === undefined
    ? ""
    : element("activation-time", formatDateTime(job.availability.activationTime))) +
  (job.availability.availableSeconds === undefined
    ? ""
    : element("available-seconds", String(job.availability.availableSeconds))) +
  "</availability>" +
  optionalElement("identifier-in-signed-documents", job.identifierInSignedDocuments) +
  "</portal-signature-job-manifest>"

const utf8 = new TextEncoder()

/**
 * {@link encodeManifest} as the UTF-8 bytes that go into the zip as `manifest.xml`.
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * const bytes: Uint8Array = PortalXml.encodeManifestBytes(job)
 * ```
 * @since 0.1.0
 */
export const encodeManifestBytes = (job: PortalJob): Uint8Array => utf8.encode(encodeManifest(job))

// ---------------------------------------------------------------------------------------------------------------
// Response decoders
// ---------------------------------------------------------------------------------------------------------------

const jobStatuses: ReadonlyArray<JobStatus> = ["IN_PROGRESS", "COMPLETED_SUCCESSFULLY", "FAILED"]

const readSigner = (r: Reader): SignatureSigner => {
  const pin = r.optional("personal-identification-number")
  const identifier = r.optional("identifier")
  if (pin !== undefined && identifier !== undefined) {
    r.fail("InvalidValue", `${r.path} has both personal-identification-number and identifier`)
  }
  // Check digits are never checked here: the official examples carry numbers that fail mod-11.
  if (pin !== undefined) {
    return {
      _tag: "PersonalIdentificationNumber",
      personalIdentificationNumber: Redacted.make(pin.token(), { label: "PersonalIdentificationNumber" }),
    }
  }
  if (identifier !== undefined) return { _tag: "ContactInformation", ...readContact(identifier) }
  return r.fail("MissingElement", `${r.path} needs personal-identification-number or identifier`)
}

const readSignature = (r: Reader): Signature => {
  const status = r.required("status")
  const value = status.token()
  if (value === "") status.fail("InvalidValue", `${status.path} is empty`)
  const since = status.dateTimeAttribute("since")
  const xadesUrl = r.optionalUrl("xades-url")
  return {
    signer: readSigner(r),
    status: value,
    since,
    ...(xadesUrl === undefined ? {} : { xadesUrl }),
  }
}

/**
 * Decodes `portal-signature-job-response` (answer to create): the job id, the reference and the cancellation URL.
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * const result = PortalXml.decodeJobResponse(body)
 * if (result._tag === "Success") console.log(result.success.signatureJobId, result.success.cancellationUrl)
 * ```
 * @since 0.1.0
 */
export const decodeJobResponse = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<JobResponse, DecodeError> =>
  run(xml, "portal-signature-job-response", options, (root) => {
    const reference = root.optionalText("reference")
    return {
      signatureJobId: root.long("signature-job-id"),
      ...(reference === undefined ? {} : { reference }),
      cancellationUrl: root.requiredUrl("cancellation-url"),
    }
  })

/**
 * Decodes `portal-signature-job-status-change-response` (answer to a poll). Signature statuses the library does
 * not know are kept as strings; an unknown job status is a `DecodeError`. A signature is identified by national
 * identity number (kept `Redacted`; check digits are not checked) or by e-mail address and/or mobile number.
 *
 * @example
 * ```ts
 * import { PortalResponse, PortalXml } from "@signering/protocol"
 * const result = PortalXml.decodeStatusChangeResponse(body)
 * if (result._tag === "Success") {
 *   const kari = PortalResponse.getSignatureFrom(result.success, "kari@example.com")
 * }
 * ```
 * @since 0.1.0
 */
export const decodeStatusChangeResponse = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<StatusChangeResponse, DecodeError> =>
  run(xml, "portal-signature-job-status-change-response", options, (root) => {
    const signatureJobId = root.long("signature-job-id")
    const statusReader = root.required("status")
    const status = statusReader.oneOf(statusReader.token(), jobStatuses, statusReader.path)
    const confirmationUrl = root.requiredUrl("confirmation-url")
    const signaturesReader = root.required("signatures")
    const signatures = signaturesReader.bounded("signature", maxSigners).map(readSignature)
    if (signatures.length === 0)
      signaturesReader.fail("MissingElement", `${signaturesReader.path}/signature is missing`)
    const reference = root.optionalText("reference")
    const cancellationUrl = root.optionalUrl("cancellation-url")
    const deleteDocumentsUrl = root.optionalUrl("delete-documents-url")
    const padesUrl = signaturesReader.optionalUrl("pades-url")
    return {
      signatureJobId,
      ...(reference === undefined ? {} : { reference }),
      status,
      confirmationUrl,
      ...(cancellationUrl === undefined ? {} : { cancellationUrl }),
      ...(deleteDocumentsUrl === undefined ? {} : { deleteDocumentsUrl }),
      signatures,
      ...(padesUrl === undefined ? {} : { padesUrl }),
    }
  })

/**
 * Decodes an `error` body (the same message in both flows; this is `DirectXml.decodeError`).
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * const result = PortalXml.decodeError(body)
 * if (result._tag === "Success") console.log(result.success.errorCode)
 * ```
 * @since 0.1.0
 */
export const decodeError = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<ErrorResponse, DecodeError> => decodeDirectError(xml, options)

/**
 * {@link decodeJobResponse} as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * const id = PortalXml.decodeJobResponseEffect(body).pipe(Effect.map((r) => r.signatureJobId))
 * ```
 * @since 0.1.0
 */
export const decodeJobResponseEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<JobResponse, DecodeError> = effectOf(decodeJobResponse)

/**
 * {@link decodeStatusChangeResponse} as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * const status = PortalXml.decodeStatusChangeResponseEffect(body).pipe(Effect.map((c) => c.status))
 * ```
 * @since 0.1.0
 */
export const decodeStatusChangeResponseEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<StatusChangeResponse, DecodeError> = effectOf(decodeStatusChangeResponse)

/**
 * {@link decodeError} as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { PortalXml } from "@signering/protocol"
 * const code = PortalXml.decodeErrorEffect(body).pipe(Effect.map((e) => e.errorCode))
 * ```
 * @since 0.1.0
 */
export const decodeErrorEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<ErrorResponse, DecodeError> = effectOf(decodeError)
