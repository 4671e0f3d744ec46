import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { gzipSync } from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import { unzipSync, zipSync } from "fflate"
import { BundleError, DirectJob, DirectXml, DocumentBundle, Keystore, KeystoreError } from "../src/index.js"
import { pdfLike } from "./fixtures/bundle/pdfLike.js"
import { validInput } from "./support/direct.js"
import { testPki } from "./support/pki.js"
import { verifyXades } from "./support/pkiXadesVerifier.js"

const pki = testPki()
const keystore = Keystore.fromPemOrThrow({ certificates: pki.seid2.chainPem, privateKey: pki.seid2.keyPem })
const signingTime = new Date(Date.now() + 60_000)

const job = DirectJob.makeOrThrow(
  validInput({
    documents: [
      { title: "Ansettelseskontrakt for Ærlig Øystein", bytes: pdfLike(200_000, 0.05, 1) },
      { title: "Vedlegg: lønn & vilkår (2)", bytes: pdfLike(150_000, 0.8, 2) },
      { title: "Vedlegg: lønn & vilkår (2)", bytes: pdfLike(3_000, 0.5, 3) },
    ],
  }),
)

const entriesOf = (zip: Uint8Array) => Object.entries(unzipSync(zip))

/** Local file headers as written: name, general purpose flags, method, CRC and sizes. */
const localHeaders = (zip: Uint8Array) => {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  const out: Array<{ name: string; flags: number; method: number; crc: number; csize: number; size: number }> = []
  let o = 0
  while (view.getUint32(o, true) === 0x04034b50) {
    const nameLength = view.getUint16(o + 26, true)
    const csize = view.getUint32(o + 18, true)
    out.push({
      name: new TextDecoder().decode(zip.subarray(o + 30, o + 30 + nameLength)),
      flags: view.getUint16(o + 6, true),
      method: view.getUint16(o + 8, true),
      crc: view.getUint32(o + 14, true),
      csize,
      size: view.getUint32(o + 22, true),
    })
    o += 30 + nameLength + view.getUint16(o + 28, true) + csize
  }
  return out
}

const extract = (zip: Uint8Array): string => {
  const dir = mkdtempSync(join(tmpdir(), "signering-bundle-"))
  for (const [name, bytes] of entriesOf(zip)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), bytes)
  }
  return dir
}

const xmlsec1 = (dir: string) =>
  spawnSync(
    "xmlsec1",
    [
      "--verify",
      "--trusted-pem",
      pki.rootPath,
      "--id-attr:Id",
      "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    ].concat(["META-INF/signatures.xml"]),
    { cwd: dir, encoding: "utf8" },
  )

describe("DocumentBundle.make", () => {
  it.effect("writes the documents in job order, manifest.xml, META-INF/signatures.xml and nothing else", () =>
    Effect.gen(function* () {
      const bundle = yield* DocumentBundle.make(job, keystore, { signingTime, timeZone: "Europe/Oslo" })
      expect(bundle.signingTime).toEqual(signingTime)
      const names = job.documents.map((d) => d.fileName)
      expect(names).toEqual([
        "0000_ansettelseskontrakt_for_aerlig_oeystein.pdf",
        "0001_vedlegg_loenn_vilkaar_2_.pdf",
        "0002_vedlegg_loenn_vilkaar_2_.pdf",
      ])
      const entries = entriesOf(bundle.bytes)
      expect(entries.map(([name]) => name)).toEqual([...names, "manifest.xml", "META-INF/signatures.xml"])
      expect(entries.slice(0, 3).map(([, b]) => b)).toEqual(job.documents.map((d) => d.bytes))
      expect(new TextDecoder().decode(entries[3]![1])).toBe(DirectXml.encodeManifest(job))
      expect(bundle.files.map((f) => [f.name, f.mimeType, f.size])).toEqual([
        [names[0], "application/pdf", 200_000],
        [names[1], "application/pdf", 150_000],
        [names[2], "application/pdf", 3_000],
        ["manifest.xml", "application/xml", entries[3]![1].length],
        ["META-INF/signatures.xml", "application/xml", entries[4]![1].length],
      ])
      const verified = verifyXades(
        new TextDecoder().decode(entries[4]![1]),
        new Map(entries.slice(0, 4).map(([n, b]) => [n, b])),
      )
      expect(verified.references.map((r) => r.uri)).toEqual([...names, "manifest.xml", "#SignedProperties"])
    }),
  )

  it.effect("stores what does not shrink and deflates the rest; no data descriptors; forceDeflate deflates all", () =>
    Effect.gen(function* () {
      const auto = yield* DocumentBundle.make(job, keystore, { signingTime })
      const headers = localHeaders(auto.bytes)
      expect(headers.map((h) => h.method)).toEqual([0, 8, 8, 8, 8])
      expect(auto.files.map((f) => f.compression)).toEqual(["store", "deflate", "deflate", "deflate", "deflate"])
      for (const [i, h] of headers.entries()) {
        expect(h.flags & 0x08).toBe(0)
        const bytes = entriesOf(auto.bytes)[i]![1]
        expect(h.size).toBe(bytes.length)
        expect(h.crc).toBe(Number.parseInt(execCrc(bytes), 16))
      }
      expect(headers[0]!.csize).toBe(200_000)
      expect(headers[1]!.csize).toBeLessThan(150_000 * 0.6)
      const forced = yield* DocumentBundle.make(job, keystore, { signingTime, forceDeflate: true })
      expect(localHeaders(forced.bytes).map((h) => h.method)).toEqual([8, 8, 8, 8, 8])
      expect(entriesOf(forced.bytes).map(([n, b]) => [n, b.length])).toEqual(
        entriesOf(auto.bytes).map(([n, b]) => [n, b.length]),
      )
    }),
  )

  it.effect("reads entry by entry with java.util.zip.ZipInputStream", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "signering-zip-"))
      const paths: Array<string> = []
      const expected: Array<string> = []
      for (const forceDeflate of [false, true]) {
        const bundle = yield* DocumentBundle.make(job, keystore, { signingTime, forceDeflate })
        const path = join(dir, `bundle-${forceDeflate}.asice`)
        writeFileSync(path, bundle.bytes)
        paths.push(path)
        for (const [i, [name, bytes]] of entriesOf(bundle.bytes).entries()) {
          const sha = createHash("sha256").update(bytes).digest("hex")
          expected.push(`${name}\t${bundle.files[i]!.compression}\t${bytes.length}\t${sha}`)
        }
      }
      expect(expected.filter((line) => line.includes("\tstore\t")).length).toBeGreaterThan(0)
      const java = execFileSync("java", [new URL("./support/java/ZipRead.java", import.meta.url).pathname, ...paths], {
        encoding: "utf8",
      })
      expect(java.trimEnd().split("\n")).toEqual(expected)
    }),
  )

  it.effect("validates with the JDK's javax.xml.crypto.dsig the way a Java server would; tampering is caught", () =>
    Effect.gen(function* () {
      const bundle = yield* DocumentBundle.make(job, keystore, { signingTime })
      const dir = mkdtempSync(join(tmpdir(), "signering-jdk-"))
      const write = (name: string, entries: Record<string, Uint8Array>) => {
        const path = join(dir, name)
        writeFileSync(path, zipSync(entries, { level: 0 }))
        return path
      }
      const original = join(dir, "original.asice")
      writeFileSync(original, bundle.bytes)
      const entries = unzipSync(bundle.bytes)
      const manifestName = "manifest.xml"
      const tamperedManifest = write("manifest.asice", {
        ...entries,
        [manifestName]: new TextEncoder().encode(
          new TextDecoder().decode(entries[manifestName]).replace("<title>", "<title>X"),
        ),
      })
      const signatures = new TextDecoder().decode(entries["META-INF/signatures.xml"])
      const tamperedTime = write("time.asice", {
        ...entries,
        "META-INF/signatures.xml": new TextEncoder().encode(
          signatures.replace(/<SigningTime>(\d{4})/, "<SigningTime>1999"),
        ),
      })
      const out = execFileSync(
        "java",
        [
          new URL("./support/java/VerifyBundle.java", import.meta.url).pathname,
          original,
          tamperedManifest,
          tamperedTime,
        ],
        { encoding: "utf8" },
      )
      expect(out.trimEnd().split("\n")).toEqual(["valid", "invalid: manifest.xml", "invalid: #SignedProperties"])
    }),
  )

  it.effect("xmlsec1 verifies the extracted bundle and fails on a tampered document, manifest or SigningTime", () =>
    Effect.gen(function* () {
      const bundle = yield* DocumentBundle.make(job, keystore, { signingTime })
      const dir = extract(bundle.bytes)
      const ok = xmlsec1(dir)
      expect(ok.status).toBe(0)
      expect(ok.stderr).toContain("SignedInfo References (ok/all): 5/5")

      const tamper = (name: string, change: (text: Buffer) => Buffer) => {
        const copy = extract(bundle.bytes)
        const original = entriesOf(bundle.bytes).find(([n]) => n === name)![1]
        writeFileSync(join(copy, name), change(Buffer.from(original)))
        return xmlsec1(copy)
      }
      const document = tamper(job.documents[1]!.fileName, (b) => {
        b[b.length - 10] = b[b.length - 10]! ^ 1
        return b
      })
      expect(document.status).not.toBe(0)
      const manifest = tamper("manifest.xml", (b) =>
        Buffer.from(b.toString("utf8").replace("Ansettelseskontrakt", "Ansettelseskontrakt!")),
      )
      expect(manifest.status).not.toBe(0)
      const time = tamper("META-INF/signatures.xml", (b) =>
        Buffer.from(b.toString("utf8").replace(/<SigningTime>(\d{4})/, (_, y: string) => `<SigningTime>${+y - 1}`)),
      )
      expect(time.status).not.toBe(0)
    }),
  )

  it.effect("20 documents with identical titles become 20 distinct, signed entries", () =>
    Effect.gen(function* () {
      const twenty = DirectJob.makeOrThrow(
        validInput({
          documents: Array.from({ length: 20 }, (_, i) => ({
            title: "Vedlegg – å lese!",
            bytes: pdfLike(4000, 0.5, i),
          })),
        }),
      )
      const bundle = yield* DocumentBundle.make(twenty, keystore, { signingTime })
      const entries = entriesOf(bundle.bytes)
      const names = entries.map(([name]) => name)
      expect(new Set(names).size).toBe(22)
      // The en dash is outside the safe alphabet: Java maps it to alphabet[0x2013 % 39] = "i".
      expect(names[0]).toBe("0000_vedlegg_i_aa_lese_.pdf")
      expect(names[19]).toBe("0019_vedlegg_i_aa_lese_.pdf")
      const verified = verifyXades(
        new TextDecoder().decode(entries[21]![1]),
        new Map(entries.slice(0, 21).map(([n, b]) => [n, b])),
      )
      expect(verified.references).toHaveLength(22)
      expect(xmlsec1(extract(bundle.bytes)).status).toBe(0)
    }),
  )

  it.effect("is deterministic for the same inputs, time and zone; the time changes the bytes", () =>
    Effect.gen(function* () {
      const a = yield* DocumentBundle.make(job, keystore, { signingTime, timeZone: "Europe/Oslo" })
      const b = yield* DocumentBundle.make(job, keystore, { signingTime, timeZone: "Europe/Oslo" })
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true)
      const c = yield* DocumentBundle.make(job, keystore, {
        signingTime: new Date(signingTime.getTime() + 1000),
        timeZone: "Europe/Oslo",
      })
      expect(Buffer.from(a.bytes).equals(Buffer.from(c.bytes))).toBe(false)
    }),
  )

  it.effect("takes the signing time from Effect's Clock when none is given (the TestClock starts at 1970)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(DocumentBundle.make(job, keystore, { timeZone: "UTC" }))
      expect(error._tag === "KeystoreError" && error.reason).toBe("NotYetValid")
    }),
  )

  it.effect("uses the Clock time as SigningTime and zip time", () =>
    Effect.gen(function* () {
      const now = keystore.notBefore.getTime() + 86_400_000 + 7_000
      yield* TestClock.setTime(now)
      const bundle = yield* DocumentBundle.make(job, keystore, { timeZone: "UTC" })
      const xml = new TextDecoder().decode(entriesOf(bundle.bytes)[4]![1])
      expect(xml).toContain(`<SigningTime>${new Date(now).toISOString().replace(".000Z", "Z")}</SigningTime>`)
      const dosTime = new DataView(bundle.bytes.buffer, bundle.bytes.byteOffset).getUint16(10, true)
      const t = new Date(now)
      expect(dosTime).toBe((t.getUTCHours() << 11) | (t.getUTCMinutes() << 5) | (t.getUTCSeconds() >> 1))
    }),
  )

  it.effect("refuses an expired or not yet valid certificate unless allowed, and warns close to expiry", () =>
    Effect.gen(function* () {
      const late = new Date(keystore.notAfter.getTime() + 1000)
      const expired = yield* Effect.flip(DocumentBundle.make(job, keystore, { signingTime: late }))
      expect(expired).toBeInstanceOf(KeystoreError)
      expect(expired._tag === "KeystoreError" && expired.reason).toBe("Expired")
      const early = new Date(keystore.notBefore.getTime() - 1000)
      const notYet = yield* Effect.flip(DocumentBundle.make(job, keystore, { signingTime: early }))
      expect(notYet._tag === "KeystoreError" && notYet.reason).toBe("NotYetValid")
      const allowed = yield* DocumentBundle.make(job, keystore, { signingTime: late, allowInvalidCertificate: true })
      expect(allowed.files).toHaveLength(5)

      const warnings: Array<string> = []
      const soon = new Date(keystore.notAfter.getTime() - 5 * 86_400_000)
      yield* DocumentBundle.make(job, keystore, { signingTime: soon }).pipe(
        Effect.provide(
          Logger.layer([
            Logger.make(({ message, logLevel }) => {
              if (logLevel === "Warn") warnings.push(String(message))
            }),
          ]),
        ),
      )
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/expires .* \(in 5 days\)/)
    }),
  )

  it.effect("runs bundle processors with the job and the final bytes; a failing one is a Processor error", () =>
    Effect.gen(function* () {
      const seen: Array<[string, number]> = []
      const bundle = yield* DocumentBundle.make(job, keystore, {
        signingTime,
        processors: [
          (j, bytes) => {
            seen.push(["sync", bytes.length])
            expect(j).toBe(job)
          },
          async (_, bytes) => {
            seen.push(["promise", bytes.length])
          },
          (_, bytes) => Effect.sync(() => seen.push(["effect", bytes.length])),
        ],
      })
      const n = bundle.bytes.length
      expect(seen).toEqual([
        ["sync", n],
        ["promise", n],
        ["effect", n],
      ])
      for (const failing of [
        () => {
          throw new Error("disk full")
        },
        () => Promise.reject(new Error("disk full")),
        () => Effect.fail("disk full"),
      ]) {
        const error = yield* Effect.flip(DocumentBundle.make(job, keystore, { signingTime, processors: [failing] }))
        expect(error).toBeInstanceOf(BundleError)
        expect(error._tag === "BundleError" && error.reason).toBe("Processor")
        expect(error.message).toContain("processors[0]")
      }
    }),
  )

  it("makePromise resolves with the bundle and rejects with the tagged error", async () => {
    const bundle = await DocumentBundle.makePromise(job, keystore, { signingTime })
    expect(bundle.files).toHaveLength(5)
    await expect(
      DocumentBundle.makePromise(job, keystore, { signingTime: new Date(keystore.notAfter.getTime() + 1) }),
    ).rejects.toBeInstanceOf(KeystoreError)
  })
})

/** zlib's CRC-32, read from a gzip trailer: an implementation independent of ours. */
const execCrc = (bytes: Uint8Array): string => {
  const gz = gzipSync(bytes)
  return gz.readUInt32LE(gz.length - 8).toString(16)
}
