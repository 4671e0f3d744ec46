/**
 * The direct-flow client: every operation of the Posten signering direct flow as an Effect service.
 *
 * The transport is the `HttpClient` port from `effect/http`, provided by an adapter layer
 * (`NodeTlsTransport.layer(...)` from `@signering/node-tls`, `FetchTransport.layer(...)` from
 * `@signering/fetch`). Requests are the pure endpoints of `DirectEndpoint` (from `@signering/protocol`), executed by
 * the pipeline every client shares: timeouts, retries, error mapping, logging and tracing live there.
 *
 * Follow-up URLs (status, signer, confirmation, XAdES, PAdES, delete) are always the ones the server returned, used
 * verbatim (parameters are appended): the client never builds them.
 *
 * @since 0.1.0
 */
import type { DirectJob, DirectResponse, Endpoint } from "@signering/protocol"
import { DirectEndpoint, DirectJob as Job } from "@signering/protocol"
import { Context, Effect, Layer, Redacted } from "effect"
import type { HttpClient } from "effect/http"
import type { ClientError } from "./ClientError.js"
import * as ClientOptions from "./ClientOptions.js"
import type * as Environment from "./Environment.js"
import * as Operations from "./internal/operations.js"
import * as Pipeline from "./internal/pipeline.js"
import { OnPollRetry } from "./internal/pollingRetries.js"
import type { StartupError } from "./internal/preflight.js"

// ---------------------------------------------------------------------------------------------------------------
// Options (shared by every client: see `ClientOptions`)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Timeouts per attempt (see `ClientOptions.Timeouts`).
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, timeouts: { api: "20 seconds", download: "5 minutes" } })
 * ```
 */
export type Timeouts = ClientOptions.Timeouts

/**
 * Retries for operations that are safe to repeat (see `ClientOptions.RetryOptions`).
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, retry: { times: 5, base: "500 millis" } })
 * ```
 */
export type RetryOptions = ClientOptions.RetryOptions

/**
 * Everything the client needs (see `ClientOptions.Options`). `environment` defaults to the transport's; `keystore`
 * is needed to sign the document bundle in `create` (unless you pass a prebuilt bundle).
 *
 * @example
 * ```ts
 * const options: DirectClient.Options = {
 *   environment: Environment.difitest,
 *   sender: { organizationNumber: "123456785" },
 *   keystore,
 * }
 * ```
 */
export type Options = ClientOptions.Options

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------

/**
 * A job input whose sender may be left out: the client's default sender is used then.
 *
 * @example
 * ```ts
 * const input: DirectClient.JobInput = { title, documents, signers, exitUrls } // sender: the default
 * ```
 */
export type JobInput = Omit<DirectJob.DirectJobInput, "sender"> & { readonly sender?: DirectJob.Sender | undefined }

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
 * The answer to `create`, plus the sender the job was created for (needed for status queries and polling).
 *
 * @example
 * ```ts
 * const job = yield* client.create(input)
 * persist(job.signatureJobId, job.statusUrl, job.sender)
 * ```
 */
export interface CreatedJob extends DirectResponse.JobResponse {
  readonly sender: DirectJob.Sender
}

/**
 * The answer to a poll. Both variants carry the time the next poll is permitted: after a change the service
 * normally permits the next poll at once; after "no changes" it asks for a pause (10 minutes in production).
 *
 * @example
 * ```ts
 * const change = yield* client.getStatusChange()
 * if (change._tag === "StatusChange") yield* handle(change.status)
 * yield* sleepUntil(change.nextPermittedPollTime)
 * ```
 */
export type StatusChange = Pipeline.StatusChange<DirectResponse.JobStatusResponse>

/**
 * A download as a stream, with its length when the server sent one. The stream can be consumed once; a stream not
 * started within the download timeout is cancelled (its connection goes back to the pool).
 *
 * @example
 * ```ts
 * const { stream, contentLength } = yield* client.getPades(status.padesUrl!)
 * yield* Stream.run(stream, sink)
 * ```
 */
export type Download = Pipeline.Download

/**
 * Anything that points to a signer: the signer from a create response, or the persisted signer URL alone.
 *
 * @example
 * ```ts
 * yield* client.requestNewRedirectUrl(job.signers[0]!) // or the persisted signer URL string
 * ```
 */
export type SignerTarget = string | { readonly href: string }

/**
 * Where the status is: the status URL, or the created job (its `statusUrl`, and its sender's polling queue).
 *
 * @example
 * ```ts
 * yield* client.getStatus(createdJob, token) // or createdJob.statusUrl
 * ```
 */
export type StatusTarget =
  | string
  | { readonly statusUrl?: string | undefined; readonly sender?: DirectJob.Sender | undefined }

/**
 * What `confirm` needs: a status (it confirms only when there is a confirmation URL).
 *
 * @example
 * ```ts
 * yield* client.confirm(status) // nothing is sent when status.confirmationUrl is absent
 * ```
 */
export type Confirmable = { readonly confirmationUrl?: string | undefined }

/**
 * What `deleteDocuments` needs: the URL, or a status carrying it.
 *
 * @example
 * ```ts
 * yield* client.deleteDocuments(status) // or status.deleteDocumentsUrl
 * ```
 */
export type Deletable = string | { readonly deleteDocumentsUrl?: string | undefined }

/**
 * A download URL, or an entry of `xadesUrls` / a signer status with its `xadesUrl`.
 *
 * @example
 * ```ts
 * yield* client.getXadesBytes(status.xadesUrls[0]!) // or a URL string
 * ```
 */
export type DownloadTarget = string | { readonly url: string }

/**
 * The service: every direct-flow operation. Every method's Effect needs nothing from the environment.
 *
 * @example
 * ```ts
 * const client: DirectClient.Service = yield* DirectClient.DirectClient
 * ```
 */
export interface Service {
  /** The resolved configuration (without secrets), e.g. for a polling worker. */
  readonly config: {
    readonly environment: Environment.Environment
    readonly sender: DirectJob.Sender | undefined
    readonly userAgent: string
  }
  /**
   * Creates a direct signature job: validates the input (a `ValidationError` before any request), builds and
   * signs the document bundle (unless `options.bundle` is given) and posts both as multipart/mixed to
   * `<root>/<org>/direct/signature-jobs`. Never retried once the body may have reached the server.
   */
  readonly create: (
    job: JobInput | DirectJob.DirectJob,
    options?: CreateOptions,
  ) => Effect.Effect<CreatedJob, ClientError>
  /** A fresh one-time redirect URL for a signer (POST to the signer URL). */
  readonly requestNewRedirectUrl: (signer: SignerTarget) => Effect.Effect<DirectResponse.SignerResponse, ClientError>
  /**
   * The job's status with the token the signer's browser brought back (`status_query_token`). `polling_queue` is
   * sent for a job on a named queue: the one given, else the created job's sender's, else the default sender's.
   */
  readonly getStatus: (
    statusUrl: StatusTarget,
    statusQueryToken: string | Redacted.Redacted<string>,
    pollingQueue?: string,
  ) => Effect.Effect<DirectResponse.JobStatusResponse, ClientError>
  /** Polls the sender's queue (the default sender's when none is given) for the next status change. */
  readonly getStatusChange: (sender?: DirectJob.Sender | string) => Effect.Effect<StatusChange, ClientError>
  /** Confirms a status change (POST to its confirmation URL); does nothing when the status has none. */
  readonly confirm: (status: Confirmable) => Effect.Effect<void, ClientError>
  /** Streams a signer's XAdES. */
  readonly getXades: (url: DownloadTarget) => Effect.Effect<Download, ClientError>
  /** Collects a signer's XAdES into memory (bounded by the download timeout as a whole). */
  readonly getXadesBytes: (url: DownloadTarget) => Effect.Effect<Uint8Array, ClientError>
  /** Streams the job's PAdES (PDF). */
  readonly getPades: (url: DownloadTarget) => Effect.Effect<Download, ClientError>
  /** Collects the job's PAdES into memory (bounded by the download timeout as a whole). */
  readonly getPadesBytes: (url: DownloadTarget) => Effect.Effect<Uint8Array, ClientError>
  /** Deletes the job's documents; `DocumentsNotDeletable` when not advertised or refused. */
  readonly deleteDocuments: (target: Deletable) => Effect.Effect<void, ClientError>
  /** Who the service takes this client for: `GET <root>/<org>` (the default sender's, or the one given). */
  readonly whoami: (organizationNumber?: string) => Effect.Effect<Endpoint.WhoAmI, ClientError>
  /**
   * The local clock's offset from the service's (server minus local, in milliseconds), measured from the `Date`
   * header of the answers so far; `undefined` before the first answer.
   */
  readonly clockOffset: () => Effect.Effect<number | undefined>
}

/**
 * The `DirectClient` service tag.
 *
 * @example
 * ```ts
 * import { DirectClient } from "@signering/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const client = yield* DirectClient.DirectClient
 *   const job = yield* client.create(input)
 *   return job.signers[0]!.redirectUrl
 * })
 * ```
 */
export class DirectClient extends Context.Service<DirectClient, Service>()("@signering/client/DirectClient") {}

// ---------------------------------------------------------------------------------------------------------------
// Implementation: endpoints from `DirectEndpoint`, executed by the shared pipeline
// ---------------------------------------------------------------------------------------------------------------

const directFlow: Operations.CreateFlow<DirectJob.DirectJob, JobInput, DirectResponse.JobResponse> = {
  jobTag: "DirectJob",
  make: (input, validation) => Job.make(input, validation),
  endpoint: DirectEndpoint.create,
}

/**
 * Builds the service from options, using the `HttpClient` in the environment.
 *
 * @example
 * ```ts
 * const client = yield* DirectClient.make({ environment: Environment.difitest, keystore, sender })
 * ```
 */
export const make = (options: Options): Effect.Effect<Service, StartupError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const settings = yield* Operations.settingsFor("DirectClient", options)

    const create: Service["create"] = (input, createOptions) =>
      Operations.create(settings, options, directFlow, input, createOptions)

    const requestNewRedirectUrl: Service["requestNewRedirectUrl"] = (signer) => {
      const target = Pipeline.urlOf(signer, "href", "signer")
      if (!("url" in target)) {
        return Effect.fail(
          "error" in target ? target.error : Pipeline.invalid("signer", "url", "the signer has no href"),
        )
      }
      return Pipeline.execute(settings, DirectEndpoint.requestNewRedirectUrl(target.url))
    }

    const getStatus: Service["getStatus"] = (statusTarget, statusQueryToken, pollingQueue) => {
      const target = Pipeline.urlOf(statusTarget, "statusUrl", "statusUrl")
      if (!("url" in target)) {
        return Effect.fail(
          "error" in target ? target.error : Pipeline.invalid("statusUrl", "required", "the job has no status URL"),
        )
      }
      if (typeof statusQueryToken !== "string" && !Redacted.isRedacted(statusQueryToken)) {
        return Effect.fail(Pipeline.invalid("statusQueryToken", "required", "must be a string"))
      }
      const token = Redacted.isRedacted(statusQueryToken) ? statusQueryToken : Redacted.make(statusQueryToken)
      if (typeof Redacted.value(token) !== "string" || Redacted.value(token).trim() === "") {
        return Effect.fail(Pipeline.invalid("statusQueryToken", "required", "must not be empty"))
      }
      const jobSender = typeof statusTarget === "object" && statusTarget !== null ? statusTarget.sender : undefined
      const queue = pollingQueue ?? jobSender?.pollingQueue ?? options.sender?.pollingQueue
      return Pipeline.execute(settings, DirectEndpoint.getStatus(target.url, token, queue))
    }

    const getStatusChange: Service["getStatusChange"] = (senderInput) =>
      Operations.resolveSender(options, senderInput).pipe(
        Effect.flatMap((sender) =>
          // A polling worker around this call learns of retries: a retried poll may have lost a change in transit.
          Effect.flatMap(Effect.service(OnPollRetry), (onRetry) =>
            Pipeline.executePoll(settings, DirectEndpoint.getStatusChange(settings.apiRoot, sender), {
              annotations: { sender: sender.organizationNumber, pollingQueue: sender.pollingQueue ?? "" },
              onRetry,
            }),
          ),
        ),
      )

    const service: Service = {
      config: { environment: settings.environment, sender: options.sender, userAgent: settings.userAgent },
      create,
      requestNewRedirectUrl,
      getStatus,
      getStatusChange,
      confirm: (status) => Operations.confirm(settings, status),
      getXades: (url) => Operations.download(settings, "getXades", url),
      getXadesBytes: (url) => Operations.collect(settings, "getXades", url),
      getPades: (url) => Operations.download(settings, "getPades", url),
      getPadesBytes: (url) => Operations.collect(settings, "getPades", url),
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
 * import { DirectClient, Environment } from "@signering/client"
 * import { NodeTlsTransport } from "@signering/node-tls"
 * import { Layer } from "effect"
 *
 * // The environment once, to the transport: the client takes it from there.
 * const ClientLive = DirectClient.layer({ keystore, sender }).pipe(
 *   Layer.provide(NodeTlsTransport.layer({ keystore, environment: Environment.difitest })),
 * )
 * ```
 */
export const layer = (options: Options): Layer.Layer<DirectClient, StartupError, HttpClient.HttpClient> =>
  Layer.effect(DirectClient, make(options))

/**
 * Names read by {@link layerConfig} (see `ClientOptions.configNames`).
 *
 * @example
 * ```ts
 * process.env[DirectClient.configNames.environment] = "difitest"
 * ```
 */
export const configNames = ClientOptions.configNames

/**
 * The options as a `Config` (see `ClientOptions.config`).
 *
 * @example
 * ```ts
 * const options = yield* DirectClient.config
 * ```
 */
export const config = ClientOptions.config

/**
 * The client configured from `Config` (environment variables by default; names in {@link configNames}),
 * with the keystore given by the caller: load it with `Keystore.fromPkcs12` / `Keystore.fromPem` from bytes
 * your platform reads (e.g. a path in `SIGNERING_KEYSTORE_PATH` and a `Config.Redacted` passphrase).
 *
 * @example
 * ```ts
 * const ClientLive = Layer.unwrap(
 *   Effect.gen(function* () {
 *     const passphrase = yield* Config.Redacted("SIGNERING_KEYSTORE_PASSPHRASE")
 *     const path = yield* Config.String("SIGNERING_KEYSTORE_PATH")
 *     const keystore = yield* Keystore.fromPkcs12Effect(new Uint8Array(readFileSync(path)), passphrase)
 *     return DirectClient.layerConfig({ keystore }).pipe(Layer.provide(NodeTlsTransport.layer({ keystore, trustAnchors })))
 *   }),
 * )
 * ```
 */
export const layerConfig = Operations.layerConfigFor(DirectClient, make)
