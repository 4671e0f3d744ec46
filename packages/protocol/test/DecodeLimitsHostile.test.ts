/**
 * What a hostile or broken server may not get past the decoders (issue 15), each a typed `DecodeError` naming the
 * field or the limit and never echoing the value: URL fields that are not absolute http(s) URLs, a `since` without
 * an offset, character references to forbidden characters, strings over the byte cap in UTF-8, and more attributes,
 * namespace declarations, nodes or signers than the caps allow. Direct and portal decoders share these rules.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as DirectXml from "../src/DirectXml.js"
import * as PortalXml from "../src/PortalXml.js"
import { DecodeError } from "../src/ProtocolError.js"
import { readFixture } from "./support/golden.js"
import { readPortalFixture } from "./support/portal.js"

type Decoder = (xml: string | Uint8Array, options?: DirectXml.DecodeOptions) => Result.Result<unknown, DecodeError>

const failure = (r: Result.Result<unknown, DecodeError>): DecodeError => {
  if (Result.isSuccess(r)) throw new Error("expected a DecodeError, got a success")
  expect(r.failure).toBeInstanceOf(DecodeError)
  return r.failure
}
const ok = <A>(r: Result.Result<A, DecodeError>): A => {
  if (Result.isFailure(r)) throw new Error(`expected a success, got ${r.failure.message}`)
  return r.success
}

const ns = DirectXml.namespace
const statusRoot = "direct-signature-job-status-response"
const status = (signer: string, since = "2026-01-01T00:00:00Z") =>
  `<status signer="${signer}" since="${since}">SIGNED</status>`
const statusDoc = (body: string, rootExtra = "") =>
  `<${statusRoot} xmlns="${ns}"${rootExtra}><signature-job-id>1</signature-job-id><signature-job-status>IN_PROGRESS</signature-job-status>${body}</${statusRoot}>`
const errorDoc = (code: string, rootExtra = "", message = "m") =>
  `<error xmlns="${ns}"${rootExtra}><error-code>${code}</error-code><error-message>${message}</error-message><error-type>CLIENT</error-type></error>`
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

// ---------------------------------------------------------------------------------------------------------------

/** Every URL a decoder returns, by message: the fixture, its decoder, and the fields it holds. */
const urlMessages: ReadonlyArray<readonly [string, string, Decoder]> = [
  ["direct job response", readFixture("job-response.ns4.xml"), DirectXml.decodeJobResponse],
  ["direct signer response", readFixture("signer-response.spec.xml"), DirectXml.decodeSignerResponse],
  ["direct status response", readFixture("status-response.ns4.xml"), DirectXml.decodeJobStatusResponse],
  ["portal job response", readPortalFixture("job-response.spec.xml"), PortalXml.decodeJobResponse],
  [
    "portal status change",
    readPortalFixture("status-change-response.ns4.xml").replace(
      "<ns4:delete-documents-url>",
      "<ns4:cancellation-url>https://api.difitest.signering.posten.no/cancel</ns4:cancellation-url><ns4:delete-documents-url>",
    ),
    PortalXml.decodeStatusChangeResponse,
  ],
]

/** Each URL in the document the decoder reads: [field name, start, end] of the URL text. */
const urlSpots = (xml: string): Array<readonly [string, number, number]> => {
  const spots: Array<readonly [string, number, number]> = []
  for (const m of xml.matchAll(/<(?:ns\d:)?([a-z-]+)>(https:\/\/[^<]+)</g)) {
    const start = m.index + m[0].length - 1 - m[2]!.length
    spots.push([m[1]!, start, start + m[2]!.length])
  }
  for (const m of xml.matchAll(/ (href)="(https:\/\/[^"]+)"/g)) {
    const start = m.index + m[0].length - 1 - m[2]!.length
    spots.push(["@href", start, start + m[2]!.length])
  }
  return spots
}

const badUrls = [
  "javascript:alert(document.cookie)",
  "JavaScript:alert(1)",
  "data:text/html,<b>x</b>".replace("<", "&lt;").replace("</", "&lt;/"),
  "file:///etc/passwd",
  "ftp://example.com/pades",
  "vbscript:msgbox(1)",
  "/api/983163327/direct/signature-jobs/1/pades",
  "//evil.example/pades",
  "https://",
  "https:/evil.example/x",
  "https://evil.example/a b",
  "",
]

describe("every URL field must be an absolute http(s) URL", () => {
  for (const [message, xml, decode] of urlMessages) {
    it(message, () => {
      expect(Result.isSuccess(decode(xml))).toBe(true)
      const spots = urlSpots(xml)
      expect(spots.length).toBeGreaterThanOrEqual(1)
      for (const [field, start, end] of spots) {
        for (const bad of badUrls) {
          const e = failure(decode(xml.slice(0, start) + bad + xml.slice(end)))
          expect(e.reason, `${message} ${field} ${bad}`).toBe("InvalidValue")
          expect(e.detail).toContain(field)
          expect(e.detail).toContain("absolute http(s) URL")
          if (bad.length > 8) expect(e.message).not.toContain(bad)
        }
        // Plain http is the client's decision (a test server), not the decoder's.
        expect(Result.isSuccess(decode(xml.slice(0, start) + "http://127.0.0.1:8443/x?t=1" + xml.slice(end)))).toBe(
          true,
        )
      }
    })
  }

  it("the deprecated top-level redirect-url of a job response is not read, so not checked", () => {
    const xml = readFixture("job-response.ns4.xml").replace(
      '<ns4:redirect-url signer="kunde-42">https://',
      '<ns4:redirect-url signer="kunde-42">javascript:x//',
    )
    expect(Result.isSuccess(DirectXml.decodeJobResponse(xml))).toBe(true)
  })
})

describe("a since without a time zone offset is refused, naming the field", () => {
  it("direct status and portal status change", () => {
    const direct = failure(DirectXml.decodeJobStatusResponse(statusDoc(status("a", "2026-01-01T10:00:00.123"))))
    expect(direct).toMatchObject({ reason: "InvalidValue", detail: expect.stringContaining("status/@since") })
    expect(direct.detail).toContain("offset")
    const portal = readPortalFixture("status-change-response.ns4.xml").replace("10:00:00.123+01:00", "10:00:00.123")
    expect(failure(PortalXml.decodeStatusChangeResponse(portal))).toMatchObject({
      reason: "InvalidValue",
      detail: expect.stringContaining("status/@since has no time zone offset"),
    })
    for (const since of ["2026-01-01T10:00:00Z", "2026-01-01T10:00:00+01:00", "2026-01-01T10:00:00-00:00"]) {
      expect(ok(DirectXml.decodeJobStatusResponse(statusDoc(status("a", since)))).signers).toHaveLength(1)
    }
  })
})

describe("character references must name XML 1.0 characters", () => {
  it("refused in text and in attributes, like the literal characters", () => {
    const forbidden = [
      "&#0;",
      "&#x0;",
      "&#x00000;",
      "&#1;",
      "&#x1F;",
      "&#xD800;",
      "&#xDFFF;",
      "&#55296;",
      "&#xFFFE;",
      "&#xFFFF;",
      "&#x110000;",
      "&#1114112;",
      "&#99999999999999999999999;",
      "&#xFFFFFFFFFFFFFFFFFFFFFFFF;",
    ]
    for (const ref of forbidden) {
      const inText = failure(DirectXml.decodeError(errorDoc(`a${ref}b`)))
      expect(inText.reason, ref).toBe("Malformed")
      expect(inText.detail).toContain("character reference at offset")
      expect(failure(DirectXml.decodeJobStatusResponse(statusDoc(status(`x${ref}`)))).reason, ref).toBe("Malformed")
      expect(failure(PortalXml.decodeError(errorDoc(ref))).reason).toBe("Malformed")
    }
  })

  it("every allowed boundary decodes to its character", () => {
    const refs = "&#9;&#xA;&#xD;&#x20;&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#x10FFFF;&#x0041;&#65;&#x1F600;"
    // error-message keeps its whitespace (error-code is a token, trimmed).
    expect(ok(DirectXml.decodeError(errorDoc("c", "", refs))).errorMessage).toBe(
      "\t\n\r \uD7FF\uE000\uFFFD\u{10000}\u{10FFFF}AA\u{1F600}",
    )
    // In attributes: references to whitespace survive normalization, literal whitespace does not.
    const r = ok(DirectXml.decodeJobStatusResponse(statusDoc(status("a&#x9;b\tc&#xA;d\r\ne"))))
    expect(r.signers[0]!.signer).toBe("a\tb c\nd e")
  })

  it("text and CDATA keep their document order, line ends become LF", () => {
    const r = ok(DirectXml.decodeError(errorDoc("a<![CDATA[<b>]]>c&amp;<![CDATA[\r\nd]]>\r\ne\rf")))
    expect(r.errorCode).toBe("a<b>c&\nd\ne\nf")
  })
})

describe("the size cap counts a string as its UTF-8 bytes", () => {
  it("one-, two-, three- and four-byte characters at the boundary, string and bytes alike", () => {
    for (const ch of ["a", "é", "€", "😀"]) {
      const xml = errorDoc(ch.repeat(1000))
      const bytes = new TextEncoder().encode(xml)
      for (const input of [xml, bytes]) {
        expect(Result.isSuccess(DirectXml.decodeError(input, { maxBytes: bytes.length })), ch).toBe(true)
        expect(failure(DirectXml.decodeError(input, { maxBytes: bytes.length - 1 })).reason, ch).toBe("TooLarge")
      }
    }
  })

  it("48 MB of three-byte characters in 16 M UTF-16 units is refused under the default 16 MiB", () => {
    const xml = errorDoc("€".repeat(16_000_000))
    expect(xml.length).toBeLessThan(16 * 1024 * 1024)
    expect(failure(DirectXml.decodeError(xml))).toMatchObject({
      reason: "TooLarge",
      detail: "input exceeds 16777216 bytes",
    })
  })
})

describe("what one element and one document may carry", () => {
  const attrs = (n: number, name = "a") =>
    range(n)
      .map((i) => ` ${name}${i}="v"`)
      .join("")
  const decls = (n: number) =>
    range(n)
      .map((i) => ` xmlns:p${i}="urn:p${i}"`)
      .join("")

  it("64 attributes and 64 namespace declarations per element; one more of either is TooLarge", () => {
    // The root's own default namespace declaration is one of its 64.
    expect(ok(DirectXml.decodeError(errorDoc("c", attrs(64) + decls(63)))).errorCode).toBe("c")
    expect(failure(DirectXml.decodeError(errorDoc("c", attrs(65))))).toMatchObject({
      reason: "TooLarge",
      detail: expect.stringContaining("more than 64 attributes"),
    })
    expect(failure(DirectXml.decodeError(errorDoc("c", decls(64))))).toMatchObject({
      reason: "TooLarge",
      detail: expect.stringContaining("more than 64 namespace declarations"),
    })
    // On any element, not only the root.
    const deep = `<error xmlns="${ns}"><x${attrs(65)}/><error-code/><error-message/><error-type/></error>`
    expect(failure(DirectXml.decodeError(deep)).reason).toBe("TooLarge")
    expect(Result.isSuccess(DirectXml.decodeError(deep, { maxAttributes: 65 }))).toBe(true)
    expect(Result.isSuccess(DirectXml.decodeError(errorDoc("c", decls(99)), { maxNamespaceDeclarations: 100 }))).toBe(
      true,
    )
    // A repeated attribute is still found past the point where the names are kept in a set.
    expect(failure(DirectXml.decodeError(errorDoc("c", `${attrs(30)} a7="w"`))).reason).toBe("Malformed")
  })

  it("10 000 nodes per document by default", () => {
    const filler = (n: number) =>
      `<error xmlns="${ns}">${"<x/>".repeat(n)}<error-code/><error-message/><error-type/></error>`
    // 1 root + 3 fields + filler.
    expect(Result.isSuccess(DirectXml.decodeError(filler(10_000 - 4)))).toBe(true)
    expect(failure(DirectXml.decodeError(filler(10_000 - 3)))).toMatchObject({
      reason: "TooLarge",
      detail: expect.stringContaining("more than 10000"),
    })
    const comments = `<error xmlns="${ns}">${"<!--c-->".repeat(20)}<error-code/><error-message/><error-type/></error>`
    expect(failure(DirectXml.decodeError(comments, { maxNodes: 20 })).reason).toBe("TooLarge")
  })

  it("at most 100 signers in any decoded list", () => {
    const xades = (i: number) => `<xades-url signer="s${i}">https://x.example/xades/${i}</xades-url>`
    const hundred = ok(
      DirectXml.decodeJobStatusResponse(
        statusDoc(
          range(100)
            .map((i) => status(`s${i}`))
            .join("") + range(100).map(xades).reverse().join(""),
        ),
      ),
    )
    expect(hundred.signers.map((s) => s.xadesUrl)).toEqual(range(100).map((i) => `https://x.example/xades/${i}`))
    const statuses = failure(
      DirectXml.decodeJobStatusResponse(
        statusDoc(
          range(101)
            .map((i) => status(`s${i}`))
            .join(""),
        ),
      ),
    )
    expect(statuses).toMatchObject({ reason: "TooLarge", detail: expect.stringContaining("status occurs 101 times") })
    const urls = failure(DirectXml.decodeJobStatusResponse(statusDoc(status("s0") + range(101).map(xades).join(""))))
    expect(urls).toMatchObject({ reason: "TooLarge", detail: expect.stringContaining("xades-url occurs 101 times") })

    const signer = (i: number) =>
      `<signer href="https://x.example/s/${i}"><signer-identifier>s${i}</signer-identifier><redirect-url>https://x.example/r/${i}</redirect-url></signer>`
    const job = (n: number) =>
      `<direct-signature-job-response xmlns="${ns}"><signature-job-id>1</signature-job-id>${range(n).map(signer).join("")}</direct-signature-job-response>`
    expect(ok(DirectXml.decodeJobResponse(job(100))).signers).toHaveLength(100)
    expect(failure(DirectXml.decodeJobResponse(job(101))).reason).toBe("TooLarge")

    const portal = readPortalFixture("status-change-response.ns4.xml")
    const one = portal.slice(portal.indexOf("<ns4:signature>"), portal.indexOf("</ns4:signature>") + 16)
    const many = (n: number) => portal.replace(one, one.repeat(n))
    expect(ok(PortalXml.decodeStatusChangeResponse(many(100))).signatures).toHaveLength(100)
    expect(failure(PortalXml.decodeStatusChangeResponse(many(101))).reason).toBe("TooLarge")
  })

  it("a xades-url pairs with the first status of its signer; the first URL of a signer wins", () => {
    const r = ok(
      DirectXml.decodeJobStatusResponse(
        statusDoc(
          status("a") +
            status("b") +
            '<xades-url signer="b">https://x.example/b1</xades-url><xades-url signer="b">https://x.example/b2</xades-url>',
        ),
      ),
    )
    expect(r.signers.map((s) => s.xadesUrl)).toEqual([undefined, "https://x.example/b1"])
    expect(r.xadesUrls).toHaveLength(2)
  })
})
