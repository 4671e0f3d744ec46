/**
 * The request pipeline every client executes its endpoints through (like effect's `internal/httpClient.ts`):
 * follow-up URL checks, headers, rate limit, per-attempt timeout, retry classes, bounded body reads, error mapping
 * from status + `error` body, redaction, the clock offset from `Date`, a span and one log line; downloads streamed
 * or collected. It reads only its `Settings`, never a client's locals.
 */
import type { Endpoint } from "@signering/protocol"
import { DirectXml, ValidationError } from "@signering/protocol"
import { Context, Duration, Effect, Redacted, Stream } from "effect"
import type { HttpClientError, HttpClientResponse } from "effect/http"
import { HttpClient, HttpClientRequest } from "effect/http"
import {
  BrokerNotAuthorized,
  type ClientError,
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  JobCannotBeCancelled,
  RateLimited,
  RefusedUrl,
  type RequestContext,
  SigningCeremonyNotCompleted,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "../ClientError.js"
import type * as ClientOptions from "../ClientOptions.js"
import type * as Environment from "../Environment.js"
import * as RateLimiter from "../RateLimiter.js"
import { NEXT_PERMITTED_POLL_TIME, parsePollTime } from "./pollTime.js"
import { maskServerText, maskUrl } from "./redact.js"
import { classifyTransportFailure, hints } from "./transportFailure.js"
import { userAgent } from "./userAgent.js"

const DEFAULT_API_TIMEOUT = Duration.seconds(30)
const DEFAULT_DOWNLOAD_TIMEOUT = Duration.seconds(120)
const DEFAULT_DOWNLOAD_TOTAL = Duration.minutes(30)
const DEFAULT_MISSING_POLL_DELAY = Duration.seconds(60)
const DEFAULT_DOWNLOAD_BYTES = 64 * 1024 * 1024
const DEFAULT_RESPONSE_BYTES = 16 * 1024 * 1024
const DOS_BLOCK = Duration.seconds(30)
const MAX_BACKOFF = Duration.seconds(30)
const CLOCK_WARNING_MS = 2_000

/** What the clock watch has measured: server time minus local time, from the `Date` header of answers. */
export interface ClockWatch {
  offsetMs: number | undefined
  warned: boolean
}

/** Everything the pipeline reads. Built once per client by {@link makeSettings}. */
export interface Settings {
  /** Span name prefix: `DirectClient`, `PortalClient`, `ArchiveClient`. */
  readonly name: string
  readonly http: HttpClient.HttpClient
  readonly environment: Environment.Environment
  readonly apiRoot: string
  readonly userAgent: string
  readonly apiTimeout: Duration.Duration
  readonly downloadTimeout: Duration.Duration
  readonly downloadTotal: Duration.Duration
  readonly missingPollDelay: Duration.Duration
  readonly retryTimes: number
  readonly retryBase: Duration.Duration
  readonly maxDownloadBytes: number
  readonly maxResponseBytes: number
  /** Origins follow-up URLs may point to: the API root's plus `allowedOrigins`. */
  readonly origins: ReadonlySet<string>
  /** Plain http follow-ups are allowed only when the environment itself is plain http (a test server). */
  readonly allowHttp: boolean
  readonly rateLimiter: RateLimiter.RateLimiter | undefined
  readonly defaultOrganization: string | undefined
  readonly clock: ClockWatch
  /** Download streams handed out and not yet read to the end or closed: named in pool-exhaustion errors. */
  readonly openDownloads: { count: number }
}

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/** Builds the settings from (validated) options and the `HttpClient` in the environment. */
export const makeSettings = (
  name: string,
  options: ClientOptions.Options,
): Effect.Effect<Settings, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    // References the transport reads per request (e.g. `FetchHttpClient.Fetch`) are taken from where the client
    // was built, so a layer stack works the same in Effect code and in the Promise API's runtime.
    const built = yield* Effect.context<never>()
    const propagate = options.propagateTraceHeaders === true
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.transformResponse(
        Effect.updateContext((input: Context.Context<never>) =>
          Context.add(
            // effect's own client span records the full URL: for a URL carrying a token only ours (masked) is kept.
            Context.add(Context.merge(built, input), HttpClient.TracerDisabledWhen, (request) =>
              hasSecret(request.url),
            ),
            HttpClient.TracerPropagationEnabled,
            propagate,
          ),
        ),
      ),
    )
    const apiRoot = options.environment.apiRoot.replace(/\/+$/, "")
    const rootOrigin = originOf(apiRoot)
    const origins = new Set<string>()
    if (rootOrigin !== undefined) origins.add(rootOrigin)
    for (const extra of options.allowedOrigins ?? []) {
      const origin = originOf(extra)
      if (origin !== undefined) origins.add(origin)
    }
    const duration = (input: Duration.Input | undefined, fallback: Duration.Duration) =>
      input === undefined ? fallback : Duration.fromInputUnsafe(input)
    return {
      name,
      http,
      environment: options.environment,
      apiRoot,
      userAgent: userAgent(options.userAgentSuffix),
      apiTimeout: duration(options.timeouts?.api, DEFAULT_API_TIMEOUT),
      downloadTimeout: duration(options.timeouts?.download, DEFAULT_DOWNLOAD_TIMEOUT),
      downloadTotal: duration(options.timeouts?.downloadTotal, DEFAULT_DOWNLOAD_TOTAL),
      missingPollDelay: duration(options.missingPollTimeDelay, DEFAULT_MISSING_POLL_DELAY),
      retryTimes: options.retry === false ? 0 : (options.retry?.times ?? 3),
      retryBase: duration(options.retry === false ? undefined : options.retry?.base, Duration.millis(200)),
      maxDownloadBytes: options.limits?.downloadBytes ?? DEFAULT_DOWNLOAD_BYTES,
      maxResponseBytes: options.limits?.responseBytes ?? DEFAULT_RESPONSE_BYTES,
      origins,
      allowHttp: rootOrigin?.startsWith("http:") === true,
      rateLimiter: options.rateLimiter === false ? undefined : (options.rateLimiter ?? RateLimiter.processDefault),
      defaultOrganization: options.sender?.organizationNumber,
      clock: { offsetMs: undefined, warned: false },
      openDownloads: { count: 0 },
    }
  })

/** A query value named like a token: its URL is not given to effect's own span. */
const hasSecret = (url: string): boolean => /[?&][^=&]*(token|signature|secret)[^=&]*=/i.test(url)

// ---------------------------------------------------------------------------------------------------------------
// Input checks (before anything is sent)
// ---------------------------------------------------------------------------------------------------------------

/** A caller's input error, naming the argument. */
export const invalid = (path: string, rule: string, message: string) =>
  new ValidationError({ issues: [{ path, rule, message }] })

/**
 * The URL in a target (a URL string or an object carrying one in `field`), or a `ValidationError` naming `path`
 * when the caller passed something else (plain JavaScript may pass `undefined`, a number, a `URL`, ...).
 */
export const urlOf = (
  target: unknown,
  field: string,
  path: string,
): { readonly url: string } | { readonly error: ValidationError } | { readonly missing: true } => {
  let value: unknown = target
  if (typeof target === "object" && target !== null && !(target instanceof URL)) {
    value = (target as Record<string, unknown>)[field]
    if (value === undefined || value === "") return { missing: true }
  }
  if (value instanceof URL) value = value.href
  if (typeof value !== "string" || value === "") {
    return {
      error: invalid(path, "url", `must be a URL string as returned by the service, or an object with ${field}`),
    }
  }
  let parsed: URL | undefined
  try {
    parsed = new URL(value)
  } catch {
    // reported below
  }
  if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    return { error: invalid(path, "url", "must be an absolute http(s) URL as returned by the service") }
  }
  return { url: value }
}

/** Follow-up URLs must be absolute http(s), https unless the environment is plain http, and on a trusted origin. */
const checkFollowUp = (settings: Settings, operation: string, method: string, url: string): ClientError | undefined => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return invalid("url", "url", "must be an absolute http(s) URL as returned by the service")
  }
  const ctx = { operation, method, url: maskUrl(url) }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return invalid("url", "url", "must be an absolute http(s) URL as returned by the service")
  }
  if (parsed.protocol === "http:" && !settings.allowHttp) {
    return new RefusedUrl({
      ...ctx,
      reason: "Cleartext",
      detail: "the service handed out a plain http URL while the environment uses https",
    })
  }
  if (!settings.origins.has(parsed.origin)) {
    return new RefusedUrl({
      ...ctx,
      reason: "Origin",
      detail: `${parsed.origin} is not the environment's API origin; add it to allowedOrigins if you trust it`,
    })
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Executing
// ---------------------------------------------------------------------------------------------------------------

/** How the caller refines the error of a non-success answer (e.g. 409 on cancel). */
export type Refine = (ctx: RequestContext, status: number) => ClientError | undefined

export interface ExecuteOptions {
  readonly refine?: Refine | undefined
  /** Log and span annotations. */
  readonly annotations?: Record<string, unknown> | undefined
}

const isHttpClientError = (u: unknown): u is HttpClientError.HttpClientError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "HttpClientError"

/** The failure without effect's request object (it carries the unmasked URL into `JSON.stringify(error)`). */
const sanitizeCause = (cause: unknown): unknown =>
  isHttpClientError(cause) ? ((cause.reason as { cause?: unknown }).cause ?? cause.reason._tag) : cause

const transportError = (settings: Settings, ctx: RequestContext, rawUrl: string, cause: unknown): TransportError => {
  const classified = classifyTransportFailure(cause, {
    environment: settings.environment.name,
    apiRoot: maskUrl(originAndPath(rawUrl)),
  })
  const pending = settings.openDownloads.count
  // A download stream never read keeps its connection: once the pool is used up, the next request waits and fails.
  const hint =
    pending > 0 && (classified.reason === "Timeout" || classified.reason === "Connect")
      ? `${classified.hint} ${pending} download stream(s) handed out by this client were never read to the end nor cancelled; each holds a connection of the pool.`
      : classified.hint
  return new TransportError({ ...ctx, ...classified, hint, cause: sanitizeCause(cause) })
}

const originAndPath = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return url
  }
}

const timeoutError = (settings: Settings, ctx: RequestContext): TransportError => {
  const pending = settings.openDownloads.count
  return new TransportError({
    ...ctx,
    reason: "Timeout",
    hint:
      pending > 0
        ? `${hints.timeout()} ${pending} download stream(s) handed out by this client were never read to the end nor cancelled; each holds a connection of the pool.`
        : hints.timeout(),
    code: undefined,
  })
}

/** Masks the request's secrets and anything PIN-shaped in a text the server sent back. */
const maskText = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  let out = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    if (value.length >= 4) out = out.split(value).join("***")
  }
  return maskServerText(out)
}

/** Reads a body up to `max` bytes, failing as soon as more arrive (never collecting an oversized answer). */
const readBounded = (
  response: HttpClientResponse.HttpClientResponse,
  max: number,
  onTooLarge: () => ClientError,
  onFailure: (cause: unknown) => ClientError,
): Effect.Effect<Uint8Array, ClientError> => {
  const declared = Number(response.headers["content-length"])
  if (Number.isSafeInteger(declared) && declared > max) {
    return response.stream.pipe(
      Stream.take(0),
      Stream.runDrain,
      Effect.ignore,
      Effect.andThen(Effect.fail(onTooLarge())),
    )
  }
  return Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return response.stream.pipe(
      Stream.mapError(onFailure),
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > max) return Effect.fail(onTooLarge())
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.map(() => {
        if (chunks.length === 1) return chunks[0]!
        const out = new Uint8Array(size)
        let at = 0
        for (const chunk of chunks) {
          out.set(chunk, at)
          at += chunk.length
        }
        return out
      }),
    )
  })
}

/** Reads an error body (only XML is read as `error`) and maps the answer to its typed error. */
const failure = (
  ctx: RequestContext,
  response: HttpClientResponse.HttpClientResponse,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  refine: Refine | undefined,
): Effect.Effect<never, ClientError> =>
  Effect.gen(function* () {
    const status = response.status
    const contentType = response.headers["content-type"] ?? ""
    let server: { errorCode: string; errorMessage: string; errorType: string } | undefined
    const body = yield* readBounded(
      response,
      64 * 1024,
      () => new UnexpectedResponse({ ...ctx, status, reason: "TooLarge", detail: "error body over 64 KiB" }),
      () => new UnexpectedResponse({ ...ctx, status, reason: "Body" }),
    ).pipe(Effect.orElseSucceed(() => new Uint8Array()))
    if (/xml/i.test(contentType)) {
      const decoded = DirectXml.decodeError(body)
      if (decoded._tag === "Success") server = decoded.success
    }
    const full: RequestContext = {
      ...ctx,
      status,
      ...(server === undefined
        ? {}
        : {
            errorCode: server.errorCode,
            errorMessage: maskText(server.errorMessage, secrets),
            errorType: server.errorType,
          }),
    }
    const code = server?.errorCode
    if (code === "BROKER_NOT_AUTHORIZED")
      return yield* new BrokerNotAuthorized({ ...full, reason: "BrokerNotAuthorized" })
    if (code === "NOT_AUTHORIZED") return yield* new BrokerNotAuthorized({ ...full, reason: "NotAuthorized" })
    if (code === "INVALID_STATUS_QUERY_TOKEN") return yield* new InvalidStatusQueryToken(full)
    if (code === "SIGNING_CEREMONY_NOT_COMPLETED") return yield* new SigningCeremonyNotCompleted(full)
    if (status === 429) {
      const next = parsePollTime(response.headers[NEXT_PERMITTED_POLL_TIME])
      if (next !== undefined) return yield* new TooEagerPolling({ ...full, nextPermittedPollTime: next })
      const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
      return yield* new RateLimited({
        ...full,
        retryAfter: DOS_BLOCK,
        blockedUntil: new Date(now + Duration.toMillis(DOS_BLOCK)),
      })
    }
    const refined = refine?.(full, status)
    if (refined !== undefined) return yield* Effect.fail(refined)
    return yield* new UnexpectedResponse({ ...full, reason: server === undefined ? "Status" : "ErrorResponse" })
  })

/** Default refinements by operation, shared by every flow. */
const refineByOperation: Refine = (ctx, status) => {
  if (ctx.operation === "deleteDocuments" && status >= 400 && status < 500 && status !== 401) {
    return new DocumentsNotDeletable({ ...ctx, reason: "Refused" })
  }
  if (ctx.operation === "cancel" && status === 409) return new JobCannotBeCancelled(ctx)
  return undefined
}

const isRetryable = (kind: Endpoint.RetryClass, error: ClientError): boolean => {
  if (error._tag === "TransportError") {
    return error.reason === "Connect" || (kind === "safe" && error.reason === "ClosedEarly")
  }
  if (kind !== "safe") return false
  if (error._tag === "RateLimited") return true
  return error._tag === "UnexpectedResponse" && error.status !== undefined && [502, 503, 504].includes(error.status)
}

/** Records the server's clock from `Date`; warns once per client when the local clock is off by more than 2 s. */
const watchClock = (settings: Settings, response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> => {
  const header = response.headers.date
  if (header === undefined) return Effect.void
  const server = Date.parse(header)
  if (!Number.isFinite(server)) return Effect.void
  return Effect.clockWith((clock) => clock.currentTimeMillis).pipe(
    Effect.flatMap((now) => {
      // `Date` has whole seconds, truncated: the server's time was within the second after it.
      const offset = server + 500 - now
      settings.clock.offsetMs = offset
      if (Math.abs(offset) <= CLOCK_WARNING_MS || settings.clock.warned) return Effect.void
      settings.clock.warned = true
      return Effect.logWarning(
        `signering: the local clock is ${Math.round(offset / 100) / 10} s ${offset > 0 ? "behind" : "ahead of"} the service's; it refuses a bundle signed more than 5 s off (set useServerClock or fix the system time)`,
      ).pipe(Effect.annotateLogs("clockOffsetMs", offset))
    }),
  )
}

/** An answer encoded in a way the client did not ask for (it sends `Accept-Encoding: identity`) is refused. */
const checkEncoding = (
  ctx: RequestContext,
  response: HttpClientResponse.HttpClientResponse,
): ClientError | undefined => {
  const encoding = response.headers["content-encoding"]
  if (encoding === undefined || encoding.trim() === "" || encoding.trim().toLowerCase() === "identity") return undefined
  return new UnexpectedResponse({
    ...ctx,
    status: response.status,
    reason: "ContentEncoding",
    detail: `the answer is encoded as ${encoding.slice(0, 40)}, which the client did not ask for`,
  })
}

/**
 * One logical request: checks, then attempts with a per-attempt timeout, retried per the endpoint's class, then
 * a span and one log line. `handle` reads the answer inside the attempt (a body cut short on a safe request is
 * retried).
 */
const run = <A>(
  settings: Settings,
  endpoint: Endpoint.Endpoint<unknown>,
  timeout: Duration.Duration,
  handle: (response: HttpClientResponse.HttpClientResponse, ctx: RequestContext) => Effect.Effect<A, ClientError>,
  options: ExecuteOptions | undefined,
): Effect.Effect<A, ClientError> => {
  const ctx: RequestContext = { operation: endpoint.operation, method: endpoint.method, url: maskUrl(endpoint.url) }
  if (endpoint.followUp) {
    const refused = checkFollowUp(settings, endpoint.operation, endpoint.method, endpoint.url)
    if (refused !== undefined) return Effect.fail(refused)
  }
  let request = HttpClientRequest.make(endpoint.method)(endpoint.url).pipe(
    HttpClientRequest.setHeaders({
      ...endpoint.headers,
      "user-agent": settings.userAgent,
      "accept-encoding": "identity",
      ...(endpoint.accept === undefined ? {} : { accept: endpoint.accept }),
    }),
  )
  if (endpoint.body !== undefined) {
    request = request.pipe(HttpClientRequest.bodyUint8Array(endpoint.body.bytes, endpoint.body.contentType))
  }
  const refine: Refine = (c, status) => options?.refine?.(c, status) ?? refineByOperation(c, status)
  const organization =
    endpoint.organizationNumber ?? settings.defaultOrganization ?? organizationInPath(settings, endpoint.url)
  const limiter = settings.rateLimiter
  const pace = limiter === undefined || organization === undefined ? Effect.void : limiter.take(organization)
  const attempt = pace.pipe(
    Effect.andThen(settings.http.execute(request)),
    Effect.mapError((e): ClientError => {
      if (isHttpClientError(e) && e.reason._tag === "InvalidUrlError") {
        return new UnexpectedResponse({ ...ctx, reason: "InvalidRequest", detail: "the URL is not valid" })
      }
      return transportError(settings, ctx, endpoint.url, e)
    }),
    Effect.tap((response) => watchClock(settings, response)),
    Effect.flatMap((response) => {
      const answered = { ...ctx, status: response.status }
      if (!endpoint.accepts(response.status)) return failure(answered, response, endpoint.secrets, refine)
      const badEncoding = checkEncoding(answered, response)
      if (badEncoding !== undefined) {
        return response.stream.pipe(
          Stream.take(0),
          Stream.runDrain,
          Effect.ignore,
          Effect.andThen(Effect.fail(badEncoding)),
        )
      }
      return handle(response, answered)
    }),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(settings, ctx)) }),
  )
  // Exponential backoff with jitter, paid for only when an attempt fails (a Schedule per request was measurable).
  // A 429 without a poll time on a safe request is waited out until the block ends.
  const attempts = (n: number): Effect.Effect<A, ClientError> =>
    attempt.pipe(
      Effect.catchIf(
        (error: ClientError) => n < settings.retryTimes && isRetryable(endpoint.retry, error),
        (error) =>
          Effect.gen(function* () {
            if (error._tag === "RateLimited") {
              const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
              yield* Effect.sleep(Duration.millis(Math.max(0, error.blockedUntil.getTime() - now)))
            } else {
              yield* Effect.sleep(
                Duration.min(Duration.times(settings.retryBase, 2 ** n * (0.8 + Math.random() * 0.4)), MAX_BACKOFF),
              )
            }
            return yield* attempts(n + 1)
          }),
      ),
    )
  return Effect.suspend(() => {
    const started = performance.now()
    return attempts(0).pipe(
      Effect.onExit((exit) => {
        const durationMs = Math.round(performance.now() - started)
        if (exit._tag === "Success") {
          return Effect.logDebug(`signering ${endpoint.operation} ok`).pipe(
            Effect.annotateLogs("durationMs", durationMs),
          )
        }
        const tags = exit.cause.reasons.map((r) => (r._tag === "Fail" ? (r.error as { _tag: string })._tag : r._tag))
        // Answers a caller handles routinely (429, token and ceremony states) are debug; breakage is a warning.
        const routine = tags.every(
          (t) => !["TransportError", "UnexpectedResponse", "DecodeError", "RefusedUrl", "Die"].includes(t),
        )
        const line = `signering ${endpoint.operation} failed: ${tags.join(", ")}`
        return (routine ? Effect.logDebug(line) : Effect.logWarning(line)).pipe(
          Effect.annotateLogs("durationMs", durationMs),
        )
      }),
    )
  }).pipe(
    Effect.annotateLogs({ operation: endpoint.operation, method: ctx.method, url: ctx.url, ...options?.annotations }),
    Effect.withSpan(
      `${settings.name}.${endpoint.operation}`,
      {
        attributes: {
          "signering.operation": endpoint.operation,
          "http.request.method": ctx.method,
          "url.full": ctx.url,
        },
        kind: "internal",
      },
      // A stack per request costs more than the rest of the span; the operation name locates it well enough.
      { captureStackTrace: false },
    ),
  )
}

/** The organization segment right after the API root, for pacing a follow-up request. */
const organizationInPath = (settings: Settings, url: string): string | undefined => {
  if (!url.startsWith(`${settings.apiRoot}/`)) return undefined
  const segment = url.slice(settings.apiRoot.length + 1).split(/[/?#]/)[0]
  return segment !== undefined && /^[0-9]{9}$/.test(segment) ? segment : undefined
}

/** Executes an endpoint whose answer is read whole (`body`) or drained (`none`), and decodes it. */
export const execute = <A>(
  settings: Settings,
  endpoint: Endpoint.Endpoint<A>,
  options?: ExecuteOptions,
): Effect.Effect<A, ClientError> =>
  run(
    settings,
    endpoint,
    settings.apiTimeout,
    (response, ctx) =>
      Effect.gen(function* () {
        const body =
          endpoint.read === "none" || response.status === 204
            ? yield* response.stream.pipe(Stream.runDrain, Effect.ignore, Effect.as(new Uint8Array()))
            : yield* readBounded(
                response,
                settings.maxResponseBytes,
                () =>
                  new UnexpectedResponse({
                    ...ctx,
                    reason: "TooLarge",
                    detail: `the answer is larger than limits.responseBytes (${settings.maxResponseBytes} bytes)`,
                  }),
                (cause) => transportError(settings, ctx, endpoint.url, cause),
              )
        const decoded = endpoint.decode({ status: response.status, headers: response.headers, body })
        if (decoded._tag === "Failure") return yield* Effect.fail(decoded.failure)
        return decoded.success
      }),
    options,
  )

/** The answer to a poll in any flow, with the next permitted poll time from the header. */
export type StatusChange<S> =
  | { readonly _tag: "NoChanges"; readonly nextPermittedPollTime: Date }
  | { readonly _tag: "StatusChange"; readonly status: S; readonly nextPermittedPollTime: Date }

/** Executes a poll endpoint: the next permitted poll time is read from the answer's header. */
export const executePoll = <S>(
  settings: Settings,
  endpoint: Endpoint.Endpoint<Endpoint.Poll<S>>,
  options?: ExecuteOptions,
): Effect.Effect<StatusChange<S>, ClientError> => {
  let header: Date | undefined
  const withHeader: Endpoint.Endpoint<Endpoint.Poll<S>> = {
    ...endpoint,
    decode: (answer) => {
      header = parsePollTime(answer.headers[NEXT_PERMITTED_POLL_TIME])
      return endpoint.decode(answer)
    },
  }
  return execute(settings, withHeader, options).pipe(
    Effect.flatMap((poll) =>
      Effect.clockWith((clock) => clock.currentTimeMillis).pipe(
        Effect.map((now): StatusChange<S> => {
          if (poll._tag === "NoChanges") {
            return {
              _tag: "NoChanges",
              nextPermittedPollTime: header ?? new Date(now + Duration.toMillis(settings.missingPollDelay)),
            }
          }
          // The change has left the queue: never fail it over a missing header; poll again at once.
          return { _tag: "StatusChange", status: poll.status, nextPermittedPollTime: header ?? new Date(now) }
        }),
      ),
    ),
  )
}

/**
 * A download as a stream, with its length when the server sent one. The stream can be consumed once.
 *
 * @example
 * ```ts
 * const { stream, contentLength } = yield* client.getPades(status.padesUrl!)
 * ```
 */
export interface Download {
  readonly stream: Stream.Stream<Uint8Array, ClientError>
  /** `Content-Length`, when the server sent it. */
  readonly contentLength: number | undefined
  readonly contentType: string | undefined
}

/**
 * Executes a download endpoint as a stream: per chunk the download timeout, over the whole stream the total
 * download deadline. A stream nobody starts within the download timeout is cancelled, which frees its connection.
 */
export const executeDownload = (
  settings: Settings,
  endpoint: Endpoint.Endpoint<unknown>,
  options?: ExecuteOptions,
): Effect.Effect<Download, ClientError> =>
  Effect.clockWith((clock) => clock.currentTimeMillis).pipe(
    Effect.flatMap((startedAt) =>
      run(
        settings,
        endpoint,
        settings.downloadTimeout,
        (response, ctx): Effect.Effect<Download, ClientError> =>
          Effect.gen(function* () {
            const length = Number(response.headers["content-length"])
            const stalled = timeoutError(settings, ctx)
            const elapsed = (yield* Effect.clockWith((clock) => clock.currentTimeMillis)) - startedAt
            const remaining = Math.max(1, Duration.toMillis(settings.downloadTotal) - elapsed)
            let state: "waiting" | "started" | "done" = "waiting"
            settings.openDownloads.count++
            const settle = () => {
              if (state !== "done") {
                state = "done"
                settings.openDownloads.count--
              }
            }
            const body = response.stream.pipe(
              Stream.mapError((e): ClientError => transportError(settings, ctx, endpoint.url, e)),
              // Per chunk: a large PAdES on a slow line may take long, a stalled one must not hang forever.
              Stream.timeoutOrElse({ duration: settings.downloadTimeout, orElse: () => Stream.fail(stalled) }),
              Stream.interruptWhen(
                Effect.sleep(Duration.millis(remaining)).pipe(
                  Effect.andThen(
                    Effect.fail(
                      new TransportError({
                        ...ctx,
                        reason: "Timeout",
                        hint: "The download did not finish within timeouts.downloadTotal: raise it for very slow lines, or check the network path.",
                        code: undefined,
                      }),
                    ),
                  ),
                ),
              ),
              Stream.ensuring(Effect.sync(settle)),
            )
            // A stream handed out and never started keeps its connection: cancel it after the download timeout.
            yield* Effect.sleep(settings.downloadTimeout).pipe(
              Effect.andThen(
                Effect.suspend(() => {
                  if (state !== "waiting") return Effect.void
                  settle()
                  // Reading one chunk and stopping cancels the body, which gives the connection back.
                  return Stream.runHead(response.stream).pipe(Effect.timeout(Duration.seconds(1)), Effect.ignore)
                }),
              ),
              Effect.forkDetach,
            )
            return {
              stream: Stream.suspend(() => {
                if (state === "done") {
                  return Stream.fail<ClientError>(
                    new TransportError({
                      ...ctx,
                      reason: "Aborted",
                      hint: "The download stream was not read within the download timeout after it was handed out, so its connection was released: read it promptly.",
                      code: undefined,
                    }),
                  )
                }
                state = "started"
                return body
              }),
              contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
              contentType: response.headers["content-type"],
            }
          }),
        options,
      ),
    ),
  )

/**
 * Executes a download endpoint and collects it, bounded by `limits.downloadBytes` (checked as bytes arrive) and
 * by the download timeout as a whole. The whole exchange is one attempt: a body cut short is retried.
 */
export const executeCollect = (
  settings: Settings,
  endpoint: Endpoint.Endpoint<unknown>,
  options?: ExecuteOptions,
): Effect.Effect<Uint8Array, ClientError> =>
  run(
    settings,
    endpoint,
    settings.downloadTimeout,
    (response, ctx) =>
      readBounded(
        response,
        settings.maxDownloadBytes,
        () =>
          new UnexpectedResponse({
            ...ctx,
            reason: "TooLarge",
            detail: `the document is larger than limits.downloadBytes (${settings.maxDownloadBytes} bytes); use the streamed form for larger ones`,
          }),
        (cause) => transportError(settings, ctx, endpoint.url, cause),
      ),
    options,
  )

/** The clock offset measured so far (server minus local), in milliseconds. */
export const clockOffset = (settings: Settings): Effect.Effect<number | undefined> =>
  Effect.sync(() => settings.clock.offsetMs)
