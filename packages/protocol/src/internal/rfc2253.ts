/**
 * Distinguished names rendered exactly like Java's `X500Principal.getName()` (RFC 2253 format), because the
 * XAdES `X509IssuerName` the Java client emits is that string and we aim for byte-identical signatures.
 *
 * Java's quirks reproduced here: RDNs in reverse order joined by `,` with no spaces; only the keywords Java marks
 * RFC 2253 compliant (CN, C, L, ST, O, OU, STREET, DC, UID) are named, every other type (serialNumber 2.5.4.5,
 * organizationIdentifier 2.5.4.97, e-mail …) becomes its dotted OID with `#` and the hex of the value's full DER;
 * string values are decoded as UTF-8 whatever their ASN.1 string type; `,=+<>#;"\` are backslash-escaped anywhere,
 * NUL becomes `\00`, and leading/trailing spaces (and CRs) are escaped.
 */
import type { Name, NameAttribute } from "./asn1.js"

const keywords: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
}

// PrintableString, T61String, IA5String, GeneralString, BMPString, UTF8String: Java's `isDerString(value, false)`.
const stringTags = new Set([0x13, 0x14, 0x16, 0x1b, 0x1e, 0x0c])

const escapees = ',=+<>#;"\\'

const hex = (bytes: Uint8Array): string => {
  let out = ""
  for (const b of bytes) out += b.toString(16).padStart(2, "0")
  return out
}

const utf8 = new TextDecoder("utf-8")

const renderValue = (attribute: NameAttribute): string => {
  const text = utf8.decode(attribute.content)
  let escaped = ""
  for (const c of text) {
    if (escapees.includes(c)) escaped += "\\" + c
    else if (c === "\u0000") escaped += "\\00"
    else escaped += c
  }
  // Java escapes leading and trailing spaces and CRs after the per-character pass, on UTF-16 units.
  const chars = escaped.split("")
  let lead = 0
  while (lead < chars.length && (chars[lead] === " " || chars[lead] === "\r")) lead++
  let trail = chars.length - 1
  while (trail >= 0 && (chars[trail] === " " || chars[trail] === "\r")) trail--
  let out = ""
  for (let i = 0; i < chars.length; i++) out += (i < lead || i > trail ? "\\" : "") + chars[i]
  return out
}

const renderAttribute = (attribute: NameAttribute): string => {
  const keyword = keywords[attribute.oid]
  if (keyword === undefined || !stringTags.has(attribute.valueTag)) {
    return `${keyword ?? attribute.oid}=#${hex(attribute.valueDer)}`
  }
  return `${keyword}=${renderValue(attribute)}`
}

/** `X500Principal.getName()` for a decoded Name. */
export const javaRfc2253 = (name: Name): string =>
  name
    .map((rdn) => rdn.map(renderAttribute).join("+"))
    .reverse()
    .join(",")
