import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import * as DirectServerXml from "../src/DirectServerXml.js"
import * as DirectXml from "../src/DirectXml.js"
import { DecodeError } from "../src/ProtocolError.js"
import { readFixture } from "./support/golden.js"

type Decoder = (xml: string | Uint8Array, options?: DirectXml.DecodeOptions) => Result.Result<unknown, DecodeError>

const decoders: ReadonlyArray<readonly [string, Decoder]> = [
  ["decodeJobResponse", DirectXml.decodeJobResponse],
  ["decodeSignerResponse", DirectXml.decodeSignerResponse],
  ["decodeJobStatusResponse", DirectXml.decodeJobStatusResponse],
  ["decodeError", DirectXml.decodeError],
  ["decodeJobRequest", DirectServerXml.decodeJobRequest],
  ["decodeManifest", DirectServerXml.decodeManifest],
  ["decodeSignerUpdateRequest", DirectServerXml.decodeSignerUpdateRequest],
]

/** Runs the decoder; a thrown exception fails the test (decoders must never throw). */
const failure = (decode: Decoder, input: string | Uint8Array, options?: DirectXml.DecodeOptions): DecodeError => {
  const r = decode(input, options)
  if (Result.isSuccess(r)) throw new Error("expected a DecodeError, got a success")
  expect(r.failure).toBeInstanceOf(DecodeError)
  return r.failure
}

const statusXml = readFixture("status-response.spec.xml")
const ns = DirectXml.namespace

describe("hostile input ends in a typed DecodeError", () => {
  it("every truncation of a valid document", () => {
    const end = statusXml.lastIndexOf(">") + 1
    for (let n = 0; n < end; n++) {
      const e = failure(DirectXml.decodeJobStatusResponse, statusXml.slice(0, n))
      expect(["Malformed", "UnexpectedRoot"]).toContain(e.reason)
    }
    expect(Result.isSuccess(DirectXml.decodeJobStatusResponse(statusXml.slice(0, end)))).toBe(true)
  })

  it("wrong namespace, no namespace, wrong root", () => {
    const other = statusXml.replace(ns, "http://signering.posten.no/schema/v2")
    expect(failure(DirectXml.decodeJobStatusResponse, other)).toMatchObject({
      reason: "UnexpectedRoot",
      expected: "direct-signature-job-status-response",
    })
    const none = statusXml.replace(` xmlns="${ns}"`, "")
    expect(failure(DirectXml.decodeJobStatusResponse, none).reason).toBe("UnexpectedRoot")
    expect(failure(DirectXml.decodeJobResponse, statusXml).reason).toBe("UnexpectedRoot")
    expect(failure(DirectXml.decodeError, `<p:error xmlns:q="${ns}"/>`).reason).toBe("UnexpectedRoot")
  })

  it("any DOCTYPE or ENTITY is refused before parsing: billion laughs, external entities", () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`).join("") +
      `]><error xmlns="${ns}"><error-code>&lol9;</error-code><error-message/><error-type/></error>`
    const xxe = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><error xmlns="${ns}"><error-code>&x;</error-code><error-message/><error-type/></error>`
    const bare = `<!doctype error><error xmlns="${ns}"/>`
    for (const input of [laughs, xxe, bare]) {
      for (const [, decode] of decoders) expect(failure(decode, input).reason).toBe("Forbidden")
    }
  })

  it("undefined entity references are refused, predefined ones decoded", () => {
    const body = (code: string) =>
      `<error xmlns="${ns}"><error-code>${code}</error-code><error-message/><error-type>T</error-type></error>`
    expect(failure(DirectXml.decodeError, body("&lol;")).reason).toBe("Forbidden")
    expect(failure(DirectXml.decodeError, body("&#38")).reason).toBe("Forbidden")
    const r = DirectXml.decodeError(body("&lt;&gt;&amp;&quot;&apos;&#65;&#x42;"))
    expect(Result.getOrThrow(r).errorCode).toBe("<>&\"'AB")
  })

  it("10 MB of garbage, as bytes and as text", () => {
    const bytes = new Uint8Array(10 * 1024 * 1024)
    let x = 2463534242
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      bytes[i] = x & 0xff
    }
    expect(failure(DirectXml.decodeJobStatusResponse, bytes).reason).toBe("Malformed")
    const text = "<<a b='>".repeat(1_300_000)
    expect(failure(DirectXml.decodeJobStatusResponse, text).reason).toBe("Malformed")
    const tags = `<direct-signature-job-status-response xmlns="${ns}">${"<x>y</x>".repeat(1_300_000)}`
    // Refused at the node cap before the parser sees it; without the cap, as truncated.
    expect(failure(DirectXml.decodeJobStatusResponse, tags).reason).toBe("TooLarge")
    expect(failure(DirectXml.decodeJobStatusResponse, tags, { maxNodes: 2_000_000 }).reason).toBe("Malformed")
  })

  it("input over the size cap is refused without parsing", () => {
    const big = `<error xmlns="${ns}"><error-code>${"a".repeat(17 * 1024 * 1024)}</error-code></error>`
    expect(failure(DirectXml.decodeError, big).reason).toBe("TooLarge")
    expect(failure(DirectXml.decodeError, new TextEncoder().encode(big)).reason).toBe("TooLarge")
    expect(failure(DirectXml.decodeJobStatusResponse, statusXml, { maxBytes: 100 }).reason).toBe("TooLarge")
  })

  it("100 000-deep nesting", () => {
    const deep = `<error xmlns="${ns}">${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}</error>`
    expect(failure(DirectXml.decodeError, deep)).toMatchObject({
      reason: "TooLarge",
      detail: expect.stringContaining("64"),
    })
    const moderate = `<error xmlns="${ns}">${"<a>".repeat(10)}${"</a>".repeat(10)}<error-code>c</error-code><error-message/><error-type>t</error-type></error>`
    expect(Result.isSuccess(DirectXml.decodeError(moderate))).toBe(true)
    expect(failure(DirectXml.decodeError, moderate, { maxDepth: 5 }).reason).toBe("TooLarge")
  })

  it("malformed structure: mismatched tags, two roots, text outside, bad UTF-8, control characters", () => {
    const cases = [
      `<error xmlns="${ns}"><error-code>x</error-type></error>`,
      `<error xmlns="${ns}"/><error xmlns="${ns}"/>`,
      `<error xmlns="${ns}"/>trailing`,
      `<error xmlns="${ns}" a="1" a="2"/>`,
      `<error xmlns="${ns}"><error-code>\u0001</error-code></error>`,
      `<error xmlns="${ns}" a="1"b="2"/>`,
      `<error xmlns="${ns}" a=1/>`,
      `<error xmlns="${ns}" a="x<y"/>`,
      `<error xmlns="${ns}"><!-- open </error>`,
      `<error xmlns="${ns}"><![CDATA[ open </error>`,
      `<error xmlns="${ns}"><?pi open </error>`,
      `<error xmlns="${ns}"><1a/></error>`,
      `<error xmlns="${ns}"></ error>`,
      `<error xmlns="${ns}"><!ELEMENT x ANY></error>`,
      `text<error xmlns="${ns}"/>`,
      `<error xmlns="${ns}"/><!-- fine -->more`,
      "",
      "   ",
      "not xml at all",
    ]
    for (const c of cases) expect(["Malformed", "UnexpectedRoot"]).toContain(failure(DirectXml.decodeError, c).reason)
    // Comments, PIs, CDATA and a BOM in the right places are fine.
    const fine = `\uFEFF<?xml version="1.0"?><!-- c --><error xmlns="${ns}"><?pi x?><error-code><![CDATA[a<b]]></error-code><error-message/><error-type>t</error-type></error><!-- c -->\n`
    expect(Result.getOrThrow(DirectXml.decodeError(fine)).errorCode).toBe("a<b")
    expect(failure(DirectXml.decodeError, new Uint8Array([0x3c, 0xff, 0xfe, 0x3e])).detail).toContain("UTF-8")
    expect(failure(DirectXml.decodeError, 42 as never).reason).toBe("Malformed")
    expect(failure(DirectXml.decodeError, null as never).reason).toBe("Malformed")
  })

  it("reserved property names as element or attribute names neither crash nor pollute prototypes", () => {
    for (const name of ["__proto__", "constructor", "prototype", "hasOwnProperty", "toString"]) {
      const xml = `<error xmlns="${ns}" ${name}="x"><${name}><polluted>1</polluted></${name}><error-code>a</error-code><error-message>m</error-message><error-type>t</error-type></error>`
      const r = DirectXml.decodeError(xml)
      if (Result.isFailure(r)) expect(r.failure.reason).toBe("Malformed")
      else expect(r.success).toEqual({ errorCode: "a", errorMessage: "m", errorType: "t" })
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }
  })

  it("error details never echo the input (it may hold tokens or PINs)", () => {
    const secret = "01017012343"
    const inputs = [
      `<error xmlns="${ns}"><error-code>${secret}</error-type></error>`,
      `<x:${secret} xmlns:x="${ns}"/>`,
      `<direct-signature-job-status-response xmlns="${ns}"><signature-job-id>${secret}x</signature-job-id></direct-signature-job-status-response>`,
      `<direct-signature-job-status-response xmlns="${ns}"><signature-job-id>1</signature-job-id><signature-job-status>${secret}</signature-job-status></direct-signature-job-status-response>`,
    ]
    for (const input of inputs) {
      for (const [, decode] of decoders) {
        const r = decode(input)
        if (Result.isFailure(r)) expect(r.failure.message).not.toContain(secret)
      }
    }
  })

  it("random strings, random bytes and mutated valid documents never throw", () => {
    const anyDecoder = fc.constantFrom(...decoders.map(([, d]) => d))
    fc.assert(
      fc.property(anyDecoder, fc.oneof(fc.string({ unit: "binary" }), fc.uint8Array()), (decode, input) => {
        const r = decode(input)
        if (Result.isFailure(r)) expect(r.failure).toBeInstanceOf(DecodeError)
      }),
      { numRuns: 300 },
    )
    const fixtures = [
      "status-response.spec.xml",
      "job-response.ns4.xml",
      "error.spec.xml",
      "signer-response.ns4.xml",
    ].map(readFixture)
    fc.assert(
      fc.property(
        anyDecoder,
        fc.constantFrom(...fixtures),
        fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.string({ unit: "binary", maxLength: 4 })), {
          minLength: 1,
          maxLength: 5,
        }),
        (decode, doc, edits) => {
          let s = doc
          for (const [at, del, ins] of edits) {
            const i = at % (s.length + 1)
            s = s.slice(0, i) + ins + s.slice(i + del)
          }
          const r = decode(s)
          if (Result.isFailure(r)) expect(r.failure).toBeInstanceOf(DecodeError)
        },
      ),
      { numRuns: 500 },
    )
  })
})
