// The runtime helpers under Node: every option problem is a typed error naming the option, the helpers refuse to
// run outside their runtime, and checkServerIdentity decides a real TLS handshake with the simulator by the
// organization number in the server's certificate. Bun and Deno themselves: tests/runtimes.
import * as tls from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import { ServerIdentityError } from "@signering/client"
import { Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Layer, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { FetchTransport } from "../src/index.js"

let simulator: Simulator.Instance
let keystore: Keystore.Keystore
beforeAll(async () => {
  simulator = await Simulator.start()
  const sender = simulator.pki.senders[0]!
  keystore = Keystore.fromPkcs12OrThrow(sender.pkcs12, sender.pkcs12Passphrase)
})
afterAll(() => simulator.close())

const buildError = <A>(layer: Layer.Layer<A, FetchTransport.TransportConfigError>) =>
  Effect.flip(Effect.scoped(Layer.build(layer)))

describe("FetchTransport.bun and FetchTransport.deno", () => {
  it.effect("name the option that is missing or wrong", () =>
    Effect.gen(function* () {
      const anchors = [simulator.pki.caCertificatePem]
      const missing = yield* buildError(FetchTransport.bun({ keystore }))
      expect(missing).toBeInstanceOf(FetchTransport.TransportConfigError)
      expect(missing).toMatchObject({ reason: "MissingTrustAnchors", field: "trustAnchors" })
      const unreadable = yield* buildError(FetchTransport.deno({ keystore, trustAnchors: [anchors[0]!, "not pem"] }))
      expect(unreadable).toMatchObject({ reason: "InvalidTrustAnchor", field: "trustAnchors[1]" })
      const organization = yield* buildError(
        FetchTransport.bun({ keystore, trustAnchors: anchors, serverOrganizationNumber: "98466118" }),
      )
      expect(organization).toMatchObject({ reason: "InvalidOption", field: "serverOrganizationNumber" })
      expect(organization.message).toContain("9-digit")
      const chain = yield* buildError(
        FetchTransport.bun({
          keystore: { certificateChainPem: "", privateKeyPem: keystore.privateKeyPem },
          trustAnchors: anchors,
        }),
      )
      expect(chain).toMatchObject({ reason: "InvalidClientCertificate", field: "keystore.certificateChainPem" })
      const key = yield* buildError(
        FetchTransport.bun({
          keystore: { certificateChainPem: keystore.certificateChainPem, privateKeyPem: Redacted.make("secret") },
          trustAnchors: anchors,
        }),
      )
      expect(key).toMatchObject({ reason: "InvalidClientCertificate", field: "keystore.privateKeyPem" })
      expect(key.message).not.toContain("secret")
    }),
  )

  it.effect("refuse to run outside their runtime", () =>
    Effect.gen(function* () {
      const environment = { serverOrganizationNumber: "984661185", trustAnchors: [simulator.pki.caCertificatePem] }
      const bun = yield* buildError(FetchTransport.bun({ keystore, environment }))
      expect(bun).toMatchObject({ reason: "UnsupportedRuntime", field: "runtime" })
      expect(bun.message).toContain("this is Node")
      const deno = yield* buildError(FetchTransport.deno({ keystore, environment }))
      expect(deno).toMatchObject({ reason: "UnsupportedRuntime", field: "runtime" })
    }),
  )
})

const handshake = (expected: string) =>
  new Promise<Error | "connected">((resolve) => {
    const url = new URL(simulator.url)
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      cert: keystore.certificateChainPem,
      key: Redacted.value(keystore.privateKeyPem),
      ca: [simulator.pki.caCertificatePem],
      rejectUnauthorized: true,
      checkServerIdentity: FetchTransport.checkServerIdentity(expected),
    })
    socket.once("secureConnect", () => {
      socket.destroy()
      resolve("connected")
    })
    socket.once("error", resolve)
  })

describe("FetchTransport.checkServerIdentity", () => {
  it("accepts the simulator's certificate for its organization number and refuses it for another", async () => {
    expect(await handshake(simulator.pki.server.organizationNumber)).toBe("connected")
    const refused = await handshake("123456785")
    expect(refused).toBeInstanceOf(ServerIdentityError)
    expect(refused).toMatchObject({
      reason: "OrganizationMismatch",
      expectedOrganizationNumber: "123456785",
      actualOrganizationNumber: simulator.pki.server.organizationNumber,
    })
  })
})
