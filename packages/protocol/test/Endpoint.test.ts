import { Redacted } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as ArchiveEndpoint from "../src/ArchiveEndpoint.js"
import * as DirectEndpoint from "../src/DirectEndpoint.js"
import * as Endpoint from "../src/Endpoint.js"
import * as PortalEndpoint from "../src/PortalEndpoint.js"
import { DirectServerXml, PortalServerXml } from "../src/server.js"

const root = "https://api.example/api/"
const utf8 = (text: string) => new TextEncoder().encode(text)

describe("Endpoint.appendQuery", () => {
  it("keeps the service's query byte for byte and appends encoded parameters before a fragment", () => {
    expect(Endpoint.appendQuery("https://h/s?x=a%20b/c", [["status_query_token", "t+k/="]])).toBe(
      "https://h/s?x=a%20b/c&status_query_token=t%2Bk%2F%3D",
    )
    expect(Endpoint.appendQuery("https://h/s", [["polling_queue", "q 1"]])).toBe("https://h/s?polling_queue=q%201")
    expect(Endpoint.appendQuery("https://h/s?", [["a", "1"]])).toBe("https://h/s?a=1")
    expect(Endpoint.appendQuery("https://h/s?x=1&", [["a", "1"]])).toBe("https://h/s?x=1&a=1")
    expect(Endpoint.appendQuery("https://h/s#frag", [["a", "1"]])).toBe("https://h/s?a=1#frag")
    expect(Endpoint.appendQuery("https://h/s?x=1", [])).toBe("https://h/s?x=1")
  })
})

describe("Endpoint.parseWhoAmI", () => {
  it("reads the sender, the broker form, and keeps unknown wording as text only", () => {
    expect(Endpoint.parseWhoAmI("You are 123456785\n")).toEqual({
      text: "You are 123456785",
      certificateOrganization: "123456785",
    })
    expect(Endpoint.parseWhoAmI("You are 123456785, operating on behalf of 987654325")).toEqual({
      text: "You are 123456785, operating on behalf of 987654325",
      certificateOrganization: "123456785",
      onBehalfOf: "987654325",
    })
    expect(Endpoint.parseWhoAmI("Hello")).toEqual({ text: "Hello" })
    expect(Endpoint.parseWhoAmI("x".repeat(900)).text).toHaveLength(500)
  })
})

describe("Endpoint.jobMultipart", () => {
  it("puts the XML part first, then the zip, under one boundary, with no part names", () => {
    const body = Endpoint.jobMultipart("<x/>", new Uint8Array([1, 2, 3]), "B")
    expect(body.contentType).toBe("multipart/mixed; boundary=B")
    const text = new TextDecoder("latin1").decode(body.bytes)
    expect(text).toBe(
      "--B\r\nContent-Type: application/xml\r\n\r\n<x/>\r\n--B\r\nContent-Type: application/octet-stream\r\n\r\n\u0001\u0002\u0003\r\n--B--\r\n",
    )
    expect(Endpoint.randomBoundary()).not.toBe(Endpoint.randomBoundary())
  })

  it("is byte for byte the parts one after the other, for any text (non-ASCII, surrogate pairs) and either XML form", () => {
    const concat = (...parts: Array<Uint8Array>) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
      let at = 0
      for (const p of parts) {
        out.set(p, at)
        at += p.length
      }
      return out
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.uint8Array({ maxLength: 300 }), (xml, zip) => {
        const expected = concat(
          utf8(
            `--B\r\nContent-Type: application/xml\r\n\r\n${xml}\r\n--B\r\nContent-Type: application/octet-stream\r\n\r\n`,
          ),
          zip,
          utf8("\r\n--B--\r\n"),
        )
        expect(Endpoint.jobMultipart(xml, zip, "B").bytes).toEqual(expected)
        expect(Endpoint.jobMultipart(utf8(xml), zip, "B").bytes).toEqual(expected)
      }),
    )
  })
})

describe("DirectEndpoint", () => {
  it("getStatus appends the token (a secret) and the queue to the status URL as given", () => {
    const token = Redacted.make("tok")
    const endpoint = DirectEndpoint.getStatus("https://api.example/s?x=a%20b", token, "q")
    expect(endpoint.url).toBe("https://api.example/s?x=a%20b&status_query_token=tok&polling_queue=q")
    expect(endpoint.secrets).toEqual([token])
    expect(endpoint.followUp).toBe(true)
    expect(endpoint.retry).toBe("safe")
  })

  it("polls the sender's queue: 204 is no changes, any other 2xx one change", () => {
    const endpoint = DirectEndpoint.getStatusChange(root, { organizationNumber: "123456785", pollingQueue: "app" })
    expect(endpoint.url).toBe("https://api.example/api/123456785/direct/signature-jobs?polling_queue=app")
    expect(endpoint.followUp).toBe(false)
    expect(endpoint.organizationNumber).toBe("123456785")
    expect(endpoint.accepts(202)).toBe(true)
    expect(endpoint.accepts(300)).toBe(false)
    const empty = endpoint.decode({ status: 204, headers: {}, body: new Uint8Array() })
    expect(empty).toMatchObject({ _tag: "Success", success: { _tag: "NoChanges" } })
    const xml = DirectServerXml.encodeJobStatusResponse({
      signatureJobId: 9n,
      status: "IN_PROGRESS",
      signers: [{ signer: "a", status: "WAITING", since: new Date("2026-01-01T00:00:00Z") }],
      xadesUrls: [],
    })
    const change = endpoint.decode({ status: 200, headers: {}, body: utf8(xml) })
    expect(change).toMatchObject({ _tag: "Success", success: { _tag: "StatusChange", status: { signatureJobId: 9n } } })
    const broken = endpoint.decode({ status: 200, headers: {}, body: utf8("<nope/>") })
    expect(broken._tag).toBe("Failure")
  })

  it("create and a new redirect URL are never retried once sent", () => {
    expect(DirectEndpoint.requestNewRedirectUrl("https://api.example/signers/1").retry).toBe("connectOnly")
    expect(DirectEndpoint.requestNewRedirectUrl("https://api.example/signers/1").body?.contentType).toBe(
      "application/xml",
    )
  })
})

describe("PortalEndpoint and ArchiveEndpoint", () => {
  it("cancel posts to the cancellation URL; the poll reads the portal change", () => {
    const cancel = PortalEndpoint.cancel("https://api.example/portal/signature-jobs/1/cancel")
    expect(cancel).toMatchObject({ operation: "cancel", method: "POST", followUp: true, retry: "safe", read: "none" })
    const poll = PortalEndpoint.getStatusChange(root, { organizationNumber: "123456785" })
    expect(poll.url).toBe("https://api.example/api/123456785/portal/signature-jobs")
    const xml = PortalServerXml.encodeStatusChangeResponse({
      signatureJobId: 3n,
      status: "COMPLETED_SUCCESSFULLY",
      confirmationUrl: "https://api.example/c",
      signatures: [
        {
          signer: { _tag: "ContactInformation", email: "kari@example.com" },
          status: "SIGNED",
          since: new Date("2026-01-01T00:00:00Z"),
        },
      ],
    })
    const change = poll.decode({ status: 200, headers: {}, body: utf8(xml) })
    expect(change).toMatchObject({ _tag: "Success", success: { _tag: "StatusChange", status: { signatureJobId: 3n } } })
  })

  it("the archive puts the owner in the path and the document id as one encoded segment", () => {
    const endpoint = ArchiveEndpoint.getPades(root, "987654325", "doc/1 ?#")
    expect(endpoint.url).toBe("https://api.example/api/987654325/archive/documents/doc%2F1%20%3F%23/pades")
    expect(endpoint).toMatchObject({ method: "GET", read: "stream", followUp: false, organizationNumber: "987654325" })
  })
})
