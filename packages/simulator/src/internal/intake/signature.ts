/**
 * Full verification of the bundle's `META-INF/signatures.xml` (PROTOCOL.md §9.2, Appendix A.4), independent of the
 * protocol package's signer: our own parser and C14N, node:crypto for digests and RSA.
 */
import * as crypto from "node:crypto"
import {
  attribute,
  canonicalize,
  childElements,
  descendants,
  type Element,
  is,
  parse,
  textContent,
  XmlError,
} from "./xml.js"

const ASIC = "http://uri.etsi.org/2918/v1.2.1#"
const DS = "http://www.w3.org/2000/09/xmldsig#"
const XADES = "http://uri.etsi.org/01903/v1.3.2#"
const C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
// C14N 1.1 differs from 1.0 only in xml:id / xml:base handling, which signatures.xml does not use; the
// documentation names it as the preferred method, so it is accepted as the same algorithm.
const C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
const SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
const SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

export type SignatureProblem =
  | "INVALID_SIGNATURE"
  | "SIGNING_CERTIFICATE_MISMATCH"
  | "SIGNING_TIME_OUT_OF_RANGE"
  | "INVALID_DOCUMENT_BUNDLE"

export class SignatureFailure extends Error {
  override readonly name = "SignatureFailure"
  constructor(
    readonly code: SignatureProblem,
    message: string,
  ) {
    super(message)
  }
}

const fail = (code: SignatureProblem, message: string): never => {
  throw new SignatureFailure(code, message)
}

export interface VerifyInput {
  readonly signaturesXml: Uint8Array
  /** Every zip entry outside META-INF/, by name. */
  readonly files: ReadonlyMap<string, Uint8Array>
  readonly clientCertificateDer: Uint8Array
  readonly now: Date
  readonly signingTimeLeniencyMs: number
}

/** Java's `URLDecoder.decode(s, UTF-8)`: `+` is a space, `%XX` are UTF-8 bytes. Undefined when malformed. */
export const formUrlDecode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "))
  } catch {
    return undefined
  }
}

/** The zip entry a reference or href names: decoded first, the literal name as a fallback. */
export const resolveName = (uri: string, files: ReadonlyMap<string, unknown>): string | undefined => {
  const decoded = formUrlDecode(uri)
  if (decoded !== undefined && files.has(decoded)) return decoded
  if (files.has(uri)) return uri
  return undefined
}

const only = (parent: Element, namespace: string, localName: string, where: string): Element => {
  const found = childElements(parent).filter((c) => is(c, namespace, localName))
  if (found.length !== 1) {
    fail("INVALID_SIGNATURE", `${where} must contain exactly one ${localName} element (found ${found.length})`)
  }
  return found[0]!
}

const base64Bytes = (s: string, what: string): Buffer => {
  const compact = s.replace(/\s+/g, "")
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    fail("INVALID_SIGNATURE", `${what} is not valid base64`)
  }
  return Buffer.from(compact, "base64")
}

const sha = (algorithm: "sha256" | "sha1", data: Uint8Array | string): Buffer =>
  crypto.createHash(algorithm).update(data).digest()

/** Parses xs:dateTime with a mandatory offset (JAXB always writes one). */
export const parseDateTime = (s: string): Date | undefined => {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s.trim())
  if (!m) return undefined
  const millis = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${String(millis).padStart(3, "0").slice(0, 3)}${m[8] === "Z" ? "Z" : m[8]}`
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? undefined : d
}

// A client sends many requests over one certificate; parsing it costs more than the RSA verification.
const certificates = new Map<string, crypto.X509Certificate>()
const parsedCertificate = (der: Buffer): crypto.X509Certificate => {
  const key = der.toString("base64")
  let certificate = certificates.get(key)
  if (!certificate) {
    try {
      certificate = new crypto.X509Certificate(der)
    } catch {
      return fail("SIGNING_CERTIFICATE_MISMATCH", "the TLS client certificate cannot be read")
    }
    if (certificates.size >= 64) certificates.delete(certificates.keys().next().value!)
    certificates.set(key, certificate)
  }
  return certificate
}

const parseSignatures = (bytes: Uint8Array): Element => {
  try {
    return parse(bytes)
  } catch (e) {
    return fail(
      "INVALID_SIGNATURE",
      `META-INF/signatures.xml is not well-formed XML: ${e instanceof XmlError ? e.message : "unreadable"}`,
    )
  }
}

/**
 * Verifies the signature and returns nothing; throws `SignatureFailure` with a client-facing message.
 * Checks, in order: structure and algorithms, every file reference (names, digests, coverage of every file
 * outside META-INF/), the SignedProperties digest, the certificate (equal to the TLS client certificate,
 * CertDigest and serial number), the RSA-SHA256 signature value over the canonical SignedInfo, SigningTime.
 */
export const verifySignatures = (input: VerifyInput): void => {
  const root = parseSignatures(input.signaturesXml)
  if (!is(root, ASIC, "XAdESSignatures")) {
    fail("INVALID_SIGNATURE", `META-INF/signatures.xml must have the root element {${ASIC}}XAdESSignatures`)
  }
  // Ids must be unique, or a wrapped copy could be digested instead of the real element.
  const ids = new Map<string, Element>()
  for (const el of descendants(root)) {
    const id = attribute(el, "Id")
    if (id === undefined) continue
    if (ids.has(id)) fail("INVALID_SIGNATURE", `duplicate Id "${id}" in META-INF/signatures.xml`)
    ids.set(id, el)
  }

  const signature = only(root, DS, "Signature", "XAdESSignatures")
  const signedInfo = only(signature, DS, "SignedInfo", "Signature")
  const canonicalization = attribute(only(signedInfo, DS, "CanonicalizationMethod", "SignedInfo"), "Algorithm")
  if (canonicalization !== C14N && canonicalization !== C14N11) {
    fail("INVALID_SIGNATURE", `unsupported CanonicalizationMethod ${canonicalization}; expected ${C14N}`)
  }
  const signatureMethod = attribute(only(signedInfo, DS, "SignatureMethod", "SignedInfo"), "Algorithm")
  if (signatureMethod !== RSA_SHA256) {
    fail("INVALID_SIGNATURE", `unsupported SignatureMethod ${signatureMethod}; expected ${RSA_SHA256}`)
  }

  const references = childElements(signedInfo).filter((c) => is(c, DS, "Reference"))
  const covered = new Set<string>()
  const referenceIds = new Set<string>()
  let signedPropertiesReference: Element | undefined
  for (const reference of references) {
    const uri = attribute(reference, "URI")
    const id = attribute(reference, "Id")
    if (id !== undefined) referenceIds.add(id)
    const digestMethod = attribute(only(reference, DS, "DigestMethod", "Reference"), "Algorithm")
    if (digestMethod !== SHA256) {
      fail("INVALID_SIGNATURE", `Reference ${uri ?? ""} uses DigestMethod ${digestMethod}; expected ${SHA256}`)
    }
    const expected = base64Bytes(textContent(only(reference, DS, "DigestValue", "Reference")), "DigestValue")
    const transforms = childElements(reference).filter((c) => is(c, DS, "Transforms"))

    if (uri === undefined) fail("INVALID_SIGNATURE", "a Reference has no URI")
    if (uri!.startsWith("#") || attribute(reference, "Type") === SIGNED_PROPERTIES_TYPE) {
      if (signedPropertiesReference) fail("INVALID_SIGNATURE", "more than one same-document Reference")
      signedPropertiesReference = reference
      continue
    }
    if (transforms.length > 0) fail("INVALID_SIGNATURE", `the Reference to ${uri} must not have Transforms`)
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri!) || uri === "") {
      fail("INVALID_SIGNATURE", `Reference URI ${JSON.stringify(uri)} points outside the document bundle`)
    }
    const name = resolveName(uri!, input.files)
    if (name === undefined) {
      fail("INVALID_SIGNATURE", `the Reference URI ${JSON.stringify(uri)} names no file in the document bundle`)
    }
    if (covered.has(name!)) fail("INVALID_SIGNATURE", `the file ${name} is referenced twice`)
    covered.add(name!)
    if (!sha("sha256", input.files.get(name!)!).equals(expected)) {
      fail("INVALID_SIGNATURE", `the digest of ${name} does not match its Reference in META-INF/signatures.xml`)
    }
  }
  for (const name of input.files.keys()) {
    if (!covered.has(name)) fail("INVALID_DOCUMENT_BUNDLE", `the file ${name} is not covered by the signature`)
  }

  // SignedProperties: referenced as #SignedProperties with the inclusive C14N transform, and where XAdES puts it.
  if (!signedPropertiesReference) fail("INVALID_SIGNATURE", "the Reference to the XAdES SignedProperties is missing")
  const spUri = attribute(signedPropertiesReference!, "URI")!
  const target = ids.get(spUri.slice(1))
  if (!spUri.startsWith("#") || !target || !is(target, XADES, "SignedProperties")) {
    fail("INVALID_SIGNATURE", `the Reference ${spUri} must point to the XAdES SignedProperties element`)
  }
  const qualifying = target!.parent
  const object = qualifying?.parent
  if (!qualifying || !is(qualifying, XADES, "QualifyingProperties") || object?.parent !== signature) {
    fail("INVALID_SIGNATURE", "SignedProperties must sit in Signature/Object/QualifyingProperties")
  }
  const spTransforms = childElements(signedPropertiesReference!).filter((c) => is(c, DS, "Transforms"))
  for (const t of spTransforms.flatMap((ts) => childElements(ts))) {
    const algorithm = attribute(t, "Algorithm")
    if (!is(t, DS, "Transform") || (algorithm !== C14N && algorithm !== C14N11)) {
      fail("INVALID_SIGNATURE", `unsupported Transform ${algorithm} on the SignedProperties Reference`)
    }
  }
  const spExpected = base64Bytes(
    textContent(only(signedPropertiesReference!, DS, "DigestValue", "Reference")),
    "DigestValue",
  )
  if (!sha("sha256", canonicalize(target!)).equals(spExpected)) {
    fail("INVALID_SIGNATURE", "the digest of SignedProperties does not match its Reference")
  }

  // The certificate: the one in KeyInfo equal to the TLS client certificate signs.
  const keyInfo = only(signature, DS, "KeyInfo", "Signature")
  const certificates = childElements(keyInfo)
    .filter((c) => is(c, DS, "X509Data"))
    .flatMap((d) => childElements(d).filter((c) => is(c, DS, "X509Certificate")))
    .map((c) => base64Bytes(textContent(c), "X509Certificate"))
  if (certificates.length === 0) fail("INVALID_SIGNATURE", "KeyInfo holds no X509Certificate")
  const clientDer = Buffer.from(input.clientCertificateDer)
  if (!certificates.some((c) => c.equals(clientDer))) {
    fail(
      "SIGNING_CERTIFICATE_MISMATCH",
      "the signing certificate in META-INF/signatures.xml is not the certificate of the TLS connection",
    )
  }
  const certificate = parsedCertificate(clientDer)

  const signedSignatureProperties = only(target!, XADES, "SignedSignatureProperties", "SignedProperties")
  const cert = only(
    only(signedSignatureProperties, XADES, "SigningCertificate", "SignedSignatureProperties"),
    XADES,
    "Cert",
    "SigningCertificate",
  )
  const certDigest = only(cert, XADES, "CertDigest", "Cert")
  const certDigestMethod = attribute(only(certDigest, DS, "DigestMethod", "CertDigest"), "Algorithm")
  const certDigestValue = base64Bytes(textContent(only(certDigest, DS, "DigestValue", "CertDigest")), "CertDigest")
  const certHash = certDigestMethod === SHA1 ? "sha1" : certDigestMethod === SHA256 ? "sha256" : undefined
  if (!certHash) fail("INVALID_SIGNATURE", `unsupported CertDigest DigestMethod ${certDigestMethod}`)
  if (!sha(certHash!, clientDer).equals(certDigestValue)) {
    fail("SIGNING_CERTIFICATE_MISMATCH", "SigningCertificate/CertDigest is not the digest of the signing certificate")
  }
  const serial = textContent(only(only(cert, XADES, "IssuerSerial", "Cert"), DS, "X509SerialNumber", "IssuerSerial"))
  if (!/^\s*\d+\s*$/.test(serial) || BigInt(serial.trim()) !== BigInt(`0x${certificate.serialNumber}`)) {
    fail("SIGNING_CERTIFICATE_MISMATCH", "SigningCertificate/IssuerSerial names another certificate")
  }

  const signatureValue = base64Bytes(textContent(only(signature, DS, "SignatureValue", "Signature")), "SignatureValue")
  const signedInfoCanonical = Buffer.from(canonicalize(signedInfo), "utf8")
  let valid = false
  try {
    valid = crypto.verify("sha256", signedInfoCanonical, certificate.publicKey, signatureValue)
  } catch {
    valid = false
  }
  if (!valid) fail("INVALID_SIGNATURE", "the SignatureValue does not verify with the signing certificate")

  const signingTimeText = textContent(
    only(signedSignatureProperties, XADES, "SigningTime", "SignedSignatureProperties"),
  )
  const signingTime = parseDateTime(signingTimeText)
  if (!signingTime) {
    fail("INVALID_SIGNATURE", `SigningTime ${JSON.stringify(signingTimeText)} is not an xs:dateTime with an offset`)
  }
  const skew = signingTime!.getTime() - input.now.getTime()
  const allowed = 5000 + Math.max(0, input.signingTimeLeniencyMs)
  if (Math.abs(skew) > allowed) {
    fail(
      "SIGNING_TIME_OUT_OF_RANGE",
      `SigningTime ${signingTimeText} is ${Math.round(skew / 1000)} s from the service's clock (${input.now.toISOString()}); at most ±${allowed / 1000} s is accepted`,
    )
  }

  const dataObjectProperties = childElements(target!).filter((c) => is(c, XADES, "SignedDataObjectProperties"))
  for (const format of dataObjectProperties.flatMap((p) =>
    childElements(p).filter((c) => is(c, XADES, "DataObjectFormat")),
  )) {
    const ref = attribute(format, "ObjectReference")
    if (!ref?.startsWith("#") || !referenceIds.has(ref.slice(1))) {
      fail("INVALID_SIGNATURE", `DataObjectFormat/@ObjectReference ${ref ?? "(missing)"} names no Reference`)
    }
  }
}
