import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { validateXML } from "xmllint-wasm"
import { BundleError, Keystore, XadesSignature } from "../src/index.js"
import { pkcs12, type TestEntity, testPki } from "./support/pki.js"
import { verifyXades } from "./support/pkiXadesVerifier.js"

const pki = testPki()
const encoder = new TextEncoder()
const keystoreOf = (entity: TestEntity) =>
  Keystore.fromPemOrThrow({ certificates: entity.chainPem, privateKey: entity.keyPem })

const sampleFiles = (): Array<XadesSignature.File> => [
  { name: "0000_kontrakt.pdf", mimeType: "application/pdf", bytes: encoder.encode("%PDF-1.7\nkontrakt\n%%EOF\n") },
  { name: "0001_vedlegg_aa.pdf", mimeType: "application/pdf", bytes: new Uint8Array(3000).map((_, i) => i * 7) },
  { name: "manifest.xml", mimeType: "application/xml", bytes: encoder.encode("<manifest>æøå</manifest>") },
]

const writeTree = (files: ReadonlyArray<XadesSignature.File>, xml: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "signering-xades-"))
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.name)), { recursive: true })
    writeFileSync(join(dir, f.name), f.bytes)
  }
  mkdirSync(join(dir, "META-INF"), { recursive: true })
  writeFileSync(join(dir, "META-INF/signatures.xml"), xml)
  return dir
}

/** xmlsec1 resolves the relative file references against its working directory. */
const xmlsec1Verify = (dir: string, trustedPem: string) =>
  spawnSync(
    "xmlsec1",
    ["--verify", "--trusted-pem", trustedPem].concat([
      "--id-attr:Id",
      "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
      "META-INF/signatures.xml",
    ]),
    { cwd: dir, encoding: "utf8" },
  )

const schemaFiles = ["signatures.xsd", "xmldsig.xsd", "xades.xsd"].map((name) => ({
  fileName: name,
  contents: readFileSync(new URL(`../schema/asic/${name}`, import.meta.url), "utf8"),
}))

const validateSchema = (xml: string) =>
  Effect.promise(() =>
    validateXML({
      xml: [{ fileName: "signatures.xml", contents: xml }],
      schema: [schemaFiles[0]!],
      preload: schemaFiles.slice(1),
    }),
  )

describe("XadesSignature.make", () => {
  it.effect("is byte-identical to the JDK's own XML-signature stack (Java client layout), SEID 1 and SEID 2", () =>
    Effect.gen(function* () {
      const cases = [
        { entity: pki.seid1, time: Date.UTC(2026, 0, 15, 9, 30, 0, 0), timeZone: "UTC" },
        { entity: pki.seid2, time: Date.UTC(2026, 6, 2, 3, 4, 5, 120), timeZone: "Europe/Oslo" },
      ]
      for (const { entity, time, timeZone } of cases) {
        const files = [
          ...sampleFiles(),
          { name: "dokument (2).pdf", mimeType: "application/pdf", bytes: encoder.encode("%PDF-1.4") },
        ]
        const keystore = keystoreOf(entity)
        const ours = yield* XadesSignature.make({ files, keystore, signingTime: new Date(time), timeZone })
        const dir = writeTree(files, ours)
        writeFileSync(join(dir, "k.p12"), pkcs12(entity, "pw", "default"))
        execFileSync("java", [
          new URL("../bench/java/BundleBench.java", import.meta.url).pathname,
          "sign",
          join(dir, "k.p12"),
          "pw",
          String(time),
          timeZone,
          join(dir, "java.xml"),
          ...files.flatMap((f) => [f.name, f.mimeType, join(dir, f.name)]),
        ])
        expect(ours).toBe(readFileSync(join(dir, "java.xml"), "utf8"))
      }
    }),
  )

  it.effect("verifies with xmlsec1 against the test root and with the independent verifier", () =>
    Effect.gen(function* () {
      for (const [entity, root] of [
        [pki.seid1, pki.seid1RootPath],
        [pki.seid2, pki.rootPath],
      ] as const) {
        const files = sampleFiles()
        const keystore = keystoreOf(entity)
        const xml = yield* XadesSignature.make({ files, keystore, signingTime: new Date(), timeZone: "Europe/Oslo" })
        const result = xmlsec1Verify(writeTree(files, xml), root)
        expect(result.stderr).toContain("OK")
        expect(result.status).toBe(0)
        const verified = verifyXades(xml, new Map(files.map((f) => [f.name, f.bytes])))
        expect(verified.references.map((r) => r.uri)).toEqual([
          "0000_kontrakt.pdf",
          "0001_vedlegg_aa.pdf",
          "manifest.xml",
          "#SignedProperties",
        ])
        expect(verified.references.map((r) => r.id)).toEqual(["ID_0", "ID_1", "ID_2", undefined])
        expect(verified.mimeTypes).toEqual(["application/pdf", "application/pdf", "application/xml"])
        expect(verified.issuerName).toBe(keystore.certificate.issuer)
        expect(verified.certificates).toHaveLength(keystore.chain.length)
      }
    }),
  )

  it.effect("the independent verifier and xmlsec1 reject a modified file or signing time", () =>
    Effect.gen(function* () {
      const files = sampleFiles()
      const xml = yield* XadesSignature.make({ files, keystore: keystoreOf(pki.seid2), signingTime: new Date() })
      const tamperedFiles = new Map(files.map((f) => [f.name, f.bytes]))
      tamperedFiles.set("manifest.xml", encoder.encode("<manifest>aeoeaa</manifest>"))
      expect(() => verifyXades(xml, tamperedFiles)).toThrow(/digest mismatch for manifest.xml/)
      const laterXml = xml.replace(/<SigningTime>(\d{4})/, (_, y: string) => `<SigningTime>${Number(y) + 1}`)
      expect(() => verifyXades(laterXml, new Map(files.map((f) => [f.name, f.bytes])))).toThrow(/#SignedProperties/)
      expect(xmlsec1Verify(writeTree(files, laterXml), pki.rootPath).status).not.toBe(0)
    }),
  )

  it.effect(
    "validates against the project's ASiC/XAdES/xmldsig schema set, which rejects what the profile forbids",
    () =>
      Effect.gen(function* () {
        const xml = yield* XadesSignature.make({
          files: sampleFiles(),
          keystore: keystoreOf(pki.seid1),
          signingTime: new Date(),
        })
        const result = yield* validateSchema(xml)
        expect(result.errors).toEqual([])
        expect(result.valid).toBe(true)
        const withDescription = xml.replace("</MimeType>", "</MimeType><Description>x</Description>")
        expect((yield* validateSchema(withDescription)).valid).toBe(false)
        const withoutTime = xml.replace(/<SigningTime>[^<]+<\/SigningTime>/, "")
        expect((yield* validateSchema(withoutTime)).valid).toBe(false)
      }),
  )

  it.effect("formats SigningTime like JAXB: millis only when non-zero, Z for UTC, the zone's offset", () =>
    Effect.gen(function* () {
      const keystore = keystoreOf(pki.seid1)
      const files = sampleFiles()
      const signingTimeOf = (time: number, timeZone?: string) =>
        XadesSignature.make({ files, keystore, signingTime: new Date(time), timeZone }).pipe(
          Effect.map((xml) => /<SigningTime>([^<]+)</.exec(xml)![1]),
        )
      expect(yield* signingTimeOf(Date.UTC(2026, 0, 15, 9, 30, 0, 0), "UTC")).toBe("2026-01-15T09:30:00Z")
      expect(yield* signingTimeOf(Date.UTC(2026, 0, 15, 9, 30, 0, 7), "Etc/UTC")).toBe("2026-01-15T09:30:00.007Z")
      expect(yield* signingTimeOf(Date.UTC(2026, 0, 15, 23, 30, 1, 500), "Europe/Oslo")).toBe(
        "2026-01-16T00:30:01.500+01:00",
      )
      expect(yield* signingTimeOf(Date.UTC(2026, 6, 15, 9, 30, 0, 0), "Europe/Oslo")).toBe("2026-07-15T11:30:00+02:00")
      expect(yield* signingTimeOf(Date.UTC(2026, 0, 15, 9, 30, 0, 0), "America/St_Johns")).toBe(
        "2026-01-15T06:00:00-03:30",
      )
      expect(yield* signingTimeOf(Date.UTC(2026, 0, 15, 9, 30, 0, 0), "Asia/Kathmandu")).toBe(
        "2026-01-15T15:15:00+05:45",
      )
      const error = yield* Effect.flip(signingTimeOf(Date.UTC(2026, 0, 1), "Mars/Olympus_Mons"))
      expect(error).toBeInstanceOf(BundleError)
      expect(error.message).toContain("Mars/Olympus_Mons")
    }),
  )

  it.effect("rejects an empty file list and duplicate names with a BundleError naming the field", () =>
    Effect.gen(function* () {
      const keystore = keystoreOf(pki.seid1)
      const signingTime = new Date()
      const empty = yield* Effect.flip(XadesSignature.make({ files: [], keystore, signingTime }))
      expect(empty).toBeInstanceOf(BundleError)
      expect(empty.message).toContain("files")
      const [a] = sampleFiles()
      const twice = yield* Effect.flip(XadesSignature.make({ files: [a!, { ...a! }], keystore, signingTime }))
      expect(twice.message).toContain("own name")
    }),
  )

  it("makePromise resolves with the same text and rejects with the tagged error", async () => {
    const input = { files: sampleFiles(), keystore: keystoreOf(pki.seid1), signingTime: new Date(Date.UTC(2026, 0, 1)) }
    expect(await XadesSignature.makePromise(input)).toBe(await Effect.runPromise(XadesSignature.make(input)))
    await expect(XadesSignature.makePromise({ ...input, files: [] })).rejects.toBeInstanceOf(BundleError)
  })

  it("encodes Reference URIs like java.net.URLEncoder (identity for safe names)", () => {
    expect(XadesSignature.referenceUri("0000_kontrakt.pdf")).toBe("0000_kontrakt.pdf")
    expect(XadesSignature.referenceUri("dokument (2).pdf")).toBe("dokument+%282%29.pdf")
    expect(XadesSignature.referenceUri("blåbær~*.pdf")).toBe("bl%C3%A5b%C3%A6r%7E*.pdf")
  })
})
