/**
 * The transport port's failure contract. A transport adapter (`@signering/node-tls`, `@signering/fetch`, your own)
 * maps whatever its library failed with to a `TransportFailure` and puts it as the `cause` of effect's
 * `HttpClientError`; the client reads only this, so library codes (undici's `UND_ERR_*`, a runtime's TLS errors)
 * stay in the adapter that knows them. `fromCause` does the part every runtime shares (system error codes, OpenSSL
 * certificate codes, TLS alerts, `AbortError`/`TimeoutError`, `ServerIdentityError`) and takes the adapter's own
 * codes as a table.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import type { TransportFailureReason } from "./ClientError.js"

/**
 * What a failed handshake says about the fix: the server's chain is not trusted (`ServerChain`), its certificate is
 * outside its validity by this clock (`ServerTime`), the server refused our certificate (`ClientCertificate`), or
 * another TLS problem (`Tls`).
 *
 * @example
 * ```ts
 * import type { TransportFailure } from "@signering/client"
 * const detail: TransportFailure.Detail = "ClientCertificate"
 * ```
 */
export type Detail = "ServerChain" | "ServerTime" | "ClientCertificate" | "Tls"

/**
 * An adapter's library codes, by the reason each means.
 *
 * @example
 * ```ts
 * const codes: TransportFailure.AdapterCodes = { connect: ["UND_ERR_CONNECT_TIMEOUT"], closed: ["UND_ERR_SOCKET"] }
 * ```
 */
export interface AdapterCodes {
  /** The connection could not be opened: nothing was sent. */
  readonly connect?: ReadonlyArray<string> | undefined
  /** The connection broke after it was open. */
  readonly closed?: ReadonlyArray<string> | undefined
  readonly timeout?: ReadonlyArray<string> | undefined
  readonly aborted?: ReadonlyArray<string> | undefined
}

/**
 * A request that failed below HTTP, as the client understands it.
 *
 * @example
 * ```ts
 * import { TransportFailure } from "@signering/client"
 * new TransportFailure.TransportFailure({ reason: "Connect", code: "ECONNREFUSED" })
 * ```
 */
export class TransportFailure extends Data.TaggedError("TransportFailure")<{
  readonly reason: TransportFailureReason
  readonly detail?: Detail | undefined
  /** The underlying system, TLS or library code (`ECONNREFUSED`, `SELF_SIGNED_CERT_IN_CHAIN`, `UND_ERR_SOCKET`). */
  readonly code?: string | undefined
  /** For `ServerIdentity`: the organization number expected and the one the certificate had. */
  readonly serverIdentity?: { readonly expected: string; readonly actual?: string | undefined } | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.reason}${this.detail === undefined ? "" : ` (${this.detail})`}${this.code === undefined ? "" : `: ${this.code}`}`
  }
}

const MAX_DEPTH = 16

/**
 * Every error-like object reachable through `cause` and `errors` (and effect's `reason`), outermost first.
 *
 * @example
 * ```ts
 * TransportFailure.causeChain(new TypeError("fetch failed", { cause: socketError })) // [typeError, socketError]
 * ```
 */
export const causeChain = (error: unknown): ReadonlyArray<unknown> => {
  const seen = new Set<unknown>()
  const out: Array<unknown> = []
  const visit = (e: unknown, depth: number): void => {
    if (e === null || e === undefined || depth > MAX_DEPTH || seen.has(e)) return
    seen.add(e)
    out.push(e)
    if (typeof e !== "object") return
    const o = e as { cause?: unknown; errors?: unknown; reason?: unknown }
    if (o.reason !== null && typeof o.reason === "object") visit(o.reason, depth + 1)
    visit(o.cause, depth + 1)
    if (Array.isArray(o.errors)) for (const inner of o.errors) visit(inner, depth + 1)
  }
  visit(error, 0)
  return out
}

const field = (e: unknown, name: string): string | undefined => {
  if (e === null || typeof e !== "object") return undefined
  const v = (e as Record<string, unknown>)[name]
  return typeof v === "string" ? v : undefined
}

// System error codes, the same in every runtime that reports them.
const connectCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
])
const closedCodes = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "HPE_INVALID_CONSTANT",
  "ETIMEDOUT",
])
const timeoutCodes = new Set(["ERR_TLS_HANDSHAKE_TIMEOUT"])
const abortCodes = new Set(["ABORT_ERR"])

/** Local verification of the server's chain failed: the server is not who the trust anchors vouch for. */
const serverChainCodes = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
])

const serverTimeCodes = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CRL_HAS_EXPIRED"])

/** TLS alerts the server sends when it does not accept our client certificate. */
const clientCertAlert =
  /CERTIFICATE_UNKNOWN|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|ACCESS_DENIED|HANDSHAKE_FAILURE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|DECRYPT_ERROR/

/**
 * Classifies what a transport failed with. Never throws. `codes` adds the adapter's library codes; TLS findings
 * win over them (the innermost code is the most precise), and an unknown shape is `ClosedEarly`, never "nothing
 * was sent", so a job creation is not repeated on it.
 *
 * @example
 * ```ts
 * const failure = TransportFailure.fromCause(error, { connect: ["UND_ERR_CONNECT_TIMEOUT"] })
 * ```
 */
export const fromCause = (error: unknown, codes: AdapterCodes = {}): TransportFailure => {
  const make = (fields: ConstructorParameters<typeof TransportFailure>[0]) =>
    new TransportFailure({ ...fields, cause: error })
  const chain = causeChain(error)
  for (const e of chain) {
    if (field(e, "_tag") === "TransportFailure") return e as TransportFailure
  }
  // Identity first: node's TLS layer may wrap it, and it is the most specific finding.
  for (const e of chain) {
    if (field(e, "_tag") === "ServerIdentityError") {
      // Both spellings: ours, and the short one older transports may use.
      const expected = field(e, "expectedOrganizationNumber") ?? field(e, "expected") ?? "?"
      const actual = field(e, "actualOrganizationNumber") ?? field(e, "actual")
      return make({
        reason: "ServerIdentity",
        code: "ERR_SIGNERING_SERVER_IDENTITY",
        serverIdentity: { expected, actual },
      })
    }
  }
  const found = chain.map((e) => field(e, "code")).filter((c): c is string => c !== undefined)
  const names = chain.map((e) => field(e, "name")).filter((c): c is string => c !== undefined)
  const find = (set: ReadonlySet<string>, extra: ReadonlyArray<string> = []) =>
    found.find((c) => set.has(c) || extra.includes(c))

  const chainCode = find(serverChainCodes)
  if (chainCode !== undefined) return make({ reason: "TlsHandshake", detail: "ServerChain", code: chainCode })
  const timeCode = find(serverTimeCodes)
  if (timeCode !== undefined) return make({ reason: "TlsHandshake", detail: "ServerTime", code: timeCode })
  const alert = found.find((c) => c.startsWith("ERR_SSL_") || c.startsWith("ERR_TLS_") || c === "EPROTO")
  if (alert !== undefined && !timeoutCodes.has(alert)) {
    const messages = chain.map((e) => field(e, "message") ?? "").join(" ")
    const isClientCert =
      clientCertAlert.test(alert) || /alert (certificate|bad certificate|unknown ca|handshake)/i.test(messages)
    return make({ reason: "TlsHandshake", detail: isClientCert ? "ClientCertificate" : "Tls", code: alert })
  }
  // A server that refuses the client certificate over TLS 1.2 may just drop the connection mid-handshake; Node then
  // reports ECONNRESET with this message. Nothing of the request was sent.
  const midHandshake = chain.find((e) =>
    /disconnected before secure TLS connection was established/i.test(field(e, "message") ?? ""),
  )
  if (midHandshake !== undefined) {
    return make({ reason: "TlsHandshake", detail: "ClientCertificate", code: field(midHandshake, "code") })
  }
  const timeout = find(timeoutCodes, codes.timeout)
  if (timeout !== undefined) return make({ reason: "Timeout", code: timeout })
  const connect = find(connectCodes, codes.connect)
  if (connect !== undefined) return make({ reason: "Connect", code: connect })
  // ETIMEDOUT also ends established connections; only one raised by `connect` proves nothing was sent.
  const connectTimeout = chain.find((e) => field(e, "code") === "ETIMEDOUT" && field(e, "syscall") === "connect")
  if (connectTimeout !== undefined) return make({ reason: "Connect", code: "ETIMEDOUT" })
  const abort = find(abortCodes, codes.aborted)
  if (abort !== undefined || names.includes("AbortError")) return make({ reason: "Aborted", code: abort })
  if (names.includes("TimeoutError")) return make({ reason: "Timeout" })
  const closed = find(closedCodes, codes.closed)
  if (closed !== undefined) return make({ reason: "ClosedEarly", code: closed })
  return make({ reason: "ClosedEarly", code: found[0] })
}
