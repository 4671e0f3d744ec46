import { describe, expect, it } from "@effect/vitest"
import { Keystore } from "@signering/protocol"
import { Pki } from "@signering/simulator"
import { Effect, Logger, References } from "effect"
import * as Environment from "../../src/Environment.js"
import { preflight } from "../../src/internal/preflight.js"

const keystoreOf = (credentials: { chainPem: string; privateKeyPem: string }) =>
  Keystore.fromPemOrThrow({ certificates: credentials.chainPem, privateKey: credentials.privateKeyPem })

const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(`${options.logLevel} ${String(options.message)}`)
  })
  return { lines, layer: Logger.layer([logger]) }
}

describe("preflight", () => {
  const pkiPromise = Pki.make()
  // The simulator's CA plays a "production" set and its foreign CA a "test" set.
  const setsOf = (pki: Pki.Pki) => ({ production: [pki.caCertificatePem], test: [pki.foreign.caCertificatePem] })

  it.effect("a production certificate against production and a test one against difitest pass", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => pkiPromise)
      const anchorSets = setsOf(pki)
      yield* preflight({ environment: Environment.production, keystore: keystoreOf(pki.senders[0]!), anchorSets })
      yield* preflight({ environment: Environment.difitest, keystore: keystoreOf(pki.foreign.sender), anchorSets })
      // no keystore: nothing to check (a client that only polls or downloads)
      yield* preflight({ environment: Environment.production, anchorSets })
    }),
  )

  it.effect("a test certificate against production fails before any request, naming both", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => pkiPromise)
      const error = yield* Effect.flip(
        preflight({
          environment: Environment.production,
          keystore: keystoreOf(pki.foreign.sender),
          anchorSets: setsOf(pki),
        }),
      )
      expect(error._tag).toBe("CertificateEnvironmentMismatch")
      if (error._tag !== "CertificateEnvironmentMismatch") return
      expect(error.reason).toBe("TestCertificateForProduction")
      expect(error.certificateEnvironment).toBe("test")
      expect(error.targetEnvironment).toBe("production")
    }),
  )

  it.effect("a production certificate against difiqa fails", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => pkiPromise)
      const error = yield* Effect.flip(
        preflight({ environment: Environment.difiqa, keystore: keystoreOf(pki.senders[1]!), anchorSets: setsOf(pki) }),
      )
      expect(error.message).toContain("is a production certificate, but the difiqa environment accepts test")
    }),
  )

  it.effect("an unknown issuer passes against a custom environment, with the built-in sets", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => pkiPromise)
      const environment = Environment.custom({ apiRoot: "https://127.0.0.1:1/api", certificates: "production" })
      yield* preflight({ environment, keystore: keystoreOf(pki.senders[0]!) })
    }),
  )

  it.effect("an expired or not yet valid certificate is a KeystoreError", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => pkiPromise)
      const organizationNumber = pki.senders[0]!.organizationNumber
      const expired = pki.issueClientCertificate({
        organizationNumber,
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      })
      const early = pki.issueClientCertificate({
        organizationNumber,
        notBefore: new Date(Date.now() + 86_400_000),
        notAfter: new Date(Date.now() + 10 * 86_400_000),
      })
      const a = yield* Effect.flip(preflight({ environment: Environment.difitest, keystore: keystoreOf(expired) }))
      expect(a._tag === "KeystoreError" && a.reason).toBe("Expired")
      const b = yield* Effect.flip(preflight({ environment: Environment.difitest, keystore: keystoreOf(early) }))
      expect(b._tag === "KeystoreError" && b.reason).toBe("NotYetValid")
    }),
  )

  it.effect("a sender other than the certificate's organization is allowed (brokers) and logged once", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => pkiPromise)
      const keystore = keystoreOf(pki.senders[0]!)
      const { lines, layer } = capture()
      yield* preflight({
        environment: Environment.difitest,
        keystore,
        sender: { organizationNumber: "987654325" },
      }).pipe(Effect.provide(layer), Effect.provideService(References.MinimumLogLevel, "Debug"))
      const broker = lines.filter((line) => line.includes("registered as a broker"))
      expect(broker).toHaveLength(1)
      expect(broker[0]).toContain(`organization ${keystore.organizationNumber} and the sender is 987654325`)
      lines.length = 0
      yield* preflight({
        environment: Environment.difitest,
        keystore,
        sender: { organizationNumber: keystore.organizationNumber! },
      }).pipe(Effect.provide(layer))
      expect(lines.filter((line) => line.includes("broker"))).toEqual([])
    }),
  )
})
