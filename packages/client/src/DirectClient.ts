/**
 * The direct-flow client: every operation of the Posten signering direct flow as an Effect service.
 *
 * The transport is the `HttpClient` port from `effect/http`, provided by an adapter layer
 * (`NodeTlsTransport.layer(...)` from `@signering/node-tls`, `FetchTransport.layer(...)` from
 * `@signering/fetch`). Timeouts, retries, error mapping, logging and tracing live here, never in adapters.
 *
 * Follow-up URLs (status, signer, confirmation, XAdES, PAdES, delete) are always the ones the server returned:
 * the client never builds them.
 *
 * @since 0.1.0
 */
import type { DirectJob, DirectResponse, DocumentBundle, Keystore } from "@signering/protocol"
import { DirectXml, DirectJob as Job, ValidationError } from "@signering/protocol"
import { Config, ConfigProvider, Context, Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import type { HttpClientError, HttpClientResponse } from "effect/http"
import { HttpClient, HttpClientRequest } from "effect/http"
import {
  BrokerNotAuthorized,
  type ClientError,
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  type Operation,
  RateLimited,
  type RequestContext,
  SigningCeremonyNotCompleted,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "./ClientError.js"
import * as Environment from "./Environment.js"
import { buildBundle } from "./internal/bundle.js"
import { jobMultipart } from "./internal/multipart.js"
import { NEXT_PERMITTED_POLL_TIME, parsePollTime } from "./internal/pollTime.js"
import { maskServerText, maskUrl } from "./internal/redact.js"
import { classifyTransportFailure, hints } from "./internal/transportFailure.js"
import { userAgent } from "./internal/userAgent.js"

// ---------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------

/**
 * Timeouts per attempt. API calls bound the whole exchange; downloads bound the wait for headers and each chunk.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment, timeouts: { api: "20 seconds", download: "5 minutes" } })
 * ```
 */
export interface Timeouts {
  /** Every API call (create, status, poll, confirm, delete, redirect URL). Default 30 seconds. */
  readonly api?: Duration.Input | undefined
  /** Downloads (XAdES, PAdES): the wait for the response and then for each chunk. Default 120 seconds. */
  readonly download?: Duration.Input | undefined
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
 * Everything the client needs. Only `environment` is required; `keystore` is needed to sign the document
 * bundle in `create` (unless you pass a prebuilt bundle).
 *
 * @example
 * ```ts
 * const options: DirectClient.Options = {
 *   environment: Environment.difitest,
 *   sender: { organizationNumber: "123456789" },
 *   keystore,
 * }
 * ```
 */
export interface Options {
  readonly environment: Environment.Environment
  /** The default sender: used when a job or a poll names none. */
  readonly sender?: DirectJob.Sender | undefined
  /** The enterprise certificate that signs the document bundle (the same one the transport uses for mTLS). */
  readonly keystore?: Keystore.Keystore | undefined
  readonly timeouts?: Timeouts | undefined
  readonly retry?: RetryOptions | false | undefined
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
}

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------

/**
 * A job input whose sender may be left out: the client's default sender is used then.
 *
 * @example
 * ```ts
 * const input: DirectClient.JobInput = { title, documents, signers, exitUrls } // sender: the default
 * ```
 */
export type JobInput = Omit<DirectJob.DirectJobInput, "sender"> & { readonly sender?: DirectJob.Sender | undefined }

/**
 * Options for `create`.
 *
 * @example
 * ```ts
 * const bundle = yield* DocumentBundle.make(job, keystore)
 * yield* client.create(job, { bundle })
 * ```
 */
export interface CreateOptions {
  /** A document bundle (ASiC-E zip bytes) built earlier for this very job; skips building and signing. */
  readonly bundle?: Uint8Array | { readonly bytes: Uint8Array } | undefined
}

/**
 * The answer to `create`, plus the sender the job was created for (needed for status queries and polling).
 *
 * @example
 * ```ts
 * const job = yield* client.create(input)
 * persist(job.signatureJobId, job.statusUrl, job.sender)
 * ```
 */
export interface CreatedJob extends DirectResponse.JobResponse {
  readonly sender: DirectJob.Sender
}

/**
 * The answer to a poll. Both variants carry the time the next poll is permitted: after a change the service
 * normally permits the next poll at once; after "no changes" it asks for a pause (10 minutes in production).
 *
 * @example
 * ```ts
 * const change = yield* client.getStatusChange()
 * if (change._tag === "StatusChange") yield* handle(change.status)
 * yield* sleepUntil(change.nextPermittedPollTime)
 * ```
 */
export type StatusChange =
  | { readonly _tag: "NoChanges"; readonly nextPermittedPollTime: Date }
  | {
      readonly _tag: "StatusChange"
      readonly status: DirectResponse.JobStatusResponse
      readonly nextPermittedPollTime: Date
    }

/**
 * A download as a stream, with its length when the server sent one. The stream can be consumed once.
 *
 * @example
 * ```ts
 * const { stream, contentLength } = yield* client.getPades(status.padesUrl!)
 * yield* Stream.run(stream, sink)
 * ```
 */
export interface Download {
  readonly stream: Stream.Stream<Uint8Array, ClientError>
  /** `Content-Length`, when the server sent it. */
  readonly contentLength: number | undefined
  readonly contentType: string | undefined
}

/**
 * Anything that points to a signer: the signer from a create response, or the persisted signer URL alone.
 *
 * @example
 * ```ts
 * yield* client.requestNewRedirectUrl(job.signers[0]!) // or the persisted signer URL string
 * ```
 */
export type SignerTarget = string | { readonly href: string }

/**
 * What `confirm` needs: a status (it confirms only when there is a confirmation URL).
 *
 * @example
 * ```ts
 * yield* client.confirm(status) // nothing is sent when status.confirmationUrl is absent
 * ```
 */
export type Confirmable = { readonly confirmationUrl?: string | undefined }

/**
 * What `deleteDocuments` needs: the URL, or a status carrying it.
 *
 * @example
 * ```ts
 * yield* client.deleteDocuments(status) // or status.deleteDocumentsUrl
 * ```
 */
export type Deletable = string | { readonly deleteDocumentsUrl?: string | undefined }

/**
 * A download URL, or an entry of `xadesUrls` / a signer status with its `xadesUrl`.
 *
 * @example
 * ```ts
 * yield* client.getXadesBytes(status.xadesUrls[0]!) // or a URL string
 * ```
 */
export type DownloadTarget = string | { readonly url: string }

/**
 * The service: every direct-flow operation. Every method's Effect needs nothing from the environment.
 *
 * @example
 * ```ts
 * const client: DirectClient.Service = yield* DirectClient.DirectClient
 * ```
 */
export interface Service {
  /** The resolved configuration (without secrets), e.g. for a polling worker. */
  readonly config: {
    readonly environment: Environment.Environment
    readonly sender: DirectJob.Sender | undefined
    readonly userAgent: string
  }
  /**
   * Creates a direct signature job: validates the input (a `ValidationError` before any request), builds and
   * signs the document bundle (unless `options.bundle` is given) and posts both as multipart/mixed to
   * `<root>/<org>/direct/signature-jobs`. Never retried once the body may have reached the server.
   */
  readonly create: (
    job: JobInput | DirectJob.DirectJob,
    options?: CreateOptions,
  ) => Effect.Effect<CreatedJob, ClientError>
  /** A fresh one-time redirect URL for a signer (POST to the signer URL). */
  readonly requestNewRedirectUrl: (signer: SignerTarget) => Effect.Effect<DirectResponse.SignerResponse, ClientError>
  /** The job's status with the token the signer's browser brought back (`status_query_token`). */
  readonly getStatus: (
    statusUrl: string,
    statusQueryToken: string | Redacted.Redacted<string>,
    pollingQueue?: string,
  ) => Effect.Effect<DirectResponse.JobStatusResponse, ClientError>
  /** Polls the sender's queue (the default sender's when none is given) for the next status change. */
  readonly getStatusChange: (sender?: DirectJob.Sender | string) => Effect.Effect<StatusChange, ClientError>
  /** Confirms a status change (POST to its confirmation URL); does nothing when the status has none. */
  readonly confirm: (status: Confirmable) => Effect.Effect<void, ClientError>
  /** Streams a signer's XAdES. */
  readonly getXades: (url: DownloadTarget) => Effect.Effect<Download, ClientError>
  /** Collects a signer's XAdES into memory (bounded by the download timeout as a whole). */
  readonly getXadesBytes: (url: DownloadTarget) => Effect.Effect<Uint8Array, ClientError>
  /** Streams the job's PAdES (PDF). */
  readonly getPades: (url: DownloadTarget) => Effect.Effect<Download, ClientError>
  /** Collects the job's PAdES into memory (bounded by the download timeout as a whole). */
  readonly getPadesBytes: (url: DownloadTarget) => Effect.Effect<Uint8Array, ClientError>
  /** Deletes the job's documents; `DocumentsNotDeletable` when not advertised or refused. */
  readonly deleteDocuments: (target: Deletable) => Effect.Effect<void, ClientError>
}

/**
 * The `DirectClient` service tag.
 *
 * @example
 * ```ts
 * import { DirectClient } from "@signering/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const client = yield* DirectClient.DirectClient
 *   const job = yield* client.create(input)
 *   return job.signers[0]!.redirectUrl
 * })
 * ```
 */
export class DirectClient extends Context.Service<DirectClient, Service>()("@signering/client/DirectClient") {}

// ---------------------------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------------------------

const DEFAULT_API_TIMEOUT = Duration.seconds(30)
const DEFAULT_DOWNLOAD_TIMEOUT = Duration.seconds(120)
const DEFAULT_MISSING_POLL_DELAY = Duration.seconds(60)
const DOS_BLOCK = Duration.seconds(30)
const MAX_BACKOFF = Duration.seconds(30)
const ORG = /^[0-9]{9}$/

/** How a request may be repeated: `safe` ones on connection failures and 502/503/504, `create` only before sending. */
type RetryKind = "safe" | "connectOnly"

const isRetryable = (kind: RetryKind, error: ClientError): boolean => {
  if (error._tag === "TransportError") {
    return error.reason === "Connect" || (kind === "safe" && error.reason === "ClosedEarly")
  }
  return (
    kind === "safe" &&
    error._tag === "UnexpectedResponse" &&
    error.status !== undefined &&
    [502, 503, 504].includes(error.status)
  )
}

const isHttpClientError = (u: unknown): u is HttpClientError.HttpClientError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "HttpClientError"

const invalid = (path: string, rule: string, message: string) =>
  new ValidationError({ issues: [{ path, rule, message }] })

const validateOptions = (options: Options): ValidationError | undefined => {
  const issues: Array<{ path: string; rule: string; message: string }> = []
  let root: URL | undefined
  try {
    root = new URL(options.environment.apiRoot)
  } catch {
    issues.push({ path: "environment.apiRoot", rule: "url", message: "must be an absolute http(s) URL" })
  }
  if (root !== undefined && root.protocol !== "https:" && root.protocol !== "http:") {
    issues.push({ path: "environment.apiRoot", rule: "url", message: "must be an absolute http(s) URL" })
  }
  if (options.sender !== undefined && !ORG.test(options.sender.organizationNumber)) {
    issues.push({ path: "sender.organizationNumber", rule: "pattern", message: "must be 9 digits" })
  }
  const durations: ReadonlyArray<[string, Duration.Input | undefined]> = [
    ["timeouts.api", options.timeouts?.api],
    ["timeouts.download", options.timeouts?.download],
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
  return issues.length === 0 ? undefined : new ValidationError({ issues })
}

/**
 * Builds the service from options, using the `HttpClient` in the environment.
 *
 * @example
 * ```ts
 * const client = yield* DirectClient.make({ environment: Environment.difitest, keystore, sender })
 * ```
 */
export const make = (options: Options): Effect.Effect<Service, ValidationError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const problem = validateOptions(options)
    if (problem !== undefined) return yield* Effect.fail(problem)
    // References the transport reads per request (e.g. `FetchHttpClient.Fetch`) are taken from where the client
    // was built, so a layer stack works the same in Effect code and in the Promise API's runtime.
    const built = yield* Effect.context<never>()
    const propagate = options.propagateTraceHeaders === true
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.transformResponse(
        Effect.updateContext((input: Context.Context<never>) =>
          Context.add(Context.merge(built, input), HttpClient.TracerPropagationEnabled, propagate),
        ),
      ),
    )
    const environment = options.environment
    const apiRoot = environment.apiRoot.replace(/\/+$/, "")
    const apiTimeout = Duration.fromInputUnsafe(options.timeouts?.api ?? DEFAULT_API_TIMEOUT)
    const downloadTimeout = Duration.fromInputUnsafe(options.timeouts?.download ?? DEFAULT_DOWNLOAD_TIMEOUT)
    const missingPollDelay = Duration.fromInputUnsafe(options.missingPollTimeDelay ?? DEFAULT_MISSING_POLL_DELAY)
    const retryTimes = options.retry === false ? 0 : (options.retry?.times ?? 3)
    const retryBase = Duration.fromInputUnsafe(
      options.retry === false ? Duration.millis(200) : (options.retry?.base ?? Duration.millis(200)),
    )
    const agent = userAgent(options.userAgentSuffix)
    const hintContext = { environment: environment.name, apiRoot }

    const context = (operation: Operation, method: string, url: string): RequestContext => ({
      operation,
      method,
      url: maskUrl(url),
    })

    const transportError = (ctx: RequestContext, cause: unknown): TransportError => {
      const classified = classifyTransportFailure(cause, hintContext)
      return new TransportError({ ...ctx, ...classified, cause })
    }

    /** Reads an error body (only XML is read as `error`) and maps the response to its typed error. */
    const failure = (
      ctx: RequestContext,
      response: HttpClientResponse.HttpClientResponse,
    ): Effect.Effect<never, ClientError> =>
      Effect.gen(function* () {
        const status = response.status
        const contentType = response.headers["content-type"] ?? ""
        let server: DirectResponse.ErrorResponse | undefined
        if (/xml/i.test(contentType)) {
          const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
          const decoded = DirectXml.decodeError(text)
          if (decoded._tag === "Success") server = decoded.success
        } else {
          // Drain so the connection returns to the pool.
          yield* response.arrayBuffer.pipe(Effect.ignore)
        }
        const full: RequestContext = {
          ...ctx,
          status,
          ...(server === undefined
            ? {}
            : {
                errorCode: server.errorCode,
                errorMessage: maskServerText(server.errorMessage),
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
        if (ctx.operation === "deleteDocuments" && status >= 400 && status < 500 && status !== 401) {
          return yield* new DocumentsNotDeletable({ ...full, reason: "Refused" })
        }
        return yield* new UnexpectedResponse({ ...full, reason: server === undefined ? "Status" : "ErrorResponse" })
      })

    /**
     * One logical request: attempts with a per-attempt timeout, retried per `kind`, then a span and one log
     * line. `handle` reads the response inside the attempt (so a body cut short on a safe request is retried).
     */
    const request = <A>(spec: {
      readonly operation: Operation
      readonly request: HttpClientRequest.HttpClientRequest
      readonly url: string
      readonly timeout: Duration.Duration
      readonly retry: RetryKind
      readonly accept: string
      readonly handle: (
        response: HttpClientResponse.HttpClientResponse,
        ctx: RequestContext,
      ) => Effect.Effect<A, ClientError>
      readonly annotations?: Record<string, unknown>
    }): Effect.Effect<A, ClientError> => {
      const ctx = context(spec.operation, spec.request.method, spec.url)
      const req = spec.request.pipe(HttpClientRequest.setHeaders({ accept: spec.accept, "user-agent": agent }))
      const attempt = http.execute(req).pipe(
        Effect.mapError((e): ClientError => {
          if (isHttpClientError(e) && e.reason._tag === "InvalidUrlError") {
            return new UnexpectedResponse({ ...ctx, reason: "InvalidRequest", detail: "the URL is not valid" })
          }
          return transportError(ctx, e)
        }),
        Effect.flatMap((response) => spec.handle(response, { ...ctx, status: response.status })),
        Effect.timeoutOrElse({
          duration: spec.timeout,
          orElse: () =>
            Effect.fail(new TransportError({ ...ctx, reason: "Timeout", hint: hints.timeout(), code: undefined })),
        }),
      )
      // Exponential backoff with jitter, paid for only when an attempt fails (a Schedule per request was measurable).
      const attempts = (n: number): Effect.Effect<A, ClientError> =>
        attempt.pipe(
          Effect.catchIf(
            (error: ClientError) => n < retryTimes && isRetryable(spec.retry, error),
            () =>
              Effect.sleep(
                Duration.min(Duration.times(retryBase, 2 ** n * (0.8 + Math.random() * 0.4)), MAX_BACKOFF),
              ).pipe(Effect.andThen(attempts(n + 1))),
          ),
        )
      return Effect.suspend(() => {
        const started = performance.now()
        return attempts(0).pipe(
          Effect.onExit((exit) => {
            const durationMs = Math.round(performance.now() - started)
            if (exit._tag === "Success") {
              return Effect.logDebug(`signering ${spec.operation} ok`).pipe(
                Effect.annotateLogs("durationMs", durationMs),
              )
            }
            const tags = exit.cause.reasons.map((r) =>
              r._tag === "Fail" ? (r.error as { _tag: string })._tag : r._tag,
            )
            // Answers a caller handles routinely (429, token and ceremony states) are debug; breakage is a warning.
            const routine = tags.every(
              (t) => !["TransportError", "UnexpectedResponse", "DecodeError", "Die"].includes(t),
            )
            const line = `signering ${spec.operation} failed: ${tags.join(", ")}`
            return (routine ? Effect.logDebug(line) : Effect.logWarning(line)).pipe(
              Effect.annotateLogs("durationMs", durationMs),
            )
          }),
        )
      }).pipe(
        Effect.annotateLogs({ operation: spec.operation, method: ctx.method, url: ctx.url, ...spec.annotations }),
        Effect.withSpan(
          `DirectClient.${spec.operation}`,
          {
            attributes: {
              "signering.operation": spec.operation,
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

    const xmlBody = <A>(
      response: HttpClientResponse.HttpClientResponse,
      ctx: RequestContext,
      decode: (
        text: string,
      ) =>
        | { readonly _tag: "Success"; readonly success: A }
        | { readonly _tag: "Failure"; readonly failure: ClientError },
    ): Effect.Effect<A, ClientError> =>
      response.text.pipe(
        Effect.mapError((e) => transportError(ctx, e)),
        Effect.flatMap((text) => {
          const result = decode(text)
          return result._tag === "Success" ? Effect.succeed(result.success) : Effect.fail(result.failure)
        }),
      )

    const ok = (status: number) => status >= 200 && status < 300

    /** A URL argument must be absolute http(s); a bad one is the caller's input error, named by its argument. */
    const checkUrl = (path: string, url: string): ValidationError | undefined => {
      try {
        const parsed = new URL(url)
        if (parsed.protocol === "https:" || parsed.protocol === "http:") return undefined
      } catch {
        // fall through
      }
      return invalid(path, "url", "must be an absolute http(s) URL as returned by the service")
    }

    const resolveSender = (
      sender: DirectJob.Sender | string | undefined,
    ): Effect.Effect<DirectJob.Sender, ValidationError> => {
      const resolved = typeof sender === "string" ? { organizationNumber: sender } : (sender ?? options.sender)
      if (resolved === undefined) {
        return Effect.fail(invalid("sender", "required", "no sender given and no default sender configured"))
      }
      if (!ORG.test(resolved.organizationNumber)) {
        return Effect.fail(invalid("sender.organizationNumber", "pattern", "must be 9 digits"))
      }
      return Effect.succeed(resolved)
    }

    const create: Service["create"] = (input, createOptions) =>
      Effect.gen(function* () {
        let job: DirectJob.DirectJob
        if ("_tag" in input && input._tag === "DirectJob") {
          job = input as DirectJob.DirectJob
        } else {
          const sender = yield* resolveSender((input as JobInput).sender)
          job = yield* Effect.fromResult(Job.make({ ...(input as JobInput), sender }, options.validation))
        }
        const given = createOptions?.bundle
        let zip: Uint8Array
        if (given !== undefined) {
          zip = given instanceof Uint8Array ? given : given.bytes
        } else {
          if (options.keystore === undefined) {
            return yield* Effect.fail(
              invalid(
                "keystore",
                "required",
                "a keystore is needed to sign the document bundle (or pass options.bundle)",
              ),
            )
          }
          zip = yield* buildBundle(job, options.keystore, options.bundle)
        }
        const multipart = jobMultipart(DirectXml.encodeJobRequest(job), zip)
        const url = `${apiRoot}/${job.sender.organizationNumber}/direct/signature-jobs`
        const sender = job.sender
        return yield* request({
          operation: "create",
          request: HttpClientRequest.post(url).pipe(
            HttpClientRequest.bodyUint8Array(multipart.body, multipart.contentType),
          ),
          url,
          timeout: apiTimeout,
          retry: "connectOnly",
          accept: "application/xml",
          annotations: { sender: sender.organizationNumber, bundleBytes: zip.length },
          handle: (response, ctx) =>
            ok(response.status)
              ? xmlBody(response, ctx, DirectXml.decodeJobResponse).pipe(
                  Effect.map((created): CreatedJob => ({ ...created, sender })),
                )
              : failure(ctx, response),
        })
      })

    const requestNewRedirectUrl: Service["requestNewRedirectUrl"] = (signer) => {
      const url = typeof signer === "string" ? signer : signer.href
      const bad = checkUrl("signer", url)
      if (bad !== undefined) return Effect.fail(bad)
      return request({
        operation: "requestNewRedirectUrl",
        request: HttpClientRequest.post(url).pipe(
          HttpClientRequest.bodyText(DirectXml.encodeSignerUpdateRequest(), "application/xml"),
        ),
        url,
        timeout: apiTimeout,
        retry: "connectOnly",
        accept: "application/xml",
        handle: (response, ctx) =>
          ok(response.status) ? xmlBody(response, ctx, DirectXml.decodeSignerResponse) : failure(ctx, response),
      })
    }

    const getStatus: Service["getStatus"] = (statusUrl, statusQueryToken, pollingQueue) => {
      const token = Redacted.isRedacted(statusQueryToken) ? statusQueryToken : Redacted.make(statusQueryToken)
      const bad = checkUrl("statusUrl", statusUrl)
      if (bad !== undefined) return Effect.fail(bad)
      if (Redacted.value(token).trim() === "") {
        return Effect.fail(invalid("statusQueryToken", "required", "must not be empty"))
      }
      // The token travels as a Redacted URL parameter: effect's own client span then records it as REDACTED.
      let req = HttpClientRequest.get(statusUrl).pipe(HttpClientRequest.setUrlParam("status_query_token", token))
      if (pollingQueue !== undefined && pollingQueue !== "") {
        req = req.pipe(HttpClientRequest.setUrlParam("polling_queue", pollingQueue))
      }
      return request({
        operation: "getStatus",
        request: req,
        url: `${statusUrl}${statusUrl.includes("?") ? "&" : "?"}status_query_token=x`,
        timeout: apiTimeout,
        retry: "safe",
        accept: "application/xml",
        handle: (response, ctx) =>
          response.status === 200 ? xmlBody(response, ctx, DirectXml.decodeJobStatusResponse) : failure(ctx, response),
      })
    }

    const getStatusChange: Service["getStatusChange"] = (senderInput) =>
      Effect.gen(function* () {
        const sender = yield* resolveSender(senderInput)
        const url = `${apiRoot}/${sender.organizationNumber}/direct/signature-jobs`
        const queue = sender.pollingQueue
        let req = HttpClientRequest.get(url)
        if (queue !== undefined && queue !== "") req = req.pipe(HttpClientRequest.setUrlParam("polling_queue", queue))
        return yield* request({
          operation: "getStatusChange",
          request: req,
          url,
          timeout: apiTimeout,
          retry: "safe",
          accept: "application/xml",
          annotations: { sender: sender.organizationNumber, pollingQueue: queue ?? "" },
          handle: (response, ctx) =>
            Effect.gen(function* () {
              const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
              const header = parsePollTime(response.headers[NEXT_PERMITTED_POLL_TIME])
              if (response.status === 204) {
                yield* response.arrayBuffer.pipe(Effect.ignore)
                return {
                  _tag: "NoChanges",
                  nextPermittedPollTime: header ?? new Date(now + Duration.toMillis(missingPollDelay)),
                } as const
              }
              if (response.status === 200) {
                const status = yield* xmlBody(response, ctx, DirectXml.decodeJobStatusResponse)
                // The change has left the queue: never fail it over a missing header; poll again at once.
                return { _tag: "StatusChange", status, nextPermittedPollTime: header ?? new Date(now) } as const
              }
              return yield* failure(ctx, response)
            }),
        })
      })

    const confirm: Service["confirm"] = (status) => {
      const url = status.confirmationUrl
      if (url === undefined || url === "") return Effect.logDebug("signering confirm skipped: no confirmation URL")
      const bad = checkUrl("confirmationUrl", url)
      if (bad !== undefined) return Effect.fail(bad)
      return request({
        operation: "confirm",
        request: HttpClientRequest.post(url),
        url,
        timeout: apiTimeout,
        retry: "safe",
        accept: "application/xml",
        handle: (response, ctx) =>
          ok(response.status) ? response.arrayBuffer.pipe(Effect.ignore) : failure(ctx, response),
      })
    }

    const deleteDocuments: Service["deleteDocuments"] = (target) => {
      const url = typeof target === "string" ? target : target.deleteDocumentsUrl
      if (url === undefined || url === "") {
        return Effect.fail(
          new DocumentsNotDeletable({
            operation: "deleteDocuments",
            method: "DELETE",
            url: "",
            reason: "NotAdvertised",
          }),
        )
      }
      const bad = checkUrl("deleteDocumentsUrl", url)
      if (bad !== undefined) return Effect.fail(bad)
      return request({
        operation: "deleteDocuments",
        request: HttpClientRequest.make("DELETE")(url),
        url,
        timeout: apiTimeout,
        retry: "safe",
        accept: "application/xml",
        handle: (response, ctx) =>
          ok(response.status) ? response.arrayBuffer.pipe(Effect.ignore) : failure(ctx, response),
      })
    }

    const getDocument = <A>(
      operation: "getXades" | "getPades",
      accept: string,
      target: DownloadTarget,
      handle: (response: HttpClientResponse.HttpClientResponse, ctx: RequestContext) => Effect.Effect<A, ClientError>,
    ) => {
      const url = typeof target === "string" ? target : target.url
      const bad = checkUrl("url", url)
      if (bad !== undefined) return Effect.fail(bad)
      return request({
        operation,
        request: HttpClientRequest.get(url),
        url,
        timeout: downloadTimeout,
        retry: "safe",
        accept,
        handle: (response, ctx) => (response.status !== 200 ? failure(ctx, response) : handle(response, ctx)),
      })
    }

    const download = (operation: "getXades" | "getPades", accept: string, target: DownloadTarget) =>
      getDocument(operation, accept, target, (response, ctx): Effect.Effect<Download, ClientError> => {
        const length = Number(response.headers["content-length"])
        const stalled = new TransportError({ ...ctx, reason: "Timeout", hint: hints.timeout(), code: undefined })
        const stream = response.stream.pipe(
          Stream.mapError((e): ClientError => transportError(ctx, e)),
          // Per chunk: a large PAdES on a slow line may take long, a stalled one must not hang forever.
          Stream.timeoutOrElse({ duration: downloadTimeout, orElse: () => Stream.fail(stalled) }),
        )
        return Effect.succeed({
          stream,
          contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
          contentType: response.headers["content-type"],
        })
      })

    // The whole exchange, body included, is one attempt: a body cut short is retried like a failed request.
    const collect = (operation: "getXades" | "getPades", accept: string, target: DownloadTarget) =>
      getDocument(operation, accept, target, (response, ctx) =>
        response.arrayBuffer.pipe(
          Effect.map((buffer) => new Uint8Array(buffer)),
          Effect.mapError((e) => transportError(ctx, e)),
        ),
      )

    const service: Service = {
      config: { environment, sender: options.sender, userAgent: agent },
      create,
      requestNewRedirectUrl,
      getStatus,
      getStatusChange,
      confirm,
      getXades: (url) => download("getXades", "application/xml", url),
      getXadesBytes: (url) => collect("getXades", "application/xml", url),
      getPades: (url) => download("getPades", "application/octet-stream, application/xml", url),
      getPadesBytes: (url) => collect("getPades", "application/octet-stream, application/xml", url),
      deleteDocuments,
    }
    return service
  })

/**
 * The client as a layer over the `HttpClient` a transport layer provides.
 *
 * @example
 * ```ts
 * import { DirectClient, Environment } from "@signering/client"
 * import { NodeTlsTransport } from "@signering/node-tls"
 * import { Layer } from "effect"
 *
 * const ClientLive = DirectClient.layer({ environment: Environment.difitest, keystore, sender }).pipe(
 *   Layer.provide(NodeTlsTransport.layer({ keystore, trustAnchors })),
 * )
 * ```
 */
export const layer = (options: Options): Layer.Layer<DirectClient, ValidationError, HttpClient.HttpClient> =>
  Layer.effect(DirectClient, make(options))

/**
 * Names read by {@link layerConfig} (environment variables by default):
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
 * process.env[DirectClient.configNames.environment] = "difitest"
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

/**
 * The options as a `Config`, for twelve-factor setups. The keystore is not read here: the client package does
 * no file I/O (it runs on edge runtimes too), so the keystore comes from the caller (see {@link layerConfig}).
 *
 * @example
 * ```ts
 * const options = yield* DirectClient.config
 * ```
 */
export const config: Config.Config<Options> = Config.all({
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
    const options: Options = {
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

/**
 * The client configured from `Config` (environment variables by default; names in {@link configNames}),
 * with the keystore given by the caller: load it with `Keystore.fromPkcs12` / `Keystore.fromPem` from bytes
 * your platform reads (e.g. a path in `SIGNERING_KEYSTORE_PATH` and a `Config.Redacted` passphrase).
 *
 * @example
 * ```ts
 * const ClientLive = Layer.unwrap(
 *   Effect.gen(function* () {
 *     const passphrase = yield* Config.Redacted("SIGNERING_KEYSTORE_PASSPHRASE")
 *     const keystore = yield* Keystore.fromPkcs12(readFileSync(yield* Config.String("SIGNERING_KEYSTORE_PATH")), passphrase)
 *     return DirectClient.layerConfig({ keystore }).pipe(Layer.provide(NodeTlsTransport.layer({ keystore, trustAnchors })))
 *   }),
 * )
 * ```
 */
export const layerConfig = (
  overrides?: Partial<Options>,
): Layer.Layer<DirectClient, ValidationError | Config.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    DirectClient,
    Effect.gen(function* () {
      const fromConfig = yield* config
      return yield* make({ ...fromConfig, ...overrides } as Options)
    }),
  )

const configError = (message: string) => new Config.ConfigError(new ConfigProvider.SourceError({ message }))
