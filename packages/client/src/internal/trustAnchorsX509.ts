/**
 * Just enough X.509 to judge a certificate against the built-in anchors on every runtime: validity dates, names as
 * DER bytes (for issuer matching), the organization number, and signature verification with WebCrypto. The client
 * package has no `node:crypto` (it runs on edge runtimes) and no DER library, hence this small reader.
 */

interface Tlv {
  readonly tag: number
  readonly start: number
  readonly contentStart: number
  readonly end: number
}

/** The input is not a DER certificate this reader understands. */
export class X509Problem extends Error {}

const readTlv = (bytes: Uint8Array, offset: number, limit: number): Tlv => {
  if (offset + 2 > limit) throw new X509Problem(`truncated DER at offset ${offset}`)
  const tag = bytes[offset]!
  let length = bytes[offset + 1]!
  let contentStart = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || contentStart + count > limit) {
      throw new X509Problem(`unsupported DER length at offset ${offset}`)
    }
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!
    contentStart += count
  }
  const end = contentStart + length
  if (end > limit) throw new X509Problem(`DER value at offset ${offset} runs past its container`)
  return { tag, start: offset, contentStart, end }
}

const children = (bytes: Uint8Array, parent: Tlv): Array<Tlv> => {
  const out: Array<Tlv> = []
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readTlv(bytes, offset, parent.end)
    out.push(child)
    offset = child.end
  }
  return out
}

const expect = (tlv: Tlv | undefined, tag: number, what: string): Tlv => {
  if (tlv === undefined || tlv.tag !== tag) throw new X509Problem(`expected ${what}`)
  return tlv
}

const oid = (bytes: Uint8Array, tlv: Tlv): string => {
  const parts: Array<number> = []
  let value = 0
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    value = value * 128 + (bytes[i]! & 0x7f)
    if ((bytes[i]! & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2
        parts.push(first, value - first * 40)
      } else parts.push(value)
      value = 0
    }
  }
  return parts.join(".")
}

const utf8 = new TextDecoder("utf-8")

const time = (bytes: Uint8Array, tlv: Tlv): Date => {
  const text = String.fromCharCode(...bytes.subarray(tlv.contentStart, tlv.end))
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
  if (m === null) throw new X509Problem(`unsupported time "${text}"`)
  let year = Number(m[1])
  // RFC 5280 §4.1.2.5.1: a two-digit UTCTime year below 50 is 20xx.
  if (m[1]!.length === 2) year += year < 50 ? 2000 : 1900
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
}

/** One attribute of a distinguished name, value decoded as text. */
export interface NameAttribute {
  readonly oid: string
  readonly value: string
}

const nameAttributes = (bytes: Uint8Array, name: Tlv): Array<NameAttribute> =>
  children(bytes, name).flatMap((rdn) =>
    children(bytes, rdn).map((pair) => {
      const [type, value] = children(bytes, pair)
      return {
        oid: oid(bytes, expect(type, 0x06, "an attribute type")),
        value: value === undefined ? "" : utf8.decode(bytes.subarray(value.contentStart, value.end)),
      }
    }),
  )

const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.97": "organizationIdentifier",
}

/** RFC 4514 order (most specific first), for messages. */
export const renderName = (attributes: ReadonlyArray<NameAttribute>): string =>
  attributes
    .map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${a.value}`)
    .reverse()
    .join(", ")

/**
 * The organization number as the Java and .NET clients read it: SEID 2 `organizationIdentifier` (2.5.4.97,
 * `NTRNO-<9 digits>`), else SEID 1 `serialNumber` (2.5.4.5), else a `CN` starting with 9 digits.
 */
export const organizationNumberOf = (
  subject: ReadonlyArray<NameAttribute>,
): { readonly organizationNumber: string; readonly style: "SEID2" | "SEID1" | "CN" } | undefined => {
  const find = (attributeOid: string, pattern: RegExp) =>
    subject.filter((a) => a.oid === attributeOid).flatMap((a) => pattern.exec(a.value)?.[1] ?? [])[0]
  const seid2 = find("2.5.4.97", /^NTRNO-(\d{9})$/)
  if (seid2 !== undefined) return { organizationNumber: seid2, style: "SEID2" }
  const seid1 = find("2.5.4.5", /^(\d{9})(?!\d)/)
  if (seid1 !== undefined) return { organizationNumber: seid1, style: "SEID1" }
  const cn = find("2.5.4.3", /^(\d{9})(?!\d)/)
  return cn === undefined ? undefined : { organizationNumber: cn, style: "CN" }
}

/** A parsed certificate: what the anchor checks need, with DER slices for exact name matching. */
export interface X509 {
  readonly der: Uint8Array
  readonly tbs: Uint8Array
  readonly signatureAlgorithm: string
  readonly signature: Uint8Array
  readonly issuerDer: Uint8Array
  readonly subjectDer: Uint8Array
  readonly issuer: ReadonlyArray<NameAttribute>
  readonly subject: ReadonlyArray<NameAttribute>
  readonly notBefore: Date
  readonly notAfter: Date
  readonly spki: Uint8Array
  readonly keyAlgorithm: string
  /** The named curve of an EC key. */
  readonly curve: string | undefined
}

/** Parses one DER certificate; throws {@link X509Problem}. */
export const parse = (der: Uint8Array): X509 => {
  const certificate = expect(readTlv(der, 0, der.length), 0x30, "a certificate SEQUENCE")
  const [tbs, algorithm, signature] = children(der, certificate)
  const tbsFields = children(der, expect(tbs, 0x30, "tbsCertificate"))
  // version [0] is optional (absent in v1 certificates)
  const fields = tbsFields[0]?.tag === 0xa0 ? tbsFields.slice(1) : tbsFields
  const [, , issuer, validity, subject, spki] = fields
  const [notBefore, notAfter] = children(der, expect(validity, 0x30, "validity"))
  const spkiTlv = expect(spki, 0x30, "subjectPublicKeyInfo")
  const keyAlgorithm = children(der, expect(children(der, spkiTlv)[0], 0x30, "a key algorithm"))
  const signatureBits = expect(signature, 0x03, "a signature BIT STRING")
  const issuerTlv = expect(issuer, 0x30, "an issuer name")
  const subjectTlv = expect(subject, 0x30, "a subject name")
  return {
    der,
    tbs: der.subarray(tbs!.start, tbs!.end),
    signatureAlgorithm: oid(der, expect(children(der, expect(algorithm, 0x30, "an algorithm"))[0], 0x06, "an OID")),
    // skip the BIT STRING's unused-bits byte
    signature: der.subarray(signatureBits.contentStart + 1, signatureBits.end),
    issuerDer: der.subarray(issuerTlv.start, issuerTlv.end),
    subjectDer: der.subarray(subjectTlv.start, subjectTlv.end),
    issuer: nameAttributes(der, issuerTlv),
    subject: nameAttributes(der, subjectTlv),
    notBefore: time(der, notBefore!),
    notAfter: time(der, notAfter!),
    spki: der.subarray(spkiTlv.start, spkiTlv.end),
    keyAlgorithm: oid(der, expect(keyAlgorithm[0], 0x06, "a key algorithm OID")),
    curve: keyAlgorithm[1]?.tag === 0x06 ? oid(der, keyAlgorithm[1]) : undefined,
  }
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g

/** The DER of every certificate block in PEM text. */
export const pemToDer = (pem: string): Array<Uint8Array> =>
  [...pem.matchAll(PEM_BLOCK)].map((m) => Uint8Array.from(atob(m[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0)))

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i])

/** Whether `issuer`'s subject is `certificate`'s issuer, byte for byte (how both CAs encode them consistently). */
export const namesIssuer = (issuer: X509, certificate: X509): boolean =>
  equalBytes(issuer.subjectDer, certificate.issuerDer)

const RSA: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
}
const ECDSA: Readonly<Record<string, string>> = {
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
}
const CURVES: Readonly<Record<string, { readonly name: string; readonly size: number }>> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
}

// WebCrypto wants ECDSA signatures as r || s of the curve's size; X.509 carries a DER SEQUENCE of two INTEGERs.
const ecdsaRaw = (signature: Uint8Array, size: number): Uint8Array => {
  const sequence = readTlv(signature, 0, signature.length)
  const out = new Uint8Array(size * 2)
  children(signature, sequence).forEach((integer, i) => {
    let value = signature.subarray(integer.contentStart, integer.end)
    while (value.length > size && value[0] === 0) value = value.subarray(1)
    out.set(value, (i + 1) * size - value.length)
  })
  return out
}

const buffer = (bytes: Uint8Array) => bytes.slice() as Uint8Array<ArrayBuffer>

/**
 * Whether `certificate`'s signature verifies with `issuer`'s public key. An algorithm this reader does not know (RSA-PSS,
 * Ed25519) counts as not verified: the certificate's environment is then `unknown`, which is never an error.
 */
export const isSignedBy = async (certificate: X509, issuer: X509): Promise<boolean> => {
  try {
    const rsaHash = RSA[certificate.signatureAlgorithm]
    if (rsaHash !== undefined && issuer.keyAlgorithm === "1.2.840.113549.1.1.1") {
      const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: rsaHash }
      const key = await globalThis.crypto.subtle.importKey("spki", buffer(issuer.spki), algorithm, false, ["verify"])
      return await globalThis.crypto.subtle.verify(
        algorithm,
        key,
        buffer(certificate.signature),
        buffer(certificate.tbs),
      )
    }
    const ecHash = ECDSA[certificate.signatureAlgorithm]
    const curve = issuer.curve === undefined ? undefined : CURVES[issuer.curve]
    if (ecHash !== undefined && curve !== undefined && issuer.keyAlgorithm === "1.2.840.10045.2.1") {
      const key = await globalThis.crypto.subtle.importKey(
        "spki",
        buffer(issuer.spki),
        { name: "ECDSA", namedCurve: curve.name },
        false,
        ["verify"],
      )
      return await globalThis.crypto.subtle.verify(
        { name: "ECDSA", hash: ecHash },
        key,
        buffer(ecdsaRaw(certificate.signature, curve.size)),
        buffer(certificate.tbs),
      )
    }
    return false
  } catch {
    return false
  }
}
