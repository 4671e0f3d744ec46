import { execFileSync } from "node:child_process"
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509, verify } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Redacted } from "effect"
import { Keystore, KeystoreError } from "../src/index.js"
import { openssl, type Pkcs12Encryption, pemToDer, pkcs12, type TestEntity, testPki } from "./support/pki.js"

const pki = testPki()
const passphrase = "Hemmelig-æøå-123"

const loadError = (effect: Effect.Effect<unknown, KeystoreError>) =>
  Effect.flip(effect).pipe(
    Effect.map((e) => {
      expect(e).toBeInstanceOf(KeystoreError)
      return e.reason
    }),
  )

const pemCerts = (chainPem: string): Array<string> =>
  chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!

describe("Keystore.fromPkcs12", () => {
  const cases: ReadonlyArray<[Pkcs12Encryption, "seid1" | "seid2"]> = [
    ["default", "seid1"],
    ["default", "seid2"],
    ["legacy", "seid1"],
    ["legacy", "seid2"],
    ["3des", "seid1"],
    ["3des", "seid2"],
  ]
  for (const [encryption, which] of cases) {
    it.effect(`loads ${which} from openssl's ${encryption} PKCS#12 with the chain leaf first`, () =>
      Effect.gen(function* () {
        const entity = pki[which]
        const ks = yield* Keystore.fromPkcs12Effect(pkcs12(entity, passphrase, encryption), Redacted.make(passphrase))
        const expected = pemCerts(entity.chainPem).map(pemToDer)
        // The DER must survive loading byte for byte: its SHA-1 is the XAdES CertDigest.
        expect(ks.chain.map((c) => Buffer.from(c.der).toString("hex"))).toEqual(
          expected.map((d) => Buffer.from(d).toString("hex")),
        )
        expect(ks.organizationNumber).toBe(which === "seid1" ? "987654321" : "123456785")
      }),
    )
  }

  it.effect("accepts the passphrase as a plain string too", () =>
    Effect.gen(function* () {
      const ks = yield* Keystore.fromPkcs12Effect(pkcs12(pki.seid1, "enkel", "legacy"), "enkel")
      expect(ks.certificate.serialNumber).toBe(0x1d4c2en)
    }),
  )

  for (const encryption of ["default", "legacy", "3des"] as const) {
    it.effect(`a wrong passphrase fails with WrongPassphrase (${encryption})`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Keystore.fromPkcs12Effect(pkcs12(pki.seid2, passphrase, encryption), "feil"))
        expect(error).toBeInstanceOf(KeystoreError)
        expect(error.reason).toBe("WrongPassphrase")
        expect(error.message).toContain("passphrase")
        expect(error.message).not.toContain("feil")
      }),
    )
  }

  it.effect("picks the entry by alias (friendly name, any case) and names the aliases when none matches", () =>
    Effect.gen(function* () {
      const path = join(pki.dir, "alias.p12")
      openssl(
        [
          "pkcs12",
          "-export",
          "-inkey",
          pki.seid2.keyPath,
          "-in",
          pki.seid2.certPath,
          "-certfile",
          pki.seid2.issuersPath,
        ].concat(["-name", "Signering Nøkkel", "-passout", "pass:x", "-out", path]),
      )
      const ks = yield* Keystore.fromPkcs12Effect(execBytes(path), "x", { alias: "signering nøkkel" })
      expect(ks.organizationNumber).toBe("123456785")
      const error = yield* Effect.flip(Keystore.fromPkcs12Effect(execBytes(path), "x", { alias: "auth" }))
      expect(error.reason).toBe("NoPrivateKey")
      expect(error.message).toContain('"Signering Nøkkel"')
    }),
  )

  it.effect("garbage is Malformed", () =>
    Effect.gen(function* () {
      expect(yield* loadError(Keystore.fromPkcs12Effect(new TextEncoder().encode("not a pfx at all"), "x"))).toBe(
        "Malformed",
      )
      expect(yield* loadError(Keystore.fromPkcs12Effect(new Uint8Array(0), "x"))).toBe("Malformed")
    }),
  )

  it.effect("a PKCS#12 without a key is NoPrivateKey, without certificates NoCertificate", () =>
    Effect.gen(function* () {
      const certOnly = join(pki.dir, "certonly.p12")
      openssl(["pkcs12", "-export", "-nokeys", "-in", pki.seid1.certPath, "-passout", "pass:x", "-out", certOnly])
      expect(yield* loadError(Keystore.fromPkcs12Effect(execBytes(certOnly), "x"))).toBe("NoPrivateKey")
      const keyOnly = join(pki.dir, "keyonly.p12")
      openssl(["pkcs12", "-export", "-nocerts", "-inkey", pki.seid1.keyPath, "-passout", "pass:x", "-out", keyOnly])
      expect(yield* loadError(Keystore.fromPkcs12Effect(execBytes(keyOnly), "x"))).toBe("NoCertificate")
    }),
  )
})

const execBytes = (path: string): Uint8Array => new Uint8Array(execFileSync("cat", [path]))

describe("Keystore.fromPem", () => {
  it.effect("reads a PKCS#8 or PKCS#1 key with the chain in any order, leaf first", () =>
    Effect.gen(function* () {
      const certs = pemCerts(pki.seid2.chainPem)
      for (const privateKey of [pki.seid2.keyPem, pki.seid2.keyPkcs1Pem]) {
        const ks = yield* Keystore.fromPemEffect({
          certificates: [...certs].reverse(),
          privateKey: Redacted.make(privateKey),
        })
        expect(ks.chain.map((c) => c.subject)).toEqual([
          "CN=Sørlandet Test AS,2.5.4.97=#0c0f4e54524e4f2d313233343536373835,O=Sørlandet Test \\+ Co AS,C=NO",
          "CN=Buypass Class 3 Test4 CA G2 ST Business,2.5.4.97=#0c0f4e54524e4f2d393833313633333237,O=Buypass AS,C=NO",
          "CN=Test Root CA G2 ST,O=Testsertifikat Rot AS\\, Norge,C=NO",
        ])
        expect(ks.organizationNumber).toBe("123456785")
      }
    }),
  )

  it.effect("reads an encrypted PKCS#8 key with its passphrase and rejects a wrong one", () =>
    Effect.gen(function* () {
      const encrypted = openssl([
        "pkcs8",
        "-topk8",
        "-in",
        pki.seid1.keyPath,
        "-v2",
        "aes-256-cbc",
        "-passout",
        `pass:${passphrase}`,
      ])
      const ks = yield* Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: encrypted, passphrase })
      expect(ks.organizationNumber).toBe("987654321")
      const wrong = Keystore.fromPemEffect({
        certificates: pki.seid1.chainPem,
        privateKey: encrypted,
        passphrase: "nei",
      })
      expect(yield* loadError(wrong)).toBe("WrongPassphrase")
      const missing = Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: encrypted })
      expect(yield* loadError(missing)).toBe("WrongPassphrase")
    }),
  )

  it.effect("typed errors: mismatch, no key, no certificate, non-RSA key, broken certificate", () =>
    Effect.gen(function* () {
      const mismatch = Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: pki.stranger.keyPem })
      expect(yield* loadError(mismatch)).toBe("KeyCertificateMismatch")
      expect(yield* loadError(Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: "" }))).toBe(
        "NoPrivateKey",
      )
      expect(yield* loadError(Keystore.fromPemEffect({ certificates: "", privateKey: pki.seid1.keyPem }))).toBe(
        "NoCertificate",
      )
      const ec = openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
      expect(yield* loadError(Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: ec }))).toBe(
        "UnsupportedKey",
      )
      const broken = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"
      expect(yield* loadError(Keystore.fromPemEffect({ certificates: broken, privateKey: pki.seid1.keyPem }))).toBe(
        "Malformed",
      )
    }),
  )
})

describe("names and organization numbers", () => {
  it.effect("render issuer, subject and serial exactly like Java's X500Principal.getName()", () =>
    Effect.gen(function* () {
      const entities: ReadonlyArray<TestEntity> = [pki.seid1, pki.seid2, pki.stranger]
      const files: Array<string> = []
      const ours: Array<string> = []
      for (const entity of entities) {
        const ks = yield* Keystore.fromPemEffect({ certificates: entity.chainPem, privateKey: entity.keyPem })
        ks.chain.forEach((c, i) => {
          const path = join(pki.dir, `oracle-${files.length}-${i}.pem`)
          writeFileSync(path, new NodeX509(c.der).toString())
          files.push(path)
          ours.push(`subject\t${c.subject}`, `issuer\t${c.issuer}`, `serial\t${c.serialNumber}`)
        })
      }
      const java = execFileSync("java", ["test/support/java/CertNames.java", ...files], { encoding: "utf8" })
      expect(ours).toEqual(java.trimEnd().split("\n"))
    }),
  )

  it.effect("SEID 2 issuer carries 2.5.4.97 as hex DER; SEID 1 reads serialNumber; CN fallback", () =>
    Effect.gen(function* () {
      const seid2 = yield* Keystore.fromPemEffect({ certificates: pki.seid2.chainPem, privateKey: pki.seid2.keyPem })
      expect(seid2.certificate.issuer).toBe(
        "CN=Buypass Class 3 Test4 CA G2 ST Business,2.5.4.97=#0c0f4e54524e4f2d393833313633333237,O=Buypass AS,C=NO",
      )
      // openssl knows the attribute by name; Java does not, hence the hex form in the signature.
      const opensslIssuer = openssl(["x509", "-in", pki.seid2.certPath, "-noout", "-issuer", "-nameopt", "RFC2253"])
      expect(opensslIssuer).toContain("organizationIdentifier=NTRNO-983163327")
      const seid1 = yield* Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: pki.seid1.keyPem })
      expect(seid1.organizationNumber).toBe("987654321")
      expect(seid1.certificate.issuer).toBe(
        openssl(["x509", "-in", pki.seid1.certPath, "-noout", "-issuer", "-nameopt", "RFC2253"])
          .replace(/^issuer=/, "")
          .trim(),
      )
      const stranger = yield* Keystore.fromPemEffect({
        certificates: pki.stranger.chainPem,
        privateKey: pki.stranger.keyPem,
      })
      expect(stranger.organizationNumber).toBe("912345678")
    }),
  )
})

describe("secrets and the TLS view", () => {
  it.effect("the key never shows in toString, JSON, inspect or logs", () =>
    Effect.gen(function* () {
      const ks = yield* Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: pki.seid1.keyPem })
      const keyBody = pki.seid1.keyPem.split("\n")[1]!
      const logged: Array<unknown> = []
      yield* Effect.log(ks, { ks }).pipe(
        Effect.provide(Logger.layer([Logger.make(({ message }) => logged.push(message))])),
      )
      const renderings = [String(ks), JSON.stringify(ks), inspect(ks, { depth: 10 }), inspect({ ks }), inspect(logged)]
      for (const text of renderings) {
        expect(text).not.toContain(keyBody)
        expect(text).not.toContain("PRIVATE KEY-----")
        expect(text).toContain("redacted")
      }
      expect(String(ks.privateKeyPem)).not.toContain("PRIVATE")
    }),
  )

  it.effect("hands a TLS client PEM chain and key that match, and a WebCrypto signing key", () =>
    Effect.gen(function* () {
      const p12 = pkcs12(pki.seid2, passphrase, "legacy")
      const ks = yield* Keystore.fromPkcs12Effect(p12, passphrase)
      const keyPem = Redacted.value(ks.privateKeyPem)
      expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
      const certs = pemCerts(ks.certificateChainPem)
      expect(certs).toHaveLength(3)
      const leaf = new NodeX509(certs[0]!)
      expect(leaf.checkPrivateKey(createPrivateKey(keyPem))).toBe(true)
      const key = yield* ks.signingKey
      expect(key.algorithm.name).toBe("RSASSA-PKCS1-v1_5")
      expect(key.extractable).toBe(false)
      const data = new TextEncoder().encode("data")
      const signature = new Uint8Array(yield* Effect.promise(() => crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, data)))
      expect(verify("sha256", data, createPublicKey(certs[0]!), signature)).toBe(true)
      expect(yield* ks.signingKey).toBe(key)
    }),
  )
})

describe("Keystore.checkValidity", () => {
  it.effect("fails before and after the validity period and warns within 30 days of expiry", () =>
    Effect.gen(function* () {
      const ks = yield* Keystore.fromPemEffect({ certificates: pki.seid1.chainPem, privateKey: pki.seid1.keyPem })
      const day = 86_400_000
      const before = yield* Effect.flip(Keystore.checkValidity(ks, new Date(ks.notBefore.getTime() - day)))
      expect(before.reason).toBe("NotYetValid")
      const after = yield* Effect.flip(Keystore.checkValidity(ks, new Date(ks.notAfter.getTime() + 1000)))
      expect(after.reason).toBe("Expired")
      expect(after.message).toContain("expired")

      const warnings: Array<string> = []
      const capture = Logger.layer([
        Logger.make(({ message, logLevel }) => {
          if (logLevel === "Warn") warnings.push(String(message))
        }),
      ])
      yield* Keystore.checkValidity(ks, new Date(ks.notAfter.getTime() - 40 * day)).pipe(Effect.provide(capture))
      expect(warnings).toEqual([])
      yield* Keystore.checkValidity(ks, new Date(ks.notAfter.getTime() - 10 * day)).pipe(Effect.provide(capture))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("in 10 days")
    }),
  )
})

describe("plain (non-Effect) forms", () => {
  it("fromPkcs12 and fromPem return a Result; the OrThrow forms throw the KeystoreError", () => {
    const p12 = pkcs12(pki.seid1, "x", "3des")
    const ok = Keystore.fromPkcs12(p12, "x")
    expect(ok._tag).toBe("Success")
    const bad = Keystore.fromPkcs12(p12, "y")
    expect(bad._tag === "Failure" && bad.failure.reason).toBe("WrongPassphrase")
    expect(Keystore.fromPkcs12OrThrow(p12, "x").organizationNumber).toBe("987654321")
    expect(() => Keystore.fromPkcs12OrThrow(p12, "y")).toThrow(KeystoreError)
    expect(Keystore.fromPem({ certificates: pki.seid1.chainPem, privateKey: pki.seid1.keyPem })._tag).toBe("Success")
    expect(() => Keystore.fromPemOrThrow({ certificates: pki.seid1.chainPem, privateKey: "" })).toThrow(/NoPrivateKey/)
  })
})
