/**
 * Transport failures produced by real TLS handshakes against the simulator, as the client reports them:
 * reason, code and a hint a person can act on. (The full matrix per transport is the conformance suite.)
 */
import { X509Certificate } from "node:crypto"
import { Effect } from "effect"
import { Agent } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ServerIdentityError, TransportError } from "../src/ClientError.js"
import * as DirectClient from "../src/DirectClient.js"
import { agentFor, type Harness, ORG_A, start, transport } from "./support/harness.js"

let h: Harness

beforeAll(async () => {
  h = await start()
})
afterAll(() => h.close())

const failWith = async (agent: Agent) => {
  const t = transport(agent)
  try {
    const client = await Effect.runPromise(
      DirectClient.make({
        environment: h.environment,
        sender: { organizationNumber: ORG_A },
        retry: { times: 2 },
      }).pipe(Effect.provide(t.layer)),
    )
    const error = await h.run(Effect.flip(client.getStatusChange()))
    return { error: error as TransportError, calls: t.calls() }
  } finally {
    await t.close()
  }
}

describe("TLS failures", () => {
  it("a server chain that does not lead to the trust anchors: TlsHandshake with a trust-anchor hint, not retried", async () => {
    const sender = h.sim.pki.sender(ORG_A)
    const { error, calls } = await failWith(agentFor(sender, h.sim.pki.foreign.caCertificatePem))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.reason).toBe("TlsHandshake")
    expect(error.hint).toContain("trust anchors")
    expect(calls).toBe(1)
  })

  it("a client certificate from another CA: TlsHandshake with a client-certificate hint", async () => {
    const { error } = await failWith(agentFor(h.sim.pki.foreign.sender, h.sim.pki.caCertificatePem))
    expect(error).toBeInstanceOf(TransportError)
    expect(["TlsHandshake", "ClosedEarly"]).toContain(error.reason)
    // TLS 1.2 reports the server's alert in the handshake; TLS 1.3 as a connection closed after it.
    expect(error.hint).toContain("client certificate")
  })

  it("over TLS 1.2 (what the real service speaks) a refused client certificate is a TlsHandshake failure", async () => {
    const foreign = h.sim.pki.foreign.sender
    const agent = new Agent({
      connect: {
        cert: foreign.chainPem,
        key: foreign.privateKeyPem,
        ca: h.sim.pki.caCertificatePem,
        maxVersion: "TLSv1.2",
        checkServerIdentity: () => undefined,
      },
    })
    const { error, calls } = await failWith(agent)
    expect(error.reason).toBe("TlsHandshake")
    // Node's server drops the connection mid-handshake (ECONNRESET); an alert (ERR_SSL_…) reads the same way.
    expect(error.code).toMatch(/^(ERR_SSL_|ECONNRESET)/)
    expect(error.hint).toContain("rejected your client certificate")
    expect(error.hint).toContain("test enterprise certificates")
    expect(calls).toBe(1)
  })

  it("no client certificate at all is reported as a transport failure with its code", async () => {
    const { error } = await failWith(agentFor(undefined, h.sim.pki.caCertificatePem))
    expect(error).toBeInstanceOf(TransportError)
    expect(["TlsHandshake", "ClosedEarly"]).toContain(error.reason)
    expect(error.code).toBeDefined()
    expect(error.hint).toContain("client certificate")
  })

  it("a server certificate of another organization: ServerIdentity, with both numbers", async () => {
    const sender = h.sim.pki.sender(ORG_A)
    const agent = new Agent({
      connect: {
        cert: sender.chainPem,
        key: sender.privateKeyPem,
        ca: h.sim.pki.caCertificatePem,
        // What a transport does: compare the leaf's organization number with the expected one.
        checkServerIdentity: (_host, certificate) => {
          const subject = new X509Certificate(certificate.raw).subject
          const actual = /(?:NTRNO-|serialNumber=|2\.5\.4\.5=)(\d{9})/.exec(subject)?.[1]
          return actual === "111111111"
            ? undefined
            : new ServerIdentityError({
                reason: "OrganizationMismatch",
                expectedOrganizationNumber: "111111111",
                actualOrganizationNumber: actual,
                subject,
              })
        },
      },
    })
    const { error, calls } = await failWith(agent)
    expect(error.reason).toBe("ServerIdentity")
    expect(error.serverIdentity).toEqual({ expected: "111111111", actual: h.sim.pki.server.organizationNumber })
    expect(error.hint).toContain("wrong environment")
    expect(calls).toBe(1)
  })
})
