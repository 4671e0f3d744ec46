/**
 * The options every client shares (`DirectClient`, `PortalClient`, `ArchiveClient`), their validation, and the
 * same options read from `Config` (environment variables by default).
 *
 * @since 0.1.0
 */
import type { DirectJob, DocumentBundle, Keystore } from "@signering/protocol"
import { ValidationError } from "@signering/protocol"
import { Config, ConfigProvider, Duration, Effect, Option } from "effect"
import * as Environment from "./Environment.js"
import type { RateLimiter } from "./RateLimiter.js"

/**
 * Timeouts per attempt. API calls bound the whole exchange; downloads bound the wait for headers and each chunk,
 * and `downloadTotal` the whole streamed download.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, timeouts: { api: "20 seconds", download: "5 minutes" } })
 * ```
 */
export interface Timeouts {
  /** Every API call (create, status, poll, confirm, cancel, delete, redirect URL). Default 30 seconds. */
  readonly api?: Duration.Input | undefined
  /** Downloads (XAdES, PAdES): the wait for the response and then for each chunk. Default 120 seconds. */
  readonly download?: Duration.Input | undefined
  /**
   * A whole download, streamed or collected, from the request to its last byte: a server that trickles a byte
   * now and then never trips the per-chunk timeout, but trips this one. Default 30 minutes.
   */
  readonly downloadTotal?: Duration.Input | undefined
}

/**
 * Retries for operations that are safe to repeat. `false` switches them off.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, retry: { times: 5, base: "500 millis" } })
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  readonly times?: number | undefined
  /** First backoff delay, doubled each time, with jitter. Default 200 ms. */
  readonly base?: Duration.Input | undefined
}

/**
 * Size limits on what the client collects into memory. Streamed downloads (`getPades`, `getXades`) have no cap.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, limits: { downloadBytes: 128 * 1024 * 1024 } })
 * ```
 */
export interface Limits {
  /** `getPadesBytes` / `getXadesBytes`: checked as the bytes arrive. Default 64 MiB. */
  readonly downloadBytes?: number | undefined
  /** An XML API answer (status, create, poll): checked as the bytes arrive. Default 16 MiB. */
  readonly responseBytes?: number | undefined
}

/**
 * Everything a client needs. Nothing is required: the environment comes from the transport when not given here
 * (see `Environment.Current`); `keystore` is needed to sign the document bundle in `create` (unless you pass a
 * prebuilt bundle).
 *
 * @example
 * ```ts
 * const options: ClientOptions.Options = {
 *   sender: { organizationNumber: "123456785" },
 *   keystore,
 * }
 * ```
 */
export interface Options {
  /**
   * Where the client talks to. Default: the environment the transport was built for
   * (`NodeTlsTransport.layer({ keystore, environment })` provides it as `Environment.Current`). When both are
   * given they must name the same API root and server organization number; when neither is, building the client
   * fails with a `ValidationError` naming `environment`.
   */
  readonly environment?: Environment.Environment | undefined
  /** The default sender: used when a job, a poll or an archive download names none. */
  readonly sender?: DirectJob.Sender | undefined
  /** The enterprise certificate that signs the document bundle (the same one the transport uses for mTLS). */
  readonly keystore?: Keystore.Keystore | undefined
  readonly timeouts?: Timeouts | undefined
  readonly retry?: RetryOptions | false | undefined
  readonly limits?: Limits | undefined
  /** Appended to `signering-ts/<version> (<runtime>)`, e.g. `my-app/1.2`. */
  readonly userAgentSuffix?: string | undefined
  /**
   * Send the tracing headers (`traceparent`, `b3`) of each request's span to the service. Default `false`: the
   * service is a third party, and spans stay local unless you choose to share their ids.
   */
  readonly propagateTraceHeaders?: boolean | undefined
  /** Options for building the document bundle (time zone of `SigningTime`, a document processor, ...). */
  readonly bundle?: DocumentBundle.Options | undefined
  /** Validation options for job input (e.g. accept synthetic test PINs). */
  readonly validation?: DirectJob.ValidateOptions | undefined
  /**
   * Next permitted poll time assumed when a 204 arrives without `X-Next-permitted-poll-time`
   * (the service always sends it; this only guards against a proxy that drops it). Default 60 seconds.
   */
  readonly missingPollTimeDelay?: Duration.Input | undefined
  /**
   * Origins (`https://host[:port]`) besides the environment's API root that follow-up URLs from the service may
   * point to. Any other origin is refused before a byte is sent (`RefusedUrl`).
   */
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  /**
   * Paces requests per organization under the service's limit (10 per second). Default: one limiter shared by
   * every client in the process (`RateLimiter.processDefault`); `false` switches pacing off.
   */
  readonly rateLimiter?: RateLimiter | false | undefined
  /**
   * Sign document bundles with the service's clock: the `SigningTime` is the local time corrected by the offset
   * measured from the `Date` header of earlier answers (the service refuses a SigningTime more than 5 s off).
   * Default `false`: a warning is logged once when the local clock is more than 2 s off.
   */
  readonly useServerClock?: boolean | undefined
}

const ORG = /^[0-9]{9}$/

/**
 * Checks options, naming every bad field; `undefined` when they are fine.
 *
 * @example
 * ```ts
 * const problem = ClientOptions.validate({ environment, retry: { times: 99 } }) // ValidationError: retry.times
 * ```
 */
export const validate = (options: Options): ValidationError | undefined => {
  const issues: Array<{ path: string; rule: string; message: string }> = []
  if (typeof options !== "object" || options === null) {
    return new ValidationError({ issues: [{ path: "options", rule: "required", message: "must be an object" }] })
  }
  let root: URL | undefined
  // Absent is fine here: the client takes the transport's (and names `environment` when there is none either).
  if (options.environment !== undefined) {
    try {
      root = new URL(options.environment?.apiRoot)
    } catch {
      issues.push({ path: "environment.apiRoot", rule: "url", message: "must be an absolute http(s) URL" })
    }
  }
  if (root !== undefined && root.protocol !== "https:" && root.protocol !== "http:") {
    issues.push({ path: "environment.apiRoot", rule: "url", message: "must be an absolute http(s) URL" })
  }
  if (options.sender !== undefined && !ORG.test(String(options.sender?.organizationNumber))) {
    issues.push({ path: "sender.organizationNumber", rule: "pattern", message: "must be 9 digits" })
  }
  const durations: ReadonlyArray<[string, Duration.Input | undefined]> = [
    ["timeouts.api", options.timeouts?.api],
    ["timeouts.download", options.timeouts?.download],
    ["timeouts.downloadTotal", options.timeouts?.downloadTotal],
    ["missingPollTimeDelay", options.missingPollTimeDelay],
    ["retry.base", options.retry === false ? undefined : options.retry?.base],
  ]
  for (const [path, input] of durations) {
    if (input === undefined) continue
    const duration = Option.getOrUndefined(Duration.fromInput(input))
    if (duration === undefined || !Duration.isFinite(duration) || Duration.toMillis(duration) <= 0) {
      issues.push({ path, rule: "duration", message: 'must be a finite, positive duration such as "30 seconds"' })
    }
  }
  if (options.retry !== undefined && options.retry !== false) {
    const times = options.retry.times
    if (times !== undefined && (!Number.isInteger(times) || times < 0 || times > 10)) {
      issues.push({ path: "retry.times", rule: "range", message: "must be an integer from 0 to 10" })
    }
  }
  for (const key of ["downloadBytes", "responseBytes"] as const) {
    const value = options.limits?.[key]
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1024)) {
      issues.push({ path: `limits.${key}`, rule: "range", message: "must be an integer of at least 1024 (bytes)" })
    }
  }
  for (const [index, origin] of (options.allowedOrigins ?? []).entries()) {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      // reported below
    }
    if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      issues.push({ path: `allowedOrigins[${index}]`, rule: "url", message: "must be an http(s) origin" })
    }
  }
  return issues.length === 0 ? undefined : new ValidationError({ issues })
}

/**
 * Names read by {@link config} (environment variables by default):
 *
 * - `SIGNERING_ENVIRONMENT`: `production`, `difitest`, `difiqa` or `custom` (default `difitest`)
 * - `SIGNERING_API_ROOT`, `SIGNERING_SERVER_ORGANIZATION_NUMBER`: for `custom`
 * - `SIGNERING_SENDER_ORGANIZATION_NUMBER`, `SIGNERING_SENDER_POLLING_QUEUE`: the default sender
 * - `SIGNERING_API_TIMEOUT`, `SIGNERING_DOWNLOAD_TIMEOUT`: durations such as `30 seconds`
 * - `SIGNERING_RETRIES`: retries for safe operations (0 switches them off)
 * - `SIGNERING_USER_AGENT_SUFFIX`
 *
 * @example
 * ```ts
 * process.env[ClientOptions.configNames.environment] = "difitest"
 * ```
 */
export const configNames = {
  environment: "SIGNERING_ENVIRONMENT",
  apiRoot: "SIGNERING_API_ROOT",
  serverOrganizationNumber: "SIGNERING_SERVER_ORGANIZATION_NUMBER",
  senderOrganizationNumber: "SIGNERING_SENDER_ORGANIZATION_NUMBER",
  senderPollingQueue: "SIGNERING_SENDER_POLLING_QUEUE",
  apiTimeout: "SIGNERING_API_TIMEOUT",
  downloadTimeout: "SIGNERING_DOWNLOAD_TIMEOUT",
  retries: "SIGNERING_RETRIES",
  userAgentSuffix: "SIGNERING_USER_AGENT_SUFFIX",
} as const

const optional = <A>(config: Config.Config<A>) => Config.option(config).pipe(Config.map(Option.getOrUndefined))

const configError = (message: string) => new Config.ConfigError(new ConfigProvider.SourceError({ message }))

/**
 * The options as a `Config`, for twelve-factor setups. The keystore is not read here: the client package does
 * no file I/O (it runs on edge runtimes too), so the keystore comes from the caller.
 *
 * @example
 * ```ts
 * const options = yield* ClientOptions.config
 * ```
 */
export const config: Config.Config<Options & { readonly environment: Environment.Environment }> = Config.all({
  environmentName: Config.String(configNames.environment).pipe(Config.withDefault("difitest")),
  apiRoot: optional(Config.String(configNames.apiRoot)),
  serverOrganizationNumber: optional(Config.String(configNames.serverOrganizationNumber)),
  senderOrganizationNumber: optional(Config.String(configNames.senderOrganizationNumber)),
  senderPollingQueue: optional(Config.String(configNames.senderPollingQueue)),
  apiTimeout: optional(Config.Duration(configNames.apiTimeout)),
  downloadTimeout: optional(Config.Duration(configNames.downloadTimeout)),
  retries: optional(Config.Int(configNames.retries)),
  userAgentSuffix: optional(Config.String(configNames.userAgentSuffix)),
}).pipe(
  Config.mapEffect((c) => {
    let environment = Environment.fromName(c.environmentName)
    if (environment === undefined) {
      if (c.environmentName.trim().toLowerCase() !== "custom") {
        return Effect.fail(
          configError(
            `${configNames.environment} must be production, difitest, difiqa or custom, got "${c.environmentName}"`,
          ),
        )
      }
      if (c.apiRoot === undefined) {
        return Effect.fail(configError(`${configNames.apiRoot} is required when ${configNames.environment}=custom`))
      }
      environment = Environment.custom({ apiRoot: c.apiRoot, serverOrganizationNumber: c.serverOrganizationNumber })
    } else if (c.serverOrganizationNumber !== undefined) {
      environment = { ...environment, serverOrganizationNumber: c.serverOrganizationNumber }
    }
    const options: Options & { readonly environment: Environment.Environment } = {
      environment,
      ...(c.senderOrganizationNumber === undefined
        ? {}
        : {
            sender: {
              organizationNumber: c.senderOrganizationNumber,
              ...(c.senderPollingQueue === undefined ? {} : { pollingQueue: c.senderPollingQueue }),
            },
          }),
      timeouts: {
        ...(c.apiTimeout === undefined ? {} : { api: c.apiTimeout }),
        ...(c.downloadTimeout === undefined ? {} : { download: c.downloadTimeout }),
      },
      ...(c.retries === undefined ? {} : { retry: c.retries <= 0 ? (false as const) : { times: c.retries } }),
      ...(c.userAgentSuffix === undefined ? {} : { userAgentSuffix: c.userAgentSuffix }),
    }
    return Effect.succeed(options)
  }),
)
