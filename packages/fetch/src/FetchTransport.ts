/**
 * The fetch transport for `@signering/client`: an `HttpClient` (from
 * `effect/http`) over any `fetch` — Node's (undici), Deno's, Bun's, an edge
 * runtime's, or a polyfill.
 *
 * Mutual TLS is configured on the fetch implementation, not here: each runtime
 * has its own option (see the README and {@link layer}). The server identity
 * check (the service's certificate names an organization, not a host) is also
 * the runtime's job; on Node, `@signering/node-tls` does it for you.
 *
 * @since 0.1.0
 */
import { Layer } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"

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
  readonly requestInit?: (globalThis.RequestInit & { readonly [key: string]: unknown }) | undefined
}

/**
 * Provides `HttpClient` over a `fetch`. Requests and responses stream
 * (request streams use `duplex: "half"`), interruption aborts the fetch, and a
 * failed fetch becomes `HttpClientError` with a `TransportError` reason whose
 * `cause` is the runtime's error (on Node `TypeError("fetch failed")` with the
 * socket or TLS error as its `cause`), which the client classifies.
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
 * const Transport = FetchTransport.layer({ fetch, requestInit: { dispatcher: new Agent({ connect }) } })
 * ```
 *
 * @example Deno
 * ```ts
 * const client = Deno.createHttpClient({ cert: chainPem, key: keyPem, caCerts: [anchorPem] })
 * const Transport = FetchTransport.layer({ requestInit: { client } })
 * ```
 *
 * @example Bun
 * ```ts
 * const Transport = FetchTransport.layer({
 *   requestInit: { tls: { cert: chainPem, key: keyPem, ca: anchorPem, checkServerIdentity } },
 * })
 * ```
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient> =>
  // effect's fetch client reads both from the context it was built in.
  Layer.provide(
    FetchHttpClient.layer,
    Layer.mergeAll(
      Layer.sync(FetchHttpClient.Fetch, () => (options.fetch ?? globalThis.fetch) as typeof globalThis.fetch),
      Layer.succeed(FetchHttpClient.RequestInit, (options.requestInit ?? {}) as globalThis.RequestInit),
    ),
  )
