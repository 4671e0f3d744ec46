/**
 * Fuzzing every response decoder of `DirectXml` with generated malformed and hostile input: mutations of real
 * responses captured from the simulator over mutual TLS, DOCTYPE and entity tricks, huge and deeply nested input,
 * broken encodings, and arbitrary strings and bytes from fast-check. Every decoder must return a `Result` (a typed
 * `DecodeError` on failure), never throw, and finish each input in bounded time.
 *
 * Size: `FUZZ_INPUTS` (default 100 000); each input goes through all four decoders.
 *
 * The shapes of issue 15 (a hostile server's cheap answers that cost the client dearly: hundreds of thousands of
 * attributes or namespace declarations, tens of thousands of status + xades-url pairs, references to forbidden
 * characters, strings whose UTF-8 is three times their length, `javascript:` URLs, a `since` without offset) are in
 * the generated corpus at small size, and once at full size each with a scaling check: 4× the input may cost at
 * most 5× the time (quadratic cost gave 12–16×).
 */
import { DecodeError, DirectJob, DirectXml, DocumentBundle, PortalXml } from "@signering/protocol"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { Agent, request } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { capture, captureError, leaks, secret, stats } from "./support/secrets.js"
import { envInt, ORG, pdf, pins, startWorld, type World } from "./support/world.js"

const INPUTS = envInt("FUZZ_INPUTS", 100_000)
/**
 * Bounds per decode, generous for a loaded 2-core machine (the measured maxima are reported): inputs under 1 MB, and
 * the few huge ones (10–17 MB), which a decoder must at least read once.
 */
const MAX_MS_PER_DECODE = 1_000
const MAX_MS_PER_HUGE_DECODE = 6_000
const HUGE = 1024 * 1024

const decoders = {
  decodeJobResponse: DirectXml.decodeJobResponse,
  decodeSignerResponse: DirectXml.decodeSignerResponse,
  decodeJobStatusResponse: DirectXml.decodeJobStatusResponse,
  decodeError: DirectXml.decodeError,
} as const

/** The portal decoders share the reader; the full-size hostile shapes go through them too. */
const allDecoders = {
  ...decoders,
  "PortalXml.decodeJobResponse": PortalXml.decodeJobResponse,
  "PortalXml.decodeStatusChangeResponse": PortalXml.decodeStatusChangeResponse,
} as const

const REASONS = new Set(["Malformed", "Forbidden", "UnexpectedRoot", "MissingElement", "InvalidValue", "TooLarge"])

/** mulberry32: a small seeded PRNG, so a failing input can be regenerated from its index. */
const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

let world: World
/** Real responses as the simulator sent them, by message. */
const corpus: Array<{ readonly message: string; readonly xml: string }> = []

beforeAll(async () => {
  world = await startWorld({ simulator: { emptyQueuePollDelayMs: 100 } })
  const { sim } = world
  const sender = sim.pki.sender(ORG)
  const agent = new Agent({
    connect: {
      key: sender.privateKeyPem,
      cert: sender.chainPem,
      ca: sim.pki.caCertificatePem,
      checkServerIdentity: () => undefined,
    },
  })
  const call = async (method: "GET" | "POST", url: string, body?: Uint8Array, contentType?: string) => {
    const res = await request(url, {
      method,
      dispatcher: agent,
      headers: { accept: "application/xml", ...(contentType === undefined ? {} : { "content-type": contentType }) },
      ...(body === undefined ? {} : { body }),
    })
    return { status: res.statusCode, text: await res.body.text() }
  }
  const signers = pins(3, 9_000)
  const create = async (method: "WAIT_FOR_CALLBACK" | "POLLING", count: number) => {
    const job = DirectJob.makeOrThrow({
      title: "Fuzz corpus",
      description: "Captured responses",
      reference: `fuzz-${method}-${count}`,
      sender: method === "POLLING" ? { organizationNumber: ORG, pollingQueue: "fuzz" } : { organizationNumber: ORG },
      documents: [{ title: "Contract", bytes: pdf() }],
      signers: [
        ...signers.slice(0, count - 1).map((pin) => ({ personalIdentificationNumber: Redacted.make(pin) })),
        { customIdentifier: "customer-1" },
      ],
      exitUrls: {
        completionUrl: "https://sender.example/done?x=1",
        rejectionUrl: "https://sender.example/rejected",
        errorUrl: "https://sender.example/error",
      },
      statusRetrievalMethod: method,
    })
    const bundle = await Effect.runPromise(DocumentBundle.make(job, world.keystore))
    const boundary = "fuzz-boundary-0123456789"
    const enc = new TextEncoder()
    const body = Buffer.concat([
      enc.encode(`--${boundary}\r\nContent-Type: application/xml\r\n\r\n${DirectXml.encodeJobRequest(job)}`),
      enc.encode(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`),
      bundle.bytes,
      enc.encode(`\r\n--${boundary}--\r\n`),
    ])
    const res = await call(
      "POST",
      `${sim.url}/${ORG}/direct/signature-jobs`,
      body,
      `multipart/mixed; boundary=${boundary}`,
    )
    expect(res.status).toBe(200)
    corpus.push({ message: "job-response", xml: res.text })
    const decoded = DirectXml.decodeJobResponse(res.text)
    if (decoded._tag !== "Success") throw new Error("the simulator's job response does not decode")
    return { decoded: decoded.success, job }
  }
  for (const [method, count] of [
    ["WAIT_FOR_CALLBACK", 1],
    ["WAIT_FOR_CALLBACK", 3],
    ["POLLING", 2],
  ] as const) {
    const { decoded } = await create(method, count)
    for (const s of decoded.signers) secret("redirect URL token", new URL(s.redirectUrl).pathname.split("/").pop()!)
    const updated = await call("POST", decoded.signers[0]!.href)
    corpus.push({ message: "signer-response", xml: updated.text })
    const wrong = await call("GET", `${decoded.statusUrl}?status_query_token=${"0".repeat(64)}`)
    corpus.push({ message: "error", xml: wrong.text })
    const who = count === 1 ? "customer-1" : signers[0]!
    const exit = await sim.sign(decoded.signatureJobId, who)
    const token = new URL(exit).searchParams.get("status_query_token")!
    secret("status query token", token)
    const partial = await call("GET", `${decoded.statusUrl}?status_query_token=${token}`)
    corpus.push({ message: "status-response", xml: partial.text })
    if (count > 1) {
      await sim.reject(decoded.signatureJobId, "customer-1")
      const final = await call("GET", `${decoded.statusUrl}?status_query_token=${token}`)
      corpus.push({ message: "status-response", xml: final.text })
    }
  }
  const polled = await call("GET", `${sim.url}/${ORG}/direct/signature-jobs?polling_queue=fuzz`)
  if (polled.status === 200) corpus.push({ message: "status-response", xml: polled.text })
  await agent.close()
}, 120_000)

afterAll(() => world?.close())

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

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

type Input = string | Uint8Array

const pick = <A>(random: () => number, items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!

const mutateOnce = (random: () => number, xml: string): string => {
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

const encoder = new TextEncoder()

const SIGNERING = "http://signering.posten.no/schema/v1"
const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const statusHead = `<direct-signature-job-status-response xmlns="${SIGNERING}"><signature-job-id>1</signature-job-id><signature-job-status>IN_PROGRESS</signature-job-status>`
const statusOf = (i: number, since = "2026-01-01T00:00:00Z") =>
  `<status signer="s${i}" since="${since}">SIGNED</status>`
const xadesOf = (i: number) => `<xades-url signer="s${i}">https://api.example/xades/${i}</xades-url>`

/**
 * The hostile shapes of issue 15 at size `n`, each with the reason it must end in. `n` is what grows: the scaling
 * check decodes `make(n)` and `make(4n)`.
 */
const ISSUE_15_SHAPES: ReadonlyArray<{
  readonly name: string
  readonly make: (n: number) => string
  readonly full: number
  readonly small: number
  readonly reason: string
}> = [
  {
    name: "attributes on the root",
    make: (n) =>
      `<direct-signature-job-status-response xmlns="${SIGNERING}"${range(n)
        .map((i) => ` a${i}="v"`)
        .join(
          "",
        )}>${statusHead.slice(statusHead.indexOf(">") + 1)}${statusOf(0)}</direct-signature-job-status-response>`,
    full: 200_000,
    small: 5_000,
    reason: "TooLarge",
  },
  {
    name: "namespace declarations on the root",
    make: (n) =>
      `<direct-signature-job-status-response xmlns="${SIGNERING}"${range(n)
        .map((i) => ` xmlns:p${i}="urn:p${i}"`)
        .join(
          "",
        )}>${statusHead.slice(statusHead.indexOf(">") + 1)}${statusOf(0)}</direct-signature-job-status-response>`,
    full: 25_000,
    small: 5_000,
    reason: "TooLarge",
  },
  {
    name: "status + xades-url pairs",
    make: (n) =>
      `${statusHead}${range(n)
        .map((i) => statusOf(i))
        .join("")}${range(n).map(xadesOf).join("")}</direct-signature-job-status-response>`,
    full: 50_000,
    small: 1_000,
    reason: "TooLarge",
  },
  {
    name: "three-byte characters in a string",
    make: (n) =>
      `${statusHead}<reference>${"€".repeat(n)}</reference>${statusOf(0)}</direct-signature-job-status-response>`,
    full: 16_000_000,
    small: 200_000,
    reason: "TooLarge", // at full size; the small sizes decode
  },
  {
    name: "character references, the last one forbidden",
    make: (n) =>
      `${statusHead}<reference>${"&#65;&#x1F600;&amp;".repeat(n)}&#xD800;</reference>${statusOf(0)}</direct-signature-job-status-response>`,
    full: 500_000,
    small: 10_000,
    reason: "Malformed",
  },
  {
    name: "unknown elements past the node cap",
    make: (n) => `${statusHead}${statusOf(0)}${"<u a='1'/>".repeat(n)}</direct-signature-job-status-response>`,
    full: 1_500_000,
    small: 50_000,
    reason: "TooLarge",
  },
]

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

const special = (random: () => number, index: number, base: string): Input => {
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
const huge = (index: number): Input => {
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

/** Medians of interleaved rounds after a warm-up, each sample repeated until the small input takes ≥ 4 ms. */
const measureScaling = <I>(run: (input: I) => unknown, small: I, large: I) => {
  const timeReps = (input: I, reps: number) => {
    const started = performance.now()
    for (let i = 0; i < reps; i++) run(input)
    return (performance.now() - started) / reps
  }
  run(small)
  run(large)
  let reps = 1
  while (reps < 10_000 && timeReps(small, reps) * reps < 4) reps *= 2
  const a: Array<number> = []
  const b: Array<number> = []
  for (let r = 0; r < 7; r++) {
    a.push(timeReps(small, reps))
    b.push(timeReps(large, reps))
  }
  const median = (xs: Array<number>) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
  // Other processes only ever add time (and evict caches, hurting the larger input more): the lower of the ratio of
  // medians and the ratio of minima is checked.
  const ratio = Math.min(median(b) / median(a), Math.min(...b) / Math.min(...a))
  return { ratio, smallMs: median(a), largeMs: median(b) }
}

/** `make(n)` against `make(4n)`, measured again (up to four times) only when over 5: load bursts pass, 16× never. */
const scalingOf = <I>(run: (input: I) => unknown, make: (n: number) => I, n: number) => {
  const small = make(n)
  const large = make(4 * n)
  let best = measureScaling(run, small, large)
  for (let attempt = 1; attempt < 4 && best.ratio > 5; attempt++) {
    const again = measureScaling(run, small, large)
    if (again.ratio < best.ratio) best = again
  }
  return best
}

// ---------------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------------

describe("fuzzing the response decoders", () => {
  it(`${INPUTS} hostile inputs through every decoder: only typed results, bounded time`, () => {
    expect(new Set(corpus.map((c) => c.message))).toEqual(
      new Set(["job-response", "signer-response", "status-response", "error"]),
    )
    const arbitrary = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.uint8Array({ maxLength: 600 }),
      fc
        .tuple(fc.constantFrom(...corpus.map((c) => c.xml)), fc.nat(), fc.string({ maxLength: 20 }))
        .map(([xml, at, insert]) => xml.slice(0, at % (xml.length + 1)) + insert + xml.slice(at % (xml.length + 1))),
    )
    const fromFastCheck = fc.sample(arbitrary, { numRuns: Math.ceil(INPUTS / 10), seed: 8 }) as Array<Input>

    const crashes: Array<{ index: number; decoder: string; error: string }> = []
    const untyped: Array<{ index: number; decoder: string }> = []
    const outcomes = new Map<string, number>()
    // Distinct messages only (hundreds of thousands of failures repeat a few hundred messages): all are scanned.
    const messages = new Set<string>()
    let maxMs = 0
    let maxAt = { index: -1, decoder: "", bytes: 0 }
    let maxHugeMs = 0
    let totalMs = 0
    let decodes = 0

    const random = prng(0x5eed)
    for (let index = 0; index < INPUTS; index++) {
      const base = corpus[index % corpus.length]!.xml
      let input: Input
      // Mostly mutations of real responses; every 10th from fast-check; every 100th a costly special case (deep,
      // wide, megabyte attributes …); every 25 000th a huge one (10–17 MB).
      if (index % 25_000 === 24_999) input = huge(Math.floor(index / 25_000))
      else if (index % 10 === 9) input = fromFastCheck[Math.floor(index / 10)] ?? ""
      else if (index % 100 === 98) input = special(random, Math.floor(index / 100), base)
      else {
        let xml = base
        const rounds = 1 + Math.floor(random() * 4)
        for (let r = 0; r < rounds; r++) xml = mutateOnce(random, xml)
        input = random() < 0.2 ? encoder.encode(xml) : xml
      }
      const bytes = typeof input === "string" ? input.length : input.byteLength
      for (const [name, decode] of Object.entries(decoders)) {
        const started = performance.now()
        let result: unknown
        try {
          result = decode(input)
        } catch (error) {
          captureError("fuzz crash", error)
          crashes.push({ index, decoder: name, error: String(error).slice(0, 200) })
          continue
        } finally {
          const ms = performance.now() - started
          totalMs += ms
          decodes++
          if (bytes >= HUGE) maxHugeMs = Math.max(maxHugeMs, ms)
          else if (ms > maxMs) {
            maxMs = ms
            maxAt = { index, decoder: name, bytes }
          }
        }
        const r = result as { _tag?: string; failure?: unknown }
        if (r._tag === "Success") outcomes.set("Success", (outcomes.get("Success") ?? 0) + 1)
        else if (r._tag === "Failure" && r.failure instanceof DecodeError && REASONS.has(r.failure.reason)) {
          messages.add(r.failure.message)
          outcomes.set(r.failure.reason, (outcomes.get(r.failure.reason) ?? 0) + 1)
        } else untyped.push({ index, decoder: name })
      }
    }

    for (const message of messages) capture("fuzz decode error", message)
    console.info(
      `fuzz: ${INPUTS} inputs × 4 decoders = ${decodes} decodes in ${Math.round(totalMs)} ms; ` +
        `max ${maxMs.toFixed(1)} ms under 1 MB (input ${maxAt.index}, ${maxAt.decoder}, ${maxAt.bytes} chars/bytes), ` +
        `max ${maxHugeMs.toFixed(1)} ms for the 10–17 MB inputs; ` +
        `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
    )
    expect(crashes).toEqual([])
    expect(untyped).toEqual([])
    expect(maxMs).toBeLessThan(MAX_MS_PER_DECODE)
    expect(maxHugeMs).toBeLessThan(MAX_MS_PER_HUGE_DECODE)
    // The mutations must exercise both sides: some inputs still decode, most fail in several distinct ways.
    expect(outcomes.get("Success") ?? 0).toBeGreaterThan(0)
    for (const reason of ["Malformed", "Forbidden", "UnexpectedRoot", "MissingElement", "TooLarge"])
      expect(outcomes.get(reason) ?? 0, reason).toBeGreaterThan(0)
  })

  it("issue 15 shapes at full size end typed and fast; 4× the input costs at most 5× the time", () => {
    const lines: Array<string> = []
    for (const shape of ISSUE_15_SHAPES) {
      const input = shape.make(shape.full)
      for (const [name, decode] of Object.entries(allDecoders)) {
        const started = performance.now()
        const r = decode(input) as { _tag: string; failure?: unknown }
        const ms = performance.now() - started
        // Every decoder refuses: the wrong root is found only after the checks that bound the cost.
        expect(r._tag, `${shape.name} via ${name}`).toBe("Failure")
        expect(r.failure).toBeInstanceOf(DecodeError)
        if (name === "decodeJobStatusResponse") {
          expect((r.failure as DecodeError).reason, shape.name).toBe(shape.reason)
          lines.push(`${shape.name} (${shape.full}, ${(input.length / 1e6).toFixed(1)} M units): ${ms.toFixed(1)} ms`)
        }
        capture("fuzz decode error", (r.failure as DecodeError).message)
      }
      const s = scalingOf((x: string) => DirectXml.decodeJobStatusResponse(x), shape.make, shape.small)
      lines.push(`  scaling ${shape.small} → ${4 * shape.small}: ${s.ratio.toFixed(2)}×`)
      expect(
        s.ratio,
        `${shape.name}: ${s.smallMs.toFixed(2)} ms at n, ${s.largeMs.toFixed(2)} ms at 4n`,
      ).toBeLessThanOrEqual(5)
    }
    console.info(`issue 15 shapes:\n${lines.join("\n")}`)
  })

  it("secrets: no PIN, token or key material in any log line or decode error", () => {
    expect(stats().capturedTexts).toBeGreaterThan(10)
    expect(leaks()).toEqual([])
  })
})
