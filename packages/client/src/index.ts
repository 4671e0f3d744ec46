/**
 * `@signering/client`: Effect and Promise client for the Posten signering API (direct flow).
 *
 * @since 0.1.0
 */
import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"

EffectCopy.register("@signering/client", Effect)

export * as ClientError from "./ClientError.js"
export {
  BrokerNotAuthorized,
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  RateLimited,
  ServerIdentityError,
  SigningCeremonyNotCompleted,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "./ClientError.js"
export * as DirectClient from "./DirectClient.js"
export * as Environment from "./Environment.js"
export * as ExitCallback from "./ExitCallback.js"
export { handleExitCallback } from "./ExitCallback.js"
export { VERSION as version } from "./internal/userAgent.js"
export * as JobStatusOrder from "./JobStatusOrder.js"
export * as Polling from "./Polling.js"
export { startPollingWorker } from "./Polling.js"
export {
  createDirectClient,
  type PromiseClientOptions,
  type PromiseDirectClient,
  type PromiseDownload,
} from "./promise.js"
export * as RateLimiter from "./RateLimiter.js"
export * as TrustAnchors from "./TrustAnchors.js"
export { CertificateEnvironmentMismatch } from "./TrustAnchors.js"
