import { execFileSync } from "node:child_process"
import { X509Certificate } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Keystore } from "../src/index.js"
import { parseCertificate } from "../src/internal/asn1.js"
import { javaRfc2253 } from "../src/internal/rfc2253.js"
import { openssl, testPki } from "./support/pki.js"

// A tiny DER writer: enough to build certificates with arbitrary names. Java's CertificateFactory parses a
// certificate without checking its signature, so the signature is zeros.
const length = (n: number): Array<number> =>
  n < 0x80
    ? [n]
    : n < 0x100
      ? [0x81, n]
      : n < 0x10000
        ? [0x82, n >> 8, n & 0xff]
        : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
const tlv = (tag: number, ...content: Array<Uint8Array | Array<number>>): Uint8Array => {
  const body = Buffer.concat(content.map((c) => Buffer.from(c)))
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...length(body.length)]), body]))
}
const oid = (dotted: string): Uint8Array => {
  const [a, b, ...rest] = dotted.split(".").map(Number)
  const bytes = [a! * 40 + b!]
  for (const n of rest) {
    const groups: Array<number> = []
    let v = n
    do {
      groups.unshift(v & 0x7f)
      v = Math.floor(v / 128)
    } while (v > 0)
    bytes.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)))
  }
  return tlv(0x06, bytes)
}

interface Ava {
  readonly oid: string
  readonly tag: number
  readonly value: string
}

const encodeValue = (ava: Ava): Uint8Array => {
  if (ava.tag === 0x1e) {
    const utf16 = Buffer.from(ava.value, "utf16le").swap16()
    return tlv(0x1e, utf16)
  }
  return tlv(ava.tag, Buffer.from(ava.value, ava.tag === 0x0c ? "utf8" : "latin1"))
}

const name = (rdns: ReadonlyArray<ReadonlyArray<Ava>>): Uint8Array =>
  tlv(0x30, ...rdns.map((rdn) => tlv(0x31, ...rdn.map((ava) => tlv(0x30, oid(ava.oid), encodeValue(ava))))))

const spki = (() => {
  const der = new Uint8Array(new X509Certificate(testPki().seid1.certPem).raw)
  const parsed = parseCertificate(der)
  return parsed.subjectPublicKeyInfo
})()

const certificate = (
  issuer: Uint8Array,
  subject: Uint8Array,
  serial: Uint8Array,
  sha256WithRsa = tlv(0x30, oid("1.2.840.113549.1.1.11"), [0x05, 0x00]),
): Uint8Array => {
  const validity = tlv(0x30, tlv(0x17, Buffer.from("260101000000Z")), tlv(0x17, Buffer.from("270101000000Z")))
  const tbs = tlv(0x30, tlv(0xa0, tlv(0x02, [2])), tlv(0x02, serial), sha256WithRsa, issuer, validity, subject, spki)
  return tlv(0x30, tbs, sha256WithRsa, tlv(0x03, [0], new Array(256).fill(0)))
}

const oids = [
  "2.5.4.3", // CN
  "2.5.4.6", // C
  "2.5.4.10", // O
  "2.5.4.11", // OU
  "2.5.4.7", // L
  "2.5.4.8", // ST
  "2.5.4.9", // STREET
  "0.9.2342.19200300.100.1.25", // DC
  "0.9.2342.19200300.100.1.1", // UID
  "2.5.4.5", // serialNumber
  "2.5.4.97", // organizationIdentifier
  "2.5.4.12", // title
  "1.2.840.113549.1.9.1", // emailAddress
  "1.3.6.1.4.1.55555.1", // a private OID
]

const tricky = [..."abcXYZ019 ,=+<>#;\"\\'()-./:?æøåÆØÅé€\r\t@_&*".split(""), "\u{1F600}", "\u0000"]
const printable = [..."abcXYZ019 '()+,-./:=?".split("")]

const arbAva: fc.Arbitrary<Ava> = fc.oneof(
  fc.record({
    oid: fc.constantFrom(...oids),
    tag: fc.constant(0x0c),
    value: fc.array(fc.constantFrom(...tricky), { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
  }),
  fc.record({
    oid: fc.constantFrom(...oids),
    tag: fc.constantFrom(0x13, 0x16, 0x14),
    value: fc.array(fc.constantFrom(...printable), { minLength: 1, maxLength: 12 }).map((a) => a.join("")),
  }),
  fc.record({
    oid: fc.constantFrom(...oids),
    tag: fc.constantFrom(0x1e, 0x1c, 0x12),
    value: fc.array(fc.constantFrom("a", "Z", "1", " ", "ø"), { minLength: 1, maxLength: 6 }).map((a) => a.join("")),
  }),
)

const arbName = fc.array(fc.array(arbAva, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 })
const arbSerial = fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => {
  // DER INTEGER: minimal encoding, so no redundant leading 0x00 / 0xff.
  let s = b
  while (s.length > 1 && ((s[0] === 0 && s[1]! < 0x80) || (s[0] === 0xff && s[1]! >= 0x80))) s = s.subarray(1)
  return s
})

describe("Java-style RFC 2253 names, property-tested against Java itself", () => {
  it("renders random names (all string types, escapes, multi-valued RDNs, unknown OIDs) and serials like Java", () => {
    const samples = fc.sample(fc.tuple(arbName, arbName, arbSerial), { numRuns: 120, seed: 20261128 })
    const dir = mkdtempSync(join(tmpdir(), "signering-names-"))
    const ours: Array<string> = []
    const files = samples.map(([issuer, subject, serial], i) => {
      const der = certificate(name(issuer), name(subject), serial)
      const path = join(dir, `${i}.der`)
      writeFileSync(path, der)
      const parsed = parseCertificate(der)
      ours.push(`subject\t${javaRfc2253(parsed.subject)}`, `issuer\t${javaRfc2253(parsed.issuer)}`)
      ours.push(`serial\t${parsed.serialNumber}`)
      return path
    })
    const java = execFileSync("java", [new URL("./support/java/CertNames.java", import.meta.url).pathname, ...files], {
      encoding: "utf8",
    })
    const lines = java.endsWith("\n") ? java.slice(0, -1).split("\n") : java.split("\n")
    expect(lines).toEqual(ours)
  })
})

describe("certificate bytes survive PKCS#12 loading", () => {
  it("keeps an unusual encoding (no NULL parameters in the signature algorithm) byte for byte", () => {
    const pki = testPki()
    const noNull = tlv(0x30, oid("1.2.840.113549.1.1.11"))
    const cn = name([[{ oid: "2.5.4.3", tag: 0x0c, value: "Uten NULL" }]])
    const der = certificate(cn, cn, new Uint8Array([0x01, 0x02]), noNull)
    const dir = mkdtempSync(join(tmpdir(), "signering-nonull-"))
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE-----\n`
    writeFileSync(join(dir, "cert.pem"), pem)
    const p12 = join(dir, "k.p12")
    openssl([
      "pkcs12",
      "-export",
      "-in",
      join(dir, "cert.pem"),
      "-inkey",
      pki.seid1.keyPath,
      "-passout",
      "pass:x",
      "-out",
      p12,
    ])
    const keystore = Keystore.fromPkcs12OrThrow(new Uint8Array(readFileSync(p12)), "x")
    expect(Buffer.from(keystore.certificate.der).toString("hex")).toBe(Buffer.from(der).toString("hex"))
  })
})
