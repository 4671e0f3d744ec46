import { describe, expect, it } from "@effect/vitest"
import { jobMultipart, randomBoundary } from "../../src/internal/multipart.js"

/** An independent reader (the shape the service parses): split on the boundary, headers, CRLF CRLF, body. */
const parse = (contentType: string, body: Uint8Array) => {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1]
  if (boundary === undefined) throw new Error("no boundary")
  const text = Buffer.from(body).toString("latin1")
  const pieces = text.split(`--${boundary}`)
  expect(pieces[0]).toBe("")
  expect(pieces.at(-1)).toBe("--\r\n")
  return pieces.slice(1, -1).map((piece) => {
    expect(piece.startsWith("\r\n")).toBe(true)
    expect(piece.endsWith("\r\n")).toBe(true)
    const inner = piece.slice(2, -2)
    const split = inner.indexOf("\r\n\r\n")
    const headers = inner.slice(0, split).split("\r\n")
    return { headers, bytes: Buffer.from(inner.slice(split + 4), "latin1") }
  })
}

describe("jobMultipart", () => {
  it("puts the XML first and the zip second, typed and unnamed", () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><direct-signature-job-request>æøå</direct-signature-job-request>'
    const zip = new Uint8Array(70_000).map((_, i) => (i * 31) & 255)
    const { contentType, body } = jobMultipart(xml, zip)
    expect(contentType).toMatch(/^multipart\/mixed; boundary=signering-ts-[0-9A-Za-z_-]{30}$/)
    expect(contentType.length).toBeLessThan(100)
    const parts = parse(contentType, body)
    expect(parts).toHaveLength(2)
    expect(parts[0]!.headers).toEqual(["Content-Type: application/xml"])
    expect(parts[0]!.bytes.toString("utf8")).toBe(xml)
    expect(parts[1]!.headers).toEqual(["Content-Type: application/octet-stream"])
    expect(new Uint8Array(parts[1]!.bytes)).toEqual(zip)
  })

  it("is read back by a standard multipart parser (undici's Response)", async () => {
    const { contentType, body } = jobMultipart("<a/>", new Uint8Array([0, 13, 10, 45, 45, 255]))
    // undici parses multipart/form-data only; the same bytes under that type must round-trip byte for byte.
    const formType = contentType.replace("multipart/mixed", "multipart/form-data")
    const withNames = Buffer.from(body)
      .toString("latin1")
      .replaceAll(
        "Content-Type: application/xml",
        'Content-Disposition: form-data; name="xml"\r\nContent-Type: application/xml',
      )
      .replaceAll(
        "Content-Type: application/octet-stream",
        'Content-Disposition: form-data; name="zip"; filename="b.asice"\r\nContent-Type: application/octet-stream',
      )
    const form = await new Response(Buffer.from(withNames, "latin1"), {
      headers: { "content-type": formType },
    }).formData()
    expect(form.get("xml")).toBe("<a/>")
    const zip = form.get("zip") as Blob
    expect(new Uint8Array(await zip.arrayBuffer())).toEqual(new Uint8Array([0, 13, 10, 45, 45, 255]))
  })

  it("draws a fresh boundary every time", () => {
    const seen = new Set(Array.from({ length: 200 }, randomBoundary))
    expect(seen.size).toBe(200)
  })
})
