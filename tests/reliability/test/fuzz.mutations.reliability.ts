/**
 * Fuzzing every response decoder of `DirectXml` with generated malformed and hostile input: mutations of real
 * responses captured from the simulator over mutual TLS, DOCTYPE and entity tricks, huge and deeply nested input,
 * broken encodings, the shapes of issue 15 at small size, and arbitrary strings and bytes from fast-check. Every
 * decoder must return a `Result` (a typed `DecodeError` on failure), never throw, and finish each input in bounded
 * time. The issue 15 shapes at full size, with their scaling checks, are in `fuzz.cost.reliability.ts`.
 *
 * Size: `FUZZ_INPUTS` (default 100 000); each input goes through all four decoders.
 */
import { DecodeError } from "@signering/protocol"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type CorpusEntry, captureCorpus } from "./support/fuzzCorpus.js"
import { decoders, encoder, huge, type Input, mutateOnce, prng, REASONS, special } from "./support/fuzzInputs.js"
import { capture, captureError, leaks, stats } from "./support/secrets.js"
import { envInt, type World } from "./support/world.js"

const INPUTS = envInt("FUZZ_INPUTS", 100_000)
/**
 * Bounds per decode, generous for a loaded 2-core machine (the measured maxima are reported): inputs under 1 MB, and
 * the few huge ones (10–17 MB), which a decoder must at least read once.
 */
const MAX_MS_PER_DECODE = 1_000
const MAX_MS_PER_HUGE_DECODE = 6_000
const HUGE = 1024 * 1024

let world: World | undefined
/** Real responses as the simulator sent them, by message. */
let corpus: ReadonlyArray<CorpusEntry> = []

beforeAll(async () => {
  ;({ world, corpus } = await captureCorpus())
}, 120_000)

afterAll(() => world?.close())

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

  it("secrets: no PIN, token or key material in any log line or decode error", () => {
    expect(stats().capturedTexts).toBeGreaterThan(10)
    expect(leaks()).toEqual([])
  })
})
