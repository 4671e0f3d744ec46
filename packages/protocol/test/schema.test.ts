/**
 * Our own schema files (schema/common.xsd + schema/direct.xsd): they accept every message the codecs write and
 * the real-world samples, and they enforce the documented limits (each on both sides of the boundary).
 */
import { readdirSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import * as DirectXml from "../src/DirectXml.js"
import { fixtureDir, readFixture } from "./support/golden.js"
import { validateDirect } from "./support/xsd.js"

const ns = DirectXml.namespace
/** Fixtures that are deliberately outside the schema (decoders must tolerate them anyway). */
const notSchemaValid = new Set(["job-response.unknown-elements.xml"])

const manifest = (opts: {
  signers?: number
  docs?: number
  title?: string
  description?: string
  href?: string
  pin?: string
  custom?: string
  org?: string
}) =>
  `<direct-signature-job-manifest xmlns="${ns}">` +
  Array.from({ length: opts.signers ?? 1 }, (_, i) =>
    i === 0 && opts.custom !== undefined
      ? `<signer><signer-identifier>${opts.custom}</signer-identifier></signer>`
      : `<signer><personal-identification-number>${opts.pin ?? "01017012343"}</personal-identification-number></signer>`,
  ).join("") +
  `<sender><organization-number>${opts.org ?? "983163327"}</organization-number></sender>` +
  `<title>${opts.title ?? "T"}</title>` +
  (opts.description === undefined ? "" : `<description>${opts.description}</description>`) +
  "<documents>" +
  Array.from(
    { length: opts.docs ?? 1 },
    (_, i) => `<document href="${opts.href ?? `000${i}_a.pdf`}" mime="application/pdf"><title>D</title></document>`,
  ).join("") +
  "</documents></direct-signature-job-manifest>"

const request = (reference: string, url: string, method = "POLLING") =>
  `<direct-signature-job-request xmlns="${ns}"><reference>${reference}</reference><exit-urls><completion-url>${url}</completion-url>` +
  `<rejection-url>https://a/r</rejection-url><error-url>https://a/e</error-url></exit-urls><status-retrieval-method>${method}</status-retrieval-method></direct-signature-job-request>`

const status = (attrs: string, n = 1) =>
  `<direct-signature-job-status-response xmlns="${ns}"><signature-job-id>1</signature-job-id><signature-job-status>IN_PROGRESS</signature-job-status>` +
  `<status ${attrs}>WAITING</status>`.repeat(n) +
  "</direct-signature-job-status-response>"

const a = (n: number) => "a".repeat(n)

/** [name, document, expected validity] */
const limitCases: ReadonlyArray<readonly [string, string, boolean]> = [
  ["title 80", manifest({ title: a(80) }), true],
  ["title 81", manifest({ title: a(81) }), false],
  ["title empty", manifest({ title: "" }), false],
  ["description 220", manifest({ description: a(220) }), true],
  ["description 221", manifest({ description: a(221) }), false],
  ["signers 10", manifest({ signers: 10 }), true],
  ["signers 11", manifest({ signers: 11 }), false],
  ["documents 20", manifest({ docs: 20 }), true],
  ["documents 21", manifest({ docs: 21 }), false],
  ["href 4", manifest({ href: "a.pd" }), true],
  ["href 3", manifest({ href: "a.p" }), false],
  ["href 100", manifest({ href: a(100) }), true],
  ["href 101", manifest({ href: a(101) }), false],
  ["pin 10 digits", manifest({ pin: "0101701234" }), false],
  ["pin letters", manifest({ pin: "0101701234a" }), false],
  ["custom id 80", manifest({ custom: a(80) }), true],
  ["custom id 81", manifest({ custom: a(81) }), false],
  ["custom id empty", manifest({ custom: "" }), false],
  ["org 8 digits", manifest({ org: "98316332" }), false],
  ["reference 50", request(a(50), "https://a/c"), true],
  ["reference 51", request(a(51), "https://a/c"), false],
  ["url 500", request("r", `https://a/${a(490)}`), true],
  ["url 501", request("r", `https://a/${a(491)}`), false],
  ["unknown retrieval method", request("r", "https://a/c", "PUSH"), false],
  [
    "element order matters",
    `<direct-signature-job-manifest xmlns="${ns}"><sender><organization-number>983163327</organization-number></sender><signer><personal-identification-number>01017012343</personal-identification-number></signer><title>T</title><documents><document href="a.pdf" mime="application/pdf"><title>D</title></document></documents></direct-signature-job-manifest>`,
    false,
  ],
  ["status with since", status('signer="a" since="2026-01-01T00:00:00+01:00"'), true],
  ["status without signer attribute", status('since="2026-01-01T00:00:00Z"'), true],
  ["status without since", status('signer="a"'), false],
  ["status with invalid since", status('signer="a" since="yesterday"'), false],
  ["10 statuses", status('since="2026-01-01T00:00:00Z"', 10), true],
  ["11 statuses", status('since="2026-01-01T00:00:00Z"', 11), false],
  ["update request without redirect-url", `<direct-signer-update-request xmlns="${ns}"/>`, false],
  [
    "update request with content in redirect-url",
    `<direct-signer-update-request xmlns="${ns}"><redirect-url>x</redirect-url></direct-signer-update-request>`,
    false,
  ],
  ["error without error-type", `<error xmlns="${ns}"><error-code>a</error-code><error-message/></error>`, false],
  ["wrong namespace", manifest({}).replace(ns, "urn:other"), false],
]

describe("schema/direct.xsd", () => {
  it("accepts every fixture (golden encoder outputs, spec samples, real-service variants, legacy manifest)", async () => {
    const names = readdirSync(fixtureDir).filter((n) => n.endsWith(".xml"))
    expect(names.length).toBeGreaterThanOrEqual(20)
    const result = await validateDirect(names.map((name) => ({ name, xml: readFixture(name) })))
    const failing = names.filter((n) => result.errors.has(n))
    expect(failing).toEqual([...notSchemaValid])
  })

  it("enforces every documented limit, both sides of each boundary", async () => {
    const result = await validateDirect(limitCases.map(([name, xml]) => ({ name, xml })))
    const verdicts = limitCases.map(([name]) => [name, !result.errors.has(name)] as const)
    expect(verdicts).toEqual(limitCases.map(([name, , valid]) => [name, valid] as const))
  })
})
