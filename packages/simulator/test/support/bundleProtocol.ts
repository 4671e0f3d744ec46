/**
 * Builds "create direct signature job" requests for tests with the protocol package's public codecs and XAdES
 * signer (the bytes our client sends), and the raw pieces to tamper with. `bundle.ts` is the second, independent
 * builder (hand-written Java layout); the intake must accept both.
 *
 * @example
 * ```ts
 * const created = await makeCreateRequest({ signer: pki.senders[0]! })
 * await undiciRequest(url, { method: "POST", headers: { "content-type": created.contentType }, body: created.body })
 * ```
 */
import { DirectJob, DirectXml, Keystore, XadesSignature } from "@signering/protocol"
import { Effect } from "effect"
import { zipSync } from "fflate"
import { minimalPdf as pdf } from "../../src/internal/minimalPdf.js"
import type { Credentials } from "../../src/Pki.js"

export { pdf }

const encoder = new TextEncoder()

/** Completes 9 digits to a personal identification number with valid mod-11 check digits, if possible. */
export const completePin = (nine: string): string | undefined => {
  const d = [...nine].map(Number)
  const k1 = 11 - ([3, 7, 6, 1, 8, 9, 4, 5, 2].reduce((s, w, i) => s + w * d[i]!, 0) % 11)
  const c1 = k1 === 11 ? 0 : k1
  if (c1 === 10) return undefined
  const k2 = 11 - ([5, 4, 3, 2, 7, 6, 5, 4, 3, 2].reduce((s, w, i) => s + w * [...d, c1][i]!, 0) % 11)
  const c2 = k2 === 11 ? 0 : k2
  if (c2 === 10) return undefined
  return `${nine}${c1}${c2}`
}

/** A synthetic PIN with valid check digits. */
export const testPin = (seed = 0): string => {
  for (let n = 10_017_012 + seed * 7919; ; n++) {
    const pin = completePin(`0${String(n).padStart(8, "0")}`.slice(-9))
    if (pin) return pin
  }
}

export interface RequestOptions {
  /** Whose key signs signatures.xml (normally the TLS client's). */
  readonly signer: Credentials
  /** The manifest's sender (default: the signer's organization). */
  readonly organizationNumber?: string
  readonly title?: string
  readonly description?: string
  readonly reference?: string
  readonly documents?: ReadonlyArray<DirectJob.DocumentInput>
  readonly signers?: DirectJob.DirectJobInput["signers"]
  readonly statusRetrievalMethod?: "WAIT_FOR_CALLBACK" | "POLLING"
  readonly pollingQueue?: string
  readonly signingTime?: Date
}

export interface BundlePieces {
  readonly job: DirectJob.DirectJob
  readonly requestXml: Uint8Array
  /** Zip entries in Java's order: documents, manifest.xml, META-INF/signatures.xml. */
  readonly entries: Array<[string, Uint8Array]>
}

export const exitUrls = {
  completionUrl: "https://sender.example/complete?job=1",
  rejectionUrl: "https://sender.example/rejected",
  errorUrl: "https://sender.example/error",
}

const keystores = new WeakMap<Credentials, Keystore.Keystore>()
const keystoreOf = (c: Credentials): Keystore.Keystore => {
  let k = keystores.get(c)
  if (!k) {
    k = Keystore.fromPemOrThrow({ certificates: c.chainPem, privateKey: c.privateKeyPem })
    keystores.set(c, k)
  }
  return k
}

/** Signs `files` (name, media type, bytes) the way the official client does and returns signatures.xml. */
export const signFiles = (
  signer: Credentials,
  files: ReadonlyArray<{ name: string; mimeType: string; bytes: Uint8Array }>,
  signingTime: Date = new Date(),
): Promise<string> =>
  Effect.runPromise(XadesSignature.make({ files, keystore: keystoreOf(signer), signingTime, timeZone: "Europe/Oslo" }))

/** The job, request XML and signed zip entries of a valid request. */
export const makePieces = async (o: RequestOptions): Promise<BundlePieces> => {
  const job = DirectJob.makeOrThrow({
    title: o.title ?? "Ansettelseskontrakt",
    ...(o.description === undefined ? {} : { description: o.description }),
    ...(o.reference === undefined ? {} : { reference: o.reference }),
    documents: o.documents ?? [{ title: "Kontrakt", bytes: pdf() }],
    signers: o.signers ?? [{ personalIdentificationNumber: testPin() }, { customIdentifier: "kunde-42" }],
    sender: {
      organizationNumber: o.organizationNumber ?? o.signer.organizationNumber,
      ...(o.pollingQueue === undefined ? {} : { pollingQueue: o.pollingQueue }),
    },
    exitUrls,
    ...(o.statusRetrievalMethod === undefined ? {} : { statusRetrievalMethod: o.statusRetrievalMethod }),
  })
  const manifest = DirectXml.encodeManifestBytes(job)
  const files = [
    ...job.documents.map((d) => ({ name: d.fileName, mimeType: d.mediaType, bytes: d.bytes })),
    { name: "manifest.xml", mimeType: "application/xml", bytes: manifest },
  ]
  const signatures = await signFiles(o.signer, files, o.signingTime)
  return {
    job,
    requestXml: encoder.encode(DirectXml.encodeJobRequest(job)),
    entries: [
      ...files.map((f): [string, Uint8Array] => [f.name, f.bytes]),
      ["META-INF/signatures.xml", encoder.encode(signatures)],
    ],
  }
}

/** Zips entries in the given order with deflate, as Java's ZipOutputStream does. */
export const zip = (entries: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array => {
  const tree: Record<string, Uint8Array> = {}
  for (const [name, bytes] of entries) tree[name] = bytes
  return zipSync(tree, { level: 6 })
}

export interface MultipartOptions {
  readonly boundary?: string
  /** Bundle first (the order the direct-flow guide names); default XML first, as both clients send. */
  readonly zipFirst?: boolean
  /** `Content-Disposition: attachment` on both parts, as the .NET client sends. */
  readonly contentDisposition?: boolean
  readonly preamble?: string
  readonly epilogue?: string
  /** Bare LF line breaks instead of CRLF. */
  readonly lf?: boolean
  readonly xmlContentType?: string
  readonly zipContentType?: string
}

export interface CreateRequest {
  readonly contentType: string
  readonly body: Uint8Array
}

/** Assembles the multipart/mixed body from the request XML and the zip bytes. */
export const multipart = (requestXml: Uint8Array, zipBytes: Uint8Array, o: MultipartOptions = {}): CreateRequest => {
  const boundary = o.boundary ?? "Boundary_1_1234567890_1700000000000"
  const nl = o.lf ? "\n" : "\r\n"
  const disposition = o.contentDisposition ? `Content-Disposition: attachment${nl}` : ""
  const part = (type: string, bytes: Uint8Array): Array<Uint8Array> => [
    encoder.encode(`--${boundary}${nl}Content-Type: ${type}${nl}${disposition}${nl}`),
    bytes,
    encoder.encode(nl),
  ]
  const xmlPart = part(o.xmlContentType ?? "application/xml", requestXml)
  const zipPart = part(o.zipContentType ?? "application/octet-stream", zipBytes)
  const chunks = [
    encoder.encode(o.preamble ?? ""),
    ...(o.zipFirst ? [...zipPart, ...xmlPart] : [...xmlPart, ...zipPart]),
    encoder.encode(`--${boundary}--${nl}${o.epilogue ?? ""}`),
  ]
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: Buffer.concat(chunks) }
}

/** A complete, valid create request. */
export const makeCreateRequest = async (
  o: RequestOptions & MultipartOptions,
): Promise<CreateRequest & { readonly pieces: BundlePieces }> => {
  const pieces = await makePieces(o)
  return { ...multipart(pieces.requestXml, zip(pieces.entries), o), pieces }
}

/** Replaces one zip entry's bytes (keeping the order) and re-assembles the request. */
export const withEntry = (
  pieces: BundlePieces,
  name: string,
  bytes: Uint8Array | undefined,
  o: MultipartOptions = {},
): CreateRequest => {
  const entries = pieces.entries
    .map(([n, b]): [string, Uint8Array] | undefined => (n === name ? (bytes ? [n, bytes] : undefined) : [n, b]))
    .filter((e): e is [string, Uint8Array] => e !== undefined)
  if (bytes && !entries.some(([n]) => n === name)) entries.push([name, bytes])
  return multipart(pieces.requestXml, zip(entries), o)
}

/** A copy with one byte changed (XOR 1) at `index` (negative counts from the end). */
export const flipByte = (bytes: Uint8Array, index: number): Uint8Array => {
  const copy = new Uint8Array(bytes)
  const i = index < 0 ? copy.length + index : index
  copy[i] = copy[i]! ^ 1
  return copy
}

export const entry = (pieces: BundlePieces, name: string): Uint8Array => {
  const found = pieces.entries.find(([n]) => n === name)
  if (!found) throw new Error(`no entry ${name}`)
  return found[1]
}
