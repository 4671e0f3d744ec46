/**
 * The server's side of the direct-flow messages, for the simulator (or any server): response encoders and
 * request decoders. Client code uses `DirectXml`; both share the element reader, so a message one side writes
 * is read by the other with the same rules.
 *
 * @since 0.1.0
 */
import type { Result } from "effect"
import {
  type AuthenticationLevel,
  authenticationLevels,
  type IdentifierInSignedDocuments,
  identifierInSignedDocumentsValues as identifierValues,
  type OnBehalfOf,
  onBehalfOfValues,
  type SignatureType,
  signatureTypes,
} from "./Common.js"
import type { StatusRetrievalMethod } from "./DirectJob.js"
import type { ErrorResponse, JobResponse, JobStatusResponse, SignerRef, SignerResponse } from "./DirectResponse.js"
import type { DecodeOptions } from "./DirectXml.js"
import { readManifestDocuments } from "./internal/manifestDocuments.js"
import { run } from "./internal/xmlDecode.js"
import { declaration, formatDateTime, open } from "./internal/xmlEncode.js"
import { namespace } from "./internal/xmlRead.js"
import { element, escapeAttribute, escapeText, optionalElement } from "./internal/xmlText.js"
import type { DecodeError } from "./ProtocolError.js"

// ---------------------------------------------------------------------------------------------------------------
// Response encoders (simulator side)
// ---------------------------------------------------------------------------------------------------------------

const signerRefElement = (ref: SignerRef): string =>
  ref._tag === "PersonalIdentificationNumber"
    ? element("personal-identification-number", ref.value)
    : element("signer-identifier", ref.value)

const signerSpecificUrl = (name: string, url: string, signer: string | undefined): string =>
  signer === undefined
    ? element(name, url)
    : `<${name} signer="${escapeAttribute(signer)}">${escapeText(url)}</${name}>`

const signerResponseBody = (s: SignerResponse): string =>
  `href="${escapeAttribute(s.href)}">` + signerRefElement(s.signer) + element("redirect-url", s.redirectUrl)

/**
 * `direct-signer-response` (answer to a signer update), for servers and simulators.
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * DirectServerXml.encodeSignerResponse({ href, signer: { _tag: "CustomIdentifier", value: "kunde-1" }, redirectUrl })
 * ```
 * @since 0.1.0
 */
export const encodeSignerResponse = (response: SignerResponse): string =>
  `${declaration}<direct-signer-response xmlns="${namespace}" ` +
  signerResponseBody(response) +
  "</direct-signer-response>"

/**
 * `direct-signature-job-response` (answer to create), for servers and simulators. The deprecated but
 * schema-required top-level `redirect-url` is written once per signer, with its `@signer`.
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * DirectServerXml.encodeJobResponse({ signatureJobId: 1n, statusUrl, signers: [signerResponse] })
 * ```
 * @since 0.1.0
 */
export const encodeJobResponse = (response: JobResponse): string =>
  open("direct-signature-job-response") +
  optionalElement("reference", response.reference) +
  element("signature-job-id", response.signatureJobId.toString()) +
  response.signers.map((s) => signerSpecificUrl("redirect-url", s.redirectUrl, s.signer.value)).join("") +
  optionalElement("status-url", response.statusUrl) +
  response.signers.map((s) => "<signer " + signerResponseBody(s) + "</signer>").join("") +
  "</direct-signature-job-response>"

/**
 * `direct-signature-job-status-response`, for servers and simulators. `since` is written in UTC.
 * Give every status and xades-url a `signer` (the Java client pairs them by it).
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * DirectServerXml.encodeJobStatusResponse({
 *   signatureJobId: 1n, status: "IN_PROGRESS",
 *   signers: [{ signer: "kunde-1", status: "WAITING", since: new Date() }], xadesUrls: [],
 * })
 * ```
 * @since 0.1.0
 */
export const encodeJobStatusResponse = (response: JobStatusResponse): string =>
  open("direct-signature-job-status-response") +
  optionalElement("reference", response.reference) +
  element("signature-job-id", response.signatureJobId.toString()) +
  element("signature-job-status", response.status) +
  response.signers
    .map(
      (s) =>
        "<status" +
        (s.signer === undefined ? "" : ` signer="${escapeAttribute(s.signer)}"`) +
        ` since="${formatDateTime(s.since)}">` +
        escapeText(s.status) +
        "</status>",
    )
    .join("") +
  optionalElement("confirmation-url", response.confirmationUrl) +
  optionalElement("delete-documents-url", response.deleteDocumentsUrl) +
  response.xadesUrls.map((x) => signerSpecificUrl("xades-url", x.url, x.signer)).join("") +
  optionalElement("pades-url", response.padesUrl) +
  "</direct-signature-job-status-response>"

/**
 * `error` body, for servers and simulators.
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * DirectServerXml.encodeError({ errorCode: "INVALID_STATUS_QUERY_TOKEN", errorMessage: "…", errorType: "CLIENT" })
 * ```
 * @since 0.1.0
 */
export const encodeError = (error: ErrorResponse): string =>
  open("error") +
  element("error-code", error.errorCode) +
  element("error-message", error.errorMessage) +
  element("error-type", error.errorType) +
  "</error>"

// ---------------------------------------------------------------------------------------------------------------
// Request decoders (simulator side)
// ---------------------------------------------------------------------------------------------------------------

/**
 * A decoded `direct-signature-job-request`, as plain data. Limits are the schema's job, not checked here.
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * const result = DirectServerXml.decodeJobRequest(part1)
 * const polling = result._tag === "Success" && result.success.statusRetrievalMethod === "POLLING"
 * ```
 * @since 0.1.0
 */
export interface JobRequest {
  readonly reference?: string | undefined
  readonly exitUrls: { readonly completionUrl: string; readonly rejectionUrl: string; readonly errorUrl: string }
  /** Absent when the request left it out (the schema default is WAIT_FOR_CALLBACK). */
  readonly statusRetrievalMethod?: StatusRetrievalMethod | undefined
  readonly pollingQueue?: string | undefined
}

/**
 * A decoded `direct-signature-job-manifest`. The deprecated single-document form (`legacy: true`) is mapped
 * to the same shape: its document title and description become the job's.
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * const result = DirectServerXml.decodeManifest(manifestXml)
 * if (result._tag === "Success") for (const d of result.success.documents) zip.file(d.href) // each must exist
 * ```
 * @since 0.1.0
 */
export interface Manifest {
  readonly legacy: boolean
  readonly signers: ReadonlyArray<{
    readonly signer: SignerRef
    readonly signatureType?: SignatureType | undefined
    readonly onBehalfOf?: OnBehalfOf | undefined
  }>
  readonly organizationNumber: string
  readonly title: string
  readonly description?: string | undefined
  readonly documents: ReadonlyArray<{ readonly href: string; readonly mime: string; readonly title: string }>
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

const statusRetrievalMethods: ReadonlyArray<StatusRetrievalMethod> = ["WAIT_FOR_CALLBACK", "POLLING"]

/**
 * Decodes `direct-signature-job-request` (what a server or simulator receives as multipart part 1).
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * const result = DirectServerXml.decodeJobRequest(part1)
 * if (result._tag === "Success") result.success.exitUrls.completionUrl
 * ```
 * @since 0.1.0
 */
export const decodeJobRequest = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<JobRequest, DecodeError> =>
  run(xml, "direct-signature-job-request", options, (root) => {
    const exit = root.required("exit-urls")
    const reference = root.optionalText("reference")
    const statusRetrievalMethod = root.optionalOneOf("status-retrieval-method", statusRetrievalMethods)
    const pollingQueue = root.optionalText("polling-queue")
    return {
      ...(reference === undefined ? {} : { reference }),
      exitUrls: {
        completionUrl: exit.requiredToken("completion-url"),
        rejectionUrl: exit.requiredToken("rejection-url"),
        errorUrl: exit.requiredToken("error-url"),
      },
      ...(statusRetrievalMethod === undefined ? {} : { statusRetrievalMethod }),
      ...(pollingQueue === undefined ? {} : { pollingQueue }),
    }
  })

/**
 * Decodes `direct-signature-job-manifest` (the bundle's `manifest.xml`), current or legacy form.
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * const result = DirectServerXml.decodeManifest(manifestBytes)
 * if (result._tag === "Success") result.success.documents.map((d) => d.href)
 * ```
 * @since 0.1.0
 */
export const decodeManifest = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<Manifest, DecodeError> =>
  run(xml, "direct-signature-job-manifest", options, (root) => {
    const signers = root.all("signer").map((s) => {
      const signatureType = s.optionalOneOf("signature-type", signatureTypes)
      const onBehalfOf = s.optionalOneOf("on-behalf-of", onBehalfOfValues)
      return {
        signer: s.signerRef(),
        ...(signatureType === undefined ? {} : { signatureType }),
        ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
      }
    })
    if (signers.length === 0) root.fail("MissingElement", `${root.path}/signer is missing`)
    const organizationNumber = root.required("sender").requiredToken("organization-number")
    const requiredAuthentication = root.optionalOneOf("required-authentication", authenticationLevels)
    const identifierInSignedDocuments = root.optionalOneOf("identifier-in-signed-documents", identifierValues)
    const rest = {
      ...(requiredAuthentication === undefined ? {} : { requiredAuthentication }),
      ...(identifierInSignedDocuments === undefined ? {} : { identifierInSignedDocuments }),
    }
    return { signers, organizationNumber, ...readManifestDocuments(root, { description: "description" }), ...rest }
  })

/**
 * Checks a `direct-signer-update-request` body. A server should also accept an empty body (the .NET client).
 *
 * @example
 * ```ts
 * import { DirectServerXml } from "@signering/protocol/server"
 * const ok = body.length === 0 || DirectServerXml.decodeSignerUpdateRequest(body)._tag === "Success"
 * ```
 * @since 0.1.0
 */
export const decodeSignerUpdateRequest = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Result.Result<void, DecodeError> =>
  run(xml, "direct-signer-update-request", options, (root) => {
    root.required("redirect-url")
  })
