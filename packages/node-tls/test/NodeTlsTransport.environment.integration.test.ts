// The environment given once, to the transport: a client built on `NodeTlsTransport.layer({ keystore, environment })`
// takes it from there (`Environment.Current`), against the simulator over mutual TLS.
import { createDirectClient, DirectClient, Environment } from "@signering/client"
import { Keystore, ValidationError } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Exit, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NodeTlsTransport } from "../src/index.js"

let simulator: Simulator.Instance
let environment: Environment.Environment
let keystore: Keystore.Keystore
let organization: string
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
})
afterAll(() => simulator.close())

const whoamiCount = () => simulator.requestLog().filter((entry) => entry.route === "whoami").length

const options = () => ({ keystore, sender: { organizationNumber: organization }, rateLimiter: false as const })

describe("NodeTlsTransport provides its environment", () => {
  it("DirectClient.layer without an environment talks to the transport's API root", async () => {
    const before = whoamiCount()
    const Client = DirectClient.layer(options()).pipe(Layer.provide(NodeTlsTransport.layer({ keystore, environment })))
    const answer = await Effect.runPromise(
      Effect.gen(function* () {
        const client = yield* DirectClient.DirectClient
        expect(client.config.environment).toBe(environment)
        return yield* client.whoami()
      }).pipe(Effect.provide(Client)),
    )
    expect(answer.certificateOrganization).toBe(organization)
    expect(whoamiCount()).toBe(before + 1)
  })

  it("createDirectClient with only the transport's environment", async () => {
    const before = whoamiCount()
    const client = createDirectClient({
      ...options(),
      logLevel: "None",
      transport: NodeTlsTransport.layer({ keystore, environment }),
    })
    try {
      expect((await client.whoami()).certificateOrganization).toBe(organization)
    } finally {
      await client.close()
    }
    expect(whoamiCount()).toBe(before + 1)
  })

  it("a client environment for another service fails at start-up, naming both", async () => {
    const before = simulator.requestLog().length
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        Layer.build(
          DirectClient.layer({ ...options(), environment: Environment.difitest }).pipe(
            Layer.provide(NodeTlsTransport.layer({ keystore, environment })),
          ),
        ),
      ),
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons.map((r) => ("error" in r ? r.error : r))[0] : undefined
    expect(error).toBeInstanceOf(ValidationError)
    const issue = (error as ValidationError).issues[0]!
    expect(issue.path).toBe("environment")
    expect(issue.message).toContain(Environment.difitest.apiRoot)
    expect(issue.message).toContain(simulator.url)
    expect(simulator.requestLog().length).toBe(before)
  })

  it("a transport given only trust anchors provides no environment: the client names the missing field", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        Layer.build(
          DirectClient.layer(options()).pipe(
            Layer.provide(
              NodeTlsTransport.layer({
                keystore,
                trustAnchors: simulator.pki.caCertificatePem,
                serverOrganizationNumber: simulator.pki.server.organizationNumber,
              }),
            ),
          ),
        ),
      ),
    )
    const error = Exit.isFailure(exit) ? exit.cause.reasons.map((r) => ("error" in r ? r.error : r))[0] : undefined
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0]?.path).toBe("environment")
  })
})
