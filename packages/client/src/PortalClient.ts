/**
 * The portal-flow client: asynchronous signing in the Posten signing portal (signers are notified by e-mail/SMS,
 * sign in order within an availability window); the sender polls for changes, confirms each, and may cancel.
 *
 * Requests are the pure endpoints of `PortalEndpoint` (from `@signering/protocol`), executed by the pipeline every
 * client shares (timeouts, retries, error mapping, redaction, tracing). Follow-up URLs are the service's, verbatim.
 *
 * @since 0.1.0
 */
import type { Common, Endpoint, PortalResponse } from "@signering/protocol"
import { PortalEndpoint, PortalJob, PortalResponse as PortalResponseImpl } from "@signering/protocol"
import { Context, Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { type ClientError, NotCancellable } from "./ClientError.js"
import type * as ClientOptions from "./ClientOptions.js"
import type * as Environment from "./Environment.js"
import * as Operations from "./internal/operations.js"
import * as Pipeline from "./internal/pipeline.js"
import { OnPollRetry } from "./internal/pollingRetries.js"
import type { StartupError } from "./internal/preflight.js"

/**
 * The options of a portal client (shared by every client: see `ClientOptions.Options`).
 *
 * @example
 * ```ts
 * const options: PortalClient.Options = { environment: Environment.difitest, sender: { organizationNumber: "123456785" }, keystore }
 * ```
 */
export type Options = ClientOptions.Options

/**
 * A portal job input whose sender may be left out: the client's default sender is used then.
 *
 * @example
 * ```ts
 * const input: PortalClient.JobInput = { title: "Contract", documents, signers: [{ personalIdentificationNumber, notifications: { email: "kari@example.com" } }] }
 * ```
 */
export type JobInput = PortalJob.PortalJobInputWithoutSender

/**
 * Options for `create`.
 *
 * @example
 * ```ts
 * const bundle = yield* DocumentBundle.make(job, keystore)
 * yield* client.create(job, { bundle })
 * ```
 */
export interface CreateOptions {
  /** A document bundle (ASiC-E zip bytes) built earlier for this very job; skips building and signing. */
  readonly bundle?: Uint8Array | { readonly bytes: Uint8Array } | undefined
}

/**
 * The answer to `create` (signature job id, reference, cancellation URL), plus the sender the job was created for
 * (its polling queue is where the job's changes arrive).
 *
 * @example
 * ```ts
 * const job = yield* client.create(input)
 * persist(job.signatureJobId.toString(), job.cancellationUrl, job.sender)
 * ```
 */
export interface CreatedJob extends PortalResponse.JobResponse {
  readonly sender: Common.Sender
}

/**
 * The answer to a poll: a change (with the next permitted poll time, normally at once) or none (with the time the
 * service permits the next poll).
 *
 * @example
 * ```ts
 * const change = yield* client.getStatusChange()
 * if (change._tag === "StatusChange") yield* client.confirm(change.status)
 * ```
 */
export type StatusChange = Pipeline.StatusChange<PortalResponse.StatusChangeResponse>

/**
 * What `cancel` needs: the create answer, a status change, or the cancellation URL itself.
 *
 * @example
 * ```ts
 * yield* client.cancel(job) // or change.status, or job.cancellationUrl
 * ```
 */
export type Cancellable = string | { readonly cancellationUrl?: string | undefined }

/**
 * A download URL, or a signature with its `xadesUrl`, or a status change with its `padesUrl`.
 *
 * @example
 * ```ts
 * yield* client.getPadesBytes(change.status)
 * ```
 */
export type DownloadTarget =
  | string
  | { readonly url: string }
  | { readonly xadesUrl?: string | undefined }
  | { readonly padesUrl?: string | undefined }

/**
 * A streamed download (see `DirectClient.Download`).
 *
 * @example
 * ```ts
 * const { stream } = yield* client.getPades(change.status)
 * ```
 */
export type Download = Pipeline.Download

/**
 * The service: every portal-flow operation.
 *
 * @example
 * ```ts
 * const client: PortalClient.Service = yield* PortalClient.PortalClient
 * ```
 */
export interface Service {
  /** The resolved configuration (without secrets). */
  readonly config: {
    readonly environment: Environment.Environment
    readonly sender: Common.Sender | undefined
    readonly userAgent: string
  }
  /**
   * Creates a portal job: validates the input (a `ValidationError` listing every issue before any request), builds
   * and signs the document bundle (unless `options.bundle` is given) and posts both to
   * `<root>/<org>/portal/signature-jobs`. Never retried once the body may have reached the server.
   */
  readonly create: (
    job: JobInput | PortalJob.PortalJob,
    options?: CreateOptions,
  ) => Effect.Effect<CreatedJob, ClientError>
  /** Polls the sender's portal queue (the default sender's when none is given) for the next change. */
  readonly getStatusChange: (sender?: Common.Sender | string) => Effect.Effect<StatusChange, ClientError>
  /** Confirms a change (every portal change must be confirmed). */
  readonly confirm: (status: { readonly confirmationUrl?: string | undefined }) => Effect.Effect<void, ClientError>
  /**
   * Cancels the job: `JobCannotBeCancelled` when the service answers 409 (already final), `NotCancellable` (nothing
   * sent) when the target has no cancellation URL.
   */
  readonly cancel: (target: Cancellable) => Effect.Effect<void, ClientError>
  /** Streams a signer's XAdES. */
  readonly getXades: (target: DownloadTarget) => Effect.Effect<Download, ClientError>
  /** Collects a signer's XAdES (bounded by `limits.downloadBytes`). */
  readonly getXadesBytes: (target: DownloadTarget) => Effect.Effect<Uint8Array, ClientError>
  /** Streams the job's PAdES. */
  readonly getPades: (target: DownloadTarget) => Effect.Effect<Download, ClientError>
  /** Collects the job's PAdES (bounded by `limits.downloadBytes`). */
  readonly getPadesBytes: (target: DownloadTarget) => Effect.Effect<Uint8Array, ClientError>
  /** Deletes the job's documents; `DocumentsNotDeletable` (nothing sent) when there is no URL, or when refused. */
  readonly deleteDocuments: (
    target: string | { readonly deleteDocumentsUrl?: string | undefined },
  ) => Effect.Effect<void, ClientError>
  /** Who the service takes this client for: `GET <root>/<org>`. */
  readonly whoami: (organizationNumber?: string) => Effect.Effect<Endpoint.WhoAmI, ClientError>
  /** The local clock's offset from the service's, in milliseconds (see `DirectClient.Service.clockOffset`). */
  readonly clockOffset: () => Effect.Effect<number | undefined>
}

/**
 * The `PortalClient` service tag.
 *
 * @example
 * ```ts
 * import { PortalClient } from "@signering/client"
 * const program = Effect.gen(function* () {
 *   const client = yield* PortalClient.PortalClient
 *   const job = yield* client.create(input)
 *   return job.signatureJobId
 * })
 * ```
 */
export class PortalClient extends Context.Service<PortalClient, Service>()("@signering/client/PortalClient") {}

/**
 * The method names of the service, for the Promise facade.
 *
 * @example
 * ```ts
 * PortalClient.methods.includes("cancel") // true
 * ```
 */
export const methods = [
  "create",
  "getStatusChange",
  "confirm",
  "cancel",
  "getXades",
  "getXadesBytes",
  "getPades",
  "getPadesBytes",
  "deleteDocuments",
  "whoami",
  "clockOffset",
] as const satisfies ReadonlyArray<keyof Service>

const portalFlow: Operations.CreateFlow<PortalJob.PortalJob, JobInput, PortalResponse.JobResponse> = {
  jobTag: "PortalJob",
  make: (input, validation) => PortalJob.make(input, validation),
  endpoint: PortalEndpoint.create,
}

/**
 * Builds the service from options, using the `HttpClient` in the environment.
 *
 * @example
 * ```ts
 * const client = yield* PortalClient.make({ environment: Environment.difitest, keystore, sender })
 * ```
 */
export const make = (options: Options): Effect.Effect<Service, StartupError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const settings = yield* Operations.settingsFor("PortalClient", options)

    const create: Service["create"] = (input, createOptions) =>
      Operations.create(settings, options, portalFlow, input, createOptions)

    const getStatusChange: Service["getStatusChange"] = (senderInput) =>
      Operations.resolveSender(options, senderInput).pipe(
        Effect.flatMap((sender) =>
          // A polling worker around this call learns of retries: a retried poll may have lost a change in transit.
          Effect.flatMap(Effect.service(OnPollRetry), (onRetry) =>
            Pipeline.executePoll(settings, PortalEndpoint.getStatusChange(settings.apiRoot, sender), {
              annotations: { sender: sender.organizationNumber, pollingQueue: sender.pollingQueue ?? "" },
              onRetry,
            }),
          ),
        ),
      )

    const cancel: Service["cancel"] = (target) => {
      const resolved = Pipeline.urlOf(target, "cancellationUrl", "cancellationUrl")
      if ("missing" in resolved) {
        return Effect.fail(
          new NotCancellable({ operation: "cancel", method: "POST", url: "", reason: "NotAdvertised" }),
        )
      }
      if ("error" in resolved) return Effect.fail(resolved.error)
      return Pipeline.execute(settings, PortalEndpoint.cancel(resolved.url))
    }

    const service: Service = {
      config: { environment: settings.environment, sender: options.sender, userAgent: settings.userAgent },
      create,
      getStatusChange,
      confirm: (status) => Operations.confirm(settings, status),
      cancel,
      getXades: (target) => Operations.download(settings, "getXades", target),
      getXadesBytes: (target) => Operations.collect(settings, "getXades", target),
      getPades: (target) => Operations.download(settings, "getPades", target),
      getPadesBytes: (target) => Operations.collect(settings, "getPades", target),
      deleteDocuments: (target) => Operations.deleteDocuments(settings, target),
      whoami: (organizationNumber) => Operations.whoami(settings, options, organizationNumber),
      clockOffset: () => Pipeline.clockOffset(settings),
    }
    return service
  })

/**
 * The client as a layer over the `HttpClient` a transport layer provides.
 *
 * @example
 * ```ts
 * const PortalLive = PortalClient.layer({ keystore, sender }).pipe(
 *   Layer.provide(NodeTlsTransport.layer({ keystore, environment: Environment.difitest })),
 * )
 * ```
 */
export const layer = (options: Options): Layer.Layer<PortalClient, StartupError, HttpClient.HttpClient> =>
  Layer.effect(PortalClient, make(options))

/**
 * The client configured from `Config` (the names of `ClientOptions.configNames`), with the caller's overrides.
 *
 * @example
 * ```ts
 * const PortalLive = PortalClient.layerConfig({ keystore }).pipe(Layer.provide(transport))
 * ```
 */
export const layerConfig = Operations.layerConfigFor(PortalClient, make)

/**
 * The signature of one signer in a change: by national identity number, or by the e-mail address or mobile number
 * exactly as given at creation (Java's `getSignatureFrom`).
 *
 * @example
 * ```ts
 * const kari = PortalClient.getSignatureFrom(change.status, "kari@example.com")
 * ```
 */
export const getSignatureFrom = (
  change: Pick<PortalResponse.StatusChangeResponse, "signatures">,
  identifier: PortalResponse.SignerIdentifier,
): PortalResponse.Signature | undefined => PortalResponseImpl.getSignatureFrom(change, identifier)

/**
 * Whether the change carries a PAdES to download (Java's `isPAdESAvailable`).
 *
 * @example
 * ```ts
 * if (PortalClient.isPadesAvailable(change.status)) yield* client.getPadesBytes(change.status)
 * ```
 */
export const isPadesAvailable = (change: Pick<PortalResponse.StatusChangeResponse, "padesUrl">): boolean =>
  PortalResponseImpl.isPadesAvailable(change)
