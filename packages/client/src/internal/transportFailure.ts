/**
 * One place that turns whatever a transport failed with into a `TransportError` reason, the
 * underlying code and a hint a person can act on. Transports (undici, fetch, Deno, Bun) wrap the
 * system error differently (`TypeError("fetch failed", { cause })`, effect's `HttpClientError`,
 * `AggregateError` for happy-eyeballs connects), so the whole `.cause` / `.errors` graph is searched.
 */
import type { TransportFailureReason } from "../ClientError.js"

export interface Classified {
  readonly reason: TransportFailureReason
  readonly code?: string | undefined
  readonly hint: string
  readonly serverIdentity?: { readonly expected: string; readonly actual?: string | undefined } | undefined
}

/** What the classifier needs to know to phrase a hint. */
export interface HintContext {
  /** `production`, `difitest`, `difiqa` or `custom`. */
  readonly environment: string
  readonly apiRoot: string
}

const MAX_DEPTH = 16

/** Every error-like object reachable through `cause` and `errors` (and effect's `reason`), outermost first. */
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

const connectCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CONNECT",
])

const closedCodes = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ERR_STREAM_PREMATURE_CLOSE",
  "HPE_INVALID_CONSTANT",
  "UND_ERR_INFO",
  "ETIMEDOUT",
])

const timeoutCodes = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ERR_TLS_HANDSHAKE_TIMEOUT"])

const abortCodes = new Set(["UND_ERR_ABORTED", "ABORT_ERR", "UND_ERR_DESTROYED"])

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

const certificatesOf = (env: HintContext): string =>
  env.environment === "production"
    ? "production"
    : env.environment === "custom"
      ? "this environment's"
      : "test (Buypass/Commfides test)"

export const hints = {
  connect: (env: HintContext) =>
    `Could not connect to ${env.apiRoot}: check the API root, DNS, proxy and firewall (the service answers on port 443). The request was not sent.`,
  serverChain: (env: HintContext) =>
    `The server's certificate does not chain to your trust anchors: pass the ${certificatesOf(env)} CA certificates as trust anchors (Buypass and Commfides publish them; Digdir lists them under "dpi_sertifikathandtering"), and check that you target the intended environment (${env.environment}).`,
  serverTime: (env: HintContext) =>
    `The server's certificate is expired or not yet valid by this machine's clock: check the system time, and that you target the intended environment (${env.environment}).`,
  clientCertificate: (env: HintContext) =>
    env.environment === "production"
      ? "The server rejected your client certificate: production accepts only production enterprise certificates (Buypass/Commfides, not test certificates), and your organization needs API access. Check the keystore and its chain."
      : `The server rejected your client certificate: ${env.environment} accepts only test enterprise certificates (a production certificate does not work there), and your organization needs API access. Check the keystore and its chain.`,
  tlsOther: (env: HintContext) =>
    `The TLS handshake with ${env.apiRoot} failed: the service requires TLS 1.2 or newer with mutual TLS; check proxies that intercept TLS and the environment (${env.environment}).`,
  serverIdentity: (env: HintContext, expected: string, actual: string | undefined) =>
    `The server's certificate belongs to organization ${actual ?? "(none)"}, not the expected ${expected}: you may be talking to the wrong environment or through a TLS-intercepting proxy. For a simulator or custom environment set its serverOrganizationNumber (now: ${env.environment}).`,
  closed: (env: HintContext) =>
    `The connection closed before the response was complete (reset by the server, a proxy or the network). Safe operations are retried; creating a job is not, so check with a status query or the sender portal before creating it again. If every request fails like this right after connecting, the server is refusing your client certificate (over TLS 1.3 that shows as a closed connection): ${env.environment} accepts only ${env.environment === "production" ? "production" : "test"} enterprise certificates.`,
  timeout: () => "No complete answer within the configured timeout: raise the timeout or check the network path.",
  aborted: () => "The request was aborted before it completed.",
} as const

/** Classifies a transport failure (anything a transport rejected with). Never throws. */
export const classifyTransportFailure = (error: unknown, env: HintContext): Classified => {
  const chain = causeChain(error)
  // Identity first: node's TLS layer may wrap it, and it is the most specific finding.
  for (const e of chain) {
    if (field(e, "_tag") === "ServerIdentityError") {
      // Both spellings: ours, and the short one older transports may use.
      const expected = field(e, "expectedOrganizationNumber") ?? field(e, "expected") ?? "?"
      const actual = field(e, "actualOrganizationNumber") ?? field(e, "actual")
      return {
        reason: "ServerIdentity",
        code: "ERR_SIGNERING_SERVER_IDENTITY",
        hint: hints.serverIdentity(env, expected, actual),
        serverIdentity: { expected, actual },
      }
    }
  }
  const codes = chain.map((e) => field(e, "code")).filter((c): c is string => c !== undefined)
  const names = chain.map((e) => field(e, "name")).filter((c): c is string => c !== undefined)
  const find = (set: ReadonlySet<string>) => codes.find((c) => set.has(c))

  // The innermost code is the most precise: prefer TLS findings over the generic wrapper codes.
  const chainCode = find(serverChainCodes)
  if (chainCode !== undefined) return { reason: "TlsHandshake", code: chainCode, hint: hints.serverChain(env) }
  const timeCode = find(serverTimeCodes)
  if (timeCode !== undefined) return { reason: "TlsHandshake", code: timeCode, hint: hints.serverTime(env) }
  const alert = codes.find((c) => c.startsWith("ERR_SSL_") || c.startsWith("ERR_TLS_") || c === "EPROTO")
  if (alert !== undefined && !timeoutCodes.has(alert)) {
    const messages = chain.map((e) => field(e, "message") ?? "").join(" ")
    const isClientCert =
      clientCertAlert.test(alert) || /alert (certificate|bad certificate|unknown ca|handshake)/i.test(messages)
    return {
      reason: "TlsHandshake",
      code: alert,
      hint: isClientCert ? hints.clientCertificate(env) : hints.tlsOther(env),
    }
  }
  // A server that refuses the client certificate over TLS 1.2 may just drop the connection mid-handshake; Node then
  // reports ECONNRESET with this message. Nothing of the request was sent.
  const midHandshake = chain.find((e) =>
    /disconnected before secure TLS connection was established/i.test(field(e, "message") ?? ""),
  )
  if (midHandshake !== undefined) {
    return { reason: "TlsHandshake", code: field(midHandshake, "code"), hint: hints.clientCertificate(env) }
  }
  const timeout = find(timeoutCodes)
  if (timeout !== undefined) return { reason: "Timeout", code: timeout, hint: hints.timeout() }
  const connect = find(connectCodes)
  if (connect !== undefined) return { reason: "Connect", code: connect, hint: hints.connect(env) }
  // ETIMEDOUT also ends established connections; only one raised by `connect` proves nothing was sent.
  const connectTimeout = chain.find((e) => field(e, "code") === "ETIMEDOUT" && field(e, "syscall") === "connect")
  if (connectTimeout !== undefined) return { reason: "Connect", code: "ETIMEDOUT", hint: hints.connect(env) }
  const abort = find(abortCodes)
  if (abort !== undefined || names.includes("AbortError")) {
    return { reason: "Aborted", code: abort, hint: hints.aborted() }
  }
  if (names.includes("TimeoutError")) return { reason: "Timeout", code: undefined, hint: hints.timeout() }
  const closed = find(closedCodes)
  if (closed !== undefined) return { reason: "ClosedEarly", code: closed, hint: hints.closed(env) }
  // Unknown shapes: treat as a connection that broke mid-way. That is the conservative reading:
  // it is never taken for "nothing was sent", so a job creation is not repeated on it.
  return { reason: "ClosedEarly", code: codes[0], hint: hints.closed(env) }
}
