// Start-up checks of the transport: the built-in trust anchors of the environments, expired anchors left out
// (one log line per transport), and the client certificate checked before any connection.
import { describe, expect, it } from "@effect/vitest"
import { Environment, TrustAnchors } from "@signering/client"
import { ConfigProvider, Effect, Layer, Logger, Redacted } from "effect"
import { HttpClient } from "effect/http"
import { afterAll, beforeAll } from "vitest"
import { NodeTlsTransport } from "../src/index.js"
import { enterprise, type Issued, makeAuthority, makeTestPki } from "./support/TestPki.js"
import { type Running, startHttps } from "./support/TestServer.js"

const pki = makeTestPki("984661185")
const day = 86_400_000
const expiredCa = makeAuthority("Expired Root CA", {
  notBefore: new Date(Date.now() - 30 * day),
  notAfter: new Date(Date.now() - day),
})

const credentials = (issued: Issued = pki.client): NodeTlsTransport.ClientCredentials => ({
  certificateChainPem: issued.certificatePem,
  privateKeyPem: Redacted.make(issued.privateKeyPem),
})

const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.make((options) => lines.push(String(options.message)))])
  return { lines, layer }
}

let server: Running
beforeAll(async () => {
  server = await startHttps(
    {
      key: pki.server.privateKeyPem,
      cert: pki.server.certificatePem,
      ca: [pki.ca.certificatePem],
      requestCert: true,
      rejectUnauthorized: true,
    },
    (_request, response) => response.end("ok"),
  )
})
afterAll(() => server.close())

const configFailure = (options: Partial<NodeTlsTransport.Options>) =>
  Effect.flip(Effect.scoped(Layer.build(NodeTlsTransport.layer({ keystore: credentials(), ...options }))))

describe("built-in trust anchors", () => {
  it.live("a built-in environment is all the trust configuration needed; expired anchors are left out and named", () =>
    Effect.gen(function* () {
      const { lines, layer } = captureLogs()
      for (const environment of [Environment.production, Environment.difitest, Environment.difiqa]) {
        lines.length = 0
        const connect = yield* NodeTlsTransport.connectOptions({ keystore: credentials(), environment }).pipe(
          Effect.provide(layer),
        )
        const expected = TrustAnchors.current(environment.trustAnchors ?? [], new Date())
        expect(connect.ca).toHaveLength(expected.pems.length)
        expect(connect.ca.length).toBeGreaterThan(0)
        const skipped = lines.filter((line) => line.startsWith("Trust anchors skipped"))
        if (expected.skipped.length === 0) expect(skipped).toEqual([])
        else {
          expect(skipped).toHaveLength(1)
          for (const anchor of expected.skipped) expect(skipped[0]).toContain(anchor.subject)
        }
      }
      // The Commfides CPN CAs expired in 2022 (test) and 2024–2025 (production).
      const test = yield* NodeTlsTransport.connectOptions({
        keystore: credentials(),
        environment: Environment.difitest,
      })
      expect(test.ca.join("")).not.toContain(
        TrustAnchors.test.find((anchor) => anchor.file === "commfides_test_root_ca.pem")!.pem.slice(30, 90),
      )
    }),
  )

  it.live("NodeTlsTransport.layer({ keystore, environment: Environment.difitest }) builds with nothing more", () =>
    Effect.gen(function* () {
      const built = yield* Effect.scoped(
        Effect.exit(
          Layer.build(NodeTlsTransport.layer({ keystore: credentials(), environment: Environment.difitest })),
        ),
      )
      expect(built._tag).toBe("Success")
    }),
  )

  it.live("layerConfig takes the built-in environment from SIGNERING_ENVIRONMENT, as the client does", () =>
    Effect.gen(function* () {
      const withEnv = (env: Record<string, string>) =>
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
      const built = yield* Effect.scoped(
        Effect.exit(Layer.build(NodeTlsTransport.layerConfig({ keystore: credentials() }))),
      ).pipe(withEnv({ SIGNERING_ENVIRONMENT: "difitest" }))
      expect(built._tag).toBe("Success")
      // the environment's certificate check comes with it
      const anchorSets = { production: [pki.foreignCa.certificatePem], test: [pki.ca.certificatePem] }
      const wrong = yield* Effect.flip(
        Effect.scoped(Layer.build(NodeTlsTransport.layerConfig({ keystore: credentials(), anchorSets }))),
      ).pipe(withEnv({ SIGNERING_ENVIRONMENT: "production" }))
      expect(wrong).toMatchObject({ _tag: "TransportConfigError", reason: "WrongEnvironment" })
      const custom = yield* Effect.flip(
        Effect.scoped(Layer.build(NodeTlsTransport.layerConfig({ keystore: credentials() }))),
      ).pipe(withEnv({ SIGNERING_ENVIRONMENT: "custom" }))
      expect(custom).toMatchObject({ reason: "MissingTrustAnchors" })
    }),
  )

  it.live("explicit anchors win over the environment's", () =>
    Effect.gen(function* () {
      const connect = yield* NodeTlsTransport.connectOptions({
        keystore: credentials(),
        environment: Environment.production,
        trustAnchors: pki.ca.certificatePem,
      })
      expect(connect.ca).toHaveLength(1)
    }),
  )

  it.live("an expired explicit anchor is skipped with one log line per transport, not per request", () =>
    Effect.gen(function* () {
      const { lines, layer } = captureLogs()
      const program = Effect.gen(function* () {
        const http = yield* HttpClient.HttpClient
        for (let i = 0; i < 3; i++) {
          const response = yield* http.get(`${server.url}/`)
          expect(yield* response.text).toBe("ok")
        }
      })
      yield* program.pipe(
        Effect.provide(
          NodeTlsTransport.layer({
            keystore: credentials(),
            trustAnchors: [expiredCa.certificatePem, pki.ca.certificatePem],
            serverOrganizationNumber: pki.serverOrganizationNumber,
          }),
        ),
        Effect.provide(layer),
      )
      const skipped = lines.filter((line) => line.startsWith("Trust anchors skipped"))
      expect(skipped).toHaveLength(1)
      expect(skipped[0]).toContain("Expired Root CA")
    }),
  )

  it.live("when every anchor has expired, the error says so", () =>
    Effect.gen(function* () {
      const error = yield* configFailure({ trustAnchors: expiredCa.certificatePem })
      expect(error.reason).toBe("MissingTrustAnchors")
      expect(error.message).toContain("every trust anchor has expired")
      expect(error.message).toContain("Expired Root CA")
    }),
  )
})

describe("client certificate preflight", () => {
  it.live("an expired or not yet valid client certificate fails before any connection", () =>
    Effect.gen(function* () {
      const subject = enterprise("123456785", "Avsender AS")
      const expired = pki.ca.issue({
        subject,
        usage: "client",
        validity: { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) },
      })
      const early = pki.ca.issue({
        subject,
        usage: "client",
        validity: { notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 10 * day) },
      })
      const handshakes = server.handshakes()
      const a = yield* configFailure({ keystore: credentials(expired), trustAnchors: pki.ca.certificatePem })
      expect(a.reason).toBe("ClientCertificateExpired")
      expect(a.message).toMatch(/^keystore: the certificate .*Avsender AS.* expired/)
      const b = yield* configFailure({ keystore: credentials(early), trustAnchors: pki.ca.certificatePem })
      expect(b.reason).toBe("ClientCertificateNotYetValid")
      expect(server.handshakes()).toBe(handshakes)
    }),
  )

  it.live("a test certificate against production (and the reverse) is refused, naming both", () =>
    Effect.gen(function* () {
      // The test PKI's CA plays the built-in test set, the foreign CA the production set.
      const anchorSets = { production: [pki.foreignCa.certificatePem], test: [pki.ca.certificatePem] }
      const toProduction = yield* configFailure({ environment: Environment.production, anchorSets })
      expect(toProduction.reason).toBe("WrongEnvironment")
      expect(toProduction.field).toBe("keystore")
      expect(toProduction.message).toContain("is a test certificate, but the production environment accepts production")
      const toTest = yield* configFailure({
        keystore: credentials(pki.foreignClient),
        environment: Environment.difitest,
        anchorSets,
      })
      expect(toTest.message).toContain("is a production certificate, but the difitest environment accepts test")
      // the matching pairs pass
      yield* NodeTlsTransport.connectOptions({ keystore: credentials(), environment: Environment.difitest, anchorSets })
      yield* NodeTlsTransport.connectOptions({
        keystore: credentials(pki.foreignClient),
        environment: Environment.production,
        anchorSets,
      })
    }),
  )

  it.live("a certificate of an unknown issuer passes (a custom environment, the simulator)", () =>
    Effect.gen(function* () {
      const connect = yield* NodeTlsTransport.connectOptions({
        keystore: credentials(),
        environment: Environment.custom({
          apiRoot: server.url,
          certificates: "production",
          trustAnchors: [pki.ca.certificatePem],
        }),
      })
      expect(connect.ca).toHaveLength(1)
    }),
  )
})
