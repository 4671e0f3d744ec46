/**
 * The CA certificates of the real service's environments, shipped with the client: Buypass, Commfides and Digipost,
 * as distributed in Digipost's certificate-validator (Apache-2.0; `trust-anchors/LICENSE` and `NOTICE` in this
 * package). Each is pinned by the SHA-256 of its DER; a test fails when a shipped file changes.
 *
 * `Environment.production`, `Environment.difitest` and `Environment.difiqa` carry them as `trustAnchors` (PEM), so
 * a transport needs no other trust configuration. Some have expired (Commfides, 2022–2025): transports leave those
 * out at start-up, judged by the clock then ({@link current}), and say which in one log line.
 *
 * The same sets tell which environment an enterprise certificate belongs to ({@link classify}): the client refuses a
 * test certificate against production and a production certificate against a test environment before any request.
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import type { Name } from "./Environment.js"
import { anchors } from "./internal/trustAnchorsData.js"
import { isSignedBy, namesIssuer, parse, pemToDer, renderName, type X509 } from "./internal/trustAnchorsX509.js"

/**
 * Which kind of enterprise certificates an environment accepts, and which built-in set issued a certificate.
 *
 * @example
 * ```ts
 * const kind: TrustAnchors.CertificateEnvironment = Environment.difitest.certificates // "test"
 * ```
 */
export type CertificateEnvironment = "production" | "test"

/**
 * One shipped CA certificate.
 *
 * @example
 * ```ts
 * for (const anchor of TrustAnchors.all) console.log(anchor.environment, anchor.subject, anchor.notAfter, anchor.sha256)
 * ```
 */
export interface Anchor {
  readonly environment: CertificateEnvironment
  /** The file under `trust-anchors/<environment>/` it was generated from. */
  readonly file: string
  /** The subject's common name, e.g. `Buypass Class 3 CA G2 ST Business`. */
  readonly subject: string
  readonly notAfter: Date
  /** SHA-256 of the DER, upper-case hex: the pinned fingerprint. */
  readonly sha256: string
  readonly pem: string
}

/**
 * Every shipped anchor, production first.
 *
 * @example
 * ```ts
 * TrustAnchors.all.filter((anchor) => anchor.notAfter < new Date()) // the expired ones
 * ```
 */
export const all: ReadonlyArray<Anchor> = anchors.map((a) => ({ ...a, notAfter: new Date(a.notAfter) }))

/**
 * The anchors of `api.signering.posten.no` (production enterprise certificates).
 *
 * @example
 * ```ts
 * TrustAnchors.production.map((anchor) => anchor.pem)
 * ```
 */
export const production: ReadonlyArray<Anchor> = all.filter((a) => a.environment === "production")

/**
 * The anchors of difitest and difiqa (test enterprise certificates).
 *
 * @example
 * ```ts
 * TrustAnchors.test.map((anchor) => anchor.subject)
 * ```
 */
export const test: ReadonlyArray<Anchor> = all.filter((a) => a.environment === "test")

/**
 * The CA certificates (PEM) that stand for each kind of enterprise certificate when classifying one.
 *
 * @example
 * ```ts
 * const sets: TrustAnchors.AnchorSets = { production: [prodCaPem], test: [testCaPem] }
 * ```
 */
export interface AnchorSets {
  readonly production: ReadonlyArray<string>
  readonly test: ReadonlyArray<string>
}

/**
 * The shipped sets.
 *
 * @example
 * ```ts
 * yield* TrustAnchors.classify(keystore.chain.map((c) => c.der), TrustAnchors.builtInSets)
 * ```
 */
export const builtInSets: AnchorSets = {
  production: production.map((a) => a.pem),
  test: test.map((a) => a.pem),
}

/**
 * What {@link current} gives: the anchors to use and the expired ones left out.
 *
 * @example
 * ```ts
 * const { pems, skipped } = TrustAnchors.current(environment.trustAnchors ?? [])
 * ```
 */
export interface Selection {
  /** Unexpired anchors, one PEM certificate each; inputs that are not PEM (e.g. file paths) are passed on as they are. */
  readonly pems: ReadonlyArray<string>
  /** Expired anchors, by subject. */
  readonly skipped: ReadonlyArray<{ readonly subject: string; readonly notAfter: Date }>
}

/**
 * Leaves out the anchors that have expired at `now`: a transport calls this once at start-up, so a long-running
 * process judges by the clock of its start, and the shipped set never needs a rebuild when a CA expires. PEM text
 * that cannot be read is passed on untouched for the transport to report with its own error.
 *
 * @example
 * ```ts
 * const { pems, skipped } = TrustAnchors.current(Environment.production.trustAnchors ?? [], new Date())
 * if (skipped.length > 0) yield* Effect.logInfo(TrustAnchors.describeSkipped(skipped))
 * ```
 */
export const current = (pems: ReadonlyArray<string>, now: Date = new Date()): Selection => {
  const kept: Array<string> = []
  const skipped: Array<{ subject: string; notAfter: Date }> = []
  for (const input of pems) {
    const blocks = input.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
    if (blocks === null) {
      kept.push(input)
      continue
    }
    for (const block of blocks) {
      let certificate: X509
      try {
        certificate = parse(pemToDer(block)[0]!)
      } catch {
        kept.push(block)
        continue
      }
      if (certificate.notAfter.getTime() < now.getTime()) {
        skipped.push({ subject: commonName(certificate), notAfter: certificate.notAfter })
      } else kept.push(`${block}\n`)
    }
  }
  return { pems: kept, skipped }
}

/**
 * The one log line for anchors left out by {@link current}.
 *
 * @example
 * ```ts
 * TrustAnchors.describeSkipped([{ subject: "CPN RootCA SHA256 Class 3", notAfter: new Date("2025-01-01") }])
 * // "Trust anchors skipped because they have expired: CPN RootCA SHA256 Class 3 (2025-01-01)"
 * ```
 */
export const describeSkipped = (skipped: Selection["skipped"]): string =>
  `Trust anchors skipped because they have expired: ${skipped
    .map((s) => `${s.subject} (${s.notAfter.toISOString().slice(0, 10)})`)
    .join(", ")}`

const commonName = (certificate: X509) =>
  certificate.subject.findLast((a) => a.oid === "2.5.4.3")?.value ?? renderName(certificate.subject)

const parseAll = (pems: ReadonlyArray<string>): Array<X509> =>
  pems.flatMap(pemToDer).flatMap((der) => {
    try {
      return [parse(der)]
    } catch {
      return []
    }
  })

type ParsedSets = { readonly production: Array<X509>; readonly test: Array<X509> }

// Parsing the shipped sets once per process is enough: they are constants.
let parsedBuiltIn: ParsedSets | undefined

const parseSets = (sets: AnchorSets): ParsedSets => {
  if (sets !== builtInSets) return { production: parseAll(sets.production), test: parseAll(sets.test) }
  parsedBuiltIn ??= { production: parseAll(sets.production), test: parseAll(sets.test) }
  return parsedBuiltIn
}

/**
 * Which built-in anchor set issued a certificate: its issuer chain (the certificate, then any intermediates that
 * follow it in `chain`) is walked up until an anchor of a set names the issuer and its public key verifies the
 * signature. `unknown` when no set did (e.g. the simulator's test PKI), or when the certificate cannot be read.
 * Anchor validity does not matter here: an expired CA still tells which environment its certificates belong to.
 *
 * @example
 * ```ts
 * const environment = yield* TrustAnchors.classify(keystore.chain.map((c) => c.der)) // "production" | "test" | "unknown"
 * ```
 */
export const classify = (
  chain: ReadonlyArray<Uint8Array>,
  sets: AnchorSets = builtInSets,
): Effect.Effect<CertificateEnvironment | "unknown"> =>
  Effect.promise(async () => {
    let certificates: Array<X509>
    try {
      certificates = chain.map(parse)
    } catch {
      return "unknown" as const
    }
    if (certificates.length === 0) return "unknown" as const
    const parsed = parseSets(sets)
    for (const environment of ["production", "test"] as const) {
      let subject = certificates[0]!
      // A real chain is leaf, intermediate, root: a few steps suffice, and the bound stops loops in odd inputs.
      for (let step = 0; step < 6; step++) {
        const anchor = await findIssuer(subject, parsed[environment])
        if (anchor !== undefined) return environment
        const intermediate = await findIssuer(subject, certificates.slice(1))
        if (intermediate === undefined || intermediate === subject) break
        subject = intermediate
      }
    }
    return "unknown" as const
  })

const findIssuer = async (certificate: X509, candidates: ReadonlyArray<X509>): Promise<X509 | undefined> => {
  for (const candidate of candidates) {
    if (namesIssuer(candidate, certificate) && (await isSignedBy(certificate, candidate))) return candidate
  }
  return undefined
}

/**
 * The enterprise certificate belongs to the other kind of environment than the one targeted: a test certificate
 * against production, or a production certificate against difitest/difiqa. Judged by which built-in anchor set issued
 * it; raised at start-up, before any request.
 *
 * @example
 * ```ts
 * TrustAnchors.checkEnvironment(keystore.chain.map((c) => c.der), Environment.production).pipe(
 *   Effect.catchTag("CertificateEnvironmentMismatch", (e) => Effect.logError(e.message)),
 * )
 * ```
 */
export class CertificateEnvironmentMismatch extends Data.TaggedError("CertificateEnvironmentMismatch")<{
  readonly reason: "TestCertificateForProduction" | "ProductionCertificateForTest"
  /** Which built-in set issued the certificate. */
  readonly certificateEnvironment: CertificateEnvironment
  /** The environment the client or transport was built for. */
  readonly targetEnvironment: Name
  /** The certificate's subject (RFC 4514 order). */
  readonly subject: string
  readonly issuer: string
}> {
  override get message(): string {
    const accepted = this.certificateEnvironment === "production" ? "test" : "production"
    return `The enterprise certificate ${this.subject} (issued by ${this.issuer}) is a ${this.certificateEnvironment} certificate, but the ${this.targetEnvironment} environment accepts ${accepted} certificates only`
  }
}

/**
 * Fails with {@link CertificateEnvironmentMismatch} when `chain` (leaf first) was issued by the other built-in set
 * than the one `target` accepts; an unknown issuer passes (the simulator's PKI). Only the built-in environments are
 * checked: a `custom` environment's `certificates` is a default (`test`), not a fact, and it may well front
 * production (a proxy), so its certificate is classified but never refused.
 *
 * @example
 * ```ts
 * yield* TrustAnchors.checkEnvironment(keystore.chain.map((c) => c.der), Environment.production)
 * ```
 */
export const checkEnvironment = (
  chain: ReadonlyArray<Uint8Array>,
  target: { readonly name: Name; readonly certificates: CertificateEnvironment },
  sets: AnchorSets = builtInSets,
): Effect.Effect<CertificateEnvironment | "unknown", CertificateEnvironmentMismatch> =>
  Effect.flatMap(classify(chain, sets), (environment) => {
    if (environment === "unknown" || environment === target.certificates || target.name === "custom") {
      return Effect.succeed(environment)
    }
    const leaf = parse(chain[0]!)
    return Effect.fail(
      new CertificateEnvironmentMismatch({
        reason: environment === "test" ? "TestCertificateForProduction" : "ProductionCertificateForTest",
        certificateEnvironment: environment,
        targetEnvironment: target.name,
        subject: renderName(leaf.subject),
        issuer: renderName(leaf.issuer),
      }),
    )
  })
