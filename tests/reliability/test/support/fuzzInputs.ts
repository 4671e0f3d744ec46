/**
 * What the fuzz suites feed the decoders: the decoders themselves, a seeded PRNG, mutations of real responses
 * (flips, cuts, duplicated and swapped elements, hostile fragments, prefixes, odd values, extra nesting), DOCTYPE and
 * entity tricks, costly special cases, huge inputs, and the building blocks of issue 15's hostile status responses.
 * Shared by the suites that use them (`fuzz.mutations.reliability.ts`, `fuzz.cost.reliability.ts`).
 */
import { type DecodeError, DirectXml, PortalXml } from "@signering/protocol"
import type { Result } from "effect"

/** What every decoder takes and returns, whatever it decodes: the suites only look at the outcome. */
export type Decoder = (input: string | Uint8Array) => Result.Result<unknown, DecodeError>

export const decoders: Readonly<Record<string, Decoder>> = {
  decodeJobResponse: DirectXml.decodeJobResponse,
  decodeSignerResponse: DirectXml.decodeSignerResponse,
  decodeJobStatusResponse: DirectXml.decodeJobStatusResponse,
  decodeError: DirectXml.decodeError,
}

/** The portal decoders share the reader; the full-size hostile shapes go through them too. */
export const allDecoders: Readonly<Record<string, Decoder>> = {
  ...decoders,
  "PortalXml.decodeJobResponse": PortalXml.decodeJobResponse,
  "PortalXml.decodeStatusChangeResponse": PortalXml.decodeStatusChangeResponse,
}

export const REASONS = new Set([
  "Malformed",
  "Forbidden",
  "UnexpectedRoot",
  "MissingElement",
  "InvalidValue",
  "TooLarge",
])

/** mulberry32: a small seeded PRNG, so a failing input can be regenerated from its index. */
export const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const HOSTILE_FRAGMENTS = [
  "<",
  ">",
  "&",
  "&amp;",
  "&lol;",
  "&#0;",
  "&#x110000;",
  "&#xD800;",
  "]]>",
  "<![CDATA[",
  "<!--",
  "-->",
  "<?xml version='1.0'?>",
  "<?pi data?>",
  '"',
  "'",
  "\u0000",
  "\uFFFE",
  "\uD800",
  "\u202E",
  'xmlns=""',
  'xmlns:ns4="urn:other"',
  "ns4:",
  ":",
  "</",
  "/>",
  ' signer=""',
  "99999999999999999999999999",
  "-1",
  "2026-13-45T25:61:61+99:99",
  "__proto__",
  "constructor",
  "<__proto__>x</__proto__>",
  "<constructor/>",
  "&#x1F;",
  "&#xFFFE;",
  "&#99999999999999999999;",
  "javascript:alert(1)",
  "€€€",
  ' a="1" a="2"',
]

const DOCTYPES = [
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>',
  '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]>',
  '<!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd">',
  "<!DOCTYPE r>",
  "<!doctype r>",
  '<!DOCTYPE r [<!ELEMENT r ANY><!ATTLIST r a CDATA "default">]>',
  '<!ENTITY x "y">',
]

export type Input = string | Uint8Array

const pick = <A>(random: () => number, items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!

export const mutateOnce = (random: () => number, xml: string): string => {
  const at = Math.floor(random() * (xml.length + 1))
  const len = Math.floor(random() * 40)
  switch (Math.floor(random() * 14)) {
    case 0: // flip one character
      return xml.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + xml.slice(at + 1)
    case 1: // delete a range
      return xml.slice(0, at) + xml.slice(at + len)
    case 2: // duplicate a range
      return xml.slice(0, at + len) + xml.slice(at, at + len) + xml.slice(at + len)
    case 3: // insert a hostile fragment
      return xml.slice(0, at) + pick(random, HOSTILE_FRAGMENTS) + xml.slice(at)
    case 4: // truncate
      return xml.slice(0, at)
    case 5: {
      // a DOCTYPE (entity bomb, external entity …) after the declaration or at the start
      const decl = xml.indexOf("?>")
      const where = decl === -1 || random() < 0.3 ? 0 : decl + 2
      return xml.slice(0, where) + pick(random, DOCTYPES) + xml.slice(where)
    }
    case 6: // rename every tag with a prefix, as real servers do (ns4:)
      return xml.replace(/<(\/?)([a-z-]+)/g, `<$1ns${Math.floor(random() * 9)}:$2`)
    case 7: // drop an attribute
      return xml.replace(/\s[a-z-]+="[^"]*"/, "")
    case 8: {
      // replace a text value by something long, empty or odd
      const values = ["", " ", "x".repeat(100_000), "0".repeat(400), "-5", "1e999", "NaN", "\u0000", "&lol;"]
      return xml.replace(/>([^<]{1,200})</, `>${pick(random, values)}<`)
    }
    case 9: {
      // remove an element entirely
      const tags = [...xml.matchAll(/<([a-z0-9:-]+)[^>]*>[^<]*<\/\1>/g)]
      if (tags.length === 0) return xml
      const t = pick(random, tags)
      return xml.slice(0, t.index) + xml.slice((t.index ?? 0) + t[0].length)
    }
    case 10: {
      // swap two elements
      const tags = [...xml.matchAll(/<([a-z0-9:-]+)[^>]*>[^<]*<\/\1>/g)]
      if (tags.length < 2) return xml
      const a = pick(random, tags)
      const b = pick(random, tags)
      return xml.replace(a[0], "\u0001").replace(b[0], a[0]).replace("\u0001", b[0])
    }
    case 11: {
      // wrap a part in nested unknown elements
      const depth = 1 + Math.floor(random() * 200)
      return xml.slice(0, at) + "<n>".repeat(depth) + "</n>".repeat(depth) + xml.slice(at)
    }
    case 12: // change the root element's name
      return xml.replace(/<([a-z][a-z-]*)/, `<${pick(random, ["error", "direct-signer-response", "x", "signer", ""])}`)
    default: // duplicate the whole body (two roots)
      return xml + xml
  }
}

export const encoder = new TextEncoder()

export const SIGNERING = "http://signering.posten.no/schema/v1"
export const range = (n: number) => Array.from({ length: n }, (_, i) => i)
export const statusHead = `<direct-signature-job-status-response xmlns="${SIGNERING}"><signature-job-id>1</signature-job-id><signature-job-status>IN_PROGRESS</signature-job-status>`
export const statusOf = (i: number, since = "2026-01-01T00:00:00Z") =>
  `<status signer="s${i}" since="${since}">SIGNED</status>`
export const xadesOf = (i: number) => `<xades-url signer="s${i}">https://api.example/xades/${i}</xades-url>`

/** One-field hostile values in otherwise valid responses: a URL scheme, a since without offset. */
const hostileValue = (random: () => number, base: string): string => {
  switch (Math.floor(random() * 3)) {
    case 0: // a URL field with a scheme that must never be followed
      return base.replace(
        />https?:\/\/[^<]*</,
        `>${pick(random, ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "/relative", "//evil.example/x"])}<`,
      )
    case 1: // an href attribute likewise
      return base.replace(/href="[^"]*"/, 'href="javascript:alert(1)"')
    default: // a since without offset
      return base.replace(/since="([^"]*?)(Z|[+-]\d\d:\d\d)"/, 'since="$1"')
  }
}

export const special = (random: () => number, index: number, base: string): Input => {
  switch (index % 18) {
    case 12: // many attributes on one element (issue 15's shape, small)
      return base.replace(
        /<([a-z0-9:-]+)/,
        `<$1${range(2_000)
          .map((i) => ` a${i}="v"`)
          .join("")}`,
      )
    case 13: // status + xades-url pairs (small)
      return `${statusHead}${range(300)
        .map((i) => statusOf(i))
        .join("")}${range(300).map(xadesOf).join("")}</direct-signature-job-status-response>`
    case 14: // a string of three-byte characters
      return base.replace(/>([^<]{1,200})</, `>${"€".repeat(100_000)}<`)
    case 15: // references to forbidden characters
      return base.replace(
        />([^<]{1,200})</,
        `>${pick(random, ["&#0;", "&#xD800;", "&#x110000;", "&#xFFFF;", "&#1;"])}<`,
      )
    case 16:
    case 17:
      return hostileValue(random, base)
    case 0: // billion laughs in full
      return `<?xml version="1.0"?>${DOCTYPES[0]}<error><error-code>&lol3;</error-code></error>`
    case 1: // deep nesting
      return `${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`
    case 2: // deep nesting inside a real root
      return base.replace(/(<[a-z0-9:-]+[^>]*>)/, `$1${"<n>".repeat(5_000)}${"</n>".repeat(5_000)}`)
    case 3: // invalid UTF-8 bytes inside a real response
      return Uint8Array.from([
        ...encoder.encode(base.slice(0, 80)),
        0xc3,
        0x28,
        0xff,
        0xfe,
        ...encoder.encode(base.slice(80)),
      ])
    case 4: // UTF-16 with a BOM
      return Uint8Array.from([0xff, 0xfe, ...Buffer.from(base, "utf16le")])
    case 5: // a UTF-8 BOM before the declaration
      return `\uFEFF${base}`
    case 6: // an attribute of a megabyte
      return base.replace(/<([a-z0-9:-]+)/, `<$1 junk="${"a".repeat(1_000_000)}"`)
    case 7: // ten thousand unknown siblings
      return base.replace(/(<[a-z0-9:-]+[^>]*>)/, `$1${"<unknown a='1'>x</unknown>".repeat(10_000)}`)
    case 8: // many namespace declarations and prefixes
      return base.replace(
        /<([a-z0-9:-]+)/,
        `<$1 ${Array.from({ length: 2_000 }, (_, i) => `xmlns:p${i}="urn:p${i}"`).join(" ")}`,
      )
    case 9: // comments and processing instructions everywhere
      return base.replace(/></g, "><!-- c --><?pi x?><")
    case 10: // CDATA around every text
      return base.replace(/>([^<]+)</g, "><![CDATA[$1]]><")
    default: // random bytes
      return Uint8Array.from({ length: 1 + Math.floor(random() * 4096) }, () => Math.floor(random() * 256))
  }
}

/** Huge inputs, few of them: over the decoders' size limit, and just under it. */
export const huge = (index: number): Input => {
  switch (index % 3) {
    case 0:
      return "<".repeat(17 * 1024 * 1024)
    case 1:
      return `<error><error-code>${"x".repeat(10 * 1024 * 1024)}</error-code><error-message/><error-type>CLIENT</error-type></error>`
    default:
      return randomGarbage(10 * 1024 * 1024)
  }
}

const randomGarbage = (size: number): Uint8Array => {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i += 65_536)
    globalThis.crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65_536)))
  return bytes
}
