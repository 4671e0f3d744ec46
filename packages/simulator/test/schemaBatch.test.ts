/**
 * Schema validations that arrive while libxml2 is busy share one xmllint run; each request must still get exactly
 * the verdict and the error lines a run of its own would give, and nothing from another request.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type BatchFile,
  splitBatchOutput,
  validateAlone,
  validateDirect,
  validatePortal,
  validateTogether,
  validationStats,
  type XmlFile,
} from "../src/internal/intake/schema.js"
import { manifestXml, requestXml } from "./support/bundle.js"

const NS = "http://signering.posten.no/schema/v1"
const spec = { organizationNumber: "123456785", certificateChainPem: "", privateKeyPem: "" }

/** A mix of valid and invalid requests; every invalid one carries its own marker in what xmllint echoes. */
const mixedRequests = (tag: string): Array<{ marker: string; files: Array<XmlFile> }> => {
  const out: Array<{ marker: string; files: Array<XmlFile> }> = []
  for (let i = 0; i < 3; i++) {
    const marker = `${tag}m${i}x`
    out.push(
      // valid request and manifest
      {
        marker,
        files: [
          { fileName: "request.xml", contents: requestXml({ ...spec, reference: marker }) },
          { fileName: "manifest.xml", contents: manifestXml({ ...spec, title: marker }) },
        ],
      },
      // unknown element in the request
      {
        marker: `${marker}e`,
        files: [
          {
            fileName: "request.xml",
            contents: requestXml({ ...spec, reference: marker }).replace(
              "</direct-signature-job-request>",
              `<${marker}e/></direct-signature-job-request>`,
            ),
          },
          { fileName: "manifest.xml", contents: manifestXml({ ...spec, title: marker }) },
        ],
      },
      // valid request, manifest with a value the schema refuses (echoed by xmllint)
      {
        marker: `${marker}v`,
        files: [
          { fileName: "request.xml", contents: requestXml({ ...spec, reference: marker }) },
          { fileName: "manifest.xml", contents: manifestXml({ ...spec, manifestSender: `${marker}v` }) },
        ],
      },
      // not well-formed: a parser error followed by the source line and a caret
      {
        marker: `${marker}p`,
        files: [
          {
            fileName: "request.xml",
            contents: `<?xml version="1.0"?>\n<direct-signature-job-request xmlns="${NS}"><reference>${marker}p</referenc></direct-signature-job-request>`,
          },
          { fileName: "manifest.xml", contents: manifestXml({ ...spec, title: marker }) },
        ],
      },
      // an empty manifest, and a request alone (the signer update body is validated without a manifest)
      {
        marker: `${marker}n`,
        files: [
          { fileName: "request.xml", contents: requestXml({ ...spec, reference: `${marker}n` }) },
          { fileName: "manifest.xml", contents: "" },
        ],
      },
      {
        marker: `${marker}u`,
        files: [
          {
            fileName: "request.xml",
            contents: `<direct-signer-update-request xmlns="${NS}"><${marker}u/></direct-signer-update-request>`,
          },
        ],
      },
    )
  }
  return out
}

const otherMarkers = (all: ReadonlyArray<{ marker: string }>, own: string) =>
  all.map((r) => r.marker).filter((m) => m !== own && !own.startsWith(m) && !m.startsWith(own))

describe("batched schema validation", () => {
  it("gives every request in one run the verdict and errors of a run of its own", async () => {
    const requests = mixedRequests("a")
    const together = await validateTogether(requests.map((r) => r.files))
    expect(together).toBeDefined()
    const alone = []
    for (const r of requests) alone.push(await validateAlone(r.files))
    expect(together).toEqual(alone)
    expect(alone.filter((r) => r.valid)).toHaveLength(3)
    expect(alone.filter((r) => !r.valid)).toHaveLength(15)
    for (const [i, r] of requests.entries()) {
      const text = together![i]!.errors.join("\n")
      if (!together![i]!.valid) {
        // the empty manifest's error echoes nothing of the request
        if (!r.marker.endsWith("n")) expect(text).toContain(r.marker)
        expect(
          together![i]!.errors.every((l) => /^(request|manifest)\.xml:\d+: /.test(l) || !l.includes(".xml:")),
        ).toBe(true)
      }
      for (const m of otherMarkers(requests, r.marker)) expect(text).not.toContain(m)
    }
  })

  it("batches validations that arrive while a run is busy, and answers each caller with its own result", async () => {
    const requests = mixedRequests("b")
    const before = { ...validationStats }
    const results = await Promise.all(requests.map((r) => validateDirect(r.files)))
    expect(validationStats.batchedRuns).toBeGreaterThan(before.batchedRuns)
    expect(validationStats.fallbacks).toBe(before.fallbacks)
    expect(validationStats.runs - before.runs).toBeLessThan(requests.length)
    for (const [i, r] of requests.entries()) {
      expect(results[i]).toEqual(await validateAlone(r.files))
    }
  })

  it("batches per schema when direct and portal validations arrive interleaved", async () => {
    // Direct files against portal.xsd are invalid there: a verdict of its own all the same, to compare with.
    const requests = mixedRequests("i").flatMap((r) => [
      { files: r.files, schema: "direct.xsd" as const },
      { files: r.files, schema: "portal.xsd" as const },
    ])
    const before = { ...validationStats }
    const results = await Promise.all(
      requests.map((r) => (r.schema === "direct.xsd" ? validateDirect(r.files) : validatePortal(r.files))),
    )
    // Interleaved, a batch that stopped at the other flow's first request would run one or two at a time.
    expect(validationStats.runs - before.runs).toBeLessThanOrEqual(4)
    expect(validationStats.fallbacks).toBe(before.fallbacks)
    for (const [i, r] of requests.entries()) {
      expect(results[i]).toEqual(await validateAlone(r.files, r.schema))
    }
  })

  it("answers the same after runs that used and grew the (reused) wasm memory", async () => {
    const requests = mixedRequests("d")
    const first = []
    for (const r of requests) first.push(await validateAlone(r.files))
    // a large document makes libxml2 grow its memory beyond the initial 16 MB
    const big = `<direct-signature-job-request xmlns="${NS}">${"<reference>x</reference>".repeat(400_000)}</direct-signature-job-request>`
    expect((await validateAlone([{ fileName: "request.xml", contents: big }])).valid).toBe(false)
    const again = []
    for (const r of [...requests].reverse()) again.push(await validateAlone(r.files))
    expect(again.reverse()).toEqual(first)
  })

  it("refuses to split a batch whose output has a line it cannot attribute with certainty (then re-run one by one)", async () => {
    const nonce = "vfeedface-"
    const files: Array<BatchFile> = [
      { batchName: `${nonce}0-0.xml`, request: 0, original: "request.xml" },
      { batchName: `${nonce}0-1.xml`, request: 0, original: "manifest.xml" },
      { batchName: `${nonce}1-0.xml`, request: 1, original: "request.xml" },
    ]
    const split = (stderr: string, exitCode = 3) => splitBatchOutput(2, files, nonce, exitCode, stderr)
    const good = [
      `${nonce}0-0.xml validates`,
      `${nonce}0-1.xml:1: Schemas validity error : Element 'x': This element is not expected.`,
      `${nonce}0-1.xml fails to validate`,
      `${nonce}1-0.xml:2: parser error : Opening and ending tag mismatch: b line 2 and a`,
      "<b></a>",
      "       ^",
    ]
    expect(split(good.join("\n"))).toEqual([
      { valid: false, errors: ["manifest.xml:1: Schemas validity error : Element 'x': This element is not expected."] },
      {
        valid: false,
        errors: ["request.xml:2: parser error : Opening and ending tag mismatch: b line 2 and a", "<b></a>", "^"],
      },
    ])
    // a line before any file's output
    expect(split(["Schemas parser error : broken", ...good].join("\n"))).toBeUndefined()
    // a stray line after a verdict (not a parser error's context)
    expect(split([...good.slice(0, 3), "something else", ...good.slice(3)].join("\n"))).toBeUndefined()
    // more context than one source line and a caret
    expect(split([...good, "more"].join("\n"))).toBeUndefined()
    // output for an earlier file after a later one's
    expect(split([...good, `${nonce}0-0.xml:1: parser error : late`].join("\n"))).toBeUndefined()
    // a second verdict for the same file
    expect(split([...good.slice(0, 3), `${nonce}0-1.xml validates`, ...good.slice(3)].join("\n"))).toBeUndefined()
    // a file with no verdict and no error
    expect(split(good.slice(0, 3).join("\n"))).toBeUndefined()
    // the exit code disagrees with the verdicts
    expect(split(good.join("\n"), 0)).toBeUndefined()
    expect(
      split([`${nonce}0-0.xml validates`, `${nonce}0-1.xml validates`, `${nonce}1-0.xml validates`].join("\n")),
    ).toBeUndefined()
    // an aborted run
    expect(split(good.join("\n"), -1)).toBeUndefined()
    // all valid with exit code 0
    expect(
      split([`${nonce}0-0.xml validates`, `${nonce}0-1.xml validates`, `${nonce}1-0.xml validates`].join("\n"), 0),
    ).toEqual([
      { valid: true, errors: [] },
      { valid: true, errors: [] },
    ])
  })
})
