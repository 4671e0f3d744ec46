/**
 * Strict intake of "create signature job" (D1, P1), shared by both flows: the multipart request, the schema, the
 * document bundle and its XAdES signature, the documented limits. A flow supplies its schema and how to read its
 * request and manifest. Every malformed input ends in an `ok: false` answer, never a throw.
 *
 * Error answers (all `errorType: "CLIENT"`). Only `SCHEMA_VALIDATION_ERROR` is a code the real service is known
 * to send; the others are the simulator's own, named for what failed:
 *
 * | HTTP | errorCode | When |
 * |---|---|---|
 * | 415 | `UNSUPPORTED_MEDIA_TYPE` | the request is not multipart |
 * | 400 | `INVALID_MULTIPART` | broken multipart structure, a part missing, duplicated or of another media type |
 * | 400 | `SCHEMA_VALIDATION_ERROR` | the request XML or manifest.xml violates the schema (message as the real service words it) |
 * | 400 | `INVALID_DOCUMENT_BUNDLE` | unreadable zip, META-INF/manifest.xml present, manifest.xml or signatures.xml missing, an href not in the zip, a file that is no document of the manifest or not signed |
 * | 400 | `DOCUMENT_TOO_LARGE` | documents over 10 485 760 bytes in total, or the unzipped bundle over its cap |
 * | 400 | `INVALID_DOCUMENT` | a document is not a PDF (or not UTF-8 text for `text/plain`), an encrypted PDF, or another media type |
 * | 400 | `INVALID_SIGNATURE` | signatures.xml malformed, a digest or the RSA signature does not verify, unsupported algorithms |
 * | 400 | `SIGNING_CERTIFICATE_MISMATCH` | the signing certificate is not the TLS client certificate (or CertDigest/serial disagree) |
 * | 400 | `SIGNING_TIME_OUT_OF_RANGE` | SigningTime more than 5 s (+ leniency) from the simulator's clock |
 * | 400 | `TOO_MANY_SIGNERS` / `TOO_MANY_DOCUMENTS` | over 10 signers / 20 documents |
 * | 400 | `DUPLICATE_SIGNER` | two signers with the same identifier |
 * | 400 | `SENDER_MISMATCH` | manifest `sender/organization-number` differs from the organization in the URL |
 */
import { MultipartError, type Part, parseMultipart } from "./multipart.js"
import type { ValidationResult, XmlFile } from "./schema.js"
import { resolveName, SignatureFailure, verifySignatures } from "./signature.js"
import { readZip, ZipError } from "./zip.js"

export interface IntakeInput {
  readonly contentType: string
  readonly body: Uint8Array
  /** DER of the TLS client certificate (the leaf). */
  readonly clientCertificateDer: Uint8Array
  readonly organizationInUrl: string
  readonly now: Date
  /** Added to the ±5 s SigningTime window. */
  readonly signingTimeLeniencyMs: number
}

export interface IntakeDocument {
  /** The zip entry name (the manifest href, URL-decoded). */
  readonly href: string
  readonly mime: string
  readonly title: string
  readonly bytes: Uint8Array
}

/** How one flow's create request is read: its schema, its request and manifest decoders, what the checks need. */
export interface FlowSpec<R, M> {
  readonly validate: (files: ReadonlyArray<XmlFile>) => Promise<ValidationResult>
  /** The decoded request, or why it cannot be read. */
  readonly decodeRequest: (xml: Uint8Array) => R | string
  readonly decodeManifest: (xml: Uint8Array) => M | string
  readonly sender: (manifest: M) => string
  /** One key per signer, equal keys meaning the same signer. */
  readonly signerKeys: (manifest: M) => ReadonlyArray<string>
  readonly documents: (
    manifest: M,
  ) => ReadonlyArray<{ readonly href: string; readonly mime: string; readonly title: string }>
}

/** Why a create request is refused: the HTTP status and the error body's code and message. */
export interface IntakeRefusal {
  readonly ok: false
  readonly status: number
  readonly errorCode: string
  readonly errorMessage: string
  readonly errorType: "CLIENT"
}

export type IntakeResult<R, M> =
  | { readonly ok: true; readonly request: R; readonly manifest: M; readonly documents: Array<IntakeDocument> }
  | IntakeRefusal

export const MAX_SIGNERS = 10
export const MAX_DOCUMENTS = 20
export const MAX_DOCUMENT_BYTES = 10_485_760
/** Cap on the unzipped bundle: the documents plus room for manifest.xml and signatures.xml. */
export const MAX_UNZIPPED_BYTES = MAX_DOCUMENT_BYTES + 2 * 1024 * 1024
export const MAX_ZIP_ENTRIES = MAX_DOCUMENTS + 8

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message)
  }
}

export const refuse = (errorCode: string, message: string, status = 400): never => {
  throw new Refusal(status, errorCode, message)
}

export const DOCTYPE = Buffer.from("<!DOCTYPE", "latin1")
export const SCHEMA_PREFIX = "Xml-message was not in accordance to schema: "

// xmllint echoes offending values; a malformed personal identification number must not come back in an answer.
const redactSchemaMessage = (line: string): string => {
  const message = line.replace(/^[^:]*:\d+:\s*(element [^:]+:\s*)?Schemas validity error\s*:\s*/, "")
  return /personal-identification-number/.test(message)
    ? message.replace(/The value '[^']*'/g, "The value '(redacted)'").replace(/'[0-9]{6,}'/g, "'(redacted)'")
    : message
}

const pickParts = (parts: ReadonlyArray<Part>): { xml: Uint8Array; zip: Uint8Array } => {
  const xmlParts = parts.filter((p) => p.mediaType === "application/xml" || p.mediaType === "text/xml")
  const zipParts = parts.filter(
    (p) => p.mediaType === "application/octet-stream" || p.mediaType === "application/vnd.etsi.asic-e+zip",
  )
  const others = parts.filter((p) => !xmlParts.includes(p) && !zipParts.includes(p))
  if (others.length > 0) {
    refuse(
      "INVALID_MULTIPART",
      `unexpected multipart part of type ${JSON.stringify(others[0]!.mediaType || "(none)")}; expected one application/xml and one application/octet-stream part`,
    )
  }
  if (xmlParts.length !== 1 || zipParts.length !== 1) {
    refuse(
      "INVALID_MULTIPART",
      `expected exactly one application/xml part and one application/octet-stream part, got ${xmlParts.length} and ${zipParts.length}`,
    )
  }
  return { xml: xmlParts[0]!.body, zip: zipParts[0]!.body }
}

type Unzipped = { ok: true; files: Map<string, Uint8Array> } | { ok: false; refusal: Refusal }

const unzip = (zip: Uint8Array): Unzipped => {
  try {
    return { ok: true, files: readZip(zip, { maxEntries: MAX_ZIP_ENTRIES, maxTotalBytes: MAX_UNZIPPED_BYTES }) }
  } catch (e) {
    const message = e instanceof ZipError ? e.message : "the document bundle is not a readable zip file"
    const code = e instanceof ZipError && e.reason === "TooLarge" ? "DOCUMENT_TOO_LARGE" : "INVALID_DOCUMENT_BUNDLE"
    return { ok: false, refusal: new Refusal(400, code, message) }
  }
}

const PDF_MAGIC = Buffer.from("%PDF-", "latin1")
const ENCRYPT = Buffer.from("/Encrypt", "latin1")

const checkDocument = (title: string, mime: string, bytes: Uint8Array): void => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (mime === "text/plain") {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    } catch {
      refuse("INVALID_DOCUMENT", `the text/plain document "${title}" is not UTF-8 text`)
    }
    return
  }
  if (mime !== "application/pdf") {
    refuse(
      "INVALID_DOCUMENT",
      `the document "${title}" has media type ${mime}; only application/pdf and text/plain are accepted`,
    )
  }
  const header = buffer.indexOf(PDF_MAGIC)
  if (header < 0 || header > 1024) refuse("INVALID_DOCUMENT", `the document "${title}" is not a PDF`)
  // An /Encrypt entry in a trailer or cross-reference stream dictionary: `/Encrypt 12 0 R` or `/Encrypt <<`.
  for (let at = buffer.indexOf(ENCRYPT); at >= 0; at = buffer.indexOf(ENCRYPT, at + 1)) {
    const after = buffer.subarray(at + ENCRYPT.length, at + ENCRYPT.length + 24).toString("latin1")
    if (/^\s*(\d+\s+\d+\s+R|<<)/.test(after)) {
      refuse("INVALID_DOCUMENT", `the document "${title}" is an encrypted or password-protected PDF`)
    }
  }
}

const verify = async <R, M>(input: IntakeInput, flow: FlowSpec<R, M>): Promise<IntakeResult<R, M>> => {
  let parts: Array<Part>
  try {
    parts = parseMultipart(input.contentType, input.body)
  } catch (e) {
    const message = e instanceof MultipartError ? e.message : "the multipart body cannot be read"
    return refuse(
      /must be multipart/.test(message) ? "UNSUPPORTED_MEDIA_TYPE" : "INVALID_MULTIPART",
      message,
      /must be multipart/.test(message) ? 415 : 400,
    )
  }
  const { xml, zip } = pickParts(parts)
  const unzipped = unzip(zip)
  const manifestBytes = unzipped.ok ? unzipped.files.get("manifest.xml") : undefined

  // A DOCTYPE has no place in these messages; refusing it up front keeps entity expansion out of every parser.
  for (const [name, bytes] of [
    ["the request XML", xml],
    ["manifest.xml", manifestBytes],
  ] as const) {
    if (bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(DOCTYPE)) {
      refuse("SCHEMA_VALIDATION_ERROR", `${SCHEMA_PREFIX}${name} must not contain a DOCTYPE declaration`)
    }
  }

  // One libxml2 run for both documents; the request's errors are reported first, as the service reads it first.
  const validation = await flow.validate([
    { fileName: "request.xml", contents: xml },
    ...(manifestBytes ? [{ fileName: "manifest.xml", contents: manifestBytes }] : []),
  ])
  const requestErrors = validation.errors.filter((e) => e.startsWith("request.xml"))
  if (requestErrors.length > 0)
    refuse("SCHEMA_VALIDATION_ERROR", SCHEMA_PREFIX + redactSchemaMessage(requestErrors[0]!))
  if (!validation.valid && manifestBytes === undefined) {
    refuse("SCHEMA_VALIDATION_ERROR", SCHEMA_PREFIX + redactSchemaMessage(validation.errors[0] ?? "invalid"))
  }
  const request = flow.decodeRequest(xml)
  if (typeof request === "string") refuse("SCHEMA_VALIDATION_ERROR", SCHEMA_PREFIX + request)

  if (!unzipped.ok) throw unzipped.refusal
  const files = unzipped.files
  if (files.has("META-INF/manifest.xml")) {
    refuse("INVALID_DOCUMENT_BUNDLE", "the document bundle must not contain META-INF/manifest.xml")
  }
  for (const name of files.keys()) {
    if (name.startsWith("META-INF/") && name !== "META-INF/signatures.xml") {
      refuse("INVALID_DOCUMENT_BUNDLE", `unexpected file ${name}: META-INF/ may hold only signatures.xml`)
    }
  }
  if (!manifestBytes) refuse("INVALID_DOCUMENT_BUNDLE", "the document bundle has no manifest.xml")
  if (!validation.valid) {
    refuse("SCHEMA_VALIDATION_ERROR", SCHEMA_PREFIX + redactSchemaMessage(validation.errors[0] ?? "invalid"))
  }
  const decoded = flow.decodeManifest(manifestBytes!)
  if (typeof decoded === "string") refuse("SCHEMA_VALIDATION_ERROR", SCHEMA_PREFIX + decoded)
  const m = decoded as M
  const r = request as R
  const sender = flow.sender(m)
  const signerKeys = flow.signerKeys(m)
  const manifestDocuments = flow.documents(m)

  if (sender !== input.organizationInUrl) {
    refuse(
      "SENDER_MISMATCH",
      `the manifest's sender organization-number ${sender} differs from the organization in the URL, ${input.organizationInUrl}`,
    )
  }
  if (signerKeys.length > MAX_SIGNERS)
    refuse("TOO_MANY_SIGNERS", `a job may have at most ${MAX_SIGNERS} signers, got ${signerKeys.length}`)
  if (manifestDocuments.length > MAX_DOCUMENTS) {
    refuse("TOO_MANY_DOCUMENTS", `a job may have at most ${MAX_DOCUMENTS} documents, got ${manifestDocuments.length}`)
  }
  const identifiers = new Map<string, number>()
  signerKeys.forEach((key, i) => {
    const first = identifiers.get(key)
    if (first !== undefined) {
      refuse(
        "DUPLICATE_SIGNER",
        `signer ${i + 1} has the same identifier as signer ${first + 1}; identifiers must be unique`,
      )
    }
    identifiers.set(key, i)
  })

  // Documents: every href in the zip, once; every other file outside META-INF/ is a document.
  const signedFiles = new Map<string, Uint8Array>()
  for (const [name, bytes] of files) if (!name.startsWith("META-INF/")) signedFiles.set(name, bytes)
  const documents: Array<IntakeDocument> = []
  const used = new Set<string>(["manifest.xml"])
  let totalBytes = 0
  for (const d of manifestDocuments) {
    const name = resolveName(d.href, signedFiles)
    if (name === undefined || name === "manifest.xml") {
      refuse(
        "INVALID_DOCUMENT_BUNDLE",
        `the document href ${JSON.stringify(d.href)} names no file in the document bundle`,
      )
    }
    if (used.has(name!)) refuse("INVALID_DOCUMENT_BUNDLE", `the file ${name} is used by two documents`)
    used.add(name!)
    const bytes = signedFiles.get(name!)!
    totalBytes += bytes.length
    documents.push({ href: name!, mime: d.mime, title: d.title, bytes })
  }
  for (const name of signedFiles.keys()) {
    if (!used.has(name) && name !== "mimetype") {
      refuse("INVALID_DOCUMENT_BUNDLE", `the file ${name} in the document bundle is not a document of the manifest`)
    }
  }
  if (totalBytes > MAX_DOCUMENT_BYTES) {
    refuse(
      "DOCUMENT_TOO_LARGE",
      `the documents amount to ${totalBytes} bytes; at most ${MAX_DOCUMENT_BYTES} are accepted`,
    )
  }

  const signatures = files.get("META-INF/signatures.xml")
  if (!signatures) refuse("INVALID_DOCUMENT_BUNDLE", "the document bundle has no META-INF/signatures.xml")
  try {
    verifySignatures({
      signaturesXml: signatures!,
      files: signedFiles,
      clientCertificateDer: input.clientCertificateDer,
      now: input.now,
      signingTimeLeniencyMs: input.signingTimeLeniencyMs,
    })
  } catch (e) {
    if (e instanceof SignatureFailure) refuse(e.code, e.message)
    throw e
  }

  for (const d of documents) checkDocument(d.title, d.mime, d.bytes)

  return { ok: true, request: r, manifest: m, documents }
}

/**
 * Verifies a create request completely. Never throws: every problem is an `ok: false` answer (an unexpected
 * internal failure becomes a 500 with errorCode `INTERNAL_ERROR`, still without throwing).
 */
export const verifyBundleRequest = async <R, M>(
  input: IntakeInput,
  flow: FlowSpec<R, M>,
): Promise<IntakeResult<R, M>> => {
  try {
    return await verify(input, flow)
  } catch (e) {
    if (e instanceof Refusal) {
      return { ok: false, status: e.status, errorCode: e.errorCode, errorMessage: e.message, errorType: "CLIENT" }
    }
    return {
      ok: false,
      status: 500,
      errorCode: "INTERNAL_ERROR",
      errorMessage: "the simulator failed while checking the request",
      errorType: "CLIENT",
    }
  }
}
