/**
 * The request pipeline every client executes its endpoints through (like effect's `internal/httpClient.ts`):
 * follow-up URL checks, headers, rate limit, per-attempt timeout, retry classes, bounded body reads, error mapping
 * (`failure.ts`), the clock offset from `Date`, a span and one log line; downloads streamed or collected. It reads
 * only its `Settings` (`settings.ts`), never a client's locals.
 */
import type { Endpoint } from "@signering/protocol"
import { ValidationError } from "@signering/protocol"
import { Duration, Effect, type Fiber, LogLevel, References, Stream, Tracer } from "effect"
import {
  type ClientError,
  RefusedUrl,
  type RequestContext,
  TransportError,
  UnexpectedResponse,
} from "../ClientError.js"
import type * as Exchange from "../Exchange.js"
import * as Attempt from "./attempt.js"
import { isRetryable, type Refine, readBounded, refineByOperation, timeoutError, transportError } from "./failure.js"
import { NEXT_PERMITTED_POLL_TIME, parsePollTime } from "./pollTime.js"
import { maskUrl } from "./redact.js"
import type { Settings } from "./settings.js"

export type { Refine } from "./failure.js"
export { type ClockWatch, makeSettings, type Settings } from "./settings.js"

const MAX_BACKOFF = Duration.seconds(30)

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

export interface ExecuteOptions {
  readonly refine?: Refine | undefined
  /** Annotations of the request's log line. */
  readonly annotations?: Record<string, unknown> | undefined
  /**
   * Called before an attempt that failed is retried (e.g. a poll answer cut short): a caller that must know an
   * answer may have been lost in transit (the polling worker) learns it here, although the retry then succeeds.
   */
  readonly onRetry?: ((error: ClientError) => void) | undefined
}

/**
 * One logical request: checks, then attempts with a per-attempt timeout, retried per the endpoint's class, then
 * a span and one log line. `read` reads the answer inside the attempt (a body cut short on a safe request is
 * retried).
 */
const run = <A>(
  settings: Settings,
  endpoint: Endpoint.Endpoint<unknown>,
  timeout: Duration.Duration,
  read: (response: Exchange.Response, ctx: RequestContext) => Promise<A>,
  options: ExecuteOptions | undefined,
): Effect.Effect<A, ClientError> => {
  const ctx: RequestContext = { operation: endpoint.operation, method: endpoint.method, url: maskUrl(endpoint.url) }
  if (endpoint.followUp) {
    const refused = checkFollowUp(settings, endpoint.operation, endpoint.method, endpoint.url)
    if (refused !== undefined) return Effect.fail(refused)
  }
  const headers: Record<string, string> = {
    ...endpoint.headers,
    "user-agent": settings.userAgent,
    "accept-encoding": "identity",
  }
  if (endpoint.accept !== undefined) headers.accept = endpoint.accept
  if (endpoint.body !== undefined) headers["content-type"] = endpoint.body.contentType
  // On the client's own lines only, not around the whole request: a log context per request costs CPU on every
  // create while the lines are usually filtered out (the transport logs nothing of its own).
  const annotations = () => ({
    operation: endpoint.operation,
    method: ctx.method,
    url: ctx.url,
    ...options?.annotations,
  })
  const refine: Refine = (c, status) => options?.refine?.(c, status) ?? refineByOperation(c, status)
  const organization =
    endpoint.organizationNumber ?? settings.defaultOrganization ?? organizationInPath(settings, endpoint.url)
  return Effect.withFiber((fiber) => {
    // Decided once per request: the attempts put the answer's status on the span only when there is one.
    const spanned = traced(settings, fiber)
    const limiter = settings.rateLimiter
    const spec: Attempt.Attempt<A> = {
      endpoint,
      request: { method: endpoint.method, url: endpoint.url, headers, body: endpoint.body?.bytes },
      ctx,
      timeoutMs: Duration.toMillis(timeout),
      refine,
      annotations,
      spanned,
      read,
    }
    const once = Attempt.run(settings, spec)
    // Paced by answers when the limiter can (`around`), else by departures (`take`); below the limit through its
    // synchronous `enter`, which keeps pacing out of the effect runtime.
    const slow =
      limiter === undefined || organization === undefined
        ? once
        : limiter.around !== undefined
          ? limiter.around(organization, once)
          : limiter.take(organization).pipe(Effect.andThen(once))
    const enter = limiter?.enter
    const attempt =
      enter === undefined || organization === undefined
        ? slow
        : Attempt.run(settings, spec, { enter, organization, otherwise: slow })
    // Exponential backoff with jitter, paid for only when an attempt fails (a Schedule per request was measurable).
    // A 429 without a poll time on a safe request is waited out until the block ends.
    // Data-first calls throughout: the piped forms build a closure per call, on every request.
    const attempts = (n: number): Effect.Effect<A, ClientError> =>
      Effect.catchIf(
        attempt,
        (error: ClientError) => n < settings.retryTimes && isRetryable(endpoint.retry, error),
        (error) =>
          Effect.gen(function* () {
            options?.onRetry?.(error)
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
      )
    const started = performance.now()
    const logged = Effect.onExit(attempts(0), (exit) => {
      const durationMs = Math.round(performance.now() - started)
      if (exit._tag === "Success") {
        // Debug is below the default minimum level: the line and its annotations are not even built then.
        if (LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Debug")) return Effect.void
        return Effect.logDebug(`signering ${endpoint.operation} ok`).pipe(
          Effect.annotateLogs({ ...annotations(), durationMs }),
        )
      }
      const tags = exit.cause.reasons.map((r) => (r._tag === "Fail" ? (r.error as { _tag: string })._tag : r._tag))
      // Answers a caller handles routinely (429, token and ceremony states) are debug; breakage is a warning.
      const routine = tags.every(
        (t) => !["TransportError", "UnexpectedResponse", "DecodeError", "RefusedUrl", "Die"].includes(t),
      )
      const line = `signering ${endpoint.operation} failed: ${tags.join(", ")}`
      return (routine ? Effect.logDebug(line) : Effect.logWarning(line)).pipe(
        Effect.annotateLogs({ ...annotations(), durationMs }),
      )
    })
    return spanned
      ? Effect.withSpan(logged, `${settings.name}.${endpoint.operation}`, {
          attributes: {
            "signering.operation": endpoint.operation,
            "http.request.method": ctx.method,
            "url.full": ctx.url,
          },
          kind: "internal",
          // A stack per request costs more than the rest of the span; the operation name locates it well enough.
          captureStackTrace: false,
        })
      : logged
  })
}

/**
 * Whether a request gets its span. Not when nothing could observe it: no tracing backend (effect's in-memory
 * `nativeTracer`, which effect documents as the way to detect that) and no trace headers to send.
 */
const traced = (settings: Settings, fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  settings.propagate || fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer

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
    async (response, ctx) => {
      const tooLarge = () =>
        new UnexpectedResponse({
          ...ctx,
          reason: "TooLarge",
          detail: `the answer is larger than limits.responseBytes (${settings.maxResponseBytes} bytes)`,
        })
      const onFailure = (cause: unknown) => transportError(settings, ctx, endpoint.url, cause)
      let body: Uint8Array
      if (endpoint.read === "none" || response.status === 204) {
        // Read to the end (keeps the connection), bounded like any answer, and thrown away.
        await readBounded(response, settings.maxResponseBytes, tooLarge, onFailure).catch(() => undefined)
        body = new Uint8Array()
      } else body = await readBounded(response, settings.maxResponseBytes, tooLarge, onFailure)
      const decoded = endpoint.decode({ status: response.status, headers: response.headers, body })
      if (decoded._tag === "Failure") throw decoded.failure
      return decoded.success
    },
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
      run(settings, endpoint, settings.downloadTimeout, async (response, ctx) => ({ response, ctx }), options).pipe(
        Effect.flatMap(
          ({ response, ctx }): Effect.Effect<Download, ClientError> =>
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
              const body = Stream.fromAsyncIterable(
                { [Symbol.asyncIterator]: () => response.chunks()[Symbol.asyncIterator]() },
                (e): ClientError => transportError(settings, ctx, endpoint.url, e),
              ).pipe(
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
                    response.discard()
                    return Effect.void
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
        ),
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
