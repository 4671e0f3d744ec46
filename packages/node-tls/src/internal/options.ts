/**
 * What the transport is built from: its options and their error, and the start-up checks of the trust anchors and
 * the client certificate (validity, environment) that run before any connection.
 */
import { createPrivateKey, type X509Certificate } from "node:crypto"
import { TrustAnchors } from "@signering/client"
import { Data, type Duration, Effect, Redacted } from "effect"
import { loadCertificates, PemProblem } from "./pem.js"

/**
 * The transport cannot be built from the options it was given. `field` names
 * the option; the message says what is missing or wrong (never key material).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * const program = NodeTlsTransport.makeDispatcher({ keystore, trustAnchors: [] }).pipe(
 *   Effect.catchTag("TransportConfigError", (error) => Effect.logError(error.message)),
 * )
 * ```
 *
 * @since 0.1.0
 */
export class TransportConfigError extends Data.TaggedError("TransportConfigError")<{
  readonly reason:
    | "MissingTrustAnchors"
    | "InvalidTrustAnchor"
    | "InvalidClientCertificate"
    | "ClientCertificateExpired"
    | "ClientCertificateNotYetValid"
    | "WrongEnvironment"
    | "InvalidOption"
    | "UnsupportedRuntime"
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.field}: ${this.detail}`
  }
}

/**
 * The client's enterprise certificate as TLS needs it: the certificate chain
 * (leaf first) and the private key, both PEM. `Keystore` from
 * `@signering/protocol` provides these, including for legacy PKCS#12 files.
 *
 * @since 0.1.0
 */
export interface ClientCredentials {
  readonly certificateChainPem: string
  readonly privateKeyPem: Redacted.Redacted<string>
}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The client's enterprise certificate: a `Keystore` from `@signering/protocol` (or any {@link ClientCredentials}). */
  readonly keystore: ClientCredentials
  /**
   * The environment (from `@signering/client`'s `Environment`), for its
   * expected server organization number and its trust anchors: the built-in
   * environments carry the shipped Buypass/Commfides/Digipost CAs, so nothing
   * more is needed. With `name` and `certificates` (as every `Environment`
   * has), a client certificate issued for the other kind of environment is
   * refused at start-up (`WrongEnvironment`). `trustAnchors` and
   * `serverOrganizationNumber` given here take precedence.
   */
  readonly environment?:
    | {
        readonly serverOrganizationNumber: string
        readonly trustAnchors?: ReadonlyArray<string> | undefined
        readonly name?: "production" | "difitest" | "difiqa" | "custom" | undefined
        readonly certificates?: "production" | "test" | undefined
      }
    | undefined
  /**
   * The CA certificates a server chain must lead to, and nothing else: each
   * entry is PEM text, a PEM/DER file, or a directory of `.pem`/`.cer`/`.crt`
   * files. Default: the environment's (built in for production, difitest and
   * difiqa). Anchors expired at start-up are left out, and logged once.
   */
  readonly trustAnchors?: string | ReadonlyArray<string> | undefined
  /**
   * @internal Tests only: the CA sets that stand for production and test
   * certificates in the environment check, instead of the shipped ones.
   */
  readonly anchorSets?: TrustAnchors.AnchorSets | undefined
  /**
   * Organization number expected in the server certificate. Defaults to the
   * environment's, else Posten Bring AS (984661185), which runs every
   * environment of the real service.
   */
  readonly serverOrganizationNumber?: string | undefined
  /** Keep-alive connections per origin. Default 10. */
  readonly connections?: number | undefined
  /** Time allowed for TCP connect plus TLS handshake. Default 10 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /** How long an idle keep-alive socket is kept. Default 4 seconds (undici's default). */
  readonly keepAliveTimeout?: Duration.Input | undefined
  /**
   * An HTTP(S) proxy that tunnels with CONNECT: its URL, or the URL and a
   * `Proxy-Authorization` value. The TLS session (mutual TLS and the identity
   * check) still runs end to end with the service.
   */
  readonly proxy?: string | { readonly uri: string; readonly token?: Redacted.Redacted<string> | undefined } | undefined
}

export const configError = (reason: TransportConfigError["reason"], field: string, detail: string) =>
  new TransportConfigError({ reason, field, detail })

export const loadTrustAnchors = (
  trustAnchors: Options["trustAnchors"] | undefined,
): Effect.Effect<ReadonlyArray<X509Certificate>, TransportConfigError> =>
  Effect.suspend(() => {
    const inputs = trustAnchors === undefined ? [] : typeof trustAnchors === "string" ? [trustAnchors] : trustAnchors
    if (inputs.length === 0 || inputs.every((input) => input.trim() === "")) {
      return Effect.fail(
        configError(
          "MissingTrustAnchors",
          "trustAnchors",
          "no trust anchors configured; pass a built-in environment (Environment.production, difitest or difiqa from @signering/client carry the Buypass and Commfides CAs of the real service), or give the CA certificates (PEM text, or a file or directory of .pem/.cer files); the simulator gives its own as pki.caCertificatePem",
        ),
      )
    }
    const anchors: Array<X509Certificate> = []
    for (const [index, input] of inputs.entries()) {
      const loaded = loadCertificates(input)
      if (loaded instanceof PemProblem) {
        return Effect.fail(configError("InvalidTrustAnchor", `trustAnchors[${index}]`, loaded.detail))
      }
      anchors.push(...loaded)
    }
    return Effect.succeed(anchors)
  })

// OpenSSL cannot build a chain through an expired anchor, so one left in only hides the others' purpose: skip it,
// judged by the clock at start-up (the shipped set keeps CAs that expired after a release), and say so once.
export const currentAnchors = (anchors: ReadonlyArray<X509Certificate>, now: number) =>
  Effect.gen(function* () {
    const skipped = anchors.filter((anchor) => Date.parse(anchor.validTo) < now)
    if (skipped.length === 0) return anchors
    const usable = anchors.filter((anchor) => !skipped.includes(anchor))
    const described = TrustAnchors.describeSkipped(
      skipped.map((anchor) => ({ subject: commonName(anchor.subject), notAfter: new Date(anchor.validTo) })),
    )
    if (usable.length === 0) {
      return yield* configError("MissingTrustAnchors", "trustAnchors", `every trust anchor has expired. ${described}`)
    }
    yield* Effect.logInfo(described)
    return usable
  })

export const commonName = (subject: string) => /^CN=(.*)$/m.exec(subject)?.[1] ?? subject.replaceAll("\n", ", ")

// The client package makes the same checks for the signing certificate; the transport repeats them for its TLS
// certificate so a transport used on its own (or built before the client) fails just as early and as clearly.
export const preflightCertificate = (
  chain: ReadonlyArray<X509Certificate>,
  options: Pick<Options, "environment" | "anchorSets">,
  now: number,
) =>
  Effect.gen(function* () {
    const leaf = chain[0]!
    const subject = leaf.subject.replaceAll("\n", ", ")
    if (now < Date.parse(leaf.validFrom)) {
      return yield* configError(
        "ClientCertificateNotYetValid",
        "keystore",
        `the certificate ${subject} is valid only from ${new Date(leaf.validFrom).toISOString()}`,
      )
    }
    if (now > Date.parse(leaf.validTo)) {
      return yield* configError(
        "ClientCertificateExpired",
        "keystore",
        `the certificate ${subject} expired ${new Date(leaf.validTo).toISOString()}`,
      )
    }
    const environment = options.environment
    if (environment?.name === undefined || environment.certificates === undefined) return
    yield* TrustAnchors.checkEnvironment(
      chain.map((certificate) => new Uint8Array(certificate.raw)),
      { name: environment.name, certificates: environment.certificates },
      options.anchorSets,
    ).pipe(Effect.mapError((mismatch) => configError("WrongEnvironment", "keystore", mismatch.message)))
  })

export const checkCredentials = (credentials: ClientCredentials | undefined) =>
  Effect.suspend(() => {
    if (credentials === undefined) {
      return Effect.fail(
        configError(
          "InvalidClientCertificate",
          "keystore",
          "no client certificate configured; the service authenticates senders by their enterprise certificate only",
        ),
      )
    }
    const chain = loadCertificatesFromPem(credentials.certificateChainPem)
    if (chain instanceof PemProblem) {
      return Effect.fail(configError("InvalidClientCertificate", "keystore.certificateChainPem", chain.detail))
    }
    let key: ReturnType<typeof createPrivateKey>
    try {
      key = createPrivateKey(Redacted.value(credentials.privateKeyPem))
    } catch {
      // The OpenSSL message may quote key bytes, so it is not passed on.
      return Effect.fail(
        configError("InvalidClientCertificate", "keystore.privateKeyPem", "the private key is not a readable PEM key"),
      )
    }
    if (!chain[0]!.checkPrivateKey(key)) {
      return Effect.fail(
        configError(
          "InvalidClientCertificate",
          "keystore",
          `the private key does not belong to the first certificate of the chain (${chain[0]!.subject.replaceAll("\n", ", ")})`,
        ),
      )
    }
    return Effect.succeed(chain)
  })

export const loadCertificatesFromPem = (pem: string) =>
  pem.includes("-----BEGIN") ? loadCertificates(pem) : new PemProblem("the certificate chain is not PEM text")
