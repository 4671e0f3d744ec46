/**
 * The pipeline's settings: everything it reads, built once per client from the shared options.
 */
import { Context, Duration, Effect } from "effect"
import { HttpClient } from "effect/http"
import type * as ClientOptions from "../ClientOptions.js"
import type * as Environment from "../Environment.js"
import * as Exchange from "../Exchange.js"
import * as RateLimiter from "../RateLimiter.js"
import * as Lane from "./lane.js"
import { userAgent } from "./userAgent.js"

const DEFAULT_API_TIMEOUT = Duration.seconds(30)
const DEFAULT_DOWNLOAD_TIMEOUT = Duration.seconds(120)
const DEFAULT_DOWNLOAD_TOTAL = Duration.minutes(30)
const DEFAULT_MISSING_POLL_DELAY = Duration.seconds(60)
const DEFAULT_DOWNLOAD_BYTES = 64 * 1024 * 1024
const DEFAULT_RESPONSE_BYTES = 16 * 1024 * 1024

/** What the clock watch has measured: server time minus local time, from the `Date` header of answers. */
export interface ClockWatch {
  offsetMs: number | undefined
  warned: boolean
  /** The last `Date` header read and its time: it changes once a second, so most answers reuse the parse. */
  lastHeader?: string | undefined
  lastHeaderMs?: number | undefined
}

/** Everything the pipeline reads. Built once per client by {@link makeSettings}. */
export interface Settings {
  /** Span name prefix: `DirectClient`, `PortalClient`, `ArchiveClient`. */
  readonly name: string
  /** How requests go out: the adapter's lean lane when the `HttpClient` given carries one, else that `HttpClient`. */
  readonly lane: Lane.Lane
  /** Trace headers on requests (`propagateTraceHeaders`). */
  readonly propagate: boolean
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

/**
 * The `HttpClient` given, for the lane through effect's client: references it reads per request (e.g.
 * `FetchHttpClient.Fetch`) are taken from where the client was built, so a layer stack works the same in Effect code
 * and in the Promise API's runtime; effect's own span is left out for a URL carrying a token (ours, masked, is kept).
 */
const throughEffect = (
  given: HttpClient.HttpClient,
  built: Context.Context<never>,
  propagate: boolean,
): HttpClient.HttpClient =>
  HttpClient.transformResponse(
    given,
    Effect.updateContext((input: Context.Context<never>) =>
      Context.add(
        Context.add(Context.merge(built, input), HttpClient.TracerDisabledWhen, (request) => hasSecret(request.url)),
        HttpClient.TracerPropagationEnabled,
        propagate,
      ),
    ),
  )

/** Builds the settings from (validated) options, their environment resolved, and the `HttpClient` in the context. */
export const makeSettings = (
  name: string,
  options: ClientOptions.Options & { readonly environment: Environment.Environment },
): Effect.Effect<Settings, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const built = yield* Effect.context<never>()
    const propagate = options.propagateTraceHeaders === true
    const given = yield* HttpClient.HttpClient
    const exchange = Exchange.fromHttpClient(given)
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
      lane: exchange === undefined ? Lane.http(throughEffect(given, built, propagate)) : Lane.lean(exchange, propagate),
      propagate,
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
export const hasSecret = (url: string): boolean => /[?&][^=&]*(token|signature|secret)[^=&]*=/i.test(url)
