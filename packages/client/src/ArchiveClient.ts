/**
 * The archive client: the PAdES of documents in the service's long-term storage (langtidslagring), by the
 * archived document id the sender portal shows. The owner organization goes in the path.
 *
 * @since 0.1.0
 */
import type { Endpoint } from "@signering/protocol"
import { ArchiveEndpoint } from "@signering/protocol"
import { Context, Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import type { ClientError } from "./ClientError.js"
import type * as ClientOptions from "./ClientOptions.js"
import type * as Environment from "./Environment.js"
import * as Operations from "./internal/operations.js"
import * as Pipeline from "./internal/pipeline.js"
import type { StartupError } from "./internal/preflight.js"

/**
 * The options of an archive client (shared by every client: see `ClientOptions.Options`). The default sender is the
 * default owner.
 *
 * @example
 * ```ts
 * const options: ArchiveClient.Options = { environment: Environment.production, sender: { organizationNumber: "123456785" } }
 * ```
 */
export type Options = ClientOptions.Options

/**
 * Options of a download: the owner organization (default: the client's sender).
 *
 * @example
 * ```ts
 * yield* archive.getPadesBytes("doc-1", { owner: "987654325" })
 * ```
 */
export interface DownloadOptions {
  readonly owner?: string | undefined
}

/**
 * A streamed download (see `DirectClient.Download`).
 *
 * @example
 * ```ts
 * const { stream } = yield* archive.getPades("doc-1")
 * ```
 */
export type Download = Pipeline.Download

/**
 * The service.
 *
 * @example
 * ```ts
 * const archive: ArchiveClient.Service = yield* ArchiveClient.ArchiveClient
 * ```
 */
export interface Service {
  readonly config: {
    readonly environment: Environment.Environment
    readonly owner: string | undefined
    readonly userAgent: string
  }
  /** Streams an archived document's PAdES (`GET <root>/<owner>/archive/documents/<id>/pades`); no size cap. */
  readonly getPades: (documentId: string, options?: DownloadOptions) => Effect.Effect<Download, ClientError>
  /** Collects an archived document's PAdES, bounded by `limits.downloadBytes`. */
  readonly getPadesBytes: (documentId: string, options?: DownloadOptions) => Effect.Effect<Uint8Array, ClientError>
  /** Who the service takes this client for: `GET <root>/<org>`. */
  readonly whoami: (organizationNumber?: string) => Effect.Effect<Endpoint.WhoAmI, ClientError>
  /** The local clock's offset from the service's, in milliseconds. */
  readonly clockOffset: () => Effect.Effect<number | undefined>
}

/**
 * The `ArchiveClient` service tag.
 *
 * @example
 * ```ts
 * const pdf = yield* ArchiveClient.ArchiveClient.use((archive) => archive.getPadesBytes("doc-1"))
 * ```
 */
export class ArchiveClient extends Context.Service<ArchiveClient, Service>()("@signering/client/ArchiveClient") {}

/**
 * The method names of the service, for the Promise facade.
 *
 * @example
 * ```ts
 * ArchiveClient.methods.includes("getPades") // true
 * ```
 */
export const methods = ["getPades", "getPadesBytes", "whoami", "clockOffset"] as const satisfies ReadonlyArray<
  keyof Service
>

/**
 * Builds the service from options, using the `HttpClient` in the environment.
 *
 * @example
 * ```ts
 * const archive = yield* ArchiveClient.make({ environment: Environment.production, sender })
 * ```
 */
export const make = (options: Options): Effect.Effect<Service, StartupError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const settings = yield* Operations.settingsFor("ArchiveClient", options)
    const endpoint = (documentId: unknown, download: DownloadOptions | undefined) =>
      Effect.gen(function* () {
        if (typeof documentId !== "string" || documentId === "" || documentId.length > 200) {
          return yield* Effect.fail(
            Pipeline.invalid("documentId", "required", "must be the archived document id (1 to 200 characters)"),
          )
        }
        const owner = yield* Operations.resolveSender(options, download?.owner)
        return ArchiveEndpoint.getPades(settings.apiRoot, owner.organizationNumber, documentId)
      })
    const service: Service = {
      config: {
        environment: settings.environment,
        owner: options.sender?.organizationNumber,
        userAgent: settings.userAgent,
      },
      getPades: (documentId, download) =>
        endpoint(documentId, download).pipe(Effect.flatMap((e) => Pipeline.executeDownload(settings, e))),
      getPadesBytes: (documentId, download) =>
        endpoint(documentId, download).pipe(Effect.flatMap((e) => Pipeline.executeCollect(settings, e))),
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
 * const ArchiveLive = ArchiveClient.layer({ environment: Environment.production, sender }).pipe(Layer.provide(transport))
 * ```
 */
export const layer = (options: Options): Layer.Layer<ArchiveClient, StartupError, HttpClient.HttpClient> =>
  Layer.effect(ArchiveClient, make(options))

/**
 * The client configured from `Config` (the names of `ClientOptions.configNames`), with the caller's overrides.
 *
 * @example
 * ```ts
 * const ArchiveLive = ArchiveClient.layerConfig().pipe(Layer.provide(transport))
 * ```
 */
export const layerConfig = Operations.layerConfigFor(ArchiveClient, make)
