/**
 * The bundle of a portal job is the same ASiC-E + XAdES construction as the direct flow's, with the portal
 * manifest; and a bundle can be built from documents plus a manifest given as a string or as bytes.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { unzipSync } from "fflate"
import * as DocumentBundle from "../src/DocumentBundle.js"
import * as Keystore from "../src/Keystore.js"
import * as PortalJob from "../src/PortalJob.js"
import * as PortalServerXml from "../src/PortalServerXml.js"
import * as PortalXml from "../src/PortalXml.js"
import { testPki } from "./support/pki.js"
import { verifyXades } from "./support/pkiXadesVerifier.js"
import { pdf, validPortalInput } from "./support/portal.js"

const pki = testPki()
const keystore = Keystore.fromPemOrThrow({ certificates: pki.seid2.chainPem, privateKey: pki.seid2.keyPem })
const signingTime = new Date(Date.now() + 60_000)

const job = PortalJob.makeOrThrow(
  validPortalInput({
    reference: "leie-114",
    documents: [
      { title: "Leiekontrakt", bytes: pdf("kontrakt") },
      { title: "Vedlegg", bytes: pdf("vedlegg") },
    ],
    signers: [
      { contactInformation: { email: "kari@example.com" }, order: 0 },
      { contactInformation: { sms: "+4799999999" }, order: 1 },
    ],
    availability: { availableSeconds: 86_400 },
  }),
)

/** Verifies the extracted bundle with xmlsec1 (an independent XML-signature implementation) against the test root. */
const xmlsec1 = (entries: Record<string, Uint8Array>) => {
  const dir = mkdtempSync(join(tmpdir(), "signering-portal-bundle-"))
  for (const [name, bytes] of Object.entries(entries)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), bytes)
  }
  return spawnSync(
    "xmlsec1",
    [
      "--verify",
      "--trusted-pem",
      pki.rootPath,
      "--id-attr:Id",
      "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
      "META-INF/signatures.xml",
    ],
    { cwd: dir, encoding: "utf8" },
  )
}

describe("DocumentBundle for a portal job", () => {
  it.effect("holds the documents, the portal manifest and a signature over both that verifies", () =>
    Effect.gen(function* () {
      const bundle = yield* DocumentBundle.make(job, keystore, { signingTime, timeZone: "Europe/Oslo" })
      expect(bundle.files.map((f) => f.name)).toEqual([
        "0000_leiekontrakt.pdf",
        "0001_vedlegg.pdf",
        "manifest.xml",
        "META-INF/signatures.xml",
      ])
      const entries = unzipSync(bundle.bytes)
      expect(new TextDecoder().decode(entries["manifest.xml"])).toBe(PortalXml.encodeManifest(job))
      // What a server reads back from the bundle is the job.
      const manifest = PortalServerXml.decodeManifest(entries["manifest.xml"]!)
      expect(manifest._tag === "Success" && manifest.success.signers.map((s) => s.order)).toEqual([0, 1])
      const files = new Map(Object.entries(entries).filter(([name]) => !name.startsWith("META-INF/")))
      const verified = verifyXades(new TextDecoder().decode(entries["META-INF/signatures.xml"]), files)
      expect(verified.references.map((r) => r.uri)).toEqual([
        "0000_leiekontrakt.pdf",
        "0001_vedlegg.pdf",
        "manifest.xml",
        "#SignedProperties",
      ])
      expect(verified.mimeTypes).toEqual(["application/pdf", "application/pdf", "application/xml"])
      expect(xmlsec1(entries).status).toBe(0)
      // The signature covers the portal manifest: change one byte of it and xmlsec1 refuses the bundle.
      const manifestBytes = entries["manifest.xml"]!
      const tampered = new TextEncoder().encode(
        new TextDecoder().decode(manifestBytes).replace('order="1"', 'order="0"'),
      )
      expect(tampered).not.toEqual(manifestBytes)
      expect(xmlsec1({ ...entries, "manifest.xml": tampered }).status).not.toBe(0)
    }),
  )

  it.effect("documents plus a manifest (string or bytes) build the same bundle as the job", () =>
    Effect.gen(function* () {
      const options = { signingTime, timeZone: "Europe/Oslo" }
      const fromJob = yield* DocumentBundle.make(job, keystore, options)
      const fromString = yield* DocumentBundle.make(
        { documents: job.documents, manifest: PortalXml.encodeManifest(job) },
        keystore,
        options,
      )
      const fromBytes = yield* DocumentBundle.make(
        { documents: job.documents, manifest: PortalXml.encodeManifestBytes(job) },
        keystore,
        options,
      )
      // XAdES signatures with RSA PKCS#1 v1.5 are deterministic: same inputs, same bytes.
      expect(fromString.bytes).toEqual(fromJob.bytes)
      expect(fromBytes.bytes).toEqual(fromJob.bytes)
    }),
  )

  it.effect("processors receive the portal job", () =>
    Effect.gen(function* () {
      const seen: Array<string | undefined> = []
      yield* DocumentBundle.make(job, keystore, {
        signingTime,
        processors: [
          (source) => {
            seen.push(source.reference)
            expect(source).toBe(job)
          },
        ],
      })
      expect(seen).toEqual(["leie-114"])
    }),
  )
})
