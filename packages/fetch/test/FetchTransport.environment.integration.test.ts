// The environment given once, to the fetch transport: `FetchTransport.layer({ ..., environment })` provides it as
// `Environment.Current`, and a client without one talks to its API root (undici fetch, mutual TLS, the simulator).
import { createPortalClient, Environment, PortalClient } from "@signering/client"
import { Keystore, ValidationError } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Exit, Layer, Redacted } from "effect"
import { Agent, fetch } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FetchTransport } from "../src/index.js"

let simulator: Simulator.Instance
let environment: Environment.Environment
let keystore: Keystore.Keystore
let organization: string
let agent: Agent
beforeAll(async () => {
  simulator = await Simulator.start()
  const sender = simulator.pki.senders[0]!
  organization = sender.organizationNumber
  keystore = await Effect.runPromise(Keystore.fromPkcs12Effect(sender.pkcs12, sender.pkcs12Passphrase))
  environment = Environment.custom({
    apiRoot: simulator.url,
    serverOrganizationNumber: simulator.pki.server.organizationNumber,
    trustAnchors: [simulator.pki.caCertificatePem],
  })
  agent = new Agent({
    connect: {
      key: Redacted.value(keystore.privateKeyPem),
      cert: keystore.certificateChainPem,
      ca: [simulator.pki.caCertificatePem],
      // The simulator's certificate names an organization, not 127.0.0.1 (NodeTlsTransport checks the number).
      checkServerIdentity: () => undefined,
    },
  })
})
afterAll(async () => {
  await agent.close()
  await simulator.close()
})

const whoamiCount = () => simulator.requestLog().filter((entry) => entry.route === "whoami").length

const options = () => ({ keystore, sender: { organizationNumber: organization }, rateLimiter: false as const })

describe("FetchTransport provides its environment", () => {
  it("PortalClient.layer without an environment talks to the transport's API root", async () => {
    const before = whoamiCount()
    const Client = PortalClient.layer(options()).pipe(
      Layer.provide(FetchTransport.layer({ fetch, requestInit: { dispatcher: agent }, environment })),
    )
    const answer = await Effect.runPromise(
      Effect.gen(function* () {
        const client = yield* PortalClient.PortalClient
        expect(client.config.environment).toBe(environment)
        return yield* client.whoami()
      }).pipe(Effect.provide(Client)),
    )
    expect(answer.certificateOrganization).toBe(organization)
    expect(whoamiCount()).toBe(before + 1)
  })

  it("createPortalClient with only the transport's environment", async () => {
    const client = createPortalClient({
      ...options(),
      logLevel: "None",
      transport: FetchTransport.layer({ fetch, requestInit: { dispatcher: agent }, environment }),
    })
    try {
      expect((await client.whoami()).certificateOrganization).toBe(organization)
    } finally {
      await client.close()
    }
  })

  it("FetchTransport.layer without an environment provides none: the client names the missing field", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        Layer.build(
          PortalClient.layer(options()).pipe(
            Layer.provide(FetchTransport.layer({ fetch, requestInit: { dispatcher: agent } })),
          ),
        ),
      ),
    )
    const error = Exit.isFailure(exit) ? exit.cause.reasons.map((r) => ("error" in r ? r.error : r))[0] : undefined
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0]?.path).toBe("environment")
  })
})
