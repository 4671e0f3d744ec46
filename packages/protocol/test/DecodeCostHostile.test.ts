/**
 * Decoding cost stays linear in the input for every hostile shape a server could send (issue 15: 200 000
 * attributes cost 39 s, 50 000 status + xades-url pairs 8.4 s). Each shape is decoded at n and at 4n and the time
 * may grow at most 5× (see support/scaling.ts); the shapes are sized so that the larger input takes tens of
 * milliseconds, and every one of them still ends in a typed result.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as DirectXml from "../src/DirectXml.js"
import * as PortalXml from "../src/PortalXml.js"
import { readPortalFixture } from "./support/portal.js"
import { scalingOf } from "./support/scaling.js"

const ns = DirectXml.namespace
const root = "direct-signature-job-status-response"
const status = (i: number | string) => `<status signer="s${i}" since="2026-01-01T00:00:00Z">SIGNED</status>`
const head = `<signature-job-id>1</signature-job-id><signature-job-status>IN_PROGRESS</signature-job-status>`
/** A status response whose root carries `rootExtra` and whose body is `body`. */
const doc = (body: string, rootExtra = "") => `<${root} xmlns="${ns}"${rootExtra}>${head}${status(0)}${body}</${root}>`
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

type Shape = {
  readonly name: string
  readonly n: number
  readonly make: (n: number) => string
  /** The outcome at both sizes: "ok" or the failure's reason. */
  readonly outcome: string
}

const shapes: ReadonlyArray<Shape> = [
  {
    name: "n attributes on one element (refused past 64)",
    n: 5_000,
    make: (n) =>
      doc(
        "",
        range(n)
          .map((i) => ` a${i}="v"`)
          .join(""),
      ),
    outcome: "TooLarge",
  },
  {
    name: "n attributes spread over elements of 60 each (all within the caps)",
    n: 12_000,
    make: (n) =>
      doc(
        range(n / 60)
          .map(
            (e) =>
              `<u${range(60)
                .map((i) => ` a${i}="${e}"`)
                .join("")}/>`,
          )
          .join(""),
      ),
    outcome: "ok",
  },
  {
    name: "n namespace declarations on one element (refused past 64)",
    n: 5_000,
    make: (n) =>
      doc(
        "",
        range(n)
          .map((i) => ` xmlns:p${i}="urn:p${i}"`)
          .join(""),
      ),
    outcome: "TooLarge",
  },
  {
    name: "n declaring elements under 60 levels of 60 declarations each",
    n: 2_000,
    make: (n) => {
      const decls = (level: number) =>
        range(60)
          .map((i) => ` xmlns:l${level}x${i}="urn:${level}:${i}"`)
          .join("")
      const open = range(60)
        .map((l) => `<w${decls(l)}>`)
        .join("")
      const close = "</w>".repeat(60)
      const leaves = range(n)
        .map((i) => `<q:x xmlns:q="urn:q${i}"/>`)
        .join("")
      return doc(open + close + leaves, "")
    },
    outcome: "ok",
  },
  {
    name: "n status + xades-url pairs (refused past 100)",
    n: 1_000,
    make: (n) =>
      doc(
        range(n)
          .map((i) => status(i + 1))
          .join("") +
          range(n)
            .map((i) => `<xades-url signer="s${i}">https://x.example/${i}</xades-url>`)
            .join(""),
      ),
    outcome: "TooLarge",
  },
  {
    name: "n unknown siblings (within the node cap)",
    n: 2_000,
    make: (n) => doc("<unknown a='1'>x</unknown>".repeat(n)),
    outcome: "ok",
  },
  {
    name: "n elements past the node cap",
    n: 50_000,
    make: (n) => doc("<u/>".repeat(n)),
    outcome: "TooLarge",
  },
  {
    name: "n comments, processing instructions and CDATA sections",
    n: 500,
    make: (n) => doc(`<reference>${"<!-- c --><?pi x?><![CDATA[x]]>".repeat(n)}</reference>`),
    outcome: "ok",
  },
  {
    name: "n character and entity references",
    n: 10_000,
    make: (n) => doc(`<reference>${"&#65;&amp;&#x1F600;".repeat(n)}</reference>`),
    outcome: "ok",
  },
  {
    name: "n good character references, then a forbidden one",
    n: 20_000,
    make: (n) => doc(`<reference>${"&#65;".repeat(n)}&#0;</reference>`),
    outcome: "Malformed",
  },
  {
    name: "n three-byte characters in a string (counted as UTF-8)",
    n: 200_000,
    make: (n) => doc(`<reference>${"€".repeat(n)}</reference>`),
    outcome: "ok",
  },
  {
    name: "60 attributes of n/60 characters each",
    n: 200_000,
    make: (n) =>
      doc(
        `<u${range(60)
          .map((i) => ` a${i}="${"v".repeat(n / 60)}"`)
          .join("")}/>`,
      ),
    outcome: "ok",
  },
  {
    name: "n/60 blocks nested 60 deep",
    n: 1_800,
    make: (n) => doc(("<a>".repeat(60) + "</a>".repeat(60)).repeat(n / 60)),
    outcome: "ok",
  },
]

const outcome = (r: Result.Result<unknown, { readonly reason: string }>): string =>
  Result.isSuccess(r) ? "ok" : r.failure.reason

describe("decoding cost is linear in the input (4× the input, at most 5× the time)", () => {
  for (const shape of shapes) {
    it(shape.name, () => {
      expect(outcome(DirectXml.decodeJobStatusResponse(shape.make(shape.n)))).toBe(shape.outcome)
      expect(outcome(DirectXml.decodeJobStatusResponse(shape.make(4 * shape.n)))).toBe(shape.outcome)
      const s = scalingOf(DirectXml.decodeJobStatusResponse, shape.make, shape.n)
      expect(
        s.ratio,
        `${shape.name}: ${s.smallMs.toFixed(2)} ms at n, ${s.largeMs.toFixed(2)} ms at 4n`,
      ).toBeLessThanOrEqual(5)
    })
  }

  // The portal decoders read through the same parser and reader: their own lists, same bounds.
  const portal = readPortalFixture("status-change-response.ns4.xml")
  const signature = portal.slice(portal.indexOf("<ns4:signature>"), portal.indexOf("</ns4:signature>") + 16)
  const portalShapes: ReadonlyArray<Shape> = [
    {
      name: "portal: n signatures (refused past 100)",
      n: 1_000,
      make: (n) => portal.replace(signature, signature.repeat(n)),
      outcome: "TooLarge",
    },
    {
      name: "portal: n unknown elements inside each of 50 signatures",
      n: 2_000,
      make: (n) =>
        portal.replace(
          signature,
          signature.replace("<ns4:xades-url>", `${"<ns4:x a='1'/>".repeat(n / 50)}<ns4:xades-url>`).repeat(50),
        ),
      outcome: "ok",
    },
    {
      name: "portal: n attributes on an identifier (refused past 64)",
      n: 5_000,
      make: (n) =>
        portal.replace(
          "<ns4:email ",
          `<ns4:email${range(n)
            .map((i) => ` a${i}="v"`)
            .join("")} `,
        ),
      outcome: "TooLarge",
    },
  ]
  for (const shape of portalShapes) {
    it(shape.name, () => {
      expect(outcome(PortalXml.decodeStatusChangeResponse(shape.make(shape.n)))).toBe(shape.outcome)
      expect(outcome(PortalXml.decodeStatusChangeResponse(shape.make(4 * shape.n)))).toBe(shape.outcome)
      const s = scalingOf(PortalXml.decodeStatusChangeResponse, shape.make, shape.n)
      expect(
        s.ratio,
        `${shape.name}: ${s.smallMs.toFixed(2)} ms at n, ${s.largeMs.toFixed(2)} ms at 4n`,
      ).toBeLessThanOrEqual(5)
    })
  }

  it("the check itself fails on quadratic cost", () => {
    // A deliberately quadratic "decoder" over the same kind of input must be caught by the same bound.
    const quadratic = (s: string) => {
      let x = 0
      for (let i = 0; i < s.length; i += 8) x += s.indexOf("\u0000", i)
      return x
    }
    const s = scalingOf(quadratic, (n) => "a".repeat(n), 20_000)
    expect(s.ratio).toBeGreaterThan(5)
  })
})
