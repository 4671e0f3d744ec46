/**
 * One attempt of a request: send it through the lane, check the answer, read and decode it, under the attempt's
 * deadline. It is plain promise code inside a single effect callback. Written with effect combinators it cost a forked
 * race per request (the timeout) and a fiber step per stage, which together were about a third of the client's CPU
 * per `create` over real sockets (`bench/`). The deadline is a timer that aborts the exchange, so a late answer
 * stops its socket instead of being abandoned. It is a wall-clock timer like a socket's, so `TestClock` does not
 * move it.
 */
import type { Endpoint } from "@signering/protocol"
import { Clock, Context, Effect, Tracer } from "effect"
import type { ClientError, RequestContext } from "../ClientError.js"
import { UnexpectedResponse } from "../ClientError.js"
import type * as Exchange from "../Exchange.js"
import { failure, isHttpClientError, type Refine, timeoutError, transportError } from "./failure.js"
import type { Settings } from "./settings.js"

const CLOCK_WARNING_MS = 2_000

export interface Attempt<A> {
  readonly endpoint: Endpoint.Endpoint<unknown>
  readonly request: Exchange.Request
  readonly ctx: RequestContext
  readonly timeoutMs: number
  readonly refine: Refine
  /** Log annotations of the clock warning (built only for it). */
  readonly annotations: () => Record<string, unknown>
  /** Whether the request has its own span (see `traced` in `pipeline.ts`): the answer's status goes on it. */
  readonly spanned: boolean
  /** Reads the accepted answer; rejects with a `ClientError`, or with a transport failure while reading the body. */
  readonly read: (response: Exchange.Response, ctx: RequestContext) => Promise<A>
}

/** What `new URL` throws for a URL it cannot parse (a lean lane parses the URL itself). */
const isInvalidUrl = (e: unknown): boolean =>
  e instanceof TypeError && (e as TypeError & { code?: unknown }).code === "ERR_INVALID_URL"

/** An answer encoded in a way the client did not ask for (it sends `Accept-Encoding: identity`) is refused. */
const checkEncoding = (ctx: RequestContext, response: Exchange.Response): ClientError | undefined => {
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
 * Records the server's clock from `Date`; the warning (once per client, when the local clock is off by more than
 * 2 s) is returned for the fiber to log.
 */
const watchClock = (
  settings: Settings,
  response: Exchange.Response,
  now: number,
  annotations: () => Record<string, unknown>,
): Effect.Effect<void> | undefined => {
  const header = response.headers.date
  if (header === undefined) return undefined
  const watch = settings.clock
  let server: number
  if (header === watch.lastHeader) server = watch.lastHeaderMs as number
  else {
    server = Date.parse(header)
    watch.lastHeader = header
    watch.lastHeaderMs = server
  }
  if (!Number.isFinite(server)) return undefined
  // `Date` has whole seconds, truncated: the server's time was within the second after it.
  const offset = server + 500 - now
  settings.clock.offsetMs = offset
  if (Math.abs(offset) <= CLOCK_WARNING_MS || settings.clock.warned) return undefined
  settings.clock.warned = true
  return Effect.logWarning(
    `signering: the local clock is ${Math.round(offset / 100) / 10} s ${offset > 0 ? "behind" : "ahead of"} the service's; it refuses a bundle signed more than 5 s off (set useServerClock or fix the system time)`,
  ).pipe(Effect.annotateLogs({ ...annotations(), clockOffsetMs: offset }))
}

/**
 * A rate limiter's synchronous turn (`RateLimiter.enter`) taken as the attempt starts; when it has no place now, the
 * attempt is `otherwise` (the limiter's waiting path) instead.
 */
export interface Pacing<A> {
  readonly enter: (organizationNumber: string, now: number) => ((answeredAt: number) => void) | undefined
  readonly organization: string
  readonly otherwise: Effect.Effect<A, ClientError>
}

/**
 * Runs one attempt. Interrupting it aborts the exchange. With `pacing`, the limiter's place is given the time the
 * attempt ended, however it ended.
 */
export const run = <A>(settings: Settings, spec: Attempt<A>, pacing?: Pacing<A>): Effect.Effect<A, ClientError> =>
  Effect.withFiber((fiber) => {
    const clock = fiber.getRef(Clock.Clock)
    let release: ((answeredAt: number) => void) | undefined
    if (pacing !== undefined) {
      release = pacing.enter(pacing.organization, clock.currentTimeMillisUnsafe())
      if (release === undefined) return pacing.otherwise
    }
    const context = fiber.context
    return Effect.callback<A, ClientError>((resume) => {
      let call: Exchange.Call | undefined
      let timedOut = false
      let warning: Effect.Effect<void> | undefined
      const timer = setTimeout(() => {
        timedOut = true
        call?.abort()
      }, spec.timeoutMs)
      const { ctx, endpoint } = spec
      const mapError = (e: unknown): ClientError => {
        if (timedOut) return timeoutError(settings, ctx)
        if ((isHttpClientError(e) && e.reason._tag === "InvalidUrlError") || isInvalidUrl(e)) {
          return new UnexpectedResponse({ ...ctx, reason: "InvalidRequest", detail: "the URL is not valid" })
        }
        return transportError(settings, ctx, endpoint.url, e)
      }
      const go = async (): Promise<A> => {
        let response: Exchange.Response
        try {
          call = settings.lane(spec.request, context)
          response = await call.response
        } catch (cause) {
          throw mapError(cause)
        }
        if (spec.spanned) {
          const span = Context.getOrUndefined(context, Tracer.ParentSpan)
          if (span?._tag === "Span") span.attribute("http.response.status_code", response.status)
        }
        warning = watchClock(settings, response, clock.currentTimeMillisUnsafe(), spec.annotations)
        const answered = { ...ctx, status: response.status }
        if (!endpoint.accepts(response.status)) {
          throw await failure(answered, response, endpoint.secrets, spec.refine, () => clock.currentTimeMillisUnsafe())
        }
        const badEncoding = checkEncoding(answered, response)
        if (badEncoding !== undefined) {
          response.discard()
          throw badEncoding
        }
        return spec.read(response, answered)
      }
      go().then(
        (value) => {
          clearTimeout(timer)
          release?.(clock.currentTimeMillisUnsafe())
          resume(warning === undefined ? Effect.succeed(value) : Effect.as(warning, value))
        },
        (error: unknown) => {
          clearTimeout(timer)
          release?.(clock.currentTimeMillisUnsafe())
          // Everything `go` throws is already a ClientError; a timer that fired meanwhile decides what it was.
          const mapped = timedOut ? timeoutError(settings, ctx) : (error as ClientError)
          resume(warning === undefined ? Effect.fail(mapped) : Effect.andThen(warning, Effect.fail(mapped)))
        },
      )
      return Effect.sync(() => {
        clearTimeout(timer)
        call?.abort()
        release?.(clock.currentTimeMillisUnsafe())
      })
    })
  })
