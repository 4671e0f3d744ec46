/**
 * How the pipeline turns what went wrong into the client's typed errors: transport failures with their hint,
 * timeouts, bounded body reads, answers mapped from status and `error` body (secrets masked), retry classes.
 */
import type { Endpoint } from "@signering/protocol"
import { DirectXml } from "@signering/protocol"
import { Duration, Redacted } from "effect"
import type { HttpClientError } from "effect/http"
import {
  BrokerNotAuthorized,
  type ClientError,
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  JobCannotBeCancelled,
  RateLimited,
  type RequestContext,
  SigningCeremonyNotCompleted,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "../ClientError.js"
import type * as Exchange from "../Exchange.js"
import { NEXT_PERMITTED_POLL_TIME, parsePollTime } from "./pollTime.js"
import { maskServerText, maskUrl } from "./redact.js"
import type { Settings } from "./settings.js"
import { classifyTransportFailure, hints } from "./transportFailure.js"

const DOS_BLOCK = Duration.seconds(30)

/** How the caller refines the error of a non-success answer (e.g. 409 on cancel). */
export type Refine = (ctx: RequestContext, status: number) => ClientError | undefined

export const isHttpClientError = (u: unknown): u is HttpClientError.HttpClientError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "HttpClientError"

/** The failure without effect's request object (it carries the unmasked URL into `JSON.stringify(error)`). */
const sanitizeCause = (cause: unknown): unknown =>
  isHttpClientError(cause) ? ((cause.reason as { cause?: unknown }).cause ?? cause.reason._tag) : cause

export const transportError = (
  settings: Settings,
  ctx: RequestContext,
  rawUrl: string,
  cause: unknown,
): TransportError => {
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

export const timeoutError = (settings: Settings, ctx: RequestContext): TransportError => {
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

/**
 * Reads a body up to `max` bytes, failing as soon as more arrive (never collecting an oversized answer). Rejects
 * with `onTooLarge()` or `onFailure(cause)`.
 */
export const readBounded = async (
  response: Exchange.Response,
  max: number,
  onTooLarge: () => ClientError,
  onFailure: (cause: unknown) => ClientError,
): Promise<Uint8Array> => {
  const declared = Number(response.headers["content-length"])
  if (Number.isSafeInteger(declared) && declared > max) {
    response.discard()
    throw onTooLarge()
  }
  // A declared length within the limit: HTTP framing stops the body there, so it is read whole without a stream,
  // which costs a quarter of a small create's client-side CPU (bench/overhead.ts). A transport that does not
  // honour its own framing is still refused, once read.
  if (Number.isSafeInteger(declared) && declared >= 0) {
    let bytes: Uint8Array
    try {
      bytes = await response.bytes()
    } catch (cause) {
      throw onFailure(cause)
    }
    if (bytes.byteLength > max) throw onTooLarge()
    return bytes
  }
  const chunks: Array<Uint8Array> = []
  let size = 0
  try {
    for await (const chunk of response.chunks()) {
      size += chunk.length
      // Leaving the loop stops the body.
      if (size > max) break
      chunks.push(chunk)
    }
  } catch (cause) {
    throw onFailure(cause)
  }
  if (size > max) throw onTooLarge()
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** Reads an error body (only XML is read as `error`) and maps the answer to its typed error. */
export const failure = async (
  ctx: RequestContext,
  response: Exchange.Response,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  refine: Refine | undefined,
  now: () => number,
): Promise<ClientError> => {
  const status = response.status
  const contentType = response.headers["content-type"] ?? ""
  let server: { errorCode: string; errorMessage: string; errorType: string } | undefined
  const body = await readBounded(
    response,
    64 * 1024,
    () => new UnexpectedResponse({ ...ctx, status, reason: "TooLarge", detail: "error body over 64 KiB" }),
    () => new UnexpectedResponse({ ...ctx, status, reason: "Body" }),
  ).catch(() => new Uint8Array())
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
  if (code === "BROKER_NOT_AUTHORIZED") return new BrokerNotAuthorized({ ...full, reason: "BrokerNotAuthorized" })
  if (code === "NOT_AUTHORIZED") return new BrokerNotAuthorized({ ...full, reason: "NotAuthorized" })
  if (code === "INVALID_STATUS_QUERY_TOKEN") return new InvalidStatusQueryToken(full)
  if (code === "SIGNING_CEREMONY_NOT_COMPLETED") return new SigningCeremonyNotCompleted(full)
  if (status === 429) {
    const next = parsePollTime(response.headers[NEXT_PERMITTED_POLL_TIME])
    if (next !== undefined) return new TooEagerPolling({ ...full, nextPermittedPollTime: next })
    return new RateLimited({
      ...full,
      retryAfter: DOS_BLOCK,
      blockedUntil: new Date(now() + Duration.toMillis(DOS_BLOCK)),
    })
  }
  const refined = refine?.(full, status)
  if (refined !== undefined) return refined
  return new UnexpectedResponse({ ...full, reason: server === undefined ? "Status" : "ErrorResponse" })
}

/** Default refinements by operation, shared by every flow. */
export const refineByOperation: Refine = (ctx, status) => {
  if (ctx.operation === "deleteDocuments" && status >= 400 && status < 500 && status !== 401) {
    return new DocumentsNotDeletable({ ...ctx, reason: "Refused" })
  }
  if (ctx.operation === "cancel" && status === 409) return new JobCannotBeCancelled(ctx)
  return undefined
}

export const isRetryable = (kind: Endpoint.RetryClass, error: ClientError): boolean => {
  if (error._tag === "TransportError") {
    return error.reason === "Connect" || (kind === "safe" && error.reason === "ClosedEarly")
  }
  if (kind !== "safe") return false
  if (error._tag === "RateLimited") return true
  return error._tag === "UnexpectedResponse" && error.status !== undefined && [502, 503, 504].includes(error.status)
}
