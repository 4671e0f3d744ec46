import { execFile } from "node:child_process"
import { promises as fs } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import * as zlib from "node:zlib"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { PDFArray, PDFDocument, PDFName, PDFRawStream, type PDFRef } from "pdf-lib"
import { makePades, makeSignerXades } from "../src/internal/signedOutput/index.js"
import * as Pki from "../src/Pki.js"
import { opensslCmsVerify, pdfSignatureParts } from "./support/pdfSignature.js"

const run = promisify(execFile)

let pki: Pki.Pki
let dir: string

beforeAll(async () => {
  pki = await Pki.make()
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "signering-output-"))
  await fs.writeFile(path.join(dir, "eid-ca.pem"), pki.eidCaCertificatePem)
  await fs.writeFile(path.join(dir, "ca.pem"), pki.caCertificatePem)
  return () => fs.rm(dir, { recursive: true, force: true })
})

const samplePdf = async (pages: number, label: string): Promise<Uint8Array> => {
  const doc = await PDFDocument.create()
  for (let i = 0; i < pages; i++) doc.addPage([300, 400]).drawText(`${label} ${i + 1}`)
  return doc.save()
}

/** The strings drawn on a page (pdf-lib writes standard-font text as hex strings in Flate streams). */
const pageText = (doc: PDFDocument, index: number): string => {
  const page = doc.getPage(index)
  const contents = page.node.get(PDFName.of("Contents"))
  const refs: Array<PDFRef> =
    contents instanceof PDFArray ? (contents.asArray() as Array<PDFRef>) : [contents as PDFRef]
  let out = ""
  for (const ref of refs) {
    const stream = doc.context.lookup(ref)
    if (!(stream instanceof PDFRawStream)) continue
    const filter = stream.dict.get(PDFName.of("Filter"))
    const raw = Buffer.from(stream.contents)
    const decoded = filter ? zlib.inflateSync(raw).toString("latin1") : raw.toString("latin1")
    for (const m of decoded.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g))
      out += `${Buffer.from(m[1]!, "hex").toString("latin1")}\n`
    for (const m of decoded.matchAll(/\(((?:[^()\\]|\\.)*)\)\s*Tj/g)) out += `${m[1]}\n`
  }
  return out
}

describe("makePades", () => {
  it("builds a valid PDF: cover page with signers and documents, then every original page, footer on each", async () => {
    const first = await samplePdf(2, "Kontrakt side")
    const second = await samplePdf(1, "Vedlegg side")
    const bytes = await makePades({
      title: "Leieavtale Storgata 1",
      description: "Signer før fredag",
      documents: [
        { title: "Kontrakt", mediaType: "application/pdf", bytes: first },
        { title: "Vedlegg", mediaType: "application/pdf", bytes: second },
        { title: "Notat", mediaType: "text/plain", bytes: new TextEncoder().encode("Første linje\nAndre linje 🙂") },
      ],
      signers: [
        {
          displayName: "Kari Nordmann",
          identifier: "12345678901",
          status: "SIGNED",
          signedAt: new Date("2026-01-02T03:04:05Z"),
        },
        { displayName: "Ola Nordmann", identifier: "ola", status: "WAITING" },
      ],
    })
    expect(Buffer.from(bytes.subarray(0, 5)).toString("latin1")).toBe("%PDF-")
    const doc = await PDFDocument.load(bytes)
    // cover + 2 + 1 + text page
    expect(doc.getPageCount()).toBe(5)
    expect(doc.getTitle()).toBe("Leieavtale Storgata 1")
    const cover = pageText(doc, 0)
    expect(cover).toContain("Leieavtale Storgata 1")
    expect(cover).toContain("Signer før fredag")
    expect(cover).toContain("Kari Nordmann (12345678901)")
    expect(cover).toContain("SIGNED, signed 2026-01-02 03:04:05 UTC")
    expect(cover).toContain("Ola Nordmann (ola)")
    expect(cover).toContain("1. Kontrakt (application/pdf)")
    expect(cover).toContain("3. Notat (text/plain)")
    expect(pageText(doc, 1)).toContain("Kontrakt side 1")
    expect(pageText(doc, 2)).toContain("Kontrakt side 2")
    expect(pageText(doc, 3)).toContain("Vedlegg side 1")
    expect(pageText(doc, 4)).toContain("Første linje")
    expect(pageText(doc, 4)).toContain("Andre linje ?")
    for (let i = 0; i < doc.getPageCount(); i++) {
      // narrow pages wrap the footer
      expect(pageText(doc, i).replace(/\n/g, " ")).toContain("Signers: Kari Nordmann (SIGNED), Ola Nordmann (WAITING)")
    }
  })

  it("does not fail on a document that is not a parsable PDF", async () => {
    const bytes = await makePades({
      title: "t",
      documents: [{ title: "Broken", mediaType: "application/pdf", bytes: new TextEncoder().encode("%PDF-1.7 junk") }],
      signers: [{ displayName: "A", identifier: "a", status: "WAITING" }],
    })
    const doc = await PDFDocument.load(bytes)
    expect(doc.getPageCount()).toBe(2)
    expect(pageText(doc, 1)).toContain("could not be rendered")
  })

  it("spreads a long signer and document list over several cover pages", async () => {
    const bytes = await makePades({
      title: "Many",
      documents: Array.from({ length: 20 }, (_, i) => ({
        title: `Dokument ${i} ${"lang tittel ".repeat(6)}`,
        mediaType: "text/plain",
        bytes: new TextEncoder().encode("x"),
      })),
      signers: Array.from({ length: 10 }, (_, i) => ({
        displayName: `Signer ${i}`,
        identifier: `id-${i}`,
        status: "SIGNED",
        signedAt: new Date(),
      })),
    })
    const doc = await PDFDocument.load(bytes)
    const coverPages = doc.getPageCount() - 20
    expect(coverPages).toBeGreaterThanOrEqual(1)
    const cover = Array.from({ length: coverPages }, (_, i) => pageText(doc, i)).join("")
    expect(cover).toContain("Signer 9 (id-9)")
    expect(cover).toContain("20. Dokument 19")
  })
})

describe("makePades with a seal", () => {
  it("carries an invisible PDF signature over the whole file that openssl verifies against the e-ID CA", async () => {
    const bytes = await makePades({
      title: "Avtale",
      documents: [{ title: "Kontrakt", mediaType: "application/pdf", bytes: await samplePdf(1, "K") }],
      signers: [
        { displayName: "Kari Nordmann", identifier: "k", status: "SIGNED", signedAt: new Date("2026-05-06T07:08:09Z") },
      ],
      seal: pki.eid,
    })
    const doc = await PDFDocument.load(bytes)
    expect(doc.getPageCount()).toBe(2)
    const text = Buffer.from(bytes).toString("latin1")
    expect(text).toContain("/SubFilter /adbe.pkcs7.detached")
    expect(text).toContain("/FT /Sig")
    const { data, cms } = pdfSignatureParts(bytes)
    expect(await opensslCmsVerify(cms, data, pki.eidCaCertificatePem)).toBe(true)
    expect(await opensslCmsVerify(cms, data, pki.caCertificatePem)).toBe(false)
    // one changed byte in the signed range breaks it
    const changed = Buffer.from(data)
    changed[100] = changed[100]! ^ 1
    expect(await opensslCmsVerify(cms, changed, pki.eidCaCertificatePem)).toBe(false)
  })
})

const xmlsec = async (file: string, cwd: string): Promise<{ ok: boolean; output: string }> => {
  try {
    const { stdout, stderr } = await run(
      "xmlsec1",
      [
        "--verify",
        "--trusted-pem",
        path.join(dir, "eid-ca.pem"),
        "--id-attr:Id",
        "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        file,
      ],
      { cwd },
    )
    return { ok: true, output: stdout + stderr }
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string }
    return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` }
  }
}

describe("makeSignerXades", () => {
  it("is verified by xmlsec1 against the e-ID CA, covers every document digest and names the signer", async () => {
    const work = await fs.mkdtemp(path.join(dir, "xades-"))
    const documents = [
      { name: "0000_kontrakt.pdf", bytes: await samplePdf(1, "K") },
      { name: "0001_vedlegg (2).pdf", bytes: await samplePdf(1, "V") },
    ]
    for (const d of documents) await fs.writeFile(path.join(work, d.name), d.bytes)
    const xml = await makeSignerXades({
      eid: pki.eid,
      signer: { displayName: 'Kari <"Nordmann"> & Co', identifier: "12345678901" },
      documents,
      signedAt: new Date("2026-03-04T05:06:07.089Z"),
    })
    expect(xml).toContain('Kari &lt;"Nordmann"&gt; &amp; Co')
    expect(xml).toContain('identifier="12345678901"')
    expect(xml).toContain("<xades:SigningTime>2026-03-04T05:06:07.089+00:00</xades:SigningTime>")
    const file = path.join(work, "signer.xml")
    await fs.writeFile(file, xml)

    const good = await xmlsec(file, work)
    expect(good.ok, good.output).toBe(true)
    expect(good.output).toContain("SignedInfo References (ok/all): 3/3")
    expect(good.output).toContain("Manifests References (ok/all): 2/2")

    // a changed document fails its manifest reference
    await fs.writeFile(path.join(work, documents[1]!.name), await samplePdf(1, "X"))
    const changedDocument = await xmlsec(file, work)
    expect(changedDocument.output).toContain("Manifests References (ok/all): 1/2")

    // a changed signer name breaks the signature
    // (inside the signed object: a bare "Kari" can also occur by chance in base64 before it)
    expect(xml).toContain("<sim:Name>Kari ")
    await fs.writeFile(file, xml.replace("<sim:Name>Kari ", "<sim:Name>Kare "))
    expect((await xmlsec(file, work)).ok).toBe(false)

    // trusted only under the e-ID CA
    await fs.writeFile(file, xml)
    const { ok } = await run(
      "xmlsec1",
      [
        "--verify",
        "--trusted-pem",
        path.join(dir, "ca.pem"),
        "--id-attr:Id",
        "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        file,
      ],
      { cwd: work },
    ).then(
      () => ({ ok: true }),
      () => ({ ok: false }),
    )
    expect(ok).toBe(false)
  })
})
