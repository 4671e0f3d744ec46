import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"

describe("Environment", () => {
  it("has the documented API roots and expects Posten's organization number", () => {
    expect(Environment.production.apiRoot).toBe("https://api.signering.posten.no/api")
    expect(Environment.difitest.apiRoot).toBe("https://api.difitest.signering.posten.no/api")
    expect(Environment.difiqa.apiRoot).toBe("https://api.difiqa.signering.posten.no/api")
    for (const env of [Environment.production, Environment.difitest, Environment.difiqa]) {
      expect(env.serverOrganizationNumber).toBe("984661185")
    }
    expect(Environment.production.certificates).toBe("production")
    expect(Environment.difitest.certificates).toBe("test")
  })

  it("custom environments drop trailing slashes and default to Posten's organization number", () => {
    const env = Environment.custom({ apiRoot: "https://127.0.0.1:8443/api//", trustAnchors: ["PEM"] })
    expect(env).toEqual({
      name: "custom",
      apiRoot: "https://127.0.0.1:8443/api",
      serverOrganizationNumber: "984661185",
      certificates: "test",
      trustAnchors: ["PEM"],
    })
  })

  it("finds environments by name, with staging as the Java alias of difitest", () => {
    expect(Environment.fromName("PRODUCTION")).toBe(Environment.production)
    expect(Environment.fromName("staging")).toBe(Environment.difitest)
    expect(Environment.fromName("difiqa")).toBe(Environment.difiqa)
    expect(Environment.fromName("qa")).toBeUndefined()
  })
})

describe("DirectClient.config", () => {
  const read = (env: Record<string, string>) =>
    Effect.gen(function* () {
      return yield* DirectClient.config
    }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

  it.effect("reads a twelve-factor configuration", () =>
    Effect.gen(function* () {
      const options = yield* read({
        SIGNERING_ENVIRONMENT: "production",
        SIGNERING_SENDER_ORGANIZATION_NUMBER: "123456785",
        SIGNERING_SENDER_POLLING_QUEUE: "invoices",
        SIGNERING_API_TIMEOUT: "10 seconds",
        SIGNERING_RETRIES: "0",
        SIGNERING_USER_AGENT_SUFFIX: "acme/1.0",
      })
      expect(options.environment).toBe(Environment.production)
      expect(options.sender).toEqual({ organizationNumber: "123456785", pollingQueue: "invoices" })
      expect(options.retry).toBe(false)
      expect(options.userAgentSuffix).toBe("acme/1.0")
      expect(options.timeouts?.api).toBeDefined()
    }),
  )

  it.effect("defaults to difitest, and builds custom environments", () =>
    Effect.gen(function* () {
      expect((yield* read({})).environment).toBe(Environment.difitest)
      const custom = yield* read({
        SIGNERING_ENVIRONMENT: "custom",
        SIGNERING_API_ROOT: "https://127.0.0.1:9999/api/",
        SIGNERING_SERVER_ORGANIZATION_NUMBER: "123456785",
      })
      expect(custom.environment.apiRoot).toBe("https://127.0.0.1:9999/api")
      expect(custom.environment.serverOrganizationNumber).toBe("123456785")
    }),
  )

  it.effect("fails with a ConfigError naming the variable", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(read({ SIGNERING_ENVIRONMENT: "moon" }))
      expect(bad._tag).toBe("ConfigError")
      expect(bad.message).toContain("SIGNERING_ENVIRONMENT")
      const noRoot = yield* Effect.flip(read({ SIGNERING_ENVIRONMENT: "custom" }))
      expect(noRoot.message).toContain("SIGNERING_API_ROOT")
    }),
  )
})
