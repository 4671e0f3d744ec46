/**
 * Fault injection for reliability tests: the next N requests of a route misbehave in a chosen way.
 */

/** API routes a fault can target (`"*"` matches every API route). Portal routes have their own names. */
export type FaultRoute =
  | "create"
  | "status"
  | "poll"
  | "confirm"
  | "xades"
  | "pades"
  | "delete"
  | "signer"
  | "whoami"
  | "devmode"
  | "portal-create"
  | "portal-poll"
  | "portal-confirm"
  | "portal-cancel"
  | "portal-xades"
  | "portal-pades"
  | "portal-delete"
  | "archive"
  | "*"

/** How a request misbehaves. */
export type FaultKind =
  /** Wait `ms` before handling the request normally. */
  | { readonly kind: "latency"; readonly ms: number }
  /** Destroy the connection without an answer (the client sees a reset / socket hang up). */
  | { readonly kind: "reset" }
  /** Answer with this status (500, 502, 503 …) and a short plain-text body, without handling the request. */
  | { readonly kind: "status"; readonly status: number }
  /** Handle the request, then send the headers and only half of the body before closing the connection. */
  | { readonly kind: "truncate" }
  /** Handle the request, then replace the body with malformed XML (same status and content type). */
  | { readonly kind: "malformed" }
  /** Answer 429 with a `DoSFilter` header, as the rate limiter does, without handling the request. */
  | { readonly kind: "dos" }

export type FaultSpec = FaultKind & {
  readonly route: FaultRoute
  /** How many matching requests are affected (default 1). */
  readonly times?: number | undefined
}

interface Armed {
  readonly spec: FaultSpec
  remaining: number
}

export class Faults {
  private armed: Array<Armed> = []

  inject(spec: FaultSpec): void {
    const times = spec.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw new RangeError("faults.inject: times must be an integer ≥ 1")
    if (spec.kind === "latency" && (!Number.isFinite(spec.ms) || spec.ms < 0))
      throw new RangeError("faults.inject: latency ms must be a finite number ≥ 0")
    if (spec.kind === "status" && (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599))
      throw new RangeError("faults.inject: status must be an HTTP error status (400–599)")
    this.armed.push({ spec, remaining: times })
  }

  /** Takes the first armed fault matching the route, if any (first injected, first served). */
  take(route: FaultRoute): FaultKind | undefined {
    const found = this.armed.find((a) => a.spec.route === route || a.spec.route === "*")
    if (found === undefined) return undefined
    found.remaining--
    if (found.remaining <= 0) this.armed = this.armed.filter((a) => a !== found)
    return found.spec
  }

  /** Faults still armed. */
  pending(): ReadonlyArray<FaultSpec & { readonly remaining: number }> {
    return this.armed.map((a) => ({ ...a.spec, remaining: a.remaining }))
  }

  clear(): void {
    this.armed = []
  }
}
