/**
 * Request log, counters and the optional per-organization rate limit.
 */

/** One logged request. Secrets (tokens, personal identification numbers) are masked in `path`. */
export interface RequestLogEntry {
  readonly at: Date
  readonly listener: "api" | "portal"
  readonly method: string
  /** Path and query with `status_query_token`, `signer`, redirect tokens and session ids masked. */
  readonly path: string
  /** Route name (`create`, `poll` …) when the request matched one. */
  readonly route: string | undefined
  /** Organization number from the client certificate, when there was one. */
  readonly certificateOrganization: string | undefined
  readonly status: number
  readonly durationMs: number
  /** Notable facts: `polled-before-permitted-time`, `rate-limited`, `fault:<kind>`, `error:<code>`. */
  readonly flags: ReadonlyArray<string>
}

/** Counters a reliability suite asserts on. */
export interface Counters {
  /** Jobs created (200 on create). */
  creations: number
  /** Create requests refused (any 4xx). */
  rejectedCreations: number
  /** Poll requests that reached the queue (200, 204 and 429 too early). */
  polls: number
  /** Polls answered 200 with a change. */
  pollChanges: number
  /** Polls answered 204. */
  pollsEmpty: number
  /** Polls refused with 429 because they came before `X-Next-permitted-poll-time`. */
  pollsBeforePermittedTime: number
  /** Confirmations (POST confirmation-url). */
  confirmations: number
  /** Delivered changes put back on their queue because they were not confirmed within the re-queue delay. */
  requeued: number
  /** Requests refused by the rate limit (429 with `DoSFilter`). */
  rateLimited: number
  /** Requests hit by an injected fault. */
  faults: number
}

export const emptyCounters = (): Counters => ({
  creations: 0,
  rejectedCreations: 0,
  polls: 0,
  pollChanges: 0,
  pollsEmpty: 0,
  pollsBeforePermittedTime: 0,
  confirmations: 0,
  requeued: 0,
  rateLimited: 0,
  faults: 0,
})

const MASK = "***"

/** Masks every secret a URL of this service can carry. */
export const maskPath = (pathAndQuery: string): string => {
  const q = pathAndQuery.indexOf("?")
  let path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q)
  const query = q === -1 ? undefined : pathAndQuery.slice(q + 1)
  path = path
    .replace(/^\/redirect\/[^/]+/, `/redirect/${MASK}`)
    .replace(/^\/ceremony\/[^/]+/, `/ceremony/${MASK}`)
    .replace(/^\/portal\/invitation\/[^/]+/, `/portal/invitation/${MASK}`)
  if (query === undefined) return path
  const masked = query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=")
      const name = eq === -1 ? pair : pair.slice(0, eq)
      return eq !== -1 && (name === "status_query_token" || name === "signer") ? `${name}=${MASK}` : pair
    })
    .join("&")
  return `${path}?${masked}`
}

export class RequestLog {
  private entries: Array<RequestLogEntry> = []
  constructor(
    private readonly limit: number,
    private readonly listener?: ((entry: RequestLogEntry) => void) | undefined,
  ) {}

  add(entry: RequestLogEntry) {
    this.entries.push(entry)
    this.listener?.(entry)
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit)
  }

  all(): ReadonlyArray<RequestLogEntry> {
    return [...this.entries]
  }

  clear() {
    this.entries = []
  }
}

export interface RateLimitOptions {
  /** Requests allowed per second per organization (real service: 10). */
  readonly requestsPerSecond: number
  /** How long an organization stays blocked once over the limit (real service: 30 s). */
  readonly blockMs: number
}

/** Sliding one-second window per organization; going over blocks the organization for `blockMs`. */
export class RateLimiter {
  private readonly windows = new Map<string, Array<number>>()
  private readonly blockedUntil = new Map<string, number>()
  constructor(private readonly options: RateLimitOptions) {}

  /** True when the request may proceed. */
  allow(organization: string, now: number): boolean {
    const until = this.blockedUntil.get(organization)
    if (until !== undefined) {
      if (now < until) return false
      this.blockedUntil.delete(organization)
      this.windows.delete(organization)
    }
    let window = this.windows.get(organization)
    if (window === undefined) {
      window = []
      this.windows.set(organization, window)
    }
    while (window.length > 0 && window[0]! <= now - 1000) window.shift()
    if (window.length >= this.options.requestsPerSecond) {
      this.blockedUntil.set(organization, now + this.options.blockMs)
      return false
    }
    window.push(now)
    return true
  }
}
