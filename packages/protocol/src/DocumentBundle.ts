/**
 * The document bundle ("dokumentpakke"): an ASiC-E zip holding the documents in job order, `manifest.xml` and
 * `META-INF/signatures.xml`, the XAdES signature over all of them, laid out as the official Java client does
 * (PROTOCOL.md §9 and Appendix A). The construction is the same in both flows: only the manifest differs, so the
 * bundle is built from documents plus a manifest, and a `DirectJob` or `PortalJob` supplies its own.
 *
 * Speed comes from not compressing what does not compress: PDFs are mostly compressed already, so each entry is
 * stored unless a 64 KB sample of it (judged by its byte entropy, or in doubt by a trial deflate) shrinks by a
 * tenth; the rest is deflated with the runtime's native zlib (`CompressionStream`). Stored entries carry sizes and CRC in their local headers, so Java's
 * `ZipInputStream` (which the service most likely reads with) handles them.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import type { Document } from "./Common.js"
import type { DirectJob } from "./DirectJob.js"
import { encodeManifestBytes as directManifest } from "./DirectXml.js"
import { localTime, systemTimeZone } from "./internal/xadesTime.js"
import { assembleZip, prepareEntry, ZipLimitError } from "./internal/zip.js"
import { checkValidity, type Keystore } from "./Keystore.js"
import type { PortalJob } from "./PortalJob.js"
import { encodeManifestBytes as portalManifest } from "./PortalXml.js"
import { BundleError, type KeystoreError } from "./ProtocolError.js"
import * as XadesSignature from "./XadesSignature.js"

/**
 * What a bundle is made of when it is not built from a job: the documents in order, the manifest (its bytes, or
 * an XML string written as UTF-8) and, for processors, the job's reference.
 *
 * @example
 * ```ts
 * import { DocumentBundle, PortalJob, PortalXml } from "@signering/protocol"
 * const job = PortalJob.makeOrThrow(input)
 * const contents: DocumentBundle.Contents = { documents: job.documents, manifest: PortalXml.encodeManifest(job) }
 * ```
 *
 * @since 0.1.0
 */
export interface Contents {
  readonly documents: ReadonlyArray<Document>
  readonly manifest: Uint8Array | string
  readonly reference?: string | undefined
}

/**
 * What {@link make} builds a bundle from: a validated job of either flow (its manifest is encoded here), or
 * explicit {@link Contents}.
 *
 * @example
 * ```ts
 * import type { DocumentBundle } from "@signering/protocol"
 * const reference = (source: DocumentBundle.Source) => source.reference
 * ```
 *
 * @since 0.1.0
 */
export type Source = DirectJob | PortalJob | Contents

/**
 * Called with the job and the finished bundle before it is sent, like the Java client's `DocumentBundleProcessor`
 * (e.g. to archive what was signed). A failure stops the job with a `BundleError` of reason `Processor`.
 *
 * @example
 * ```ts
 * const archive: DocumentBundle.Processor = (job, bytes) => writeFile(`${job.reference ?? "job"}.asice`, bytes)
 * yield* DocumentBundle.make(job, keystore, { processors: [archive] })
 * ```
 *
 * @since 0.1.0
 */
export type Processor<in J extends Source = Source> = (
  job: J,
  bytes: Uint8Array,
) => Effect.Effect<void, unknown> | PromiseLike<void> | void

/**
 * Options of {@link make}.
 *
 * @example
 * ```ts
 * const options: DocumentBundle.Options = { timeZone: "Europe/Oslo", forceDeflate: false }
 * ```
 *
 * @since 0.1.0
 */
export interface Options<in J extends Source = Source> {
  /** The `SigningTime` and zip timestamps. Default: now, from Effect's `Clock` (so `TestClock` controls it). */
  readonly signingTime?: Date | undefined
  /** IANA time zone for `SigningTime` and the zip timestamps. Default: the runtime's own zone, as Java does. */
  readonly timeZone?: string | undefined
  /**
   * Build the bundle even if the certificate is expired or not yet valid at the signing time. For tests only: the
   * service rejects such signatures.
   */
  readonly allowInvalidCertificate?: boolean | undefined
  /** Deflate every entry, as the Java client does, instead of storing those that do not shrink. */
  readonly forceDeflate?: boolean | undefined
  /** Hooks run in order with the finished bundle. */
  readonly processors?: ReadonlyArray<Processor<J>> | undefined
}

/**
 * One entry of the bundle.
 *
 * @example
 * ```ts
 * for (const f of bundle.files) console.log(f.name, f.mimeType, f.size, f.compression)
 * ```
 *
 * @since 0.1.0
 */
export interface BundleFile {
  readonly name: string
  readonly mimeType: string
  /** Uncompressed size in bytes. */
  readonly size: number
  /** How the entry is stored in the zip. */
  readonly compression: "store" | "deflate"
}

/**
 * The signed bundle: the zip bytes and what is in it.
 *
 * @example
 * ```ts
 * const { bytes, files, signingTime } = yield* DocumentBundle.make(job, keystore)
 * ```
 *
 * @since 0.1.0
 */
export interface DocumentBundle {
  /** The zip (`.asice`), sent as the octet-stream part of the create request. */
  readonly bytes: Uint8Array
  /** Every zip entry in order: the documents, `manifest.xml`, `META-INF/signatures.xml`. */
  readonly files: ReadonlyArray<BundleFile>
  /** The `SigningTime` in the signature (the service requires it within ±5 s of its clock). */
  readonly signingTime: Date
}

/**
 * Zip entry name of the manifest.
 *
 * @example
 * ```ts
 * const manifest = bundle.files.find((f) => f.name === DocumentBundle.manifestName)
 * ```
 *
 * @since 0.1.0
 */
export const manifestName = "manifest.xml"

/**
 * Zip entry name of the signature.
 *
 * @example
 * ```ts
 * const signature = unzipSync(bundle.bytes)[DocumentBundle.signaturesName]
 * ```
 *
 * @since 0.1.0
 */
export const signaturesName = "META-INF/signatures.xml"

const utf8 = new TextEncoder()

const runProcessor = <J extends Source>(processor: Processor<J>, index: number, job: J, bytes: Uint8Array) =>
  Effect.suspend(() => {
    const result = processor(job, bytes)
    if (Effect.isEffect(result)) return result as Effect.Effect<void, unknown>
    if (result !== undefined && typeof (result as PromiseLike<void>).then === "function") {
      return Effect.tryPromise(() => Promise.resolve(result as PromiseLike<void>))
    }
    return Effect.void
  }).pipe(
    Effect.catchDefect((cause) => Effect.fail(cause)),
    Effect.mapError((cause) => new BundleError({ reason: "Processor", detail: `processors[${index}] failed`, cause })),
  )

const manifestBytes = (source: Source): Uint8Array => {
  if ("_tag" in source) return source._tag === "PortalJob" ? portalManifest(source) : directManifest(source)
  return typeof source.manifest === "string" ? utf8.encode(source.manifest) : source.manifest
}

/**
 * Builds the signed document bundle for a validated job of either flow (`DirectJob` or `PortalJob`: the manifest
 * is the job's own), or for explicit documents plus a manifest.
 *
 * @example
 * ```ts
 * import { DirectJob, DocumentBundle, Keystore } from "@signering/protocol"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const job = yield* DirectJob.makeEffect(input)
 *   const keystore = yield* Keystore.fromPkcs12Effect(p12, passphrase)
 *   const bundle = yield* DocumentBundle.make(job, keystore, { timeZone: "Europe/Oslo" })
 *   console.log(bundle.files.map((f) => `${f.name} ${f.size}`))
 * })
 * ```
 *
 * @since 0.1.0
 */
export const make = <J extends Source>(
  job: J,
  keystore: Keystore,
  options: Options<J> = {},
): Effect.Effect<DocumentBundle, BundleError | KeystoreError> =>
  Effect.gen(function* () {
    const signingTime = options.signingTime ?? new Date(yield* Clock.currentTimeMillis)
    if (options.allowInvalidCertificate !== true) yield* checkValidity(keystore, signingTime)
    const timeZone = options.timeZone ?? systemTimeZone()
    const wall = yield* Effect.try({
      try: () => localTime(signingTime, timeZone),
      catch: (cause) => new BundleError({ reason: "Signing", detail: `unknown time zone "${timeZone}"`, cause }),
    })
    const files: Array<XadesSignature.File> = job.documents.map((d) => ({
      name: d.fileName,
      mimeType: d.mediaType,
      bytes: d.bytes,
    }))
    files.push({ name: manifestName, mimeType: "application/xml", bytes: manifestBytes(job) })
    const compression = options.forceDeflate === true ? "deflate" : "auto"
    // Compress and sign at once: native deflate runs on the runtime's worker threads while the signature is built,
    // and only the small signatures.xml waits for it. The deflates are queued first: they are the long pole.
    const preparing = Promise.all(files.map((f) => prepareEntry({ name: f.name, bytes: f.bytes, compression })))
    preparing.catch(() => undefined) // awaited below; this only keeps an early signing failure from leaving it unhandled
    const signatures = yield* XadesSignature.make({ files: [...files], keystore, signingTime, timeZone })
    const signaturesFile = { name: signaturesName, mimeType: "application/xml", bytes: utf8.encode(signatures) }
    files.push(signaturesFile)
    const zip = yield* Effect.tryPromise({
      try: async () => {
        const prepared = await preparing
        prepared.push(await prepareEntry({ ...signaturesFile, compression }))
        return assembleZip(prepared, wall)
      },
      catch: (cause) =>
        new BundleError({
          reason: "Compression",
          detail: cause instanceof ZipLimitError ? cause.message : "the zip could not be written",
          cause,
        }),
    })
    for (const [index, processor] of (options.processors ?? []).entries()) {
      yield* runProcessor(processor, index, job, zip.bytes)
    }
    return {
      bytes: zip.bytes,
      signingTime,
      files: zip.entries.map((e, i) => ({
        name: e.name,
        mimeType: files[i]!.mimeType,
        size: e.size,
        compression: e.method,
      })),
    }
  })

/**
 * {@link make} for code without Effect: resolves with the bundle or rejects with the `BundleError` /
 * `KeystoreError`.
 *
 * @example
 * ```ts
 * const bundle = await DocumentBundle.makePromise(job, keystore)
 * ```
 *
 * @since 0.1.0
 */
export const makePromise = <J extends Source>(
  job: J,
  keystore: Keystore,
  options?: Options<J>,
): Promise<DocumentBundle> => Effect.runPromise(make(job, keystore, options))
