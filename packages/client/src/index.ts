/**
 * `@signering/client`: Effect and Promise clients for the Posten signering API: direct, portal and archive.
 *
 * @since 0.1.0
 */
import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"

EffectCopy.register("@signering/client", Effect)

// The protocol errors the client passes through, so a Promise user can `instanceof` them without a second import.
export { BundleError, DecodeError, KeystoreError, ValidationError } from "@signering/protocol"
export * as ArchiveClient from "./ArchiveClient.js"
export * as ClientError from "./ClientError.js"
export {
  BrokerNotAuthorized,
  ClientClosed,
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  JobCannotBeCancelled,
  NotCancellable,
  RateLimited,
  RefusedUrl,
  ServerIdentityError,
  SigningCeremonyNotCompleted,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "./ClientError.js"
export * as ClientOptions from "./ClientOptions.js"
export * as DirectClient from "./DirectClient.js"
export * as Environment from "./Environment.js"
export * as Exchange from "./Exchange.js"
export * as ExitCallback from "./ExitCallback.js"
export { handleExitCallback } from "./ExitCallback.js"
export { VERSION as version } from "./internal/userAgent.js"
export * as JobRecord from "./JobRecord.js"
export * as JobStatusOrder from "./JobStatusOrder.js"
export * as Polling from "./Polling.js"
export { startPollingWorker, startPortalPollingWorker } from "./Polling.js"
export * as PortalClient from "./PortalClient.js"
export {
  createArchiveClient,
  createDirectClient,
  createPortalClient,
  type LogEntry,
  type PromiseArchiveClient,
  type PromiseClientOptions,
  type PromiseDirectClient,
  type PromiseDownload,
  type PromiseOf,
  type PromisePortalClient,
} from "./promise.js"
export * as RateLimiter from "./RateLimiter.js"
export * as TransportFailure from "./TransportFailure.js"
export * as TrustAnchors from "./TrustAnchors.js"
export { CertificateEnvironmentMismatch } from "./TrustAnchors.js"
