/**
 * An independent builder of create requests (request XML + signed ASiC-E bundle in multipart/mixed), laid out exactly
 * as the official Java client does (PROTOCOL.md appendix A), with switches to tamper with it after signing.
 */
import { createHash, createSign, X509Certificate } from "node:crypto"
import { zipSync } from "fflate"
import { minimalPdf } from "../../src/internal/minimalPdf.js"

// The intake tests and the bench build their documents here; the one PDF builder is the simulator's own.
export { minimalPdf }

export interface SignerSpec {
  readonly pin?: string
  readonly id?: string
}

export interface RequestSpec {
  readonly organizationNumber: string
  readonly certificateChainPem: string
  readonly privateKeyPem: string
  readonly signers?: ReadonlyArray<SignerSpec>
  readonly title?: string
  readonly description?: string
  readonly reference?: string
  readonly documents?: ReadonlyArray<{ readonly title: string; readonly fileName: string; readonly bytes: Uint8Array }>
  readonly exitUrls?: { readonly completionUrl: string; readonly rejectionUrl: string; readonly errorUrl: string }
  readonly polling?: boolean
  readonly pollingQueue?: string
  readonly signingTime?: Date
  /** Manifest sender organization (default: organizationNumber). */
  readonly manifestSender?: string
  readonly tamper?: "document-byte" | "manifest-byte"
  /** Bundle part first instead of the XML part. */
  readonly bundleFirst?: boolean
  /** Replace the request XML (schema tests). */
  readonly requestXml?: string
  /** Replace the manifest XML (signed as given). */
  readonly manifestXml?: string
}

const NS = "http://signering.posten.no/schema/v1"
const DS = "http://www.w3.org/2000/09/xmldsig#"
const XADES = "http://uri.etsi.org/01903/v1.3.2#"
const enc = new TextEncoder()
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const b64 = (b: Uint8Array | Buffer) => Buffer.from(b).toString("base64")
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest()

/** JAXB-style xs:dateTime: millis only when non-zero, local offset written out. */
const dateTime = (d: Date) => d.toISOString().replace(/\.000Z$/, "Z")

const pemBlocks = (pem: string) =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
    m[1]!.replace(/\s+/g, ""),
  )

const rfc2253 = (name: string) => name.split("\n").reverse().join(",")

export const requestXml = (spec: RequestSpec): string => {
  const exit = spec.exitUrls ?? {
    completionUrl: "https://sender.example/done?x=1",
    rejectionUrl: "https://sender.example/rejected",
    errorUrl: "https://sender.example/error",
  }
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><direct-signature-job-request xmlns="${NS}">` +
    (spec.reference === undefined ? "" : `<reference>${esc(spec.reference)}</reference>`) +
    `<exit-urls><completion-url>${esc(exit.completionUrl)}</completion-url><rejection-url>${esc(exit.rejectionUrl)}</rejection-url><error-url>${esc(exit.errorUrl)}</error-url></exit-urls>` +
    (spec.polling ? "<status-retrieval-method>POLLING</status-retrieval-method>" : "") +
    (spec.pollingQueue === undefined ? "" : `<polling-queue>${esc(spec.pollingQueue)}</polling-queue>`) +
    `</direct-signature-job-request>`
  )
}

export const defaultDocuments = () => [
  { title: "Kontrakt", fileName: "0000_kontrakt.pdf", bytes: minimalPdf("Kontrakt") },
]

export const manifestXml = (spec: RequestSpec): string => {
  const signers = spec.signers ?? [{ pin: "01013300002" }]
  const docs = spec.documents ?? defaultDocuments()
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><direct-signature-job-manifest xmlns="${NS}">` +
    signers
      .map(
        (s) =>
          `<signer>${s.pin !== undefined ? `<personal-identification-number>${s.pin}</personal-identification-number>` : `<signer-identifier>${esc(s.id ?? "")}</signer-identifier>`}</signer>`,
      )
      .join("") +
    `<sender><organization-number>${spec.manifestSender ?? spec.organizationNumber}</organization-number></sender>` +
    `<title>${esc(spec.title ?? "Avtale")}</title>` +
    (spec.description === undefined ? "" : `<description>${esc(spec.description)}</description>`) +
    `<documents>${docs.map((d) => `<document href="${esc(d.fileName)}" mime="application/pdf"><title>${esc(d.title)}</title></document>`).join("")}</documents>` +
    `</direct-signature-job-manifest>`
  )
}

/** signatures.xml in the Java layout; the signed parts are emitted in canonical form, so c14n is the identity. */
export const signaturesXml = (
  files: ReadonlyArray<{ readonly name: string; readonly mime: string; readonly bytes: Uint8Array }>,
  chainPem: string,
  privateKeyPem: string,
  signingTime: Date,
): string => {
  const certs = pemBlocks(chainPem)
  const leaf = new X509Certificate(Buffer.from(certs[0]!, "base64"))
  const signedPropertiesInner =
    `<SignedSignatureProperties><SigningTime>${dateTime(signingTime)}</SigningTime><SigningCertificate><Cert><CertDigest>` +
    `<ns2:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"></ns2:DigestMethod><ns2:DigestValue>${b64(createHash("sha1").update(leaf.raw).digest())}</ns2:DigestValue></CertDigest>` +
    `<IssuerSerial><ns2:X509IssuerName>${esc(rfc2253(leaf.issuer))}</ns2:X509IssuerName><ns2:X509SerialNumber>${BigInt(`0x${leaf.serialNumber}`).toString()}</ns2:X509SerialNumber></IssuerSerial></Cert></SigningCertificate></SignedSignatureProperties>` +
    `<SignedDataObjectProperties>${files.map((f, i) => `<DataObjectFormat ObjectReference="#ID_${i}"><MimeType>${f.mime}</MimeType></DataObjectFormat>`).join("")}</SignedDataObjectProperties>`
  const signedPropertiesC14n = `<SignedProperties xmlns="${XADES}" xmlns:ns2="${DS}" Id="SignedProperties">${signedPropertiesInner}</SignedProperties>`
  const signedInfoInner =
    `<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></CanonicalizationMethod>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></SignatureMethod>` +
    files
      .map(
        (f, i) =>
          `<Reference Id="ID_${i}" URI="${esc(encodeURIComponent(f.name))}"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></DigestMethod><DigestValue>${b64(sha256(f.bytes))}</DigestValue></Reference>`,
      )
      .join("") +
    `<Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#SignedProperties"><Transforms><Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></Transform></Transforms>` +
    `<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></DigestMethod><DigestValue>${b64(sha256(signedPropertiesC14n))}</DigestValue></Reference>`
  const signedInfoC14n = `<SignedInfo xmlns="${DS}">${signedInfoInner}</SignedInfo>`
  const signatureValue = createSign("RSA-SHA256").update(signedInfoC14n).sign(privateKeyPem).toString("base64")
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="no"?><XAdESSignatures xmlns="http://uri.etsi.org/2918/v1.2.1#">` +
    `<Signature xmlns="${DS}" Id="Signature"><SignedInfo>${signedInfoInner}</SignedInfo><SignatureValue>${signatureValue}</SignatureValue>` +
    `<KeyInfo><X509Data>${certs.map((c) => `<X509Certificate>${c}</X509Certificate>`).join("")}</X509Data></KeyInfo>` +
    `<Object><QualifyingProperties xmlns="${XADES}" xmlns:ns2="${DS}" Target="#Signature"><SignedProperties Id="SignedProperties">${signedPropertiesInner}</SignedProperties></QualifyingProperties></Object>` +
    `</Signature></XAdESSignatures>`
  )
}

export interface BuiltRequest {
  readonly contentType: string
  readonly body: Uint8Array
}

export const multipart = (
  parts: ReadonlyArray<{ readonly type: string; readonly body: Uint8Array }>,
  boundary = `sim-${Math.random().toString(36).slice(2)}`,
): BuiltRequest => {
  const chunks: Array<Uint8Array> = []
  for (const p of parts) {
    chunks.push(enc.encode(`--${boundary}\r\nContent-Type: ${p.type}\r\n\r\n`), p.body, enc.encode("\r\n"))
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`))
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: Buffer.concat(chunks) }
}

export const buildBundle = (spec: RequestSpec): Uint8Array => {
  const docs = spec.documents ?? defaultDocuments()
  const manifest = enc.encode(spec.manifestXml ?? manifestXml(spec))
  const files = [
    ...docs.map((d) => ({ name: d.fileName, mime: "application/pdf", bytes: d.bytes })),
    { name: "manifest.xml", mime: "application/xml", bytes: manifest },
  ]
  const signatures = signaturesXml(files, spec.certificateChainPem, spec.privateKeyPem, spec.signingTime ?? new Date())
  const entries: Record<string, Uint8Array> = {}
  for (const f of files) entries[f.name] = new Uint8Array(f.bytes)
  entries["META-INF/signatures.xml"] = enc.encode(signatures)
  if (spec.tamper === "document-byte") {
    const doc = entries[docs[0]!.fileName]!
    doc[doc.length - 3] = doc[doc.length - 3]! ^ 0x01
  }
  if (spec.tamper === "manifest-byte") {
    const text = new TextDecoder().decode(entries["manifest.xml"])
    entries["manifest.xml"] = enc.encode(text.replace("<title>", "<title>X"))
  }
  return zipSync(entries)
}

export const buildRequest = (spec: RequestSpec): BuiltRequest => {
  const xml = { type: "application/xml", body: enc.encode(spec.requestXml ?? requestXml(spec)) }
  const zip = { type: "application/octet-stream", body: buildBundle(spec) }
  return multipart(spec.bundleFirst ? [zip, xml] : [xml, zip])
}
