/**
 * XML codecs for every direct-flow message, in namespace `http://signering.posten.no/schema/v1`.
 *
 * - Encoders of requests (`encodeJobRequest`, `encodeManifest`, `encodeSignerUpdateRequest`) take a validated
 *   `DirectJob` and return the document as a `string` (UTF-8 when sent: `encodeManifestBytes` gives the bytes
 *   that go into the zip). Output has an XML declaration, the default namespace, no indentation, and elements
 *   in exactly the schema's sequence order.
 * - Decoders of responses (`decodeJobResponse`, `decodeSignerResponse`, `decodeJobStatusResponse`,
 *   `decodeError`) accept a `string` or UTF-8 `Uint8Array` and return an Effect `Result` (plain data: check
 *   `_tag`); each has an `…Effect` twin. They never throw: every failure is a `DecodeError`.
 * - The server's side of the same messages (response encoders, request decoders) is `DirectServerXml` in
 *   `@signering/protocol/server`.
 *
 * @since 0.1.0
 */
import { type Effect, Redacted, type Result } from "effect"
import type { DirectJob, DirectSigner } from "./DirectJob.js"
import type {
  ErrorResponse,
  JobResponse,
  JobStatus,
  JobStatusResponse,
  SignerResponse,
  SignerStatusEntry,
} from "./DirectResponse.js"
import { effectOf } from "./internal/resultForms.js"
import { maxSigners, type Reader, run } from "./internal/xmlDecode.js"
import { open } from "./internal/xmlEncode.js"
import { type ReadOptions, namespace as signeringNamespace } from "./internal/xmlRead.js"
import { element, escapeAttribute, optionalElement } from "./internal/xmlText.js"
import type { DecodeError } from "./ProtocolError.js"

/**
 * The namespace of every signering message.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.namespace // "http://signering.posten.no/schema/v1"
 * ```
 * @since 0.1.0
 */
export const namespace = signeringNamespace

/**
 * Limits for the decoders, each refused as a `DecodeError` with reason `TooLarge` naming it: `maxBytes` (default
 * 16 MiB; a string counts as its UTF-8 bytes), `maxDepth` (element nesting, default 64), `maxAttributes` and
 * `maxNamespaceDeclarations` (per element, default 64 each) and `maxNodes` (elements, comments, CDATA sections and
 * processing instructions per document, default 10 000). They bound the decoders' time, which is linear in the
 * input: decoding is synchronous, so no timeout could stop it. A decoded message also lists at most 100 signers.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.decodeJobStatusResponse(body, { maxBytes: 1024 * 1024, maxNodes: 1_000 })
 * ```
 * @since 0.1.0
 */
export type DecodeOptions = ReadOptions

// ---------------------------------------------------------------------------------------------------------------
// Request encoders (client side)
// ---------------------------------------------------------------------------------------------------------------

/**
 * `direct-signature-job-request`, part 1 of the create request (multipart `application/xml`).
 *
 * `status-retrieval-method` is written only when the caller chose one (`job.statusRetrievalMethodChosen`),
 * as the current Java client does (`getStatusRetrievalMethod().map(…).orElse(null)`; older Java versions always
 * wrote it). Absent means WAIT_FOR_CALLBACK to the service, so both forms ask for the same thing.
 * `polling-queue` is written only when the sender has one, as Java does.
 *
 * @example
 * ```ts
 * import { DirectJob, DirectXml } from "@signering/protocol"
 * const job = DirectJob.makeOrThrow(input)
 * const xml: string = DirectXml.encodeJobRequest(job)
 * ```
 * @since 0.1.0
 */
export const encodeJobRequest = (job: DirectJob): string =>
  open("direct-signature-job-request") +
  optionalElement("reference", job.reference) +
  "<exit-urls>" +
  element("completion-url", job.exitUrls.completionUrl) +
  element("rejection-url", job.exitUrls.rejectionUrl) +
  element("error-url", job.exitUrls.errorUrl) +
  "</exit-urls>" +
  (job.statusRetrievalMethodChosen === false ? "" : element("status-retrieval-method", job.statusRetrievalMethod)) +
  optionalElement("polling-queue", job.sender.pollingQueue) +
  "</direct-signature-job-request>"

const encodeSigner = (signer: DirectSigner): string =>
  "<signer>" +
  (signer._tag === "PersonalIdentificationNumber"
    ? element("personal-identification-number", Redacted.value(signer.personalIdentificationNumber))
    : element("signer-identifier", signer.customIdentifier)) +
  optionalElement("signature-type", signer.signatureType) +
  optionalElement("on-behalf-of", signer.onBehalfOf) +
  "</signer>"

/**
 * `direct-signature-job-manifest` (the bundle's `manifest.xml`) in the current multi-document form:
 * job `title`/`description` on the manifest, and per document `@href` (its file name, which is
 * URL-encoding-invariant, so Java's form-encoding of `href` would leave it unchanged), `@mime` and `title`.
 *
 * @example
 * ```ts
 * import { DirectJob, DirectXml } from "@signering/protocol"
 * const manifest: string = DirectXml.encodeManifest(DirectJob.makeOrThrow(input))
 * ```
 * @since 0.1.0
 */
export const encodeManifest = (job: DirectJob): string =>
  open("direct-signature-job-manifest") +
  job.signers.map(encodeSigner).join("") +
  "<sender>" +
  element("organization-number", job.sender.organizationNumber) +
  "</sender>" +
  element("title", job.title) +
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
  optionalElement("identifier-in-signed-documents", job.identifierInSignedDocuments) +
  "</direct-signature-job-manifest>"

const utf8 = new TextEncoder()

/**
 * `encodeManifest` as the UTF-8 bytes that go into the zip as `manifest.xml`.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const bytes: Uint8Array = DirectXml.encodeManifestBytes(job)
 * ```
 * @since 0.1.0
 */
export const encodeManifestBytes = (job: DirectJob): Uint8Array => utf8.encode(encodeManifest(job))

/**
 * `direct-signer-update-request`: the body of a POST to a signer's `href` asking for a fresh redirect URL.
 * (The .NET client posts no body at all; the Java client sends this.)
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.encodeSignerUpdateRequest() // '<?xml …?><direct-signer-update-request xmlns="…"><redirect-url/></direct-signer-update-request>'
 * ```
 * @since 0.1.0
 */
export const encodeSignerUpdateRequest = (): string =>
  open("direct-signer-update-request") + "<redirect-url/></direct-signer-update-request>"

// ---------------------------------------------------------------------------------------------------------------
// Response decoders (client side)
// ---------------------------------------------------------------------------------------------------------------

const jobStatuses: ReadonlyArray<JobStatus> = ["IN_PROGRESS", "COMPLETED_SUCCESSFULLY", "FAILED"]

const readSignerResponse = (r: Reader): SignerResponse => ({
  href: r.urlAttribute("href"),
  signer: r.signerRef(),
  redirectUrl: r.requiredUrl("redirect-url"),
})

/**
 * Decodes `direct-signature-job-response` (answer to create). The deprecated top-level `redirect-url`s are
 * ignored; each signer's own `redirect-url` is used.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeJobResponse(body)
 * if (result._tag === "Success") console.log(result.success.signatureJobId) // bigint
 * ```
 * @since 0.1.0
 */
export const decodeJobResponse = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<JobResponse, DecodeError> =>
  run(xml, "direct-signature-job-response", options, (root) => {
    const signers = root.bounded("signer", maxSigners).map(readSignerResponse)
    if (signers.length === 0) root.fail("MissingElement", `${root.path}/signer is missing`)
    const reference = root.optionalText("reference")
    const statusUrl = root.optionalUrl("status-url")
    return {
      signatureJobId: root.long("signature-job-id"),
      ...(reference === undefined ? {} : { reference }),
      ...(statusUrl === undefined ? {} : { statusUrl }),
      signers,
    }
  })

/**
 * Decodes `direct-signer-response` (answer to a signer update: a fresh redirect URL).
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeSignerResponse(body)
 * if (result._tag === "Success") redirect(result.success.redirectUrl)
 * ```
 * @since 0.1.0
 */
export const decodeSignerResponse = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<SignerResponse, DecodeError> => run(xml, "direct-signer-response", options, readSignerResponse)

/**
 * Decodes `direct-signature-job-status-response` (status by token, or a poll). Signer statuses the library
 * does not know are kept as strings. Each status gets the `xades-url` with the same `signer` attribute; when
 * the server leaves the attribute out nothing is paired (no guessing), and `xadesUrls` still lists every URL.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeJobStatusResponse(body)
 * if (result._tag === "Success" && result.success.status === "COMPLETED_SUCCESSFULLY") {
 *   download(result.success.padesUrl)
 * }
 * ```
 * @since 0.1.0
 */
export const decodeJobStatusResponse = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<JobStatusResponse, DecodeError> =>
  run(xml, "direct-signature-job-status-response", options, (root) => {
    const signatureJobId = root.long("signature-job-id")
    const statusReader = root.required("signature-job-status")
    const status = statusReader.oneOf(statusReader.token(), jobStatuses, statusReader.path)
    const statuses = root.bounded("status", maxSigners)
    if (statuses.length === 0) root.fail("MissingElement", `${root.path}/status is missing`)
    // By signer, the first URL for each (as a search from the front would pair), so pairing stays linear.
    const xadesBySigner = new Map<string, string>()
    const xadesUrls = root.bounded("xades-url", maxSigners).map((x) => {
      const signer = x.attribute("signer")
      const url = x.url()
      if (signer === undefined) return { url }
      if (!xadesBySigner.has(signer)) xadesBySigner.set(signer, url)
      return { signer, url }
    })
    const signers = statuses.map((s): SignerStatusEntry => {
      const signer = s.attribute("signer")
      const since = s.dateTimeAttribute("since")
      const value = s.token()
      if (value === "") s.fail("InvalidValue", `${s.path} is empty`)
      if (signer === undefined) return { status: value, since }
      const xadesUrl = xadesBySigner.get(signer)
      return xadesUrl === undefined ? { signer, status: value, since } : { signer, status: value, since, xadesUrl }
    })
    const reference = root.optionalText("reference")
    const confirmationUrl = root.optionalUrl("confirmation-url")
    const deleteDocumentsUrl = root.optionalUrl("delete-documents-url")
    const padesUrl = root.optionalUrl("pades-url")
    return {
      signatureJobId,
      ...(reference === undefined ? {} : { reference }),
      status,
      signers,
      ...(confirmationUrl === undefined ? {} : { confirmationUrl }),
      ...(deleteDocumentsUrl === undefined ? {} : { deleteDocumentsUrl }),
      xadesUrls,
      ...(padesUrl === undefined ? {} : { padesUrl }),
    }
  })

/**
 * Decodes an `error` body. The three elements are required (empty text is accepted).
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeError(body)
 * if (result._tag === "Success" && result.success.errorCode === "INVALID_STATUS_QUERY_TOKEN") retry()
 * ```
 * @since 0.1.0
 */
export const decodeError = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<ErrorResponse, DecodeError> =>
  run(xml, "error", options, (root) => ({
    errorCode: root.requiredToken("error-code"),
    errorMessage: root.required("error-message").text(),
    errorType: root.requiredToken("error-type"),
  }))

/**
 * `decodeJobResponse` as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DirectXml } from "@signering/protocol"
 * const program = Effect.gen(function* () {
 *   const response = yield* DirectXml.decodeJobResponseEffect(body)
 *   return response.signatureJobId
 * })
 * ```
 * @since 0.1.0
 */
export const decodeJobResponseEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<JobResponse, DecodeError> = effectOf(decodeJobResponse)

/**
 * `decodeSignerResponse` as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const redirectUrl = DirectXml.decodeSignerResponseEffect(body).pipe(Effect.map((r) => r.redirectUrl))
 * ```
 * @since 0.1.0
 */
export const decodeSignerResponseEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<SignerResponse, DecodeError> = effectOf(decodeSignerResponse)

/**
 * `decodeJobStatusResponse` as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const status = DirectXml.decodeJobStatusResponseEffect(body).pipe(Effect.map((r) => r.status))
 * ```
 * @since 0.1.0
 */
export const decodeJobStatusResponseEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<JobStatusResponse, DecodeError> = effectOf(decodeJobStatusResponse)

/**
 * `decodeError` as an Effect failing with `DecodeError`.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const code = DirectXml.decodeErrorEffect(body).pipe(Effect.map((e) => e.errorCode))
 * ```
 * @since 0.1.0
 */
export const decodeErrorEffect: (
  xml: string | Uint8Array,
  options?: DecodeOptions,
) => Effect.Effect<ErrorResponse, DecodeError> = effectOf(decodeError)
