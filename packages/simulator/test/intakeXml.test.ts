import { describe, expect, it } from "@effect/vitest"
import { zipSync } from "fflate"
import { parseMultipart } from "../src/internal/intake/multipart.js"
import { xmllint } from "../src/internal/intake/schema.js"
import { formUrlDecode, parseDateTime } from "../src/internal/intake/signature.js"
import { canonicalize, childElements, parse, XmlError } from "../src/internal/intake/xml.js"
import { readZip, ZipError } from "../src/internal/intake/zip.js"

/** libxml2's canonical form of a whole document, comments removed (C14N without comments). */
const libxml2C14n = async (xml: string): Promise<string> => {
  const { exitCode, stdout, stderr } = await xmllint([{ fileName: "d.xml", contents: xml }], ["--c14n", "d.xml"], true)
  expect(exitCode, stderr).toBe(0)
  return stdout.replace(/<!--[\s\S]*?-->/g, "").replace(/^\n+|\n+$/g, "")
}

const documents = [
  // namespaces: default and prefixed, redundant redeclarations, xmlns="" undeclaring, sorted attributes
  `<a:root xmlns:a="urn:a" xmlns="urn:d" z="1" a:y="2" b="x"><child xmlns="" attr='q"'><x xmlns="urn:d"/></child><a:c xmlns:a="urn:a" xmlns:b="urn:b"><b:e b:k="v" a:k="w" k="u"/></a:c></a:root>`,
  // escaping in text and attributes, character references to whitespace, CDATA, PIs, comments
  `<?xml version="1.0" encoding="UTF-8"?>\n<!-- head --><r t="&lt;&amp;&quot;&#9;&#xA;&#xD;x\ty\nz" u='&apos;'><?pi  some data ?>t&gt;x&#xD;<![CDATA[<&>]]>&#x20AC;<!-- inner --><e/>\r\n tail</r>\n<!-- tail -->`,
  // the Appendix A layout: default namespaces on XAdESSignatures, Signature, QualifyingProperties, ns2 prefix
  `<XAdESSignatures xmlns="http://uri.etsi.org/2918/v1.2.1#"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="Signature"><SignedInfo><Reference Id="ID_0" URI="a+b.pdf"/></SignedInfo><Object><QualifyingProperties xmlns="http://uri.etsi.org/01903/v1.3.2#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#" Target="#Signature"><SignedProperties Id="SignedProperties"><ns2:DigestMethod Algorithm="x"/></SignedProperties></QualifyingProperties></Object></Signature></XAdESSignatures>`,
  // xml:* attributes and non-ASCII names
  `<root xml:lang="nb" xmlns:æ="urn:ae"><æ:blåbær xml:space="preserve">  ø  </æ:blåbær></root>`,
]

describe("intake XML: inclusive C14N 1.0", () => {
  it.each(documents.map((d, i) => [i, d] as const))("matches libxml2 on document %i", async (_, xml) => {
    expect(canonicalize(parse(xml))).toBe(await libxml2C14n(xml))
  })

  it("renders inherited namespaces and xml:* attributes on a subtree apex", () => {
    const root = parse(
      `<a:r xmlns:a="urn:a" xmlns="urn:d" xml:lang="nb"><b:s xmlns:b="urn:b" xmlns:a="urn:a"><t/></b:s></a:r>`,
    )
    const s = childElements(root)[0]!
    expect(canonicalize(s)).toBe(`<b:s xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" xml:lang="nb"><t></t></b:s>`)
    // Appendix A.5: SignedProperties under QualifyingProperties' default namespace
    const doc = parse(documents[2]!)
    const signedProperties = childElements(childElements(childElements(childElements(doc)[0]!)[1]!)[0]!)[0]!
    expect(canonicalize(signedProperties)).toBe(
      `<SignedProperties xmlns="http://uri.etsi.org/01903/v1.3.2#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#" Id="SignedProperties"><ns2:DigestMethod Algorithm="x"></ns2:DigestMethod></SignedProperties>`,
    )
    const signedInfo = childElements(childElements(doc)[0]!)[0]!
    expect(canonicalize(signedInfo)).toBe(
      `<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><Reference Id="ID_0" URI="a+b.pdf"></Reference></SignedInfo>`,
    )
  })

  it("refuses DOCTYPEs, undefined entities, undeclared prefixes and malformed markup", () => {
    for (const bad of [
      `<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>`,
      `<r>&nbsp;</r>`,
      `<p:r/>`,
      `<r a="1" a="2"/>`,
      `<r xmlns:p="urn:p" xmlns:q="urn:p" p:a="1" q:a="2"/>`,
      `<r><s></r>`,
      `<r>]]></r>`,
      `<r/><r/>`,
      `<r>&#0;</r>`,
      "<r>\u0001</r>",
      `<?xml version="1.0" encoding="ISO-8859-1"?><r/>`,
      `${"<a>".repeat(100)}${"</a>".repeat(100)}`,
    ]) {
      expect(() => parse(bad), bad).toThrow(XmlError)
    }
    expect(() => parse(new Uint8Array([0x3c, 0x72, 0x3e, 0xff, 0x3c, 0x2f, 0x72, 0x3e]))).toThrow(/UTF-8/)
  })
})

describe("intake helpers", () => {
  it("decodes Java form-URL-encoded names", () => {
    expect(formUrlDecode("dokument+%282%29.pdf")).toBe("dokument (2).pdf")
    expect(formUrlDecode("bl%C3%A5b%C3%A6r.pdf")).toBe("blåbær.pdf")
    expect(formUrlDecode("%E0%A4%A")).toBeUndefined()
  })

  it("parses xs:dateTime with an offset only", () => {
    expect(parseDateTime("2015-11-25T15:45:42.115+01:00")?.toISOString()).toBe("2015-11-25T14:45:42.115Z")
    expect(parseDateTime("2015-11-25T15:45:42Z")?.toISOString()).toBe("2015-11-25T15:45:42.000Z")
    expect(parseDateTime("2015-11-25T15:45:42.1234567-02:30")?.toISOString()).toBe("2015-11-25T18:15:42.123Z")
    expect(parseDateTime("2015-11-25T15:45:42")).toBeUndefined()
    expect(parseDateTime("yesterday")).toBeUndefined()
  })

  it("splits multipart bodies with folded headers and a part without headers", () => {
    const body = new TextEncoder().encode(
      "preamble\r\n--b\r\nContent-Type: application/xml;\r\n charset=UTF-8\r\n\r\n<a/>\r\n--b\r\n\r\nraw\r\n--b--",
    )
    const parts = parseMultipart("multipart/mixed; boundary=b", body)
    expect(parts.map((p) => [p.mediaType, Buffer.from(p.body).toString()])).toEqual([
      ["application/xml", "<a/>"],
      ["", "raw"],
    ])
    expect(parts[0]!.headers.get("content-type")).toBe("application/xml; charset=UTF-8")
  })
})

describe("intake zip reader", () => {
  const limits = { maxEntries: 10, maxTotalBytes: 100_000 }
  const text = (s: string) => new TextEncoder().encode(s)

  it("reads stored and deflated entries, skipping directories", () => {
    const zip = zipSync({
      "a.pdf": [text("%PDF-a".repeat(100)), { level: 0 }],
      "b.xml": text("<b/>".repeat(50)),
      "dir/": new Uint8Array(0),
    })
    const files = readZip(zip, limits)
    expect([...files.keys()]).toEqual(["a.pdf", "b.xml"])
    expect(Buffer.from(files.get("b.xml")!).toString()).toBe("<b/>".repeat(50))
  })

  it("detects corrupted data through the CRC, duplicates, and limits before inflating", () => {
    const stored = zipSync({ "a.pdf": [text("%PDF-abcdefgh"), { level: 0 }] })
    const corrupt = new Uint8Array(stored)
    corrupt[30 + "a.pdf".length + 3]! ^= 1
    expect(() => readZip(corrupt, limits)).toThrow(/CRC-32/)

    const two = Buffer.from(zipSync({ "a.pdf": text("1"), "b.pdf": text("2") }))
    const dup = Buffer.from(two.toString("latin1").replaceAll("b.pdf", "a.pdf"), "latin1")
    expect(() => readZip(dup, limits)).toThrow(expect.objectContaining({ reason: "Duplicate" }))

    const big = zipSync({ "a.pdf": new Uint8Array(200_000) })
    expect(() => readZip(big, limits)).toThrow(expect.objectContaining({ reason: "TooLarge" }))
    const many: Record<string, Uint8Array> = {}
    for (let i = 0; i < 11; i++) many[`f${i}`] = text("x")
    expect(() => readZip(zipSync(many), limits)).toThrow(expect.objectContaining({ reason: "TooManyEntries" }))
    expect(() => readZip(text("PK not really"), limits)).toThrow(ZipError)
    expect(() => readZip(big.subarray(0, big.length - 30), limits)).toThrow(ZipError)
  })
})
