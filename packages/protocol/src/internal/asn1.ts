/**
 * A minimal DER reader: just enough X.509 to sign the way the Java client does.
 *
 * node-forge decodes names into strings and loses the ASN.1 string type, but Java's RFC 2253 rendering
 * hex-dumps the complete DER of unknown attribute values (`2.5.4.97=#0c0f…`), so we keep the raw bytes.
 */

/** One TLV inside `bytes`: the header starts at `start`, the content spans `[contentStart, end)`. */
export interface Tlv {
  readonly tag: number
  readonly start: number
  readonly contentStart: number
  readonly end: number
}

export class Asn1Error extends Error {}

export const readTlv = (bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv => {
  if (offset + 2 > limit) throw new Asn1Error(`truncated DER at offset ${offset}`)
  const tag = bytes[offset]!
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error("multi-byte DER tags are not used in X.509")
  let length = bytes[offset + 1]!
  let contentStart = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4) throw new Asn1Error(`unsupported DER length at offset ${offset}`)
    if (contentStart + count > limit) throw new Asn1Error(`truncated DER length at offset ${offset}`)
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!
    contentStart += count
  }
  const end = contentStart + length
  if (end > limit) throw new Asn1Error(`DER value at offset ${offset} runs past its container`)
  return { tag, start: offset, contentStart, end }
}

export const children = (bytes: Uint8Array, parent: Tlv): Array<Tlv> => {
  const out: Array<Tlv> = []
  let offset = parent.contentStart
  while (offset < parent.end) {
    const child = readTlv(bytes, offset, parent.end)
    out.push(child)
    offset = child.end
  }
  return out
}

const expect = (tlv: Tlv | undefined, tag: number, what: string): Tlv => {
  if (tlv === undefined || tlv.tag !== tag) throw new Asn1Error(`expected ${what}`)
  return tlv
}

export const decodeOid = (bytes: Uint8Array, tlv: Tlv): string => {
  const parts: Array<number | bigint> = []
  let value = 0n
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const b = bytes[i]!
    value = (value << 7n) | BigInt(b & 0x7f)
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80n ? value / 40n : 2n
        parts.push(first, value - first * 40n)
      } else parts.push(value)
      value = 0n
    }
  }
  return parts.join(".")
}

export const decodeInteger = (bytes: Uint8Array, tlv: Tlv): bigint => {
  let value = 0n
  for (let i = tlv.contentStart; i < tlv.end; i++) value = (value << 8n) | BigInt(bytes[i]!)
  // INTEGER is two's complement; certificate serials should be positive but some CAs got it wrong.
  const length = tlv.end - tlv.contentStart
  if (length > 0 && bytes[tlv.contentStart]! & 0x80) value -= 1n << BigInt(8 * length)
  return value
}

const ascii = (bytes: Uint8Array, tlv: Tlv): string => String.fromCharCode(...bytes.subarray(tlv.contentStart, tlv.end))

export const decodeTime = (bytes: Uint8Array, tlv: Tlv): Date => {
  const text = ascii(bytes, tlv)
  const m =
    tlv.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text)
  if (m === null) throw new Asn1Error("unsupported certificate validity time")
  let year = Number(m[1])
  if (tlv.tag === 0x17) year += year >= 50 ? 1900 : 2000
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
}

/** One attribute of a distinguished name, with the complete DER of its value. */
export interface NameAttribute {
  readonly oid: string
  readonly valueTag: number
  /** The attribute value's full DER (tag, length and content). */
  readonly valueDer: Uint8Array
  /** The value's content octets. */
  readonly content: Uint8Array
}

/** A Name as RDNs in encoded order, each a set of attributes in encoded order. */
export type Name = ReadonlyArray<ReadonlyArray<NameAttribute>>

export const decodeName = (bytes: Uint8Array, tlv: Tlv): Name =>
  children(bytes, expect(tlv, 0x30, "Name SEQUENCE")).map((rdn) =>
    children(bytes, expect(rdn, 0x31, "RelativeDistinguishedName SET")).map((ava) => {
      const [type, value] = children(bytes, expect(ava, 0x30, "AttributeTypeAndValue"))
      const oid = decodeOid(bytes, expect(type, 0x06, "attribute type OID"))
      if (value === undefined) throw new Asn1Error("attribute without value")
      return {
        oid,
        valueTag: value.tag,
        valueDer: bytes.slice(value.start, value.end),
        content: bytes.slice(value.contentStart, value.end),
      }
    }),
  )

/** The fields of an X.509 certificate the signature and the keystore need. */
export interface ParsedCertificate {
  readonly der: Uint8Array
  readonly serialNumber: bigint
  readonly issuer: Name
  readonly subject: Name
  /** The DER of the issuer and subject Names, to link a chain without string comparisons. */
  readonly issuerDer: Uint8Array
  readonly subjectDer: Uint8Array
  readonly notBefore: Date
  readonly notAfter: Date
  /** The DER of SubjectPublicKeyInfo. */
  readonly subjectPublicKeyInfo: Uint8Array
  readonly publicKeyAlgorithm: string
  /** RSA modulus as big-endian bytes without leading zeros (empty for other key types). */
  readonly rsaModulus: Uint8Array
}

const stripLeadingZeros = (b: Uint8Array): Uint8Array => {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return b.subarray(i)
}

export const parseCertificate = (der: Uint8Array): ParsedCertificate => {
  const cert = readTlv(der, 0)
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new Asn1Error("not a DER certificate")
  const [tbsTlv] = children(der, cert)
  const tbs = children(der, expect(tbsTlv, 0x30, "TBSCertificate"))
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0
  const serial = expect(tbs[i++], 0x02, "serial number")
  i++ // signature algorithm
  const issuerTlv = expect(tbs[i++], 0x30, "issuer")
  const validity = children(der, expect(tbs[i++], 0x30, "validity"))
  const subjectTlv = expect(tbs[i++], 0x30, "subject")
  const spki = expect(tbs[i++], 0x30, "subjectPublicKeyInfo")
  const [algorithm, publicKey] = children(der, spki)
  const [algorithmOid] = children(der, expect(algorithm, 0x30, "public key algorithm"))
  const publicKeyAlgorithm = decodeOid(der, expect(algorithmOid, 0x06, "public key algorithm OID"))
  let rsaModulus: Uint8Array = new Uint8Array(0)
  if (publicKeyAlgorithm === "1.2.840.113549.1.1.1") {
    const bitString = expect(publicKey, 0x03, "public key BIT STRING")
    const rsaKey = readTlv(der, bitString.contentStart + 1, bitString.end)
    const [modulus] = children(der, expect(rsaKey, 0x30, "RSAPublicKey"))
    const m = expect(modulus, 0x02, "RSA modulus")
    rsaModulus = stripLeadingZeros(der.slice(m.contentStart, m.end))
  }
  const [notBefore, notAfter] = validity
  if (notBefore === undefined || notAfter === undefined) throw new Asn1Error("incomplete validity")
  return {
    der,
    serialNumber: decodeInteger(der, serial),
    issuer: decodeName(der, issuerTlv),
    subject: decodeName(der, subjectTlv),
    issuerDer: der.slice(issuerTlv.start, issuerTlv.end),
    subjectDer: der.slice(subjectTlv.start, subjectTlv.end),
    notBefore: decodeTime(der, notBefore),
    notAfter: decodeTime(der, notAfter),
    subjectPublicKeyInfo: der.slice(spki.start, spki.end),
    publicKeyAlgorithm,
    rsaModulus,
  }
}
