import { Effect, Inspectable, Option, Stream } from "effect"
import { Cookies, Headers, HttpClientError, type HttpClientRequest, HttpClientResponse, UrlParams } from "effect/http"
import { pipeArguments } from "effect/Pipeable"
import type { Dispatcher } from "undici"

const IncomingMessageTypeId = "~effect/http/HttpIncomingMessage"

const noop = () => {}

/**
 * An `HttpClientResponse` over undici's streaming `ResponseData`. The body is
 * never buffered unless a caller asks for text or bytes, so PAdES downloads
 * stream straight from the socket.
 */
export class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId] = HttpClientResponse.TypeId
  readonly [IncomingMessageTypeId] = IncomingMessageTypeId

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly url: string,
    private readonly source: Dispatcher.ResponseData,
  ) {
    super()
    // A body error with no reader attached would otherwise crash the process.
    source.body.on("error", noop)
  }

  get status(): number {
    return this.source.statusCode
  }

  private cachedHeaders: Headers.Headers | undefined
  get headers(): Headers.Headers {
    this.cachedHeaders ??= Headers.fromInput(this.source.headers as Record<string, string | ReadonlyArray<string>>)
    return this.cachedHeaders
  }

  private cachedCookies: Cookies.Cookies | undefined
  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.source.headers["set-cookie"]
    this.cachedCookies =
      header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
    return this.cachedCookies
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError = (cause: unknown) =>
    new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: this.request, response: this, cause }),
    })

  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return Stream.fromAsyncIterable(this.source.body as AsyncIterable<Uint8Array>, this.decodeError)
  }

  private arrayBufferBody: Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> | undefined
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    this.arrayBufferBody ??= Effect.tryPromise({
      try: () => this.source.body.arrayBuffer(),
      catch: this.decodeError,
    }).pipe(Effect.cached, Effect.runSync)
    return this.arrayBufferBody
  }

  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return Effect.map(this.arrayBuffer, (bytes) => new TextDecoder().decode(bytes))
  }

  get json(): Effect.Effect<never, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => (text === "" ? null : JSON.parse(text)) as never, catch: this.decodeError }),
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: this.decodeError }),
    )
  }

  // undici's request API does not parse multipart responses, and the signering API sends none.
  get formData(): Effect.Effect<FormData, HttpClientError.HttpClientError> {
    return Effect.fail(this.decodeError(new Error("form-data response bodies are not supported by NodeTlsTransport")))
  }

  get upgrade(): Effect.Effect<never, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({
          request: this.request,
          response: this,
          description: "the signering transport does not upgrade connections",
        }),
      }),
    )
  }

  toJSON(): unknown {
    return { _id: "HttpClientResponse", request: this.request.toJSON(), status: this.status }
  }

  pipe() {
    // biome-ignore lint/complexity/noArguments: Pipeable's contract
    return pipeArguments(this, arguments)
  }
}
