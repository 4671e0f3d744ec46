/**
 * The shapes of issue 15 at full size: a hostile server's cheap answers that cost the client dearly (hundreds of
 * thousands of attributes or namespace declarations, tens of thousands of status + xades-url pairs, references to
 * forbidden characters, strings whose UTF-8 is three times their length, unknown elements past the node cap). Each
 * goes once through every direct and portal decoder and must end in a typed `DecodeError`, with a scaling check: 4×
 * the input may cost at most 5× the time (quadratic cost gave 12–16×). Their small sizes are in the generated corpus
 * of `fuzz.mutations.reliability.ts`.
 *
 * No simulator here: the shapes are built, not captured, so they hold no secret for a scan to find.
 */
import { DecodeError, DirectXml } from "@signering/protocol"
import { describe, expect, it } from "vitest"
import { allDecoders, range, SIGNERING, statusHead, statusOf, xadesOf } from "./support/fuzzInputs.js"

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

describe("fuzzing the response decoders", () => {
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
})
