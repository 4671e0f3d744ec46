/**
 * The environment given once: a client without one takes the transport's (`Environment.Current`), against the
 * simulator over mutual TLS. The transport here is the harness's fetch transport plus `Environment.layer`, which is
 * what `NodeTlsTransport.layer` and `FetchTransport.layer` provide (their own tests cover them).
 */
import { ValidationError } from "@signering/protocol"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ArchiveClient from "../src/ArchiveClient.js"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import * as PortalClient from "../src/PortalClient.js"
import { createPortalClient } from "../src/promise.js"
import { type Harness, ORG_A, start } from "./support/harness.js"

let h: Harness
beforeAll(async () => {
  h = await start()
})
afterAll(() => h.close())

const base = () => ({
  keystore: h.keystore,
  sender: { organizationNumber: ORG_A },
  rateLimiter: false as const,
  retry: false as const,
})

/** The harness's transport, built "for" `environment` as the real transports are. */
const transportFor = (environment: Environment.Environment) =>
  Layer.merge(h.transport.layer, Environment.layer(environment))

const whoamiCount = () => h.sim.requestLog().filter((entry) => entry.route === "whoami").length

const failureOf = async <A>(effect: Effect.Effect<A, unknown>): Promise<unknown> => {
  const exit = await Effect.runPromiseExit(effect)
  expect(Exit.isFailure(exit)).toBe(true)
  return Exit.isFailure(exit) ? exit.cause.reasons.map((r) => ("error" in r ? r.error : r))[0] : undefined
}

describe("the environment given once", () => {
  it("a client without an environment uses the transport's: the request reaches the simulator's API root", async () => {
    const before = whoamiCount()
    const client = await Effect.runPromise(DirectClient.make(base()).pipe(Effect.provide(transportFor(h.environment))))
    expect(client.config.environment).toBe(h.environment)
    const answer = await h.run(client.whoami())
    expect(answer.certificateOrganization).toBe(ORG_A)
    expect(whoamiCount()).toBe(before + 1)
    const entry = h.sim.requestLog().at(-1)
    expect(entry?.path).toBe(`${new URL(h.environment.apiRoot).pathname.replace(/\/$/, "")}/${ORG_A}`)
  })

  it("the layer forms take it from the transport layer they are provided with", async () => {
    const before = whoamiCount()
    const program = Effect.gen(function* () {
      const portal = yield* PortalClient.PortalClient
      const archive = yield* ArchiveClient.ArchiveClient
      expect(portal.config.environment.apiRoot).toBe(h.environment.apiRoot)
      expect(archive.config.environment.apiRoot).toBe(h.environment.apiRoot)
      return yield* portal.whoami()
    })
    const clients = Layer.mergeAll(PortalClient.layer(base()), ArchiveClient.layer(base())).pipe(
      Layer.provide(transportFor(h.environment)),
    )
    const answer = await h.run(program.pipe(Effect.provide(clients)))
    expect(answer.certificateOrganization).toBe(ORG_A)
    expect(whoamiCount()).toBe(before + 1)
  })

  it("both given and naming the same service (trailing slash aside) is fine; the client's own is used", async () => {
    const same = Environment.custom({
      apiRoot: `${h.environment.apiRoot}/`,
      serverOrganizationNumber: h.environment.serverOrganizationNumber,
    })
    const client = await Effect.runPromise(
      DirectClient.make({ ...base(), environment: same }).pipe(Effect.provide(transportFor(h.environment))),
    )
    expect(client.config.environment).toBe(same)
    expect((await h.run(client.whoami())).certificateOrganization).toBe(ORG_A)
  })

  it("both given and differing in API root fails at start-up, naming both, before any request", async () => {
    const calls = h.transport.calls()
    const elsewhere = Environment.custom({
      apiRoot: "https://127.0.0.1:9/api",
      serverOrganizationNumber: h.environment.serverOrganizationNumber,
    })
    const error = await failureOf(
      DirectClient.make({ ...base(), environment: h.environment }).pipe(Effect.provide(transportFor(elsewhere))),
    )
    expect(error).toBeInstanceOf(ValidationError)
    const issue = (error as ValidationError).issues[0]!
    expect(issue.path).toBe("environment")
    expect(issue.rule).toBe("mismatch")
    expect(issue.message).toContain(h.environment.apiRoot)
    expect(issue.message).toContain("https://127.0.0.1:9/api")
    expect(h.transport.calls()).toBe(calls)
  })

  it("both given and differing in server organization number fails at start-up, naming both", async () => {
    const otherOrganization = { ...h.environment, serverOrganizationNumber: "974760673" }
    const error = await failureOf(
      PortalClient.make({ ...base(), environment: h.environment }).pipe(
        Effect.provide(transportFor(otherOrganization)),
      ),
    )
    expect(error).toBeInstanceOf(ValidationError)
    const issue = (error as ValidationError).issues[0]!
    expect(issue.path).toBe("environment")
    expect(issue.message).toContain(h.environment.serverOrganizationNumber)
    expect(issue.message).toContain("974760673")
  })

  it("neither given: a ValidationError naming environment, before any request", async () => {
    const calls = h.transport.calls()
    const error = await failureOf(ArchiveClient.make(base()).pipe(Effect.provide(h.transport.layer)))
    expect(error).toBeInstanceOf(ValidationError)
    const issue = (error as ValidationError).issues[0]!
    expect(issue.path).toBe("environment")
    expect(issue.rule).toBe("required")
    expect(h.transport.calls()).toBe(calls)
  })

  it("the Promise client takes the transport's environment, and rejects the first call when there is none", async () => {
    const client = createPortalClient({ ...base(), logLevel: "None", transport: transportFor(h.environment) })
    try {
      expect((await client.whoami()).certificateOrganization).toBe(ORG_A)
    } finally {
      await client.close()
    }
    const bare = createPortalClient({ ...base(), logLevel: "None", transport: h.transport.layer })
    try {
      const error = await bare.whoami().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues[0]?.path).toBe("environment")
    } finally {
      await bare.close()
    }
  })

  it("layerConfig with SIGNERING_ENVIRONMENT unset takes the transport's, not the config's default", async () => {
    const config = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))
    const program = Effect.gen(function* () {
      const client = yield* DirectClient.DirectClient
      return { client, answer: yield* client.whoami(ORG_A) }
    })
    const { client, answer } = await h.run(
      program.pipe(
        Effect.provide(
          DirectClient.layerConfig(base()).pipe(
            Layer.provide(transportFor(h.environment)),
            Layer.provide(config({ SIGNERING_RETRIES: "0" })),
          ),
        ),
      ),
    )
    expect(client.config.environment).toBe(h.environment)
    expect(answer.certificateOrganization).toBe(ORG_A)
    // Named in the configuration, it is the client's own: checked against the transport's.
    const error = await failureOf(
      program.pipe(
        Effect.provide(
          DirectClient.layerConfig(base()).pipe(
            Layer.provide(transportFor(h.environment)),
            Layer.provide(config({ SIGNERING_ENVIRONMENT: "difitest" })),
          ),
        ),
      ),
    )
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0]?.message).toContain(Environment.difitest.apiRoot)
  })

  it("Environment.isEnvironment tells a whole environment from a bare organization number", () => {
    expect(Environment.isEnvironment(Environment.difitest)).toBe(true)
    expect(Environment.isEnvironment(h.environment)).toBe(true)
    expect(Environment.isEnvironment({ serverOrganizationNumber: "984661185" })).toBe(false)
    expect(Environment.isEnvironment(undefined)).toBe(false)
  })
})
