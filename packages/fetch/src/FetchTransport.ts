/**
 * The fetch transport for `@signering/client`: an `HttpClient` (from
 * `effect/http`) over any `fetch` — Node's (undici), Deno's, Bun's, an edge
 * runtime's, or a polyfill.
 *
 * Mutual TLS is configured on the fetch implementation: each runtime has its
 * own option (see the README and {@link layer}), and so has the server identity
 * check (the service's certificate names an organization, not a host).
 * {@link bun} configures both for Bun; {@link deno} refuses to start, because
 * Deno's `createHttpClient` cannot check an organization number; on Node (and
 * on Deno, through its Node compatibility) `@signering/node-tls` does both.
 *
 * @since 0.1.0
 */
import { Environment, Exchange, ServerIdentityError } from "@signering/client"
import { OrganizationNumber } from "@signering/protocol"
import { Data, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import * as LeanExchange from "./internal/exchange.js"
import { mapFailure } from "./internal/failure.js"
import { currentRuntime, type Runtime } from "./internal/runtime.js"

/**
 * Any `fetch`: the parameter and result types differ between runtimes and
 * undici's npm package, so they are left open here.
 *
 * @since 0.1.0
 */
// biome-ignore lint/suspicious/noExplicitAny: undici, Deno, Bun and polyfills each type fetch differently
export type Fetch = (input: string | URL, init?: any) => Promise<any>

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The fetch to call. Default: `globalThis.fetch`, looked up when the layer is built. */
  readonly fetch?: Fetch | undefined
  /**
   * Extra `RequestInit` fields for every request, e.g. `dispatcher` (undici),
   * `client` (Deno) or `tls` (Bun). Method, headers, body and signal come from
   * the request and win over these.
   */
  readonly requestInit?:
    | (Omit<globalThis.RequestInit, "dispatcher"> & {
        // undici's npm package and Node's bundled undici type their dispatchers differently: both are accepted.
        readonly dispatcher?: unknown
        readonly [key: string]: unknown
      })
    | undefined
  /**
   * The environment the fetch is configured for: provided as `Environment.Current` next to `HttpClient`, so the
   * client built on this layer needs no `environment` of its own. The adapter itself does not read it (TLS is the
   * fetch's).
   */
  readonly environment?: Environment.Environment | undefined
}

/**
 * Provides `HttpClient` over a `fetch`. Requests and responses stream
 * (request streams use `duplex: "half"`), interruption aborts the fetch, and a
 * failed fetch becomes `HttpClientError` with a `TransportError` reason whose
 * `cause` is the client port's `TransportFailure` (connect, handshake, identity,
 * timeout, aborted or closed early), carrying the runtime's error (on Node
 * `TypeError("fetch failed")` with the socket or TLS error) as its own `cause`.
 *
 * The adapter adds no timeout and no retry; the client owns both.
 *
 * @example Node (undici's `fetch` with a mutual-TLS `Agent`)
 * ```ts
 * import { Effect } from "effect"
 * import { Agent, fetch } from "undici"
 * import { FetchTransport } from "@signering/fetch"
 * import { NodeTlsTransport } from "@signering/node-tls"
 *
 * // connectOptions: key, cert, ca = trust anchors only, rejectUnauthorized, TLS >= 1.2 and the
 * // organization-number check in checkServerIdentity.
 * const connect = await Effect.runPromise(NodeTlsTransport.connectOptions({ keystore, trustAnchors }))
 * // `environment` is for the client built on it, which then needs none of its own.
 * const Transport = FetchTransport.layer({ fetch, requestInit: { dispatcher: new Agent({ connect }) }, environment })
 * ```
 *
 * @example Bun (prefer {@link bun}, which also checks the server's organization number)
 * ```ts
 * const Transport = FetchTransport.layer({
 *   requestInit: { tls: { cert: chainPem, key: keyPem, ca: anchorPem, checkServerIdentity } },
 * })
 * ```
 *
 * @since 0.1.0
 */
export function layer(
  options: Options & { readonly environment: Environment.Environment },
): Layer.Layer<HttpClient.HttpClient | Environment.Current>
export function layer(options?: Options): Layer.Layer<HttpClient.HttpClient>
export function layer(options: Options = {}): Layer.Layer<HttpClient.HttpClient> {
  const http = httpLayer(options)
  return options.environment === undefined ? http : Layer.merge(http, Environment.layer(options.environment))
}

const httpLayer = (options: Options): Layer.Layer<HttpClient.HttpClient> =>
  // effect's fetch client reads both from the context it was built in.
  Layer.provide(
    // Failures leave as the client port's TransportFailure: this adapter maps its runtime's codes.
    Layer.effect(
      HttpClient.HttpClient,
      Effect.gen(function* () {
        const client = yield* HttpClient.HttpClient
        const fetch = yield* FetchHttpClient.Fetch
        const init = yield* FetchHttpClient.RequestInit
        // The clients of `@signering/client` take the lean lane over the same fetch and RequestInit; other code
        // gets effect's fetch client.
        return Exchange.attach(
          HttpClient.transformResponse(client, Effect.mapError(mapFailure)),
          LeanExchange.make(fetch, init),
        )
      }),
    ).pipe(Layer.provide(FetchHttpClient.layer)),
    Layer.mergeAll(
      Layer.sync(FetchHttpClient.Fetch, () => (options.fetch ?? globalThis.fetch) as typeof globalThis.fetch),
      Layer.succeed(FetchHttpClient.RequestInit, (options.requestInit ?? {}) as globalThis.RequestInit),
    ),
  )

/**
 * A runtime helper cannot build a transport: the options are incomplete or wrong (`field` names the option),
 * or the runtime cannot do what the service requires. `reason`:
 * - `UnsupportedRuntime`: the helper was called outside its runtime (e.g. `FetchTransport.bun` under Node);
 * - `ServerIdentityUnsupported`: the runtime's `fetch` cannot check the server's organization number (Deno's
 *   `createHttpClient` only matches host names), so the transport refuses to talk at all;
 * - `MissingTrustAnchors`, `InvalidTrustAnchor`, `InvalidClientCertificate`, `InvalidOption`.
 *
 * The same `_tag` as `@signering/node-tls`'s error, so one `catchTag` handles both. Never carries key material.
 *
 * @example
 * ```ts
 * const program = Effect.provide(myProgram, FetchTransport.bun({ keystore, environment })).pipe(
 *   Effect.catchTag("TransportConfigError", (error) => Effect.logError(error.reason, error.message)),
 * )
 * ```
 *
 * @since 0.1.0
 */
export class TransportConfigError extends Data.TaggedError("TransportConfigError")<{
  readonly reason:
    | "UnsupportedRuntime"
    | "ServerIdentityUnsupported"
    | "MissingTrustAnchors"
    | "InvalidTrustAnchor"
    | "InvalidClientCertificate"
    | "InvalidOption"
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.field}: ${this.detail}`
  }
}

/**
 * Options of the runtime helpers {@link bun} and {@link deno}: the same shape as `NodeTlsTransport.layer`'s,
 * except that trust anchors are PEM text (there is no file system API common to every runtime).
 *
 * @example
 * ```ts
 * const options: FetchTransport.RuntimeOptions = {
 *   keystore, // a Keystore from @signering/protocol
 *   environment: Environment.custom({ apiRoot, trustAnchors: [caPem] }),
 * }
 * ```
 *
 * @since 0.1.0
 */
export interface RuntimeOptions {
  /** The enterprise certificate: a `Keystore` from `@signering/protocol`, or the chain and key PEM. */
  readonly keystore: {
    readonly certificateChainPem: string
    readonly privateKeyPem: Redacted.Redacted<string>
  }
  /** The environment, for its expected organization number and its trust anchors. */
  readonly environment?:
    | { readonly serverOrganizationNumber: string; readonly trustAnchors?: ReadonlyArray<string> | undefined }
    | undefined
  /** The CA certificates (PEM text) a server chain must lead to, and nothing else. Wins over the environment's. */
  readonly trustAnchors?: string | ReadonlyArray<string> | undefined
  /** The organization number the server's certificate must carry. Default: the environment's, else 984661185. */
  readonly serverOrganizationNumber?: string | undefined
  /** The fetch to call. Default: the runtime's global `fetch`. */
  readonly fetch?: Fetch | undefined
}

const configError = (reason: TransportConfigError["reason"], field: string, detail: string) =>
  new TransportConfigError({ reason, field, detail })

const certificatePems = (pem: string): Array<string> =>
  pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []

interface CheckedOptions {
  readonly organization: string
  readonly anchors: ReadonlyArray<string>
  readonly chainPem: string
  readonly key: Redacted.Redacted<string>
}

const checkOptions = (options: RuntimeOptions): Effect.Effect<CheckedOptions, TransportConfigError> =>
  Effect.suspend(() => {
    const organization =
      options.serverOrganizationNumber ?? options.environment?.serverOrganizationNumber ?? "984661185"
    if (!/^\d{9}$/.test(organization))
      return Effect.fail(
        configError(
          "InvalidOption",
          "serverOrganizationNumber",
          `must be a 9-digit organization number, got "${organization}"`,
        ),
      )
    const input = options.trustAnchors ?? options.environment?.trustAnchors
    const inputs = input === undefined ? [] : typeof input === "string" ? [input] : input
    if (inputs.every((anchor) => anchor.trim() === ""))
      return Effect.fail(
        configError(
          "MissingTrustAnchors",
          "trustAnchors",
          "no trust anchors: pass the environment's CA certificates (PEM); the runtime's public roots are never used for the service",
        ),
      )
    const anchors = inputs.flatMap(certificatePems)
    const unreadable = inputs.findIndex((anchor) => anchor.trim() !== "" && certificatePems(anchor).length === 0)
    if (unreadable >= 0)
      return Effect.fail(
        configError("InvalidTrustAnchor", `trustAnchors[${unreadable}]`, "is not PEM certificate text"),
      )
    if (options.keystore === undefined || certificatePems(options.keystore.certificateChainPem ?? "").length === 0)
      return Effect.fail(
        configError("InvalidClientCertificate", "keystore.certificateChainPem", "is not PEM certificate text"),
      )
    if (
      !Redacted.isRedacted(options.keystore.privateKeyPem) ||
      !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(Redacted.value(options.keystore.privateKeyPem))
    )
      return Effect.fail(
        configError("InvalidClientCertificate", "keystore.privateKeyPem", "is not a Redacted PEM private key"),
      )
    return Effect.succeed({
      organization,
      anchors,
      chainPem: options.keystore.certificateChainPem,
      key: options.keystore.privateKeyPem,
    })
  })

const describeSubject = (subject: OrganizationNumber.Subject | undefined): string =>
  subject === undefined
    ? "(none)"
    : Object.entries(subject)
        .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : String(value)}`)
        .join(", ")

/**
 * A `checkServerIdentity` for runtimes whose TLS options take one (Bun's `fetch`, Node's and Deno's
 * `node:tls`): it ignores the host name (the service's certificate names none) and accepts the certificate
 * only when it carries the expected organization number, read from its DER where the runtime gives it.
 * It returns `@signering/client`'s `ServerIdentityError`, which the client reports as a `TransportError`
 * with reason `ServerIdentity`. The chain itself is checked by the runtime against `ca`.
 *
 * @example
 * ```ts
 * const tls = { cert, key, ca, checkServerIdentity: FetchTransport.checkServerIdentity("984661185") }
 * ```
 *
 * @since 0.1.0
 */
export const checkServerIdentity =
  (expectedOrganizationNumber: string) =>
  (_hostname: string, certificate: OrganizationNumber.PeerCertificate | undefined): ServerIdentityError | undefined => {
    const actual = OrganizationNumber.ofPeerCertificate(certificate)
    if (actual === expectedOrganizationNumber) return undefined
    return new ServerIdentityError({
      reason: actual === undefined ? "NoOrganizationNumber" : "OrganizationMismatch",
      expectedOrganizationNumber,
      actualOrganizationNumber: actual,
      subject: describeSubject(certificate?.subject),
    })
  }

const requireRuntime = (expected: Runtime, helper: string): Effect.Effect<void, TransportConfigError> =>
  Effect.suspend(() => {
    const runtime = currentRuntime()
    return runtime === expected
      ? Effect.void
      : Effect.fail(
          configError(
            "UnsupportedRuntime",
            "runtime",
            `FetchTransport.${helper} needs ${expected}, this is ${runtime}; on Node use @signering/node-tls`,
          ),
        )
  })

/**
 * The transport for Bun: Bun's `fetch` with its `tls` options — the enterprise certificate chain and key, the
 * trust anchors as the only CAs, and the organization-number check in place of host-name matching. Fails
 * with a {@link TransportConfigError} (naming the option) before any request when the options are incomplete,
 * and with reason `UnsupportedRuntime` outside Bun.
 *
 * @example
 * ```ts
 * import { DirectClient, Environment } from "@signering/client"
 * import { FetchTransport } from "@signering/fetch"
 * import { Keystore } from "@signering/protocol"
 * import { Effect, Layer } from "effect"
 *
 * const keystore = await Effect.runPromise(Keystore.fromPkcs12Effect(p12Bytes, passphrase))
 * const environment = Environment.custom({ apiRoot, trustAnchors: [caPem] })
 * // The environment once: the transport provides it to the client (`Environment.Current`).
 * const Client = DirectClient.layer({ keystore }).pipe(Layer.provide(FetchTransport.bun({ keystore, environment })))
 * ```
 *
 * @since 0.1.0
 */
export function bun(
  options: RuntimeOptions & { readonly environment: Environment.Environment },
): Layer.Layer<HttpClient.HttpClient | Environment.Current, TransportConfigError>
export function bun(options: RuntimeOptions): Layer.Layer<HttpClient.HttpClient, TransportConfigError>
export function bun(options: RuntimeOptions): Layer.Layer<HttpClient.HttpClient, TransportConfigError> {
  return Layer.unwrap(
    Effect.gen(function* () {
      // Options first: a wrong option is reported the same way on every runtime.
      const checked = yield* checkOptions(options)
      yield* requireRuntime("Bun", "bun")
      const tls = {
        cert: checked.chainPem,
        key: Redacted.value(checked.key),
        ca: [...checked.anchors],
        rejectUnauthorized: true,
        checkServerIdentity: checkServerIdentity(checked.organization),
      }
      // The key is unwrapped for Bun's TLS; keep it out of logs should the options be printed.
      const redacted = () => ({ ...tls, key: "<redacted>" })
      Object.defineProperty(tls, "toJSON", { value: redacted, enumerable: false })
      Object.defineProperty(tls, Symbol.for("nodejs.util.inspect.custom"), { value: redacted, enumerable: false })
      // A whole environment (with its API root) is also the client's: provided as `Environment.Current`.
      return layer({
        fetch: options.fetch,
        requestInit: { tls },
        environment: Environment.isEnvironment(options.environment) ? options.environment : undefined,
      })
    }),
  )
}

/**
 * The fetch transport for Deno — which refuses to start. Deno's `fetch` takes the client certificate through
 * `Deno.createHttpClient({ cert, key, caCerts })`, but it always matches the server's host name and offers no
 * hook to check an organization number instead; the service's certificate names no host, and the only
 * switch (`--unsafely-ignore-certificate-errors`) turns every check off. Rather than talk without the
 * identity check, this fails with reason `ServerIdentityUnsupported` (under Deno) or `UnsupportedRuntime`
 * (elsewhere), after checking the options so that the message is the only thing left to act on.
 *
 * On Deno use `NodeTlsTransport.layer` from `@signering/node-tls` (it runs under Deno's Node compatibility,
 * with the full check) or {@link layer} with undici's `fetch` and an `Agent` built from
 * `NodeTlsTransport.connectOptions`.
 *
 * @example
 * ```ts
 * // Under Deno:
 * const exit = await Effect.runPromiseExit(Layer.build(FetchTransport.deno({ keystore, environment })).pipe(Effect.scoped))
 * // Failure: TransportConfigError { reason: "ServerIdentityUnsupported", field: "runtime" }
 * ```
 *
 * @since 0.1.0
 */
export const deno = (options: RuntimeOptions): Layer.Layer<HttpClient.HttpClient, TransportConfigError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      yield* checkOptions(options)
      yield* requireRuntime("Deno", "deno")
      return yield* configError(
        "ServerIdentityUnsupported",
        "runtime",
        "Deno.createHttpClient matches host names only and cannot check the server's organization number; " +
          "use NodeTlsTransport.layer from @signering/node-tls under Deno's Node compatibility",
      )
    }),
  )
