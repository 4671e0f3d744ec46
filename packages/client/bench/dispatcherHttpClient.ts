/**
 * A minimal `HttpClient` on undici's dispatcher API for the benchmark: the approach of `@signering/node-tls`
 * (`dispatcher.request`, a response object over undici's `ResponseData`), which this package cannot import because
 * node-tls depends on the client. Bodies are read on demand; there is no web `Response` in between.
 */
import { Effect, Inspectable, Option, Stream } from "effect"
import { Cookies, Headers, HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "effect/http"
import { pipeArguments } from "effect/Pipeable"
import type { Dispatcher } from "undici"
import * as NodeTlsExchange from "../../node-tls/src/internal/exchange.js"
import * as Exchange from "../src/Exchange.js"

const decoder = new TextDecoder()

class DispatcherResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId] = HttpClientResponse.TypeId
  readonly "~effect/http/HttpIncomingMessage" = "~effect/http/HttpIncomingMessage"
  readonly cookies = Cookies.empty
  readonly remoteAddress = Option.none<string>()
  readonly headers: Headers.Headers
  #body: Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly url: string,
    private readonly source: Dispatcher.ResponseData,
  ) {
    super()
    source.body.on("error", () => {})
    this.headers = Headers.fromInput(source.headers as Record<string, string | ReadonlyArray<string>>)
  }
  get status() {
    return this.source.statusCode
  }
  private fail = (cause: unknown): HttpClientError.HttpClientError =>
    new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: this.request, response: this, cause }),
    })
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    this.#body ??= Effect.tryPromise({ try: () => this.source.body.arrayBuffer(), catch: this.fail }).pipe(
      Effect.cached,
      Effect.runSync,
    )
    return this.#body
  }
  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return Effect.map(this.arrayBuffer, (b) => decoder.decode(b))
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return Stream.fromAsyncIterable(this.source.body as AsyncIterable<Uint8Array>, this.fail)
  }
  get json(): Effect.Effect<never, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (t) => Effect.try({ try: () => JSON.parse(t) as never, catch: this.fail }))
  }
  get urlParamsBody(): never {
    throw new Error("not used by the benchmark")
  }
  get formData(): never {
    throw new Error("not used by the benchmark")
  }
  get upgrade(): never {
    throw new Error("not used by the benchmark")
  }
  toJSON(): unknown {
    return { _id: "HttpClientResponse", status: this.status }
  }
  pipe() {
    // biome-ignore lint/complexity/noArguments: Pipeable's contract
    return pipeArguments(this, arguments)
  }
}

/**
 * With `lane` (the default), the `HttpClient` carries `@signering/node-tls`'s lean lane over the same dispatcher, as
 * `NodeTlsTransport.make` does (its very module, imported by path: node-tls depends on this package, so it cannot be
 * a dependency here). Without it, the client goes through effect's `HttpClient` (the generic lane).
 */
export const dispatcherHttpClient = (dispatcher: Dispatcher, lane = true): HttpClient.HttpClient =>
  lane ? Exchange.attach(bareHttpClient(dispatcher), NodeTlsExchange.make(dispatcher)) : bareHttpClient(dispatcher)

const bareHttpClient = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) =>
    Effect.tryPromise({
      try: () =>
        dispatcher.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: request.method,
          headers: request.headers,
          body: request.body._tag === "Uint8Array" ? request.body.body : null,
          signal,
        }),
      catch: (cause) =>
        new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause }) }),
    }).pipe(Effect.map((response) => new DispatcherResponse(request, url.href, response) as never)),
  )
