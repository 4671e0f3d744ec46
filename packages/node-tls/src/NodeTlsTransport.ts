import type { ConnectionOptions } from "node:tls"
import { Environment, Exchange } from "@signering/client"
import { Clock, Config, Duration, Effect, Layer, Option, Redacted, type Scope, Stream } from "effect"
import { HttpClient, HttpClientError } from "effect/http"
import { Agent, type Dispatcher, ProxyAgent } from "undici"
import * as LeanExchange from "./internal/exchange.js"
import { toTransportFailure } from "./internal/failure.js"
import {
  checkCredentials,
  configError,
  currentAnchors,
  loadTrustAnchors,
  type Options,
  preflightCertificate,
  type TransportConfigError,
} from "./internal/options.js"
import { UndiciResponse } from "./internal/undiciResponse.js"
import { checkServerIdentity, POSTEN_ORGANIZATION_NUMBER } from "./ServerIdentity.js"

export { type ClientCredentials, type Options, TransportConfigError } from "./internal/options.js"

/**
 * What {@link connectOptions} gives: options for `tls.connect`, accepted as-is
 * by undici's `Agent` `connect` option. `key` is the unwrapped private key;
 * printing the object (inspect, JSON) shows it redacted, but copies of it are
 * plain objects.
 *
 * @since 0.1.0
 */
export interface TlsConnectOptions {
  readonly key: string
  readonly cert: string
  readonly ca: Array<string>
  readonly rejectUnauthorized: true
  readonly minVersion: "TLSv1.2"
  readonly checkServerIdentity: NonNullable<ConnectionOptions["checkServerIdentity"]>
  /** Connect timeout in milliseconds (TCP plus TLS handshake). */
  readonly timeout: number
}

/**
 * The `connect` options handed to undici (and to `tls.connect`): mutual TLS,
 * TLS 1.2 or later, the trust anchors as the only CAs, and the
 * organization-number check instead of host-name matching. Useful to build your
 * own undici `Agent`, e.g. for `@signering/fetch` on Node.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Agent, fetch } from "undici"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * const program = Effect.gen(function* () {
 *   const connect = yield* NodeTlsTransport.connectOptions({ keystore, trustAnchors: "./anchors/test" })
 *   const agent = new Agent({ connect })
 *   return (input: string, init?: Parameters<typeof fetch>[1]) => fetch(input, { ...init, dispatcher: agent })
 * })
 * ```
 *
 * @since 0.1.0
 */
export const connectOptions = (
  options: Pick<
    Options,
    "keystore" | "environment" | "trustAnchors" | "serverOrganizationNumber" | "connectTimeout" | "anchorSets"
  >,
): Effect.Effect<TlsConnectOptions, TransportConfigError> =>
  Effect.gen(function* () {
    const organization =
      options.serverOrganizationNumber ?? options.environment?.serverOrganizationNumber ?? POSTEN_ORGANIZATION_NUMBER
    if (!/^\d{9}$/.test(organization)) {
      return yield* configError(
        "InvalidOption",
        "serverOrganizationNumber",
        `must be a 9-digit organization number, got "${organization}"`,
      )
    }
    const now = yield* Clock.currentTimeMillis
    const anchors = yield* currentAnchors(
      yield* loadTrustAnchors(options.trustAnchors ?? options.environment?.trustAnchors),
      now,
    )
    const chain = yield* checkCredentials(options.keystore)
    yield* preflightCertificate(chain, options, now)
    const timeout = yield* positiveMillis("connectTimeout", options.connectTimeout, 10_000)
    const connect: TlsConnectOptions = {
      key: Redacted.value(options.keystore.privateKeyPem),
      cert: options.keystore.certificateChainPem,
      // Only the anchors: Node's bundled public roots must never vouch for the service.
      ca: anchors.map((anchor) => anchor.toString()),
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      checkServerIdentity: checkServerIdentity(organization),
      timeout,
    }
    // The key is unwrapped here for TLS; keep it out of logs and JSON should the options be printed.
    const redacted = () => ({ ...connect, key: "<redacted>" })
    Object.defineProperty(connect, "toJSON", { value: redacted, enumerable: false })
    Object.defineProperty(connect, Symbol.for("nodejs.util.inspect.custom"), { value: redacted, enumerable: false })
    return connect
  })

const positiveMillis = (field: string, input: Duration.Input | undefined, fallback: number) =>
  Effect.suspend(() => {
    if (input === undefined) return Effect.succeed(fallback)
    const millis = Duration.toMillis(input)
    return Number.isFinite(millis) && millis > 0
      ? Effect.succeed(millis)
      : Effect.fail(configError("InvalidOption", field, `must be a positive, finite duration, got ${String(input)}`))
  })

/**
 * An undici dispatcher (an `Agent`, or a `ProxyAgent` when `proxy` is set)
 * configured for the service, closed when the scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * const client = Effect.map(
 *   NodeTlsTransport.makeDispatcher({ keystore, trustAnchors: caPem, serverOrganizationNumber: "123456785" }),
 *   NodeTlsTransport.make,
 * )
 * ```
 *
 * @since 0.1.0
 */
export const makeDispatcher = (options: Options): Effect.Effect<Dispatcher, TransportConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    // Bun answers `import "undici"` with a built-in whose Agent ignores the TLS options: no client certificate,
    // no trust anchors, no organization-number check. Refuse rather than talk without them.
    if ((globalThis as { readonly Bun?: unknown }).Bun !== undefined) {
      return yield* configError(
        "UnsupportedRuntime",
        "runtime",
        "Bun's built-in undici ignores the Agent's TLS options; on Bun use FetchTransport.bun from @signering/fetch",
      )
    }
    const connect = yield* connectOptions(options)
    const connections = options.connections ?? 10
    if (!Number.isInteger(connections) || connections < 1 || connections > 1024) {
      return yield* configError("InvalidOption", "connections", `must be an integer from 1 to 1024, got ${connections}`)
    }
    const keepAliveTimeout = yield* positiveMillis("keepAliveTimeout", options.keepAliveTimeout, 4_000)
    const common = {
      connections,
      keepAliveTimeout,
      // Timeouts belong to the client (Effect.timeout); undici's own would race it.
      headersTimeout: 0,
      bodyTimeout: 0,
    }
    const proxy = options.proxy
    if (proxy === undefined) {
      return yield* Effect.acquireRelease(
        Effect.sync(() => new Agent({ ...common, connect })),
        (agent) => Effect.promise(() => agent.destroy()),
      )
    }
    const uri = typeof proxy === "string" ? proxy : proxy.uri
    try {
      new URL(uri)
    } catch {
      return yield* configError("InvalidOption", "proxy", "must be an absolute URL such as http://proxy.example:3128")
    }
    const token = typeof proxy === "string" || proxy.token === undefined ? undefined : Redacted.value(proxy.token)
    return yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new ProxyAgent({
            ...common,
            uri,
            ...(token === undefined ? {} : { token }),
            requestTls: connect,
            proxyTls: { timeout: connect.timeout },
          }),
      ),
      (agent) => Effect.promise(() => agent.destroy()),
    )
  })

// The cause is the port's TransportFailure (undici's codes are mapped here, in the adapter that knows them).
const transportError = (request: Parameters<Parameters<typeof HttpClient.make>[0]>[0], cause: unknown) =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.TransportError({ request, cause: toTransportFailure(cause) }),
  })

// undici also streams any async iterable, which its types do not list.
type RequestBody = Exclude<Dispatcher.DispatchOptions["body"], undefined> | AsyncIterable<Uint8Array>

/**
 * An `HttpClient` that sends every request through `dispatcher`. Failures
 * before a response arrives become `HttpClientError` with a `TransportError`
 * reason whose `cause` is a `TransportFailure` (the client's port: connect,
 * handshake, identity, timeout, aborted or closed early) carrying undici's (or
 * Node's TLS) error as its own `cause`.
 *
 * @example
 * ```ts
 * import { Agent } from "undici"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * const client = NodeTlsTransport.make(new Agent())
 * ```
 *
 * @since 0.1.0
 */
export const make = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  // The clients of `@signering/client` use the lean lane over the same dispatcher; other code gets effect's client.
  Exchange.attach(httpClient(dispatcher), LeanExchange.make(dispatcher))

const httpClient = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) => {
    const send = (body: RequestBody) =>
      Effect.map(
        Effect.tryPromise({
          try: () =>
            dispatcher.request({
              origin: url.origin,
              path: url.pathname + url.search,
              method: request.method,
              headers: request.headers,
              body: body as Dispatcher.DispatchOptions["body"] & {},
              signal,
              headersTimeout: 0,
              bodyTimeout: 0,
            }),
          catch: (cause) => transportError(request, cause),
        }),
        (response) => new UndiciResponse(request, url.href, response) as never,
      )
    const body = request.body
    switch (body._tag) {
      case "Empty":
        return send(null)
      case "Uint8Array":
        return send(body.body)
      case "Raw":
        return send(body.body as RequestBody)
      case "FormData":
        return send(body.formData as unknown as RequestBody)
      case "Stream":
        return Effect.flatMap(Stream.toAsyncIterableEffect(body.stream), send)
    }
  })

/**
 * Provides `HttpClient` on an undici dispatcher that the layer owns: mutual TLS
 * with the `keystore`, `trustAnchors` as the only CAs, the organization-number
 * check, a keep-alive pool and optionally a proxy. The pool is closed with the
 * layer's scope. Building fails with {@link TransportConfigError} when an option
 * is missing or unusable.
 *
 * Given a whole `Environment` (e.g. `Environment.difitest`), the layer also
 * provides it as `Environment.Current`, so the client built on it needs no
 * `environment` of its own.
 *
 * @example
 * ```ts
 * import { DirectClient, Environment } from "@signering/client"
 * import { NodeTlsTransport } from "@signering/node-tls"
 * import { Layer } from "effect"
 *
 * // The environment once, to the transport: the client takes it from there.
 * const Client = DirectClient.layer({ keystore, sender: { organizationNumber: "123456785" } }).pipe(
 *   Layer.provide(NodeTlsTransport.layer({ keystore, environment: Environment.difitest })),
 * )
 * ```
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpClient } from "effect/http"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * // keystore: from Keystore.fromPkcs12(...) or Keystore.fromPem(...) in @signering/protocol
 * const Transport = NodeTlsTransport.layer({
 *   keystore,
 *   trustAnchors: "./trust/test", // Buypass/Commfides test anchors
 *   connections: 16,
 * })
 *
 * const program = HttpClient.get("https://api.difitest.signering.posten.no/api/123456789").pipe(
 *   Effect.flatMap((response) => response.text),
 *   Effect.provide(Transport),
 * )
 * ```
 *
 * @since 0.1.0
 */
export function layer(
  options: Options & { readonly environment: Environment.Environment },
): Layer.Layer<HttpClient.HttpClient | Environment.Current, TransportConfigError>
export function layer(options: Options): Layer.Layer<HttpClient.HttpClient, TransportConfigError>
export function layer(options: Options): Layer.Layer<HttpClient.HttpClient, TransportConfigError> {
  const http = Layer.effect(HttpClient.HttpClient, Effect.map(makeDispatcher(options), make))
  // Only a whole environment (with its API root) can stand for the client's; a bare organization number cannot.
  return Environment.isEnvironment(options.environment)
    ? Layer.merge(http, Environment.layer(options.environment))
    : http
}

/**
 * Provides `HttpClient` on a dispatcher you own and close yourself, e.g. an
 * undici `Agent` shared with other code or a `MockAgent` in tests. Its TLS
 * settings are yours: use {@link connectOptions} to get the service's.
 *
 * @example
 * ```ts
 * import { Agent } from "undici"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * const agent = new Agent({ connect: tlsOptions })
 * const Transport = NodeTlsTransport.layerDispatcher(agent)
 * ```
 *
 * @since 0.1.0
 */
export const layerDispatcher = (dispatcher: Dispatcher): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(dispatcher))

/**
 * Names read by {@link layerConfig} (environment variables by default):
 *
 * - `SIGNERING_ENVIRONMENT`: `production`, `difitest` (`staging`) or `difiqa` gives that built-in environment (its
 *   trust anchors, Posten's organization number and the certificate check), as the client reads it; other values
 *   (`custom`) give none
 * - `SIGNERING_TRUST_ANCHORS`: PEM text, or comma-separated paths of files or directories
 * - `SIGNERING_SERVER_ORGANIZATION_NUMBER`: the server's organization number (shared with the client's config)
 * - `SIGNERING_CONNECTIONS`: keep-alive connections
 * - `SIGNERING_CONNECT_TIMEOUT`: a duration such as `5 seconds`
 * - `SIGNERING_PROXY`: proxy URL (read as a secret: it may carry credentials)
 *
 * @since 0.1.0
 */
export const configNames = {
  environment: "SIGNERING_ENVIRONMENT",
  trustAnchors: "SIGNERING_TRUST_ANCHORS",
  serverOrganizationNumber: "SIGNERING_SERVER_ORGANIZATION_NUMBER",
  connections: "SIGNERING_CONNECTIONS",
  connectTimeout: "SIGNERING_CONNECT_TIMEOUT",
  proxy: "SIGNERING_PROXY",
} as const

const optional = <A>(config: Config.Config<A>) => Config.option(config).pipe(Config.map(Option.getOrUndefined))

const splitAnchors = (value: string): ReadonlyArray<string> =>
  value.includes("-----BEGIN")
    ? [value]
    : value
        .split(",")
        .map((path) => path.trim())
        .filter((path) => path !== "")

/**
 * The transport configured from `Config` (names in {@link configNames}), for twelve-factor setups. The keystore
 * comes from the caller; options given here win over the configuration.
 *
 * @example
 * ```ts
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * // SIGNERING_TRUST_ANCHORS=/etc/signering/anchors/test SIGNERING_CONNECTIONS=16
 * const Transport = NodeTlsTransport.layerConfig({ keystore })
 * ```
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: Pick<Options, "keystore"> & Partial<Omit<Options, "keystore">>,
): Layer.Layer<HttpClient.HttpClient, TransportConfigError | Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* Config.all({
        environment: optional(Config.String(configNames.environment)),
        trustAnchors: optional(Config.String(configNames.trustAnchors)),
        serverOrganizationNumber: optional(Config.String(configNames.serverOrganizationNumber)),
        connections: optional(Config.Int(configNames.connections)),
        connectTimeout: optional(Config.Duration(configNames.connectTimeout)),
        proxy: optional(Config.Redacted(configNames.proxy)),
      })
      const environment = config.environment === undefined ? undefined : Environment.fromName(config.environment)
      const fromConfig: Partial<Options> = {
        ...(environment === undefined ? {} : { environment }),
        ...(config.trustAnchors === undefined ? {} : { trustAnchors: splitAnchors(config.trustAnchors) }),
        ...(config.serverOrganizationNumber === undefined
          ? {}
          : { serverOrganizationNumber: config.serverOrganizationNumber }),
        ...(config.connections === undefined ? {} : { connections: config.connections }),
        ...(config.connectTimeout === undefined ? {} : { connectTimeout: config.connectTimeout }),
        ...(config.proxy === undefined ? {} : { proxy: Redacted.value(config.proxy) }),
      }
      const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
      return layer({ ...fromConfig, ...defined } as Options)
    }),
  )
