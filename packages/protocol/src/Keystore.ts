/**
 * The sender's enterprise certificate ("virksomhetssertifikat") and its private key: the identity that signs the
 * document bundle and, in the transports, authenticates the TLS connection.
 *
 * Loading is pure JS (node-forge), so legacy RC2-40 / 3DES PKCS#12 files from Buypass and Commfides load on every
 * runtime. The private key is held in a private field and never appears in `toString`, `JSON.stringify`, Node's
 * `inspect` or any error; where a transport needs it, it is handed out as `Redacted`.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Result } from "effect"
import type { Name, ParsedCertificate } from "./internal/asn1.js"
import { pem } from "./internal/base64.js"
import { KeystoreFailure, loadPem, loadPkcs12 } from "./internal/keystoreForge.js"
import { javaRfc2253 } from "./internal/rfc2253.js"
import { KeystoreError } from "./ProtocolError.js"

/**
 * One X.509 certificate of the chain.
 *
 * @example
 * ```ts
 * const { subject, issuer, serialNumber, notAfter } = keystore.certificate
 * ```
 *
 * @since 0.1.0
 */
export interface Certificate {
  /** The certificate's DER encoding, exactly as loaded. */
  readonly der: Uint8Array
  /** Subject as Java's `X500Principal.getName()` renders it (RFC 2253). */
  readonly subject: string
  /** Issuer as Java's `X500Principal.getName()` renders it; this is the XAdES `X509IssuerName`. */
  readonly issuer: string
  readonly serialNumber: bigint
  readonly notBefore: Date
  readonly notAfter: Date
}

/**
 * Days before expiry from which bundle creation logs a warning.
 *
 * @example
 * ```ts
 * const renewBy = new Date(keystore.notAfter.getTime() - Keystore.expiryWarningDays * 86_400_000)
 * ```
 *
 * @since 0.1.0
 */
export const expiryWarningDays = 30

const redactedDescription = "<redacted private key>"

const toCertificate = (parsed: ParsedCertificate): Certificate => ({
  der: parsed.der,
  subject: javaRfc2253(parsed.subject),
  issuer: javaRfc2253(parsed.issuer),
  serialNumber: parsed.serialNumber,
  notBefore: parsed.notBefore,
  notAfter: parsed.notAfter,
})

const latin1 = new TextDecoder("utf-8")

const attributeValues = (name: Name, oid: string): Array<string> =>
  name.flatMap((rdn) => rdn.filter((a) => a.oid === oid).map((a) => latin1.decode(a.content)))

/**
 * The organization number the way the Java and .NET clients read it: `organizationIdentifier` (2.5.4.97,
 * `NTRNO-<9 digits>`, SEID 2), else `serialNumber` (2.5.4.5, SEID 1), else a `CN` starting with 9 digits.
 */
const organizationNumberOf = (subject: Name): string | undefined => {
  for (const value of attributeValues(subject, "2.5.4.97")) {
    const m = /^NTRNO-(\d{9})$/.exec(value)
    if (m) return m[1]
  }
  for (const value of attributeValues(subject, "2.5.4.5")) {
    const m = /^(\d{9})(?!\d)/.exec(value)
    if (m) return m[1]
  }
  for (const value of attributeValues(subject, "2.5.4.3")) {
    const m = /^(\d{9})(?!\d)/.exec(value)
    if (m) return m[1]
  }
  return undefined
}

/**
 * A loaded enterprise certificate with its private key. Create one with {@link fromPkcs12} or {@link fromPem}.
 *
 * @example
 * ```ts
 * const keystore = Keystore.fromPkcs12OrThrow(p12, passphrase)
 * const tls = { cert: keystore.certificateChainPem, key: Redacted.value(keystore.privateKeyPem) }
 * console.log(`${keystore}`) // Keystore(CN=…, organization 123456785, valid … to …, key <redacted private key>)
 * ```
 *
 * @since 0.1.0
 */
export class Keystore {
  readonly _tag = "Keystore" as const
  /** The signing certificate (the one matching the private key). */
  readonly certificate: Certificate
  /** The certificate chain, leaf first, as found in the input. */
  readonly chain: ReadonlyArray<Certificate>
  /** The organization number in the certificate subject, if there is one. */
  readonly organizationNumber: string | undefined
  readonly #pkcs8: Uint8Array
  #signingKey: Promise<CryptoKey> | undefined

  /** @internal Use {@link fromPkcs12} or {@link fromPem}. */
  constructor(privateKeyPkcs8: Uint8Array, chain: ReadonlyArray<ParsedCertificate>) {
    this.#pkcs8 = privateKeyPkcs8
    this.chain = chain.map(toCertificate)
    this.certificate = this.chain[0]!
    this.organizationNumber = organizationNumberOf(chain[0]!.subject)
  }

  /** Start of the signing certificate's validity period. */
  get notBefore(): Date {
    return this.certificate.notBefore
  }

  /** End of the signing certificate's validity period. */
  get notAfter(): Date {
    return this.certificate.notAfter
  }

  /** The chain as PEM, leaf first: the `cert` a TLS client presents. */
  get certificateChainPem(): string {
    return this.chain.map((c) => pem("CERTIFICATE", c.der)).join("")
  }

  /** The private key as unencrypted PKCS#8 PEM, for a TLS client's `key` option. Unwrap only at the TLS boundary. */
  get privateKeyPem(): Redacted.Redacted<string> {
    return Redacted.make(pem("PRIVATE KEY", this.#pkcs8))
  }

  /** The private key as a non-extractable WebCrypto key for RSASSA-PKCS1-v1_5 with SHA-256, imported once. */
  get signingKey(): Effect.Effect<CryptoKey, KeystoreError> {
    return Effect.tryPromise({
      try: () => {
        this.#signingKey ??= globalThis.crypto.subtle.importKey(
          "pkcs8",
          this.#pkcs8 as Uint8Array<ArrayBuffer>,
          { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
          false,
          ["sign"],
        )
        return this.#signingKey
      },
      catch: () => {
        this.#signingKey = undefined
        return new KeystoreError({ reason: "UnsupportedKey", detail: "WebCrypto rejected the RSA private key" })
      },
    })
  }

  toString(): string {
    const org = this.organizationNumber === undefined ? "" : `, organization ${this.organizationNumber}`
    return `Keystore(${this.certificate.subject}${org}, valid ${this.notBefore.toISOString()} to ${this.notAfter.toISOString()}, key ${redactedDescription})`
  }

  toJSON(): unknown {
    return {
      _tag: "Keystore",
      subject: this.certificate.subject,
      issuer: this.certificate.issuer,
      serialNumber: this.certificate.serialNumber.toString(),
      organizationNumber: this.organizationNumber,
      notBefore: this.notBefore.toISOString(),
      notAfter: this.notAfter.toISOString(),
      chainLength: this.chain.length,
      privateKey: redactedDescription,
    }
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString()
  }
}

const reveal = (value: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(value) ? Redacted.value(value) : value

const load = (
  f: () => { privateKeyPkcs8: Uint8Array; chain: ReadonlyArray<ParsedCertificate> },
): Result.Result<Keystore, KeystoreError> => {
  try {
    const loaded = f()
    return Result.succeed(new Keystore(loaded.privateKeyPkcs8, loaded.chain))
  } catch (e) {
    return Result.fail(
      e instanceof KeystoreFailure
        ? new KeystoreError({ reason: e.reason, detail: e.detail })
        : new KeystoreError({ reason: "Malformed", detail: "the keystore could not be read" }),
    )
  }
}

const orThrow = <A, E>(result: Result.Result<A, E>): A => {
  if (result._tag === "Failure") throw result.failure
  return result.success
}

/**
 * Options for {@link fromPkcs12}.
 *
 * @example
 * ```ts
 * const keystore = Keystore.fromPkcs12OrThrow(p12, passphrase, { alias: "virksomhetssertifikat" })
 * ```
 *
 * @since 0.1.0
 */
export interface Pkcs12Options {
  /**
   * The entry to use when the file holds several keys (e.g. separate authentication and signing keys), by its
   * friendly name as Java's `KeyStore` alias (case-insensitive). Default: the first key that has its certificate.
   */
  readonly alias?: string | undefined
}

/**
 * Loads a PKCS#12 file (`.p12` / `.pfx`), including legacy RC2-40 and 3DES encrypted ones. Synchronous, like
 * `DirectJob.make`: a `Result`; see {@link fromPkcs12Effect} and {@link fromPkcs12OrThrow} for the other styles.
 *
 * @example
 * ```ts
 * import { Keystore } from "@signering/protocol"
 * import { Redacted } from "effect"
 *
 * const result = Keystore.fromPkcs12(await readFile("virksomhet.p12"), Redacted.make(process.env.P12_PASSPHRASE!))
 * if (result._tag === "Failure") throw new Error(result.failure.message) // e.g. reason "WrongPassphrase"
 * console.log(result.success.organizationNumber, result.success.notAfter)
 * ```
 *
 * @since 0.1.0
 */
export const fromPkcs12 = (
  bytes: Uint8Array,
  passphrase: string | Redacted.Redacted<string>,
  options?: Pkcs12Options,
): Result.Result<Keystore, KeystoreError> => load(() => loadPkcs12(bytes, reveal(passphrase), options?.alias))

/**
 * {@link fromPkcs12} as an Effect failing with `KeystoreError`.
 *
 * @example
 * ```ts
 * const keystore = yield* Keystore.fromPkcs12Effect(bytes, Redacted.make(passphrase))
 * ```
 *
 * @since 0.1.0
 */
export const fromPkcs12Effect = (
  bytes: Uint8Array,
  passphrase: string | Redacted.Redacted<string>,
  options?: Pkcs12Options,
): Effect.Effect<Keystore, KeystoreError> =>
  Effect.suspend(() => Effect.fromResult(fromPkcs12(bytes, passphrase, options)))

/**
 * {@link fromPkcs12} for code without Effect: returns the keystore or throws the `KeystoreError`.
 *
 * @example
 * ```ts
 * const keystore = Keystore.fromPkcs12OrThrow(bytes, passphrase)
 * ```
 *
 * @since 0.1.0
 */
export const fromPkcs12OrThrow = (
  bytes: Uint8Array,
  passphrase: string | Redacted.Redacted<string>,
  options?: Pkcs12Options,
): Keystore => orThrow(fromPkcs12(bytes, passphrase, options))

/**
 * PEM input: one or more certificates (leaf and chain, in any order) and a PKCS#8 (`PRIVATE KEY`), encrypted
 * PKCS#8 (`ENCRYPTED PRIVATE KEY`, needs `passphrase`) or PKCS#1 (`RSA PRIVATE KEY`) key.
 *
 * @example
 * ```ts
 * const input: Keystore.PemInput = { certificates: [leafPem, caPem], privateKey: Redacted.make(keyPem) }
 * ```
 *
 * @since 0.1.0
 */
export interface PemInput {
  readonly certificates: string | ReadonlyArray<string>
  readonly privateKey: string | Redacted.Redacted<string>
  readonly passphrase?: string | Redacted.Redacted<string> | undefined
}

/**
 * Loads a certificate chain and private key from PEM text. Synchronous: a `Result`.
 *
 * @example
 * ```ts
 * import { Keystore } from "@signering/protocol"
 * import { Redacted } from "effect"
 *
 * const result = Keystore.fromPem({
 *   certificates: await readFile("chain.pem", "utf8"),
 *   privateKey: Redacted.make(await readFile("key.pem", "utf8")),
 * })
 * if (result._tag === "Success") console.log(result.success.organizationNumber)
 * ```
 *
 * @since 0.1.0
 */
export const fromPem = (input: PemInput): Result.Result<Keystore, KeystoreError> =>
  load(() =>
    loadPem(
      typeof input.certificates === "string" ? [input.certificates] : input.certificates,
      reveal(input.privateKey),
      input.passphrase === undefined ? undefined : reveal(input.passphrase),
    ),
  )

/**
 * {@link fromPem} as an Effect failing with `KeystoreError`.
 *
 * @example
 * ```ts
 * const keystore = yield* Keystore.fromPemEffect({ certificates, privateKey })
 * ```
 *
 * @since 0.1.0
 */
export const fromPemEffect = (input: PemInput): Effect.Effect<Keystore, KeystoreError> =>
  Effect.suspend(() => Effect.fromResult(fromPem(input)))

/**
 * {@link fromPem} for code without Effect: returns the keystore or throws the `KeystoreError`.
 *
 * @example
 * ```ts
 * const keystore = Keystore.fromPemOrThrow({ certificates, privateKey })
 * ```
 *
 * @since 0.1.0
 */
export const fromPemOrThrow = (input: PemInput): Keystore => orThrow(fromPem(input))

/**
 * Fails with `Expired` or `NotYetValid` when the signing certificate is not valid at `now`, and logs a warning
 * when it expires within {@link expiryWarningDays} days. Bundle creation runs this unless told not to.
 *
 * @example
 * ```ts
 * yield* Keystore.checkValidity(keystore, new Date())
 * ```
 *
 * @since 0.1.0
 */
export const checkValidity = (keystore: Keystore, now: Date): Effect.Effect<void, KeystoreError> => {
  const { notBefore, notAfter, subject } = keystore.certificate
  if (now.getTime() < notBefore.getTime()) {
    return Effect.fail(
      new KeystoreError({
        reason: "NotYetValid",
        detail: `the certificate ${subject} is valid only from ${notBefore.toISOString()}`,
      }),
    )
  }
  if (now.getTime() > notAfter.getTime()) {
    return Effect.fail(
      new KeystoreError({ reason: "Expired", detail: `the certificate ${subject} expired ${notAfter.toISOString()}` }),
    )
  }
  const daysLeft = (notAfter.getTime() - now.getTime()) / 86_400_000
  return daysLeft < expiryWarningDays
    ? Effect.logWarning(
        `The enterprise certificate ${subject} expires ${notAfter.toISOString()} (in ${Math.floor(daysLeft)} days): renew it`,
      )
    : Effect.void
}
