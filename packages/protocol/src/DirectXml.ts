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
 * - The simulator's side of the same messages: response encoders and request decoders, so both ends share one codec.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Result } from "effect"
import type {
  AuthenticationLevel,
  DirectJob,
  DirectSigner,
  IdentifierInSignedDocuments,
  OnBehalfOf,
  SignatureType,
  StatusRetrievalMethod,
} from "./DirectJob.js"
import type {
  ErrorResponse,
  JobResponse,
  JobStatus,
  JobStatusResponse,
  SignerRef,
  SignerResponse,
  SignerStatusEntry,
} from "./DirectResponse.js"
import {
  attributeOf,
  childElements,
  type Elem,
  type ReadOptions,
  readRoot,
  namespace as signeringNamespace,
  textOf,
} from "./internal/xmlRead.js"
import { element, escapeAttribute, escapeText, optionalElement } from "./internal/xmlText.js"
import { DecodeError } from "./ProtocolError.js"

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
 * Limits for the decoders: `maxBytes` (default 16 MiB) and `maxDepth` (element nesting, default 64).
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.decodeJobStatusResponse(body, { maxBytes: 1024 * 1024 })
 * ```
 * @since 0.1.0
 */
export type DecodeOptions = ReadOptions

/** Same declaration as the Java client's JAXB marshaller. */
const declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
const open = (root: string): string => `${declaration}<${root} xmlns="${signeringNamespace}">`

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
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.encodeSignerResponse({ href, signer: { _tag: "CustomIdentifier", value: "kunde-1" }, redirectUrl })
 * ```
 * @since 0.1.0
 */
export const encodeSignerResponse = (response: SignerResponse): string =>
  `${declaration}<direct-signer-response xmlns="${signeringNamespace}" ` +
  signerResponseBody(response) +
  "</direct-signer-response>"

/**
 * `direct-signature-job-response` (answer to create), for servers and simulators. The deprecated but
 * schema-required top-level `redirect-url` is written once per signer, with its `@signer`.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.encodeJobResponse({ signatureJobId: 1n, statusUrl, signers: [signerResponse] })
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

/** xs:dateTime in UTC with milliseconds: `2017-01-23T11:51:43.000Z`. */
const formatDateTime = (d: Date): string => d.toISOString()

/**
 * `direct-signature-job-status-response`, for servers and simulators. `since` is written in UTC.
 * Give every status and xades-url a `signer` (the Java client pairs them by it).
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.encodeJobStatusResponse({
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
 * import { DirectXml } from "@signering/protocol"
 * DirectXml.encodeError({ errorCode: "INVALID_STATUS_QUERY_TOKEN", errorMessage: "…", errorType: "CLIENT" })
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
// Decoding machinery
// ---------------------------------------------------------------------------------------------------------------

/** Internal short-circuit: thrown only inside `run`, which turns it back into a `Result`. */
class Abort {
  constructor(readonly error: DecodeError) {}
}

const run = <A>(
  input: string | Uint8Array,
  expected: string,
  options: DecodeOptions | undefined,
  body: (root: Reader) => A,
): Result.Result<A, DecodeError> => {
  const root = readRoot(input, expected, options)
  if (root._tag === "Failure") return Result.fail(root.failure)
  try {
    return Result.succeed(body(new Reader(root.success, expected, expected)))
  } catch (e) {
    if (e instanceof Abort) return Result.fail(e.error)
    // Defensive: nothing above should throw, but a decoder must never throw untyped.
    return Result.fail(new DecodeError({ reason: "Malformed", expected, detail: "unreadable document" }))
  }
}

const long = /^[+-]?[0-9]+$/
const minLong = -(2n ** 63n)
const maxLong = 2n ** 63n - 1n
const dateTime = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/

/** Wraps one element with the path used in error messages. */
class Reader {
  private children: Map<string, Array<Elem>> | undefined
  constructor(
    readonly el: Elem,
    readonly path: string,
    readonly expected: string,
  ) {}

  fail(reason: DecodeError["reason"], detail: string): never {
    throw new Abort(new DecodeError({ reason, expected: this.expected, detail }))
  }

  all(name: string): Array<Reader> {
    this.children ??= childElements(this.el)
    const list = this.children.get(name)
    return list === undefined ? [] : list.map((el) => new Reader(el, `${this.path}/${name}`, this.expected))
  }

  optional(name: string): Reader | undefined {
    const list = this.all(name)
    if (list.length > 1)
      this.fail("InvalidValue", `${this.path}/${name} occurs ${list.length} times, at most once allowed`)
    return list[0]
  }

  required(name: string): Reader {
    const r = this.optional(name)
    if (r === undefined) this.fail("MissingElement", `${this.path}/${name} is missing`)
    return r
  }

  /** String content exactly as sent (xs:string keeps whitespace). */
  text(): string {
    const t = textOf(this.el)
    if (t === undefined) this.fail("InvalidValue", `${this.path} must have text content`)
    return t
  }

  /** Whitespace-collapsed content, for typed values (longs, enums, dates, URLs). */
  token(): string {
    return this.text().trim()
  }

  optionalText(name: string): string | undefined {
    return this.optional(name)?.text()
  }

  optionalToken(name: string): string | undefined {
    return this.optional(name)?.token()
  }

  requiredToken(name: string): string {
    return this.required(name).token()
  }

  attribute(name: string): string | undefined {
    return attributeOf(this.el, name)
  }

  requiredAttribute(name: string): string {
    const v = this.attribute(name)
    if (v === undefined) this.fail("MissingElement", `${this.path}/@${name} is missing`)
    return v
  }

  long(name: string): bigint {
    const r = this.required(name)
    const t = r.token()
    if (!long.test(t)) r.fail("InvalidValue", `${r.path} is not an integer`)
    const n = BigInt(t)
    if (n < minLong || n > maxLong) r.fail("InvalidValue", `${r.path} is out of the xs:long range`)
    return n
  }

  oneOf<A extends string>(value: string, allowed: ReadonlyArray<A>, what: string): A {
    if (!(allowed as ReadonlyArray<string>).includes(value)) {
      this.fail("InvalidValue", `${what} is not one of ${allowed.join(", ")}`)
    }
    return value as A
  }

  optionalOneOf<A extends string>(name: string, allowed: ReadonlyArray<A>): A | undefined {
    const r = this.optional(name)
    return r === undefined ? undefined : r.oneOf(r.token(), allowed, r.path)
  }

  dateTimeAttribute(name: string): Date {
    const raw = this.requiredAttribute(name).trim()
    const d = parseDateTime(raw)
    if (d === undefined) this.fail("InvalidValue", `${this.path}/@${name} is not a valid xs:dateTime`)
    return d
  }

  /** `personal-identification-number` or `signer-identifier` (exactly one). */
  signerRef(): SignerRef {
    const pin = this.optional("personal-identification-number")
    const custom = this.optional("signer-identifier")
    if (pin !== undefined && custom !== undefined) {
      this.fail("InvalidValue", `${this.path} has both personal-identification-number and signer-identifier`)
    }
    if (pin !== undefined) return { _tag: "PersonalIdentificationNumber", value: pin.token() }
    if (custom !== undefined) return { _tag: "CustomIdentifier", value: custom.text() }
    return this.fail("MissingElement", `${this.path} needs personal-identification-number or signer-identifier`)
  }
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate()

/** xs:dateTime → Date. Without an offset the value is read as UTC (the server always sends one). */
const parseDateTime = (value: string): Date | undefined => {
  const m = dateTime.exec(value)
  if (m === null) return undefined
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m
  const year = Number(ys)
  const month = Number(mos)
  const day = Number(ds)
  const hour = Number(hs)
  const minute = Number(mis)
  const second = Number(ss)
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (zone !== undefined && zone !== "Z") {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 14 || om > 59 || (oh === 14 && om > 0)) return undefined
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om)
  }
  const ms = frac === undefined ? 0 : Math.floor(Number(`0${frac}`) * 1000)
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, minute, second, ms)
  const t = d.getTime() - offsetMinutes * 60_000
  return Number.isFinite(t) ? new Date(t) : undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Response decoders (client side)
// ---------------------------------------------------------------------------------------------------------------

const jobStatuses: ReadonlyArray<JobStatus> = ["IN_PROGRESS", "COMPLETED_SUCCESSFULLY", "FAILED"]

const readSignerResponse = (r: Reader): SignerResponse => ({
  href: r.requiredAttribute("href").trim(),
  signer: r.signerRef(),
  redirectUrl: r.requiredToken("redirect-url"),
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
    const signers = root.all("signer").map(readSignerResponse)
    if (signers.length === 0) root.fail("MissingElement", `${root.path}/signer is missing`)
    const reference = root.optionalText("reference")
    const statusUrl = root.optionalToken("status-url")
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
    const xadesUrls = root.all("xades-url").map((x) => {
      const signer = x.attribute("signer")
      return signer === undefined ? { url: x.token() } : { signer, url: x.token() }
    })
    const statuses = root.all("status")
    if (statuses.length === 0) root.fail("MissingElement", `${root.path}/status is missing`)
    const signers = statuses.map((s): SignerStatusEntry => {
      const signer = s.attribute("signer")
      const since = s.dateTimeAttribute("since")
      const value = s.token()
      if (value === "") s.fail("InvalidValue", `${s.path} is empty`)
      if (signer === undefined) return { status: value, since }
      const xades = xadesUrls.find((x) => x.signer === signer)
      return xades === undefined
        ? { signer, status: value, since }
        : { signer, status: value, since, xadesUrl: xades.url }
    })
    const reference = root.optionalText("reference")
    const confirmationUrl = root.optionalToken("confirmation-url")
    const deleteDocumentsUrl = root.optionalToken("delete-documents-url")
    const padesUrl = root.optionalToken("pades-url")
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
export const decodeJobResponseEffect = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Effect.Effect<JobResponse, DecodeError> => Effect.suspend(() => Effect.fromResult(decodeJobResponse(xml, options)))

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
export const decodeSignerResponseEffect = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Effect.Effect<SignerResponse, DecodeError> =>
  Effect.suspend(() => Effect.fromResult(decodeSignerResponse(xml, options)))

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
export const decodeJobStatusResponseEffect = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Effect.Effect<JobStatusResponse, DecodeError> =>
  Effect.suspend(() => Effect.fromResult(decodeJobStatusResponse(xml, options)))

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
export const decodeErrorEffect = (
  xml: string | Uint8Array,
  options?: DecodeOptions,
): Effect.Effect<ErrorResponse, DecodeError> => Effect.suspend(() => Effect.fromResult(decodeError(xml, options)))

// ---------------------------------------------------------------------------------------------------------------
// Request decoders (simulator side)
// ---------------------------------------------------------------------------------------------------------------

/**
 * A decoded `direct-signature-job-request`, as plain data. Limits are the schema's job, not checked here.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeJobRequest(part1)
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
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeManifest(manifestXml)
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
const signatureTypes: ReadonlyArray<SignatureType> = [
  "ADVANCED_ELECTRONIC_SIGNATURE",
  "AUTHENTICATED_ELECTRONIC_SIGNATURE",
]
const onBehalfOfValues: ReadonlyArray<OnBehalfOf> = ["SELF", "OTHER"]
const authenticationLevels: ReadonlyArray<AuthenticationLevel> = ["3", "4"]
const identifierValues: ReadonlyArray<IdentifierInSignedDocuments> = [
  "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME",
  "DATE_OF_BIRTH_AND_NAME",
  "NAME",
]

/**
 * Decodes `direct-signature-job-request` (what a server or simulator receives as multipart part 1).
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeJobRequest(part1)
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

const readDocument = (d: Reader) => ({
  href: d.requiredAttribute("href"),
  mime: d.requiredAttribute("mime"),
  title: d.required("title").text(),
})

/**
 * Decodes `direct-signature-job-manifest` (the bundle's `manifest.xml`), current or legacy form.
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const result = DirectXml.decodeManifest(manifestBytes)
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
    const documents = root.optional("documents")
    if (documents !== undefined) {
      const docs = documents.all("document").map(readDocument)
      if (docs.length === 0) documents.fail("MissingElement", `${documents.path}/document is missing`)
      const description = root.optionalText("description")
      return {
        legacy: false,
        signers,
        organizationNumber,
        title: root.required("title").text(),
        ...(description === undefined ? {} : { description }),
        documents: docs,
        ...rest,
      }
    }
    const legacy = root.optional("document")
    if (legacy === undefined) return root.fail("MissingElement", `${root.path}/documents is missing`)
    const doc = readDocument(legacy)
    const description = legacy.optionalText("description")
    return {
      legacy: true,
      signers,
      organizationNumber,
      title: doc.title,
      ...(description === undefined ? {} : { description }),
      documents: [doc],
      ...rest,
    }
  })

/**
 * Checks a `direct-signer-update-request` body. A server should also accept an empty body (the .NET client).
 *
 * @example
 * ```ts
 * import { DirectXml } from "@signering/protocol"
 * const ok = body.length === 0 || DirectXml.decodeSignerUpdateRequest(body)._tag === "Success"
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
