/**
 * An invisible PDF signature (`adbe.pkcs7.detached`) over the whole PAdES, sealed by the simulated e-ID, as the
 * real PAdES carries invisible signatures that a reader lists in its signature panel.
 *
 * The document gets a signature field whose value holds a fixed-size `/Contents` placeholder and a `/ByteRange`
 * placeholder; after saving, the byte range is filled in and a CMS SignedData (built here with DER helpers and
 * node:crypto, so a 10 MB document is digested natively) is written into the placeholder.
 */
import * as crypto from "node:crypto"
import * as Forge from "node-forge"
import { type PDFDocument, PDFHexString, PDFName, PDFNumber, PDFString } from "pdf-lib"
import type { Credentials } from "../../Pki.js"
import * as Der from "../pki/der.js"

const forge: typeof Forge = (Forge as unknown as { default?: typeof Forge }).default ?? Forge

/** Room for the CMS: two 2048-bit certificates and the signer info fit in well under half of it. */
const CONTENTS_BYTES = 8192
const RANGE_PLACEHOLDER = 999_999_999_999

const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
} as const

const pemCertificates = (pem: string): Array<Uint8Array> =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new Uint8Array(Buffer.from(block.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64")),
  )

/** The issuer Name and serial INTEGER of a certificate, as DER, for IssuerAndSerialNumber. */
const issuerAndSerial = (certificateDer: Uint8Array): Uint8Array => {
  const cert = forge.asn1.fromDer(Buffer.from(certificateDer).toString("binary"))
  const tbs = (cert.value as Array<Forge.asn1.Asn1>)[0]!
  const fields = tbs.value as Array<Forge.asn1.Asn1>
  // TBSCertificate: [0] version (present for v3), serialNumber, signature, issuer, ...
  const offset = fields[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0
  const der = (node: Forge.asn1.Asn1) => new Uint8Array(Buffer.from(forge.asn1.toDer(node).getBytes(), "binary"))
  return Der.sequence(der(fields[offset + 2]!), der(fields[offset]!))
}

const utcTime = (d: Date): Uint8Array => {
  const iso = d.toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
  const s = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  return Der.tlv(0x17, new TextEncoder().encode(s))
}

/** CMS SignedData (RFC 5652), detached, RSA-SHA256, with contentType, signingTime and messageDigest attributes. */
const cmsSignedData = (seal: Credentials, digest: Uint8Array, signedAt: Date): Uint8Array => {
  const certificates = pemCertificates(seal.chainPem)
  const sha256 = Der.sequence(Der.oid(OID.sha256), Der.nullValue())
  const attributes = [
    Der.sequence(Der.oid(OID.contentType), Der.setOf(Der.oid(OID.data))),
    Der.sequence(Der.oid(OID.signingTime), Der.setOf(utcTime(signedAt))),
    Der.sequence(Der.oid(OID.messageDigest), Der.setOf(Der.octetString(digest))),
  ]
  // The signature covers the attributes encoded as a SET OF; they travel as [0] IMPLICIT.
  const signedSet = Der.setOf(...attributes)
  const signature = crypto.sign("sha256", signedSet, seal.privateKeyPem)
  const signedAttrs = new Uint8Array(signedSet)
  signedAttrs[0] = 0xa0
  const signerInfo = Der.sequence(
    Der.integer(1),
    issuerAndSerial(seal.certificateDer),
    sha256,
    signedAttrs,
    Der.sequence(Der.oid(OID.rsaEncryption), Der.nullValue()),
    Der.octetString(signature),
  )
  return Der.sequence(
    Der.oid(OID.signedData),
    Der.explicit(
      0,
      Der.sequence(
        Der.integer(1),
        Der.setOf(sha256),
        Der.sequence(Der.oid(OID.data)),
        Der.explicit(0, ...certificates),
        Der.setOf(signerInfo),
      ),
    ),
  )
}

/** Adds the invisible signature field (on the first page) with placeholders. Call before `save`. */
export const preparePdfSignature = (pdf: PDFDocument, signerNames: string, signedAt: Date): void => {
  const context = pdf.context
  const signature = context.register(
    context.obj({
      Type: "Sig",
      Filter: "Adobe.PPKLite",
      SubFilter: "adbe.pkcs7.detached",
      ByteRange: [0, RANGE_PLACEHOLDER, RANGE_PLACEHOLDER, RANGE_PLACEHOLDER],
      Contents: PDFHexString.of("0".repeat(CONTENTS_BYTES * 2)),
      Reason: PDFString.of(`Signed by ${signerNames}`),
      Name: PDFString.of("Signering Simulator e-ID"),
      M: PDFString.fromDate(signedAt),
    }),
  )
  const page = pdf.getPage(0)
  const widget = context.register(
    context.obj({
      Type: "Annot",
      Subtype: "Widget",
      FT: "Sig",
      Rect: [0, 0, 0, 0],
      V: signature,
      T: PDFString.of("Signature1"),
      F: 132, // hidden + locked
      P: page.ref,
    }),
  )
  page.node.set(PDFName.of("Annots"), context.obj([widget]))
  pdf.catalog.set(PDFName.of("AcroForm"), context.obj({ SigFlags: PDFNumber.of(3), Fields: [widget] }))
}

const indexOf = (haystack: Buffer, needle: string, from = 0): number => {
  const at = haystack.indexOf(needle, from, "latin1")
  if (at < 0) throw new Error(`PDF signature placeholder not found: ${needle.slice(0, 30)}`)
  return at
}

/** Fills in the byte range and the CMS of a PDF saved after `preparePdfSignature`. */
export const signPdf = (bytes: Uint8Array, seal: Credentials, signedAt: Date): Uint8Array => {
  const pdf = Buffer.from(bytes)
  const rangeText = `/ByteRange [ 0 ${RANGE_PLACEHOLDER} ${RANGE_PLACEHOLDER} ${RANGE_PLACEHOLDER} ]`
  const rangeAt = indexOf(pdf, rangeText)
  const contentsAt = indexOf(pdf, `/Contents <${"0".repeat(32)}`)
  const start = contentsAt + "/Contents ".length
  const end = indexOf(pdf, ">", start) + 1
  if (end - start !== CONTENTS_BYTES * 2 + 2) throw new Error("unexpected PDF signature placeholder size")

  const range = `/ByteRange [ 0 ${start} ${end} ${pdf.length - end} ]`
  pdf.write(range.padEnd(rangeText.length, " "), rangeAt, "latin1")

  const digest = crypto.createHash("sha256").update(pdf.subarray(0, start)).update(pdf.subarray(end)).digest()
  const cms = Buffer.from(cmsSignedData(seal, digest, signedAt)).toString("hex")
  if (cms.length > CONTENTS_BYTES * 2) throw new Error("the PDF signature does not fit its placeholder")
  pdf.write(cms, start + 1, "latin1")
  return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength)
}
