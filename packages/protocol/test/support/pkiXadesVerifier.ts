/**
 * An independent XAdES verifier for tests. It shares no code with the signer: it reads the serialized
 * signatures.xml with regular expressions, rebuilds the canonical (inclusive C14N 1.0) bytes of SignedInfo and
 * SignedProperties from the serialized text by the C14N rules that apply to this document (in-scope namespace
 * declarations rendered on the apex element, empty elements expanded, character references normalized), and checks
 * every digest and the RSA signature with node:crypto using the certificate from KeyInfo.
 */
import { createHash, verify, X509Certificate } from "node:crypto"

export interface VerifiedSignature {
  readonly references: ReadonlyArray<{ readonly uri: string; readonly id: string | undefined }>
  readonly signingTime: string
  readonly issuerName: string
  readonly serialNumber: string
  readonly certificates: ReadonlyArray<X509Certificate>
  readonly mimeTypes: ReadonlyArray<string>
}

const one = (re: RegExp, text: string, what: string): RegExpExecArray => {
  const m = re.exec(text)
  if (m === null) throw new Error(`verifier: ${what} not found`)
  return m
}

const unescapeText = (s: string): string =>
  s
    .replace(/&#13;/g, "\r")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")

/** C14N text escaping for the content of this document's elements. */
const c14nText = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;")

const canonicalize = (fragment: string, namespaceDeclarations: string): string =>
  fragment
    // Render the in-scope namespace declarations on the apex element, before its attributes.
    .replace(/^<([\w:]+)/, `<$1${namespaceDeclarations}`)
    // C14N never self-closes.
    .replace(/<([\w:]+)((?:\s+[\w:]+="[^"]*")*)\s*\/>/g, "<$1$2></$1>")
    // Normalize text content escaping.
    .replace(/>([^<]+)</g, (_, text: string) => `>${c14nText(unescapeText(text))}<`)

const base64 = (text: string): Buffer => Buffer.from(unescapeText(text).replace(/\s+/g, ""), "base64")

const formDecode = (uri: string): string => decodeURIComponent(uri.replace(/\+/g, " "))

/** Throws an Error naming the first check that fails. */
export const verifyXades = (xml: string, files: ReadonlyMap<string, Uint8Array>): VerifiedSignature => {
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?><XAdESSignatures ')) {
    throw new Error("verifier: unexpected document start")
  }
  const signedInfo = one(/<SignedInfo>[\s\S]*<\/SignedInfo>/, xml, "SignedInfo")[0]
  const signedProperties = one(/<SignedProperties Id="SignedProperties">[\s\S]*<\/SignedProperties>/, xml, "SP")[0]
  const canonicalSignedInfo = canonicalize(signedInfo, ' xmlns="http://www.w3.org/2000/09/xmldsig#"')
  const canonicalProperties = canonicalize(
    signedProperties,
    ' xmlns="http://uri.etsi.org/01903/v1.3.2#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#"',
  )
  const references: Array<{ uri: string; id: string | undefined }> = []
  const covered = new Set<string>()
  for (const m of signedInfo.matchAll(/<Reference ([^>]*)>([\s\S]*?)<\/Reference>/g)) {
    const attributes = Object.fromEntries([...m[1]!.matchAll(/([\w:]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]))
    const uri = attributes.URI!
    const digestAlgorithm = one(/<DigestMethod Algorithm="([^"]+)"/, m[2]!, "DigestMethod")[1]
    if (digestAlgorithm !== "http://www.w3.org/2001/04/xmlenc#sha256") throw new Error(`verifier: ${uri} not SHA-256`)
    const expected = one(/<DigestValue>([^<]+)<\/DigestValue>/, m[2]!, "DigestValue")[1]!
    let actual: string
    if (uri === "#SignedProperties") {
      if (attributes.Type !== "http://uri.etsi.org/01903#SignedProperties") throw new Error("verifier: SP Type")
      actual = createHash("sha256").update(canonicalProperties, "utf8").digest("base64")
    } else {
      if (m[2]!.includes("<Transforms>")) throw new Error(`verifier: ${uri} has transforms`)
      const name = formDecode(uri)
      const bytes = files.get(name)
      if (bytes === undefined) throw new Error(`verifier: no file for reference ${uri}`)
      covered.add(name)
      actual = createHash("sha256").update(bytes).digest("base64")
    }
    if (actual !== expected) throw new Error(`verifier: digest mismatch for ${uri}`)
    references.push({ uri, id: attributes.Id })
  }
  for (const name of files.keys()) if (!covered.has(name)) throw new Error(`verifier: ${name} is not signed`)
  const certificates = [...xml.matchAll(/<X509Certificate>([^<]+(?:&#13;[^<]*)*)<\/X509Certificate>/g)].map(
    (m) => new X509Certificate(base64(m[1]!)),
  )
  const leaf = certificates[0]
  if (leaf === undefined) throw new Error("verifier: no certificate in KeyInfo")
  const signatureValue = base64(one(/<SignatureValue>([\s\S]*?)<\/SignatureValue>/, xml, "SignatureValue")[1]!)
  if (!verify("sha256", Buffer.from(canonicalSignedInfo, "utf8"), leaf.publicKey, signatureValue)) {
    throw new Error("verifier: RSA signature does not verify")
  }
  const certDigest = one(/<ns2:DigestValue>([^<]+)<\/ns2:DigestValue>/, signedProperties, "CertDigest")[1]
  if (certDigest !== createHash("sha1").update(leaf.raw).digest("base64")) throw new Error("verifier: CertDigest")
  const serialNumber = one(/<ns2:X509SerialNumber>(\d+)<\/ns2:X509SerialNumber>/, signedProperties, "serial")[1]!
  if (serialNumber !== BigInt(`0x${leaf.serialNumber}`).toString()) throw new Error("verifier: serial number")
  const mimeTypes = [...signedProperties.matchAll(/<DataObjectFormat ObjectReference="#(ID_\d+)"><MimeType>([^<]+)/g)]
  const fileIds = references.filter((r) => r.id !== undefined).map((r) => r.id)
  if (mimeTypes.map((m) => m[1]).join() !== fileIds.join()) throw new Error("verifier: DataObjectFormat references")
  return {
    references,
    signingTime: one(/<SigningTime>([^<]+)<\/SigningTime>/, signedProperties, "SigningTime")[1]!,
    issuerName: unescapeText(one(/<ns2:X509IssuerName>([^<]*)</, signedProperties, "issuer")[1]!),
    serialNumber,
    certificates,
    mimeTypes: mimeTypes.map((m) => m[2]!),
  }
}
