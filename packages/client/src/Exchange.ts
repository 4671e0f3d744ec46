/**
 * The transport port's lean lane. The port is `HttpClient` (from `effect/http`); an adapter may also attach an
 * `Exchange` to the `HttpClient` it provides: one request in, the status, headers and body out, nothing else. The
 * clients send their own requests through it when present, and keep everything that matters around it themselves:
 * the per-attempt timeout (which aborts the exchange through its signal), retries, pacing, redaction, their span
 * (with the answer's status) and trace headers when `propagateTraceHeaders` is on.
 *
 * Why a second lane: effect's `HttpClient` does per request what these clients do not need: a request object built
 * by copies, URL parsing, a second span with every header as an attribute, an abort controller tracked by a
 * finalization registry, a response wrapper. Measured over keep-alive mutual TLS, that is about 160 µs of CPU per
 * `create`, as much as the rest of the client and the decoding together (`packages/client/bench`). For the same
 * reason a call is stopped with `abort()` rather than an `AbortSignal`: listening on a signal per request was
 * measurable too.
 *
 * The lane is a property of that `HttpClient` object, so it is lost, on purpose, as soon as the `HttpClient` is
 * transformed (`HttpClient.mapRequest`, `withTracerPropagation`, a retry policy...): a client given a transformed
 * `HttpClient` goes through it, middleware and all.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "effect/http"

/**
 * One request as the lane sends it.
 *
 * @since 0.1.0
 */
export interface Request {
  readonly method: string
  /** Absolute http(s) URL. */
  readonly url: string
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | undefined
}

/**
 * The answer: status and headers as they arrived, the body not yet read.
 *
 * @since 0.1.0
 */
export interface Response {
  readonly status: number
  /** Lower-case names; a header sent more than once is joined with `, `. */
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The whole body. Rejects (with the adapter's transport failure) when it is cut short. */
  readonly bytes: () => Promise<Uint8Array>
  /** The body chunk by chunk; read once. Stopping early releases the connection. */
  readonly chunks: () => AsyncIterable<Uint8Array>
  /** Gives the body up unread (the adapter may close the connection). */
  readonly discard: () => void
}

/**
 * One request under way.
 *
 * @since 0.1.0
 */
export interface Call {
  /** Settles once the status and headers arrived; rejects, with the port's failure (`TransportFailure`), before. */
  readonly response: Promise<Response>
  /**
   * The client gives up (its timeout, an interruption): stop the exchange, whether the answer has begun or not; the
   * pending promise (`response`, or a body being read) rejects. Calling it after the body was read does nothing.
   */
  readonly abort: () => void
}

/**
 * Sends one request.
 *
 * @example
 * ```ts
 * import { Exchange } from "@signering/client"
 *
 * const echo: Exchange.Exchange = (request) => ({
 *   response: Promise.resolve({
 *     status: 200,
 *     headers: { "content-type": "text/plain" },
 *     bytes: async () => new TextEncoder().encode(request.url),
 *     chunks: async function* () {
 *       yield new TextEncoder().encode(request.url)
 *     },
 *     discard: () => {},
 *   }),
 *   abort: () => {},
 * })
 * ```
 *
 * @since 0.1.0
 */
export type Exchange = (request: Request) => Call

const TypeId = "~@signering/client/Exchange"

/**
 * The same `HttpClient`, carrying `exchange` as its lean lane. Only an adapter whose `exchange` does exactly what
 * its `HttpClient` does (same connections, same TLS, same failures) should attach one.
 *
 * @example
 * ```ts
 * import { Exchange } from "@signering/client"
 * import { HttpClient } from "effect/http"
 * import { Effect } from "effect"
 *
 * declare const exchange: Exchange.Exchange
 * const http = HttpClient.make(() => Effect.die("use the lane"))
 * const withLane = Exchange.attach(http, exchange)
 * ```
 *
 * @since 0.1.0
 */
export const attach = (http: HttpClient.HttpClient, exchange: Exchange): HttpClient.HttpClient =>
  Object.defineProperty(http, TypeId, { value: exchange, enumerable: false })

/**
 * The lane attached to an `HttpClient`, if any.
 *
 * @example
 * ```ts
 * import { Exchange } from "@signering/client"
 * import { HttpClient } from "effect/http"
 *
 * declare const http: HttpClient.HttpClient
 * const lean = Exchange.fromHttpClient(http) !== undefined
 * ```
 *
 * @since 0.1.0
 */
export const fromHttpClient = (http: HttpClient.HttpClient): Exchange | undefined =>
  (http as unknown as { readonly [TypeId]?: Exchange })[TypeId]
