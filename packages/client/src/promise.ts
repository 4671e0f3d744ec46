/**
 * The clients for code that does not use Effect: the same operations as `async` methods, derived from the Effect
 * services (a mapped type and one generic wrapper, so the Promise API cannot drift from the Effect API). Errors are
 * the same tagged classes as in Effect code (`instanceof TooEagerPolling`, `switch (error._tag)`).
 *
 * @since 0.1.0
 */
import type { Context } from "effect"
import { Cause, Effect, Exit, Layer, Logger, ManagedRuntime, References, Stream } from "effect"
import type { HttpClient } from "effect/http"
import * as ArchiveClient from "./ArchiveClient.js"
import { ClientClosed } from "./ClientError.js"
import type * as ClientOptions from "./ClientOptions.js"
import * as DirectClient from "./DirectClient.js"
import type * as Environment from "./Environment.js"
import { registerClientRuntime } from "./internal/clientRuntime.js"
import type { Download } from "./internal/pipeline.js"
import * as PortalClient from "./PortalClient.js"

/**
 * Where the Promise clients' log lines go. Default: warnings and errors to stderr (`console.error`), nothing else.
 *
 * @example
 * ```ts
 * createDirectClient({ ...options, logLevel: "None" }) // silent
 * createDirectClient({ ...options, logger: (entry) => pino[entry.level.toLowerCase()](entry.message) })
 * ```
 */
export interface LogEntry {
  readonly level: "Fatal" | "Error" | "Warn" | "Info" | "Debug" | "Trace"
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly date: Date
}

/**
 * Options of {@link createDirectClient}, {@link createPortalClient} and {@link createArchiveClient}: the client
 * options plus the transport layer and logging. The environment is given once: to the transport, which provides it
 * to the client, or to the client (then the transport needs its trust anchors some other way).
 *
 * @example
 * ```ts
 * createDirectClient({ keystore, transport: NodeTlsTransport.layer({ keystore, environment: Environment.difitest }) })
 * ```
 */
export interface PromiseClientOptions extends ClientOptions.Options {
  /**
   * The transport: a layer providing effect's `HttpClient`, such as `NodeTlsTransport.layer({ keystore, environment })`
   * from `@signering/node-tls` or `FetchTransport.layer()` from `@signering/fetch`. When it also provides
   * `Environment.Current` (the transports do when given an environment), `environment` may be left out here.
   */
  readonly transport:
    | Layer.Layer<HttpClient.HttpClient | Environment.Current, unknown>
    | Layer.Layer<HttpClient.HttpClient, unknown>
  /** The lowest level logged. Default `"Warn"`; `"None"` silences the client. */
  readonly logLevel?: "None" | "Error" | "Warn" | "Info" | "Debug" | undefined
  /** Receives each log line at or above `logLevel`. Default: one line on stderr. */
  readonly logger?: ((entry: LogEntry) => void) | undefined
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

type PromiseResult<A> = A extends Download ? PromiseDownload : A

/**
 * The Promise form of a service: each method returning an `Effect` returns a `Promise` of its success (a stream
 * download as a web `ReadableStream`), plus `close()`.
 *
 * @example
 * ```ts
 * import { createPortalClient, type PortalClient, type PromiseOf } from "@signering/client"
 * const client: PromiseOf<PortalClient.Service> = createPortalClient(options) // create: (...) => Promise<CreatedJob>, ...
 * ```
 */
export type PromiseOf<S> = {
  readonly [K in keyof S as S[K] extends (...args: never) => Effect.Effect<unknown, unknown>
    ? K
    : never]: S[K] extends (...args: infer P) => Effect.Effect<infer A, unknown>
    ? (...args: P) => Promise<PromiseResult<A>>
    : never
} & {
  /** Releases the transport (connection pool). Calls after `close()` reject with `ClientClosed`. */
  readonly close: () => Promise<void>
}

/**
 * The Promise direct client: the operations of `DirectClient` plus `close()`.
 *
 * @example
 * ```ts
 * const client: PromiseDirectClient = createDirectClient(options)
 * await client.close()
 * ```
 */
export type PromiseDirectClient = PromiseOf<DirectClient.Service>

/**
 * The Promise portal client: the operations of `PortalClient` plus `close()`.
 *
 * @example
 * ```ts
 * const client: PromisePortalClient = createPortalClient(options)
 * ```
 */
export type PromisePortalClient = PromiseOf<PortalClient.Service>

/**
 * The Promise archive client: the operations of `ArchiveClient` plus `close()`.
 *
 * @example
 * ```ts
 * const client: PromiseArchiveClient = createArchiveClient(options)
 * ```
 */
export type PromiseArchiveClient = PromiseOf<ArchiveClient.Service>

const isDownload = (value: unknown): value is Download =>
  typeof value === "object" &&
  value !== null &&
  "stream" in value &&
  Stream.isStream((value as { stream: unknown }).stream) &&
  "contentLength" in value

const toWeb = (value: unknown): unknown =>
  isDownload(value)
    ? {
        stream: Stream.toReadableStream(value.stream),
        contentLength: value.contentLength,
        contentType: value.contentType,
      }
    : value

const loggerLayer = (options: PromiseClientOptions) => {
  const level = options.logLevel ?? "Warn"
  const sink =
    options.logger ??
    ((entry: LogEntry) => {
      const annotations = Object.entries(entry.annotations)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ")
      console.error(`[signering] ${entry.level} ${entry.message}${annotations === "" ? "" : ` ${annotations}`}`)
    })
  const logger = Logger.make((entry) => {
    const message = (Array.isArray(entry.message) ? entry.message : [entry.message]).map(String).join(" ")
    const annotations = entry.fiber.getRef(References.CurrentLogAnnotations) as Readonly<Record<string, unknown>>
    if (entry.logLevel === "All" || entry.logLevel === "None") return
    sink({ level: entry.logLevel, message, annotations: annotations ?? {}, date: entry.date })
  })
  return Layer.mergeAll(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel)(level))
}

/**
 * Builds a Promise client over any service tag: one runtime per client, each method run on it.
 */
const facade = <I, S extends object>(
  tag: Context.Key<I, S>,
  clientLayer: Layer.Layer<I, unknown, HttpClient.HttpClient>,
  options: PromiseClientOptions,
  methods: ReadonlyArray<keyof S & string>,
): { readonly client: PromiseOf<S>; readonly runtime: ManagedRuntime.ManagedRuntime<I, unknown> } => {
  const runtime = ManagedRuntime.make(
    clientLayer.pipe(Layer.provide(options.transport), Layer.provideMerge(loggerLayer(options))),
  )
  let closed = false
  const client: Record<string, unknown> = {
    close: () => {
      closed = true
      return runtime.dispose()
    },
  }
  for (const method of methods) {
    client[method] = (...args: ReadonlyArray<unknown>) => {
      if (closed) return Promise.reject(new ClientClosed({ operation: method }))
      const program = Effect.flatMap(Effect.service(tag), (service: S) =>
        Effect.map(
          (service[method] as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...args),
          toWeb,
        ),
      )
      return runtime.runPromiseExit(program).then((exit) => {
        if (Exit.isSuccess(exit)) return exit.value
        if (closed) throw new ClientClosed({ operation: method })
        throw Cause.squash(exit.cause)
      })
    }
  }
  return { client: client as PromiseOf<S>, runtime }
}

const directMethods = [
  "create",
  "requestNewRedirectUrl",
  "getStatus",
  "getStatusChange",
  "confirm",
  "getXades",
  "getXadesBytes",
  "getPades",
  "getPadesBytes",
  "deleteDocuments",
  "whoami",
  "clockOffset",
] as const satisfies ReadonlyArray<keyof DirectClient.Service>

/**
 * Creates the direct client. Invalid options reject the first call with a `ValidationError` naming the field.
 *
 * @example
 * ```ts
 * import { createDirectClient, Environment, TooEagerPolling } from "@signering/client"
 * import { NodeTlsTransport } from "@signering/node-tls"
 * import { Keystore } from "@signering/protocol"
 *
 * const keystore = Keystore.fromPkcs12OrThrow(p12Bytes, passphrase)
 * const client = createDirectClient({
 *   keystore,
 *   sender: { organizationNumber: "123456785" },
 *   // The environment once, to the transport: the client takes it from there.
 *   transport: NodeTlsTransport.layer({ keystore, environment: Environment.difitest }),
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
  const { transport: _transport, logLevel: _level, logger: _logger, ...clientOptions } = options
  const { client, runtime } = facade(
    DirectClient.DirectClient,
    DirectClient.layer(clientOptions),
    options,
    directMethods,
  )
  // Lets startPollingWorker and handleExitCallback run on this client's runtime.
  registerClientRuntime(client, runtime, "direct")
  return client
}

/**
 * Creates the portal client.
 *
 * @example
 * ```ts
 * import { createPortalClient, Environment } from "@signering/client"
 * import { NodeTlsTransport } from "@signering/node-tls"
 * const transport = NodeTlsTransport.layer({ keystore, environment: Environment.difitest })
 * const client = createPortalClient({ keystore, sender, transport })
 * const job = await client.create(input)
 * const change = await client.getStatusChange()
 * if (change._tag === "StatusChange") await client.confirm(change.status)
 * ```
 */
export const createPortalClient = (options: PromiseClientOptions): PromisePortalClient => {
  const { transport: _transport, logLevel: _level, logger: _logger, ...clientOptions } = options
  const { client, runtime } = facade(
    PortalClient.PortalClient,
    PortalClient.layer(clientOptions),
    options,
    PortalClient.methods,
  )
  // Lets startPortalPollingWorker run on this client's runtime.
  registerClientRuntime(client, runtime, "portal")
  return client
}

/**
 * Creates the archive client.
 *
 * @example
 * ```ts
 * import { createArchiveClient, Environment } from "@signering/client"
 * const archive = createArchiveClient({ environment: Environment.production, sender, transport })
 * const pdf = await archive.getPadesBytes("archived-document-id")
 * ```
 */
export const createArchiveClient = (options: PromiseClientOptions): PromiseArchiveClient => {
  const { transport: _transport, logLevel: _level, logger: _logger, ...clientOptions } = options
  return facade(ArchiveClient.ArchiveClient, ArchiveClient.layer(clientOptions), options, ArchiveClient.methods).client
}
