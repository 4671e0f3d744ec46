/**
 * TLS refusals through the real transport (`NodeTlsTransport`) against the simulator: each misconfiguration a sender
 * can run into ends in the client's typed `TransportError` with a `reason` and a hint a person can act on, and no
 * request reaches the API.
 */
import { DirectClient, Environment, ServerIdentityError, TransportError } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { Keystore } from "@signering/protocol"
import { Pki } from "@signering/simulator"
import { Effect, Layer, Logger } from "effect"
import type { HttpClient } from "effect/http"
import { Agent } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { capture, captureError, findLeaks, leaks, secretPem, stats } from "./support/secrets.js"
import { ORG, startWorld, type World } from "./support/world.js"

let world: World
beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world?.close())

const DAY = 24 * 60 * 60 * 1000

const keystoreOf = (credentials: { chainPem: string; privateKeyPem: string }) => {
  secretPem("private key of a test client certificate", credentials.privateKeyPem)
  return Keystore.fromPemOrThrow({ certificates: credentials.chainPem, privateKey: credentials.privateKeyPem })
}

/** Runs `getStatusChange` with this transport and environment; returns the failure (the test fails on success). */
const refusal = async (
  transport: (environment: Environment.Environment) => Layer.Layer<HttpClient.HttpClient, unknown>,
  environment: Environment.Environment = world.environment,
): Promise<unknown> => {
  const before = world.requests.filter((r) => r.listener === "api").length
  const logger = Logger.make((entry) => capture("client log", Logger.formatLogFmt.log(entry)))
  const program = Effect.gen(function* () {
    const client = yield* DirectClient.DirectClient
    return yield* client.getStatusChange()
  }).pipe(
    Effect.provide(
      DirectClient.layer({ environment, sender: { organizationNumber: ORG }, retry: false }).pipe(
        Layer.provide(transport(environment)),
      ),
    ),
    Effect.provide(Logger.layer([logger])),
    Effect.flip,
  )
  const error = await Effect.runPromise(program as Effect.Effect<unknown, unknown>)
  captureError("TLS refusal", error)
  // Refused below HTTP: the simulator's API never saw a request.
  expect(world.requests.filter((r) => r.listener === "api").length).toBe(before)
  return error
}

const withKeystore = (keystore: Keystore.Keystore) => (environment: Environment.Environment) =>
  NodeTlsTransport.layer({ keystore, environment })

describe("TLS: each misconfiguration is refused with a typed error and a hint", () => {
  it("a client without a certificate", async () => {
    const error = await refusal((environment) =>
      Layer.unwrap(
        Effect.gen(function* () {
          // The transport always presents the keystore; the same settings without key and certificate.
          const {
            key: _k,
            cert: _c,
            ...connect
          } = yield* NodeTlsTransport.connectOptions({
            keystore: world.keystore,
            environment,
          })
          const agent = yield* Effect.acquireRelease(
            Effect.sync(() => new Agent({ connect })),
            (agent) => Effect.promise(() => agent.destroy()),
          )
          return NodeTlsTransport.layerDispatcher(agent)
        }),
      ),
    )
    expect(error).toBeInstanceOf(TransportError)
    const e = error as TransportError
    // TLS 1.2 (the real service) refuses inside the handshake; TLS 1.3 right after it (a closed connection).
    expect(["TlsHandshake", "ClosedEarly"]).toContain(e.reason)
    expect(e.hint).toMatch(/client certificate/)
  })

  it("a client certificate from another CA", async () => {
    const error = await refusal(withKeystore(keystoreOf(world.sim.pki.foreign.sender)))
    expect(error).toBeInstanceOf(TransportError)
    expect(["TlsHandshake", "ClosedEarly"]).toContain((error as TransportError).reason)
    expect((error as TransportError).hint).toMatch(/client certificate/)
  })

  it("an expired client certificate (the transport refuses it at start-up, before connecting)", async () => {
    const expired = world.sim.pki.issueClientCertificate({
      organizationNumber: ORG,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 30 * DAY),
    })
    const error = await refusal(withKeystore(keystoreOf(expired)))
    expect(error).toBeInstanceOf(NodeTlsTransport.TransportConfigError)
    expect((error as NodeTlsTransport.TransportConfigError).reason).toBe("ClientCertificateExpired")
    expect((error as Error).message).toMatch(/^keystore: the certificate .* expired/)
  })

  it("a server with another organization number than expected", async () => {
    const other = (() => {
      for (let n = 974_760_000; ; n++) if (Pki.isValidOrganizationNumber(String(n))) return String(n)
    })()
    const environment = Environment.custom({
      apiRoot: world.sim.url,
      serverOrganizationNumber: other,
      trustAnchors: [world.sim.pki.caCertificatePem],
    })
    const error = await refusal(withKeystore(world.keystore), environment)
    expect(error).toBeInstanceOf(TransportError)
    const e = error as TransportError
    expect(e.reason).toBe("ServerIdentity")
    expect(e.serverIdentity).toEqual({ expected: other, actual: world.sim.pki.server.organizationNumber })
    expect(e.hint).toMatch(/environment|proxy/i)
    // The transport's own error is in the chain, for code that inspects causes.
    let cause: unknown = e
    let found = false
    for (let i = 0; i < 10 && cause !== undefined; i++) {
      if (cause instanceof ServerIdentityError) found = true
      cause = (cause as { cause?: unknown }).cause
    }
    expect(found).toBe(true)
  })

  it("a server chain outside the trust anchors", async () => {
    const environment = Environment.custom({
      apiRoot: world.sim.url,
      serverOrganizationNumber: world.sim.pki.server.organizationNumber,
      trustAnchors: [world.sim.pki.foreign.caCertificatePem],
    })
    const error = await refusal(withKeystore(world.keystore), environment)
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).reason).toBe("TlsHandshake")
    expect((error as TransportError).hint).toMatch(/trust anchors/)
  })

  it("secrets: none of the keys, passphrases or PINs appears in any log line or error message", () => {
    expect(stats().capturedTexts).toBeGreaterThan(0)
    expect(leaks()).toEqual([])
  })
})

describe("the secrets scanner", () => {
  it("finds planted secrets of every shape inside longer text, and nothing in masked text", () => {
    const planted = new Map([
      ["01017012345", "PIN"],
      ["a".repeat(20) + "0123456789abcdef0123456789abcdef0123456789ab", "token"],
      ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB", "key fragment"],
      ["pass phrase with spaces!", "passphrase"],
    ])
    const found = findLeaks(planted, [
      { source: "a", text: "signer=01017012345&x" },
      { source: "b", text: `url?status_query_token=${"a".repeat(20)}0123456789abcdef0123456789abcdef0123456789ab` },
      { source: "c", text: "xxMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBzz" },
      { source: "d", text: "error: pass phrase with spaces! was wrong" },
      { source: "e", text: "signer=010170***** status_query_token=*** key=REDACTED" },
    ])
    expect(found.map((f) => [f.secret, f.source])).toEqual([
      ["PIN", "a"],
      ["token", "b"],
      ["key fragment", "c"],
      ["passphrase", "d"],
    ])
  })
})
