import type { DirectJob, Keystore, KeystoreError, ValidationError } from "@signering/protocol"
import { Keystore as KeystoreModule } from "@signering/protocol"
import { Effect } from "effect"
import type { Environment } from "../Environment.js"
import * as TrustAnchors from "../TrustAnchors.js"

/** How building a client can fail: bad options, or a certificate that cannot be used (checked before any request). */
export type StartupError = ValidationError | KeystoreError | TrustAnchors.CertificateEnvironmentMismatch

/** What the client checks once at start-up; `anchorSets` replaces the built-in sets in tests only. */
export interface PreflightOptions {
  readonly environment: Environment
  readonly keystore?: Keystore.Keystore | undefined
  readonly sender?: Pick<DirectJob.Sender, "organizationNumber"> | undefined
  readonly now?: Date | undefined
  readonly anchorSets?: TrustAnchors.AnchorSets | undefined
}

/**
 * The certificate checks made once when a client is built, before any request, so a wrong certificate fails at
 * start-up with a message naming it rather than as a TLS failure or a refused bundle later:
 *
 * - not valid now (expired, not yet valid): `KeystoreError` (a warning when it expires within 30 days);
 * - issued by the other environment's CAs than the target accepts: `CertificateEnvironmentMismatch`;
 * - its organization differs from the default sender's: allowed (a broker sends for others), logged once.
 */
export const preflight = (
  options: PreflightOptions,
): Effect.Effect<void, KeystoreError | TrustAnchors.CertificateEnvironmentMismatch> =>
  Effect.gen(function* () {
    const keystore = options.keystore
    if (keystore === undefined) return
    yield* KeystoreModule.checkValidity(keystore, options.now ?? new Date())
    yield* TrustAnchors.checkEnvironment(
      keystore.chain.map((certificate) => certificate.der),
      options.environment,
      options.anchorSets,
    )
    const sender = options.sender?.organizationNumber
    const own = keystore.organizationNumber
    if (sender !== undefined && own !== undefined && sender !== own) {
      yield* Effect.logInfo(
        `The enterprise certificate belongs to organization ${own} and the sender is ${sender}: the service accepts this only when ${own} is registered as a broker for ${sender}`,
      )
    }
  })
