// The transport against the real simulator (mutual TLS on loopback): the
// simulator's PKI issues PKCS#12 files like a real enterprise certificate,
// one of them in the legacy RC2-40 encryption OpenSSL 3 no longer reads.
import { describe, expect, it } from "@effect/vitest"
import { ServerIdentityError } from "@signering/client"
import { Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect } from "effect"
import { HttpClient, type HttpClientError } from "effect/http"
import { afterAll, beforeAll } from "vitest"
import { NodeTlsTransport } from "../src/index.js"

let simulator: Simulator.Instance
beforeAll(async () => {
  simulator = await Simulator.start()
})
afterAll(() => simulator.close())

const keystoreOf = (sender: { pkcs12: Uint8Array; pkcs12Passphrase: string }) =>
  Keystore.fromPkcs12Effect(sender.pkcs12, sender.pkcs12Passphrase)

const whoAmI = (organization: string) =>
  Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${simulator.url}/${organization}`)).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, text }))),
  )

const transportCause = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => {
    const reason = (error as HttpClientError.HttpClientError).reason
    expect(reason._tag).toBe("TransportError")
    // The adapter reports the port's TransportFailure; undici's (or Node's) error is its cause.
    const failure = (reason as HttpClientError.TransportError).cause as { _tag: string; cause: unknown }
    expect(failure._tag).toBe("TransportFailure")
    return failure.cause as Error & { code?: string }
  })

describe("NodeTlsTransport against the simulator", () => {
  it.live("authenticates every sender from its PKCS#12 file, the legacy RC2-40 one included", () =>
    Effect.gen(function* () {
      expect(simulator.pki.senders.map((sender) => sender.pkcs12Encryption)).toContain("rc2-40")
      for (const sender of simulator.pki.senders) {
        const keystore = yield* keystoreOf(sender)
        const answer = yield* whoAmI(sender.organizationNumber).pipe(
          Effect.provide(NodeTlsTransport.layer({ keystore, trustAnchors: simulator.pki.caCertificatePem })),
        )
        expect(answer).toEqual({ status: 200, text: `You are ${sender.organizationNumber}` })
      }
    }),
  )

  it.live("keeps one connection alive across requests", () =>
    Effect.gen(function* () {
      const sender = simulator.pki.senders[0]!
      const keystore = yield* keystoreOf(sender)
      simulator.resetObservations()
      yield* Effect.gen(function* () {
        for (let i = 0; i < 10; i++) yield* whoAmI(sender.organizationNumber)
      }).pipe(
        Effect.provide(
          NodeTlsTransport.layer({ keystore, trustAnchors: simulator.pki.caCertificatePem, connections: 1 }),
        ),
      )
      expect(simulator.requestLog().filter((entry) => entry.route === "whoami")).toHaveLength(10)
    }),
  )

  it.live("refuses the simulator when it expects another organization", () =>
    Effect.gen(function* () {
      const keystore = yield* keystoreOf(simulator.pki.senders[0]!)
      const cause = yield* transportCause(
        whoAmI("123456785").pipe(
          Effect.provide(
            NodeTlsTransport.layer({
              keystore,
              trustAnchors: simulator.pki.caCertificatePem,
              serverOrganizationNumber: "974760673",
            }),
          ),
        ),
      )
      expect(cause).toBeInstanceOf(ServerIdentityError)
    }),
  )

  it.live("refuses the simulator's chain under another CA's anchors", () =>
    Effect.gen(function* () {
      const keystore = yield* keystoreOf(simulator.pki.senders[0]!)
      const cause = yield* transportCause(
        whoAmI("123456785").pipe(
          Effect.provide(NodeTlsTransport.layer({ keystore, trustAnchors: simulator.pki.foreign.caCertificatePem })),
        ),
      )
      expect(cause.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/)
    }),
  )

  it.live("the simulator refuses a sender certificate from another CA", () =>
    Effect.gen(function* () {
      const keystore = yield* keystoreOf(simulator.pki.foreign.sender)
      const cause = yield* transportCause(
        whoAmI("123456785").pipe(
          Effect.provide(NodeTlsTransport.layer({ keystore, trustAnchors: simulator.pki.caCertificatePem })),
        ),
      )
      // TLS 1.2 drops it inside the handshake; TLS 1.3 right after it, before any response byte.
      expect(cause.code).toMatch(/^(ECONNRESET|UND_ERR_SOCKET|ERR_SSL_.*ALERT.*)$/)
    }),
  )
})
