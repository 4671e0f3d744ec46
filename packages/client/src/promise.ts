/**
 * The client for code that does not use Effect: the same operations as `async` methods. Errors are the
 * same tagged classes as in Effect code (`instanceof TooEagerPolling`, `switch (error._tag)`).
 *
 * @since 0.1.0
 */
import type { DirectJob, DirectResponse } from "@signering/protocol"
import type { Redacted } from "effect"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import type { HttpClient } from "effect/http"
import * as DirectClient from "./DirectClient.js"
import { registerClientRuntime } from "./internal/pollingRuntime.js"

/**
 * Options of {@link createDirectClient}: the client options plus the transport layer.
 *
 * @example
 * ```ts
 * createDirectClient({ environment: Environment.difitest, keystore, transport: NodeTlsTransport.layer({ keystore, trustAnchors }) })
 * ```
 */
export interface PromiseClientOptions extends DirectClient.Options {
  /**
   * The transport: a layer providing effect's `HttpClient`, such as `NodeTlsTransport.layer({ keystore, trustAnchors })`
   * from `@signering/node-tls` or `FetchTransport.layer()` from `@signering/fetch`.
   */
  readonly transport: Layer.Layer<HttpClient.HttpClient, unknown>
}

/**
 * A download as a web `ReadableStream`, with its length when the server sent one.
 *
 * @example
 * ```ts
 * const { stream } = await client.getPades(status.padesUrl!)
 * await stream.pipeTo(Writable.toWeb(createWriteStream("signed.pdf")))
 * ```
 */
export interface PromiseDownload {
  readonly stream: ReadableStream<Uint8Array>
  readonly contentLength: number | undefined
  readonly contentType: string | undefined
}

/**
 * The Promise client: the operations of `DirectClient` plus `close()`.
 *
 * @example
 * ```ts
 * const client: PromiseDirectClient = createDirectClient(options)
 * await client.close()
 * ```
 */
export interface PromiseDirectClient {
  readonly create: (
    job: DirectClient.JobInput | DirectJob.DirectJob,
    options?: DirectClient.CreateOptions,
  ) => Promise<DirectClient.CreatedJob>
  readonly requestNewRedirectUrl: (signer: DirectClient.SignerTarget) => Promise<DirectResponse.SignerResponse>
  readonly getStatus: (
    statusUrl: string,
    statusQueryToken: string | Redacted.Redacted<string>,
    pollingQueue?: string,
  ) => Promise<DirectResponse.JobStatusResponse>
  readonly getStatusChange: (sender?: DirectJob.Sender | string) => Promise<DirectClient.StatusChange>
  readonly confirm: (status: DirectClient.Confirmable) => Promise<void>
  readonly getXades: (url: DirectClient.DownloadTarget) => Promise<PromiseDownload>
  readonly getXadesBytes: (url: DirectClient.DownloadTarget) => Promise<Uint8Array>
  readonly getPades: (url: DirectClient.DownloadTarget) => Promise<PromiseDownload>
  readonly getPadesBytes: (url: DirectClient.DownloadTarget) => Promise<Uint8Array>
  readonly deleteDocuments: (target: DirectClient.Deletable) => Promise<void>
  /** Releases the transport (connection pool). Calls after `close()` reject. */
  readonly close: () => Promise<void>
}

/**
 * Creates the client. Invalid options reject the first call with a `ValidationError` naming the field.
 *
 * @example
 * ```ts
 * import { createDirectClient, Environment, TooEagerPolling } from "@signering/client"
 * import { NodeTlsTransport } from "@signering/node-tls"
 * import { Keystore } from "@signering/protocol"
 * import { Effect } from "effect"
 *
 * const keystore = await Effect.runPromise(Keystore.fromPkcs12(p12Bytes, passphrase))
 * const client = createDirectClient({
 *   environment: Environment.difitest,
 *   keystore,
 *   sender: { organizationNumber: "123456789" },
 *   transport: NodeTlsTransport.layer({ keystore, trustAnchors }),
 * })
 * const job = await client.create(input)
 * try {
 *   const change = await client.getStatusChange()
 * } catch (e) {
 *   if (e instanceof TooEagerPolling) console.log("next poll at", e.nextPermittedPollTime)
 * }
 * await client.close()
 * ```
 */
export const createDirectClient = (options: PromiseClientOptions): PromiseDirectClient => {
  const { transport, ...clientOptions } = options
  const runtime = ManagedRuntime.make(DirectClient.layer(clientOptions).pipe(Layer.provide(transport)))
  const run = <A>(f: (client: DirectClient.Service) => Effect.Effect<A, unknown>): Promise<A> =>
    runtime.runPromise(DirectClient.DirectClient.use(f))
  const toWeb = (download: DirectClient.Download): PromiseDownload => ({
    stream: Stream.toReadableStream(download.stream),
    contentLength: download.contentLength,
    contentType: download.contentType,
  })
  const client: PromiseDirectClient = {
    create: (job, createOptions) => run((c) => c.create(job, createOptions)),
    requestNewRedirectUrl: (signer) => run((c) => c.requestNewRedirectUrl(signer)),
    getStatus: (statusUrl, token, pollingQueue) =>
      run((c) =>
        pollingQueue === undefined ? c.getStatus(statusUrl, token) : c.getStatus(statusUrl, token, pollingQueue),
      ),
    getStatusChange: (sender) => run((c) => c.getStatusChange(sender)),
    confirm: (status) => run((c) => c.confirm(status)),
    getXades: (url) => run((c) => Effect.map(c.getXades(url), toWeb)),
    getXadesBytes: (url) => run((c) => c.getXadesBytes(url)),
    getPades: (url) => run((c) => Effect.map(c.getPades(url), toWeb)),
    getPadesBytes: (url) => run((c) => c.getPadesBytes(url)),
    deleteDocuments: (target) => run((c) => c.deleteDocuments(target)),
    close: () => runtime.dispose(),
  }
  // Lets startPollingWorker and handleExitCallback run on this client's runtime.
  registerClientRuntime(client, runtime)
  return client
}
