/**
 * The two lanes a request can take to the transport, as one shape: an adapter's lean `Exchange` (see `Exchange.ts`),
 * or effect's `HttpClient` driven as one (middleware, its own span and trace headers, all kept).
 */
import { Context, Duration, Effect, Stream, Tracer } from "effect"
import { type HttpClient, HttpClientRequest, HttpTraceContext } from "effect/http"
import type * as Exchange from "../Exchange.js"

/** Sends one request; `context` is the calling fiber's (its span, the services a transport reads). */
export type Lane = (request: Exchange.Request, context: Context.Context<never>) => Exchange.Call

/** An adapter's lean lane; with `propagate`, the client's span goes out as trace headers as effect's client does. */
export const lean =
  (exchange: Exchange.Exchange, propagate: boolean): Lane =>
  (request, context) => {
    if (!propagate) return exchange(request)
    const parent = Context.getOrUndefined(context, Tracer.ParentSpan)
    if (parent?._tag !== "Span") return exchange(request)
    return exchange({ ...request, headers: { ...request.headers, ...HttpTraceContext.toHeaders(parent) } })
  }

/** Effect's `HttpClient` as a lane: each step runs in the calling fiber's context and stops with the signal. */
export const http =
  (client: HttpClient.HttpClient): Lane =>
  (request, context) => {
    const { "content-type": contentType, ...headers } = request.headers
    let outgoing = HttpClientRequest.make(request.method as "GET")(request.url).pipe(
      HttpClientRequest.setHeaders(headers),
    )
    if (request.body !== undefined) {
      outgoing = HttpClientRequest.bodyUint8Array(outgoing, request.body, contentType)
    }
    const controller = new AbortController()
    const run = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.runPromiseWith(context)(effect, { signal: controller.signal })
    const response = run(client.execute(outgoing)).then((response) => ({
      status: response.status,
      headers: response.headers,
      bytes: () => run(response.arrayBuffer).then((buffer) => new Uint8Array(buffer)),
      chunks: () => Stream.toAsyncIterableWith(response.stream, context),
      // Reading one chunk and stopping cancels the body, which gives the connection back (a stream never pulled
      // may keep it).
      discard: () => {
        Effect.runForkWith(context)(
          Stream.runHead(response.stream).pipe(Effect.timeout(Duration.seconds(1)), Effect.ignore),
        )
      },
    }))
    return { response, abort: () => controller.abort() }
  }
