/**
 * Turns a transport failure into a `TransportError` reason, code and a hint a person can act on. Adapters report
 * failures as a `TransportFailure` (the port contract, see `TransportFailure.ts`); a transport that does not (effect's
 * own clients, a caller's) is classified by what every runtime shares.
 */
import type { TransportFailureReason } from "../ClientError.js"
import { fromCause } from "../TransportFailure.js"

export { causeChain } from "../TransportFailure.js"

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
  /** Where the failed request went (origin and path, masked). */
  readonly apiRoot: string
}

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
  const failure = fromCause(error)
  const code = failure.code
  switch (failure.reason) {
    case "ServerIdentity": {
      const expected = failure.serverIdentity?.expected ?? "?"
      const actual = failure.serverIdentity?.actual
      return {
        reason: "ServerIdentity",
        code,
        hint: hints.serverIdentity(env, expected, actual),
        serverIdentity: { expected, actual },
      }
    }
    case "TlsHandshake": {
      const detail = failure.detail
      const hint =
        detail === "ServerChain"
          ? hints.serverChain(env)
          : detail === "ServerTime"
            ? hints.serverTime(env)
            : detail === "ClientCertificate"
              ? hints.clientCertificate(env)
              : hints.tlsOther(env)
      return { reason: "TlsHandshake", code, hint }
    }
    case "Connect":
      return { reason: "Connect", code, hint: hints.connect(env) }
    case "Timeout":
      return { reason: "Timeout", code, hint: hints.timeout() }
    case "Aborted":
      return { reason: "Aborted", code, hint: hints.aborted() }
    case "ClosedEarly":
      return { reason: "ClosedEarly", code, hint: hints.closed(env) }
  }
}
