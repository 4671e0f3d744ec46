import { spawnSync } from "node:child_process"
import { createHash, X509Certificate } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Pki } from "@signering/simulator"
import { Effect, Exit } from "effect"
import * as Environment from "../src/Environment.js"
import { pins } from "../src/internal/trustAnchorsPins.js"
import * as TrustAnchors from "../src/TrustAnchors.js"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const shipped = join(packageDir, "trust-anchors")
// CI lays shared/ beside the clone; the official copy the shipped files were taken from.
const official = join(packageDir, "..", "..", "..", "shared", "trust-anchors")

const derSha256 = (pem: string) => createHash("sha256").update(new X509Certificate(pem).raw).digest("hex").toUpperCase()

const files = (root: string) =>
  ["production", "test"].flatMap((environment) =>
    readdirSync(join(root, environment))
      .filter((name) => name.endsWith(".pem"))
      .map((name) => `${environment}/${name}`),
  )

describe("the shipped trust anchors", () => {
  it("every shipped PEM file matches its pinned SHA-256, and every pin has its file", () => {
    const shippedFiles = files(shipped)
    expect(shippedFiles.sort()).toEqual(Object.keys(pins).sort())
    for (const file of shippedFiles) {
      expect(derSha256(readFileSync(join(shipped, file), "utf8")), file).toBe(pins[file])
    }
  })

  it("the generated module holds exactly the pinned certificates", () => {
    expect(TrustAnchors.all).toHaveLength(Object.keys(pins).length)
    for (const anchor of TrustAnchors.all) {
      const key = `${anchor.environment}/${anchor.file}`
      expect(derSha256(anchor.pem), key).toBe(pins[key])
      expect(anchor.sha256, key).toBe(pins[key])
      expect(anchor.notAfter.getTime(), key).toBe(new Date(new X509Certificate(anchor.pem).validTo).getTime())
    }
  })

  it("the generated module is what the generator makes from the shipped files (--check)", () => {
    const script = join(packageDir, "scripts", "generate-trust-anchors.ts")
    const run = spawnSync(process.execPath, ["--import", "tsx", script, "--check"], {
      cwd: packageDir,
      encoding: "utf8",
    })
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
  })

  it("the shipped files are the official ones in shared/trust-anchors (when that folder is present)", (ctx) => {
    if (!existsSync(official)) {
      // Outside this repository's workspace (e.g. a packed tarball) only the pins above apply.
      expect(existsSync(shipped)).toBe(true)
      return
    }
    void ctx
    expect(files(shipped).sort()).toEqual(files(official).sort())
    for (const file of files(official)) {
      expect(derSha256(readFileSync(join(official, file), "utf8")), file).toBe(pins[file])
    }
    for (const extra of ["LICENSE", "NOTICE"]) {
      expect(readFileSync(join(shipped, extra), "utf8")).toBe(readFileSync(join(official, extra), "utf8"))
    }
  })

  it("the built-in environments carry the sets: production's for production, the test set for difitest and difiqa", () => {
    expect(Environment.production.trustAnchors).toEqual(TrustAnchors.production.map((a) => a.pem))
    expect(Environment.difitest.trustAnchors).toEqual(TrustAnchors.test.map((a) => a.pem))
    expect(Environment.difiqa.trustAnchors).toEqual(TrustAnchors.test.map((a) => a.pem))
    expect(TrustAnchors.production).toHaveLength(11)
    expect(TrustAnchors.test).toHaveLength(11)
    expect(TrustAnchors.test.every((a) => /test/i.test(a.subject))).toBe(true)
  })
})

describe("TrustAnchors.current", () => {
  const all = TrustAnchors.all.map((a) => a.pem)

  it("leaves out anchors expired at the given time, and only those", () => {
    const at = new Date("2026-01-01T00:00:00Z")
    const { pems, skipped } = TrustAnchors.current(all, at)
    expect(skipped.map((s) => s.subject).sort()).toEqual(
      [
        "CPN Enterprise SHA256 CLASS 3",
        "CPN Root SHA256 CA - TEST",
        "CPN RootCA SHA256 Class 3",
        "Commfides CPN Enterprise-Norwegian SHA256 CA - TEST2",
      ].sort(),
    )
    expect(pems).toHaveLength(all.length - 4)
    expect(TrustAnchors.describeSkipped(skipped)).toContain("CPN RootCA SHA256 Class 3 (2025-01-01)")
  })

  it("judges by the clock it is given: before the first expiry nothing is skipped, after 2045 only the 2050s remain", () => {
    expect(TrustAnchors.current(all, new Date("2022-01-01T00:00:00Z")).skipped).toEqual([])
    const late = TrustAnchors.current(all, new Date("2046-01-01T00:00:00Z"))
    expect(late.pems).toHaveLength(4) // two Commfides G3 roots and two Digipost roots
  })

  it("splits bundles into single certificates and passes on what is not PEM", () => {
    const bundle = TrustAnchors.production
      .slice(0, 2)
      .map((a) => a.pem)
      .join("")
    const { pems } = TrustAnchors.current([bundle, "/etc/anchors"], new Date("2030-01-01T00:00:00Z"))
    expect(pems).toHaveLength(3)
    expect(pems[2]).toBe("/etc/anchors")
  })
})

describe("TrustAnchors.classify", () => {
  it.effect("the shipped intermediates verify against their own set's roots (RSA SHA-256 and SHA-512)", () =>
    Effect.gen(function* () {
      const der = (environment: "production" | "test", file: string) =>
        new Uint8Array(
          new X509Certificate(TrustAnchors.all.find((a) => a.environment === environment && a.file === file)!.pem).raw,
        )
      expect(yield* TrustAnchors.classify([der("production", "BPCl3CaG2STBS.pem")])).toBe("production")
      expect(yield* TrustAnchors.classify([der("test", "BPCl3CaG2HTBS.pem")])).toBe("test")
      expect(yield* TrustAnchors.classify([der("production", "BPClass3CA3.pem")])).toBe("production")
      expect(yield* TrustAnchors.classify([der("test", "Buypass_Class_3_Test4_CA_3.pem")])).toBe("test")
    }),
  )

  it.effect("a certificate from another PKI is unknown; so is garbage", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => Pki.make())
      const sender = pki.senders[0]!
      expect(yield* TrustAnchors.classify([sender.certificateDer])).toBe("unknown")
      expect(yield* TrustAnchors.classify([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])])).toBe("unknown")
      expect(yield* TrustAnchors.classify([])).toBe("unknown")
    }),
  )

  it.effect("an injected set decides by issuer: a CA of another PKI does not vouch for the certificate", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => Pki.make())
      const sets = { production: [pki.caCertificatePem], test: [pki.foreign.caCertificatePem] }
      expect(yield* TrustAnchors.classify([pki.senders[0]!.certificateDer], sets)).toBe("production")
      expect(yield* TrustAnchors.classify([pki.foreign.sender.certificateDer], sets)).toBe("test")
      const other = yield* Effect.promise(() => Pki.make())
      const lookAlike = { production: [other.caCertificatePem], test: [] }
      expect(yield* TrustAnchors.classify([pki.senders[0]!.certificateDer], lookAlike)).toBe("unknown")
    }),
  )

  it.effect("checkEnvironment names both the certificate's environment and the target", () =>
    Effect.gen(function* () {
      const pki = yield* Effect.promise(() => Pki.make())
      const sets = { production: [pki.foreign.caCertificatePem], test: [pki.caCertificatePem] }
      const exit = yield* Effect.exit(
        TrustAnchors.checkEnvironment([pki.senders[0]!.certificateDer], Environment.production, sets),
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(
        TrustAnchors.checkEnvironment([pki.senders[0]!.certificateDer], Environment.production, sets),
      )
      expect(error._tag).toBe("CertificateEnvironmentMismatch")
      expect(error.reason).toBe("TestCertificateForProduction")
      expect(error.message).toContain("is a test certificate")
      expect(error.message).toContain("production environment accepts production certificates only")
      expect(error.message).toContain(`NTRNO-${pki.senders[0]!.organizationNumber}`)
      const back = yield* Effect.flip(
        TrustAnchors.checkEnvironment([pki.foreign.sender.certificateDer], Environment.difiqa, sets),
      )
      expect(back.reason).toBe("ProductionCertificateForTest")
      expect(back.message).toContain("difiqa environment accepts test certificates only")
      expect(yield* TrustAnchors.checkEnvironment([pki.senders[0]!.certificateDer], Environment.difitest, sets)).toBe(
        "test",
      )
      // A custom environment (a proxy, the simulator) is never refused: its `certificates` is only a default.
      const custom = Environment.custom({ apiRoot: "https://proxy.example/api", certificates: "production" })
      expect(yield* TrustAnchors.checkEnvironment([pki.senders[0]!.certificateDer], custom, sets)).toBe("test")
    }),
  )
})
