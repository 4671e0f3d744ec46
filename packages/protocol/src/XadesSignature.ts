/**
 * The XAdES signature of the document bundle (`META-INF/signatures.xml`), laid out exactly as the official Java
 * client writes it (PROTOCOL.md Appendix A.4–A.6), so that for identical inputs the two are byte-identical.
 *
 * The canonical bytes of SignedInfo and SignedProperties are fully determined by that layout, so they are emitted
 * directly: no DOM, no generic XML-DSig library. Digests and the RSA signature use WebCrypto.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { encode as base64 } from "./internal/base64.js"
import { canonical, serialized } from "./internal/c14n.js"
import {
  document,
  formUrlEncode,
  type SignedFile,
  signedInfo,
  signedProperties,
  xmlDeclaration,
} from "./internal/xades.js"
import { formatSigningTime, systemTimeZone } from "./internal/xadesTime.js"
import type { Keystore } from "./Keystore.js"
import { BundleError, type KeystoreError } from "./ProtocolError.js"

/**
 * A file covered by the signature: its zip entry name, media type and exact bytes.
 *
 * @example
 * ```ts
 * const file: XadesSignature.File = { name: "0000_kontrakt.pdf", mimeType: "application/pdf", bytes: pdf }
 * ```
 *
 * @since 0.1.0
 */
export interface File {
  readonly name: string
  readonly mimeType: string
  readonly bytes: Uint8Array
}

/**
 * Input of {@link make}.
 *
 * @example
 * ```ts
 * const input: XadesSignature.MakeInput = { files, keystore, signingTime: new Date(), timeZone: "Europe/Oslo" }
 * ```
 *
 * @since 0.1.0
 */
export interface MakeInput {
  /** Every file of the bundle except signatures.xml, in zip order (documents, then manifest.xml). */
  readonly files: ReadonlyArray<File>
  readonly keystore: Keystore
  /** The `SigningTime` (the service requires it within ±5 s of its own clock). */
  readonly signingTime: Date
  /** IANA time zone for `SigningTime`'s wall-clock time and offset. Default: the runtime's own zone. */
  readonly timeZone?: string | undefined
}

const encoder = new TextEncoder()

const sha = (algorithm: "SHA-256" | "SHA-1", bytes: Uint8Array): Promise<string> =>
  globalThis.crypto.subtle.digest(algorithm, bytes as Uint8Array<ArrayBuffer>).then((d) => base64(new Uint8Array(d)))

const signingFailure = (detail: string) => (cause: unknown) => new BundleError({ reason: "Signing", detail, cause })

/**
 * The Reference URI of a file: Java's form URL encoding of its name (identity for the generated safe names).
 *
 * @example
 * ```ts
 * XadesSignature.referenceUri("dokument (2).pdf") // "dokument+%282%29.pdf"
 * ```
 *
 * @since 0.1.0
 */
export const referenceUri = (name: string): string => formUrlEncode(name)

/**
 * Builds the `signatures.xml` text for the given files.
 *
 * @example
 * ```ts
 * import { XadesSignature } from "@signering/protocol"
 *
 * const xml = yield* XadesSignature.make({
 *   files: [
 *     { name: "0000_kontrakt.pdf", mimeType: "application/pdf", bytes: pdf },
 *     { name: "manifest.xml", mimeType: "application/xml", bytes: manifest },
 *   ],
 *   keystore,
 *   signingTime: new Date(),
 *   timeZone: "Europe/Oslo",
 * })
 * ```
 *
 * @since 0.1.0
 */
export const make = (input: MakeInput): Effect.Effect<string, BundleError | KeystoreError> =>
  Effect.gen(function* () {
    const { keystore } = input
    if (input.files.length === 0) {
      return yield* new BundleError({ reason: "Signing", detail: "files: at least one file must be signed" })
    }
    const uris = new Set(input.files.map((f) => formUrlEncode(f.name)))
    if (uris.size !== input.files.length) {
      return yield* new BundleError({ reason: "Signing", detail: "files: every file needs its own name" })
    }
    const timeZone = input.timeZone ?? systemTimeZone()
    const signingTime = yield* Effect.try({
      try: () => formatSigningTime(input.signingTime, timeZone),
      catch: signingFailure(`cannot format the signing time in time zone "${timeZone}"`),
    })
    const [digests, certDigest] = yield* Effect.tryPromise({
      try: () =>
        Promise.all([
          Promise.all(input.files.map((f) => sha("SHA-256", f.bytes))),
          sha("SHA-1", keystore.certificate.der),
        ]),
      catch: signingFailure("WebCrypto could not compute the digests"),
    })
    const files: ReadonlyArray<SignedFile> = input.files.map((f, i) => ({
      uri: formUrlEncode(f.name),
      mimeType: f.mimeType,
      digest: digests[i]!,
    }))
    const properties = signedProperties({
      signingTime,
      certDigest,
      issuerName: keystore.certificate.issuer,
      serialNumber: keystore.certificate.serialNumber.toString(),
      files,
    })
    const propertiesDigest = yield* Effect.tryPromise({
      try: () => sha("SHA-256", encoder.encode(canonical(properties))),
      catch: signingFailure("WebCrypto could not digest SignedProperties"),
    })
    const info = signedInfo(files, propertiesDigest)
    const key = yield* keystore.signingKey
    const signature = yield* Effect.tryPromise({
      try: () =>
        globalThis.crypto.subtle
          .sign("RSASSA-PKCS1-v1_5", key, encoder.encode(canonical(info)))
          .then((s) => new Uint8Array(s)),
      catch: signingFailure("WebCrypto could not sign SignedInfo"),
    })
    return (
      xmlDeclaration +
      serialized(
        document({
          signedInfo: info,
          signatureValue: signature,
          chain: keystore.chain.map((c) => c.der),
          signedProperties: properties,
        }),
      )
    )
  })

/**
 * {@link make} for code without Effect: resolves with the `signatures.xml` text or rejects with the `BundleError` /
 * `KeystoreError`.
 *
 * @example
 * ```ts
 * const xml = await XadesSignature.makePromise({ files, keystore, signingTime: new Date() })
 * ```
 *
 * @since 0.1.0
 */
export const makePromise = (input: MakeInput): Promise<string> => Effect.runPromise(make(input))
