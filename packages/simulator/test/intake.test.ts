import { execFile } from "node:child_process"
import { createHash, X509Certificate } from "node:crypto"
import { promises as fs } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { zipSync } from "fflate"
import { type IntakeInput, type IntakeResult, verifyCreateRequest } from "../src/internal/intake/index.js"
import * as Pki from "../src/Pki.js"
import { buildRequest, minimalPdf, type RequestSpec, requestXml } from "./support/bundle.js"
import {
  entry,
  flipByte,
  makeCreateRequest,
  makePieces,
  multipart,
  pdf,
  testPin,
  withEntry,
  zip,
} from "./support/bundleProtocol.js"

const run = promisify(execFile)

let pki: Pki.Pki
let sender: Pki.SenderCredentials
let other: Pki.SenderCredentials

beforeAll(async () => {
  pki = await Pki.make()
  sender = pki.senders[0]!
  other = pki.senders[1]!
})

const check = (
  request: { contentType: string; body: Uint8Array },
  overrides: Partial<IntakeInput> = {},
): Promise<IntakeResult> =>
  verifyCreateRequest({
    contentType: request.contentType,
    body: request.body,
    clientCertificateDer: sender.certificateDer,
    organizationInUrl: sender.organizationNumber,
    now: new Date(),
    signingTimeLeniencyMs: 0,
    ...overrides,
  })

const refused = async (result: Promise<IntakeResult>, errorCode: string, status = 400): Promise<string> => {
  const r = await result
  if (r.ok) throw new Error(`expected ${errorCode}, the request was accepted`)
  expect({ errorCode: r.errorCode, status: r.status, errorType: r.errorType }).toEqual({
    errorCode,
    status,
    errorType: "CLIENT",
  })
  return r.errorMessage
}

const spec = (overrides: Partial<RequestSpec> = {}): RequestSpec => ({
  organizationNumber: sender.organizationNumber,
  certificateChainPem: sender.chainPem,
  privateKeyPem: sender.privateKeyPem,
  ...overrides,
})

describe("verifyCreateRequest accepts", () => {
  it("a request built by the protocol package's client code, and maps every field", async () => {
    const pin = testPin(3)
    const created = await makeCreateRequest({
      signer: sender,
      title: "Leiekontrakt",
      description: "Signer innen fredag",
      reference: "ref-1",
      signers: [
        { personalIdentificationNumber: pin, signatureType: "ADVANCED_ELECTRONIC_SIGNATURE" },
        { customIdentifier: "kunde-7", onBehalfOf: "OTHER" },
      ],
      documents: [
        { title: "Kontrakt", bytes: pdf("a") },
        { title: "Vedlegg (2)", bytes: new TextEncoder().encode("tekst"), mediaType: "text/plain" },
      ],
      statusRetrievalMethod: "POLLING",
      pollingQueue: "kø-1",
    })
    const r = await check(created)
    if (!r.ok) throw new Error(r.errorMessage)
    expect(r.request).toEqual({
      reference: "ref-1",
      exitUrls: created.pieces.job.exitUrls,
      statusRetrievalMethod: "POLLING",
      pollingQueue: "kø-1",
    })
    expect(r.manifest.title).toBe("Leiekontrakt")
    expect(r.manifest.description).toBe("Signer innen fredag")
    expect(r.manifest.senderOrganizationNumber).toBe(sender.organizationNumber)
    expect(r.manifest.signers).toEqual([
      { personalIdentificationNumber: pin, signatureType: "ADVANCED_ELECTRONIC_SIGNATURE" },
      { customIdentifier: "kunde-7", onBehalfOf: "OTHER" },
    ])
    expect(r.manifest.documents.map((d) => [d.href, d.mime, d.title])).toEqual(
      created.pieces.job.documents.map((d) => [d.fileName, d.mediaType, d.title]),
    )
    expect(Buffer.from(r.manifest.documents[1]!.bytes).toString()).toBe("tekst")
  })

  it("a request from the independent Java-layout builder (WAIT_FOR_CALLBACK by default)", async () => {
    const r = await check(buildRequest(spec({ signers: [{ pin: testPin(1) }, { id: "abc" }] })))
    if (!r.ok) throw new Error(r.errorMessage)
    expect(r.request.statusRetrievalMethod).toBe("WAIT_FOR_CALLBACK")
    expect(r.manifest.documents[0]!.href).toBe("0000_kontrakt.pdf")
  })

  it("the deprecated single-document manifest form, its description becoming the job's", async () => {
    const manifestXml = `<?xml version="1.0" encoding="UTF-8"?><direct-signature-job-manifest xmlns="http://signering.posten.no/schema/v1"><signer><signer-identifier>a</signer-identifier></signer><sender><organization-number>${sender.organizationNumber}</organization-number></sender><document href="0000_kontrakt.pdf" mime="application/pdf"><title>Gammel</title><description>Beskrivelse</description></document></direct-signature-job-manifest>`
    const r = await check(buildRequest(spec({ manifestXml })))
    if (!r.ok) throw new Error(r.errorMessage)
    expect(r.manifest.title).toBe("Gammel")
    expect(r.manifest.description).toBe("Beskrivelse")
    expect(r.manifest.documents.map((d) => d.href)).toEqual(["0000_kontrakt.pdf"])
  })

  it("the bundle part first, Content-Disposition: attachment, LF line breaks, preamble, epilogue, quoted boundary", async () => {
    const pieces = await makePieces({ signer: sender })
    const zipped = zip(pieces.entries)
    for (const o of [
      { zipFirst: true },
      { contentDisposition: true },
      { lf: true },
      { preamble: "This is a multipart message.\r\n", epilogue: "\r\ntrailing words" },
      { zipFirst: true, contentDisposition: true, lf: true },
    ]) {
      const r = await check(multipart(pieces.requestXml, zipped, o))
      expect(r.ok, JSON.stringify(o)).toBe(true)
    }
    const quoted = multipart(pieces.requestXml, zipped, { boundary: "a b:c" })
    const r = await check({ contentType: 'multipart/mixed; charset=utf-8; boundary="a b:c"', body: quoted.body })
    expect(r.ok).toBe(true)
  })

  it("a SigningTime off by more than 5 s when the leniency covers it", async () => {
    const created = await makeCreateRequest({ signer: sender, signingTime: new Date(Date.now() - 60_000) })
    expect((await check(created, { signingTimeLeniencyMs: 120_000 })).ok).toBe(true)
  })

  it("a signature in another namespace layout, pretty-printed, signed by xmlsec1 (independent C14N)", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "signering-intake-"))
    try {
      const pieces = await makePieces({ signer: sender })
      const files = pieces.entries.filter(([n]) => !n.startsWith("META-INF/"))
      for (const [name, bytes] of files) await fs.writeFile(path.join(dir, name), bytes)
      const leaf = new X509Certificate(sender.certificatePem)
      const certB64 = Buffer.from(sender.certificateDer).toString("base64")
      const signingTime = new Date().toISOString().replace("Z", "+00:00")
      const template = `<?xml version="1.0" encoding="UTF-8"?>
<asic:XAdESSignatures xmlns:asic="http://uri.etsi.org/2918/v1.2.1#">
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="S1">
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
      <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
${files
  .map(
    ([name], i) => `      <ds:Reference Id="r${i}" URI="${name}">
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue></ds:DigestValue>
      </ds:Reference>`,
  )
  .join("\n")}
      <ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#SP">
        <ds:Transforms><ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></ds:Transforms>
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue></ds:DigestValue>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue/>
    <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    <ds:Object>
      <xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#S1">
        <xades:SignedProperties Id="SP">
          <xades:SignedSignatureProperties>
            <xades:SigningTime>${signingTime}</xades:SigningTime>
            <xades:SigningCertificate>
              <xades:Cert>
                <xades:CertDigest>
                  <ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>
                  <ds:DigestValue>${createHash("sha1").update(sender.certificateDer).digest("base64")}</ds:DigestValue>
                </xades:CertDigest>
                <xades:IssuerSerial>
                  <ds:X509IssuerName>CN=Test &amp; "CA"</ds:X509IssuerName>
                  <ds:X509SerialNumber>${BigInt(`0x${leaf.serialNumber}`).toString()}</ds:X509SerialNumber>
                </xades:IssuerSerial>
              </xades:Cert>
            </xades:SigningCertificate>
          </xades:SignedSignatureProperties>
          <xades:SignedDataObjectProperties>
            <xades:DataObjectFormat ObjectReference="#r0"><xades:MimeType>application/pdf</xades:MimeType></xades:DataObjectFormat>
          </xades:SignedDataObjectProperties>
        </xades:SignedProperties>
      </xades:QualifyingProperties>
    </ds:Object>
  </ds:Signature>
</asic:XAdESSignatures>
`
      await fs.writeFile(path.join(dir, "key.pem"), sender.privateKeyPem, { mode: 0o600 })
      const sign = async (xml: string): Promise<Buffer> => {
        await fs.writeFile(path.join(dir, "template.xml"), xml)
        await run(
          "xmlsec1",
          [
            "--sign",
            "--privkey-pem",
            "key.pem",
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            "--output",
            "signed.xml",
            "template.xml",
          ],
          { cwd: dir },
        )
        return fs.readFile(path.join(dir, "signed.xml"))
      }
      const signed = await sign(template)
      const r = await check(withEntry(pieces, "META-INF/signatures.xml", signed))
      if (!r.ok) throw new Error(r.errorMessage)
      // C14N 1.1 for SignedInfo, as the documentation prefers, is accepted too
      const c14n11 = await sign(
        template.replace(
          '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
          '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"/>',
        ),
      )
      expect(c14n11.toString()).toContain("xml-c14n11")
      const r11 = await check(withEntry(pieces, "META-INF/signatures.xml", c14n11))
      if (!r11.ok) throw new Error(r11.errorMessage)

      // the same document with one signed character changed inside SignedProperties no longer verifies
      const tampered = Buffer.from(signed.toString("utf8").replace('CN=Test &amp; "CA"', 'CN=Test &amp; "CB"'))
      const message = await refused(check(withEntry(pieces, "META-INF/signatures.xml", tampered)), "INVALID_SIGNATURE")
      expect(message).toContain("SignedProperties")
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

describe("verifyCreateRequest refuses a tampered bundle", () => {
  it("one document byte changed", async () => {
    const pieces = await makePieces({ signer: sender })
    const name = pieces.job.documents[0]!.fileName
    const message = await refused(
      check(withEntry(pieces, name, flipByte(entry(pieces, name), -3))),
      "INVALID_SIGNATURE",
    )
    expect(message).toContain(`digest of ${name}`)
    // the independent builder's tampering too
    await refused(check(buildRequest(spec({ tamper: "document-byte" }))), "INVALID_SIGNATURE")
  })

  it("one manifest byte changed (still schema-valid)", async () => {
    const pieces = await makePieces({ signer: sender, title: "Avtale A" })
    const manifest = Buffer.from(
      Buffer.from(entry(pieces, "manifest.xml")).toString("utf8").replace("Avtale A", "Avtale B"),
    )
    const message = await refused(check(withEntry(pieces, "manifest.xml", manifest)), "INVALID_SIGNATURE")
    expect(message).toContain("manifest.xml")
    await refused(check(buildRequest(spec({ tamper: "manifest-byte" }))), "INVALID_SIGNATURE")
  })

  it("SigningTime changed and re-serialized", async () => {
    const pieces = await makePieces({ signer: sender })
    const xml = Buffer.from(entry(pieces, "META-INF/signatures.xml")).toString("utf8")
    const changed = xml.replace(/<SigningTime>([^<]+)<\/SigningTime>/, (_, t: string) => {
      const shifted = new Date(new Date(t).getTime() + 1000).toISOString().replace("Z", "+00:00")
      return `<SigningTime>${shifted}</SigningTime>`
    })
    expect(changed).not.toBe(xml)
    const message = await refused(
      check(withEntry(pieces, "META-INF/signatures.xml", Buffer.from(changed))),
      "INVALID_SIGNATURE",
    )
    expect(message).toContain("SignedProperties")
  })

  it("the SignatureValue changed", async () => {
    const pieces = await makePieces({ signer: sender })
    const xml = Buffer.from(entry(pieces, "META-INF/signatures.xml")).toString("utf8")
    const changed = xml.replace(/<SignatureValue>(.)/, (_, c: string) => `<SignatureValue>${c === "A" ? "B" : "A"}`)
    const message = await refused(
      check(withEntry(pieces, "META-INF/signatures.xml", Buffer.from(changed))),
      "INVALID_SIGNATURE",
    )
    expect(message).toContain("SignatureValue")
  })

  it("signed with another organization's certificate than the TLS connection's", async () => {
    const created = await makeCreateRequest({ signer: other, organizationNumber: sender.organizationNumber })
    const message = await refused(check(created), "SIGNING_CERTIFICATE_MISMATCH")
    expect(message).toContain("TLS")
    // and the same bundle over the signer's own connection passes the signature (but not the sender check)
    await refused(
      check(created, { clientCertificateDer: other.certificateDer, organizationInUrl: other.organizationNumber }),
      "SENDER_MISMATCH",
    )
  })

  it("a SigningTime too old or in the future", async () => {
    const old = await makeCreateRequest({ signer: sender, signingTime: new Date(Date.now() - 60_000) })
    const message = await refused(check(old), "SIGNING_TIME_OUT_OF_RANGE")
    expect(message).toMatch(/-60 s from the service's clock/)
    const future = await makeCreateRequest({ signer: sender, signingTime: new Date(Date.now() + 10_000) })
    await refused(check(future), "SIGNING_TIME_OUT_OF_RANGE")
    // ±5 s holds
    const close = await makeCreateRequest({ signer: sender, signingTime: new Date(Date.now() - 3_000) })
    expect((await check(close)).ok).toBe(true)
  })

  it("an extra file that is neither a manifest document nor signed", async () => {
    const pieces = await makePieces({ signer: sender })
    const message = await refused(check(withEntry(pieces, "extra.pdf", pdf())), "INVALID_DOCUMENT_BUNDLE")
    expect(message).toContain("extra.pdf")
  })

  it("META-INF/manifest.xml, or another file in META-INF/", async () => {
    const pieces = await makePieces({ signer: sender })
    await refused(check(withEntry(pieces, "META-INF/manifest.xml", new Uint8Array(3))), "INVALID_DOCUMENT_BUNDLE")
    await refused(check(withEntry(pieces, "META-INF/other.xml", new Uint8Array(3))), "INVALID_DOCUMENT_BUNDLE")
  })

  it("a manifest href missing from the zip, a missing manifest.xml or signatures.xml", async () => {
    const pieces = await makePieces({ signer: sender })
    const name = pieces.job.documents[0]!.fileName
    const message = await refused(check(withEntry(pieces, name, undefined)), "INVALID_DOCUMENT_BUNDLE")
    expect(message).toContain(name)
    await refused(check(withEntry(pieces, "manifest.xml", undefined)), "INVALID_DOCUMENT_BUNDLE")
    await refused(check(withEntry(pieces, "META-INF/signatures.xml", undefined)), "INVALID_DOCUMENT_BUNDLE")
    // the manifest names a document the zip does not hold (independent builder signs the manifest as given)
    const base = spec()
    const manifestXml = `<?xml version="1.0" encoding="UTF-8"?><direct-signature-job-manifest xmlns="http://signering.posten.no/schema/v1"><signer><signer-identifier>a</signer-identifier></signer><sender><organization-number>${sender.organizationNumber}</organization-number></sender><title>T</title><documents><document href="0000_kontrakt.pdf" mime="application/pdf"><title>K</title></document><document href="0001_missing.pdf" mime="application/pdf"><title>M</title></document></documents></direct-signature-job-manifest>`
    const missing = await refused(check(buildRequest({ ...base, manifestXml })), "INVALID_DOCUMENT_BUNDLE")
    expect(missing).toContain("0001_missing.pdf")
  })

  it("a signatures.xml that is not well-formed, has a DOCTYPE or the wrong root", async () => {
    const pieces = await makePieces({ signer: sender })
    const xml = Buffer.from(entry(pieces, "META-INF/signatures.xml")).toString("utf8")
    for (const broken of [
      xml.slice(0, -20),
      xml.replace("<XAdESSignatures", '<!DOCTYPE x [<!ENTITY a "b">]><XAdESSignatures'),
      xml.replace(/XAdESSignatures/g, "Other"),
    ]) {
      await refused(check(withEntry(pieces, "META-INF/signatures.xml", Buffer.from(broken))), "INVALID_SIGNATURE")
    }
  })
})

describe("verifyCreateRequest enforces the schema and the limits", () => {
  it("answers a schema violation in the request XML like the real service", async () => {
    const xml = requestXml(spec()).replace("</exit-urls>", "</exit-urls><unexpected/>")
    const message = await refused(check(buildRequest(spec({ requestXml: xml }))), "SCHEMA_VALIDATION_ERROR")
    expect(message).toMatch(/^Xml-message was not in accordance to schema: .*unexpected/)
    const tooLong = requestXml(spec({ reference: "x".repeat(51) }))
    await refused(check(buildRequest(spec({ requestXml: tooLong }))), "SCHEMA_VALIDATION_ERROR")
    await refused(check(buildRequest(spec({ requestXml: "<not-xml" }))), "SCHEMA_VALIDATION_ERROR")
    const withDoctype = requestXml(spec()).replace(
      "<direct-signature-job-request",
      '<!DOCTYPE x [<!ENTITY e "v">]><direct-signature-job-request',
    )
    const doctype = await refused(check(buildRequest(spec({ requestXml: withDoctype }))), "SCHEMA_VALIDATION_ERROR")
    expect(doctype).toContain("DOCTYPE")
  })

  it("answers a manifest schema violation, without echoing a personal identification number", async () => {
    const message = await refused(
      check(buildRequest(spec({ signers: [{ pin: "1234567890" }] }))),
      "SCHEMA_VALIDATION_ERROR",
    )
    expect(message).toMatch(/^Xml-message was not in accordance to schema: /)
    expect(message).not.toContain("1234567890")
    await refused(check(buildRequest(spec({ title: "x".repeat(81) }))), "SCHEMA_VALIDATION_ERROR")
  })

  it("refuses more than 10 signers", async () => {
    const signers = Array.from({ length: 11 }, (_, i) => ({ id: `signer-${i}` }))
    await refused(check(buildRequest(spec({ signers }))), "SCHEMA_VALIDATION_ERROR")
  })

  it("refuses duplicate signer identifiers", async () => {
    const pin = testPin(5)
    const message = await refused(
      check(buildRequest(spec({ signers: [{ pin }, { id: "x" }, { pin }] }))),
      "DUPLICATE_SIGNER",
    )
    expect(message).toContain("signer 3")
    expect(message).not.toContain(pin)
  })

  it("refuses a document that is not a PDF, and an encrypted PDF", async () => {
    const notPdf = [{ title: "Bilde", fileName: "0000_bilde.pdf", bytes: new TextEncoder().encode("GIF89a....") }]
    const message = await refused(check(buildRequest(spec({ documents: notPdf }))), "INVALID_DOCUMENT")
    expect(message).toContain("Bilde")
    const encrypted = new TextEncoder().encode(
      `${new TextDecoder().decode(minimalPdf()).replace("/Root 1 0 R", "/Root 1 0 R /Encrypt 9 0 R")}`,
    )
    await refused(
      check(buildRequest(spec({ documents: [{ title: "Låst", fileName: "0000_laast.pdf", bytes: encrypted }] }))),
      "INVALID_DOCUMENT",
    )
  })

  it("refuses documents over 10 485 760 bytes in total", async () => {
    const big = new Uint8Array(5_300_000).fill(0x20)
    big.set(new TextEncoder().encode("%PDF-1.4\n"))
    const documents = [
      { title: "A", fileName: "0000_a.pdf", bytes: big },
      { title: "B", fileName: "0001_b.pdf", bytes: big },
    ]
    const message = await refused(check(buildRequest(spec({ documents }))), "DOCUMENT_TOO_LARGE")
    expect(message).toContain("10485760")
  })

  it("refuses a zip bomb from its declared sizes, before inflating it", async () => {
    const pieces = await makePieces({ signer: sender })
    const bomb = zipSync({ "0000_kontrakt.pdf": new Uint8Array(13_000_000) }, { level: 1 })
    expect(bomb.length).toBeLessThan(100_000)
    await refused(check(multipart(pieces.requestXml, bomb)), "DOCUMENT_TOO_LARGE")
    const many: Record<string, Uint8Array> = {}
    for (let i = 0; i < 40; i++) many[`f${i}.pdf`] = pdf()
    await refused(check(multipart(pieces.requestXml, zipSync(many))), "INVALID_DOCUMENT_BUNDLE")
  })

  it("refuses a manifest sender other than the organization in the URL", async () => {
    const created = await makeCreateRequest({ signer: sender })
    const message = await refused(check(created, { organizationInUrl: "984661185" }), "SENDER_MISMATCH")
    expect(message).toContain("984661185")
  })
})

describe("verifyCreateRequest never throws on malformed input", () => {
  it("answers broken multipart bodies and zips with typed errors", async () => {
    const pieces = await makePieces({ signer: sender })
    const good = multipart(pieces.requestXml, zip(pieces.entries))
    await refused(check({ contentType: "application/xml", body: pieces.requestXml }), "UNSUPPORTED_MEDIA_TYPE", 415)
    await refused(check({ contentType: "multipart/mixed", body: good.body }), "INVALID_MULTIPART")
    await refused(check({ contentType: good.contentType, body: new Uint8Array(0) }), "INVALID_MULTIPART")
    await refused(check({ contentType: good.contentType, body: good.body.subarray(0, 200) }), "INVALID_MULTIPART")
    await refused(
      check(multipart(pieces.requestXml, zip(pieces.entries), { zipContentType: "application/xml" })),
      "INVALID_MULTIPART",
    )
    await refused(
      check(multipart(pieces.requestXml, zip(pieces.entries), { zipContentType: "image/png" })),
      "INVALID_MULTIPART",
    )
    await refused(check(multipart(pieces.requestXml, new TextEncoder().encode("not a zip"))), "INVALID_DOCUMENT_BUNDLE")
  })

  it("survives random corruption of a valid request", async () => {
    const created = await makeCreateRequest({ signer: sender })
    let seed = 42
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    let accepted = 0
    for (let i = 0; i < 150; i++) {
      const body = new Uint8Array(created.body)
      const flips = 1 + Math.floor(random() * 4)
      for (let f = 0; f < flips; f++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256)
      const r = await check({ contentType: created.contentType, body })
      expect(typeof r.ok).toBe("boolean")
      if (r.ok) accepted++
      else expect(r.status, r.errorMessage).toBeLessThan(500)
    }
    // a flip inside the zip's unsigned metadata can leave the request valid, but most must fail
    expect(accepted).toBeLessThan(75)
  })
})
