/**
 * Our own schema/portal.xsd: it accepts every message the portal codecs write and the hand-written fixtures, and
 * it enforces the documented limits (each on both sides of the boundary), as the official schema does and where
 * PROTOCOL.md §12.6 adds one (available seconds ≤ 90 days).
 */
import { describe, expect, it } from "@effect/vitest"
import * as PortalXml from "../src/PortalXml.js"
import { readPortalFixture } from "./support/portal.js"
import { describeErrors, validatePortal } from "./support/xsd.js"

const ns = PortalXml.namespace

const manifest = (opts: {
  signers?: number
  docs?: number
  title?: string
  nonsensitive?: string
  description?: string
  href?: string
  mime?: string
  order?: string
  seconds?: string
  signer?: string
  org?: string
}) =>
  `<portal-signature-job-manifest xmlns="${ns}"><signers>` +
  Array.from({ length: opts.signers ?? 1 }, (_, i) =>
    i === 0 && opts.signer !== undefined
      ? opts.signer
      : `<signer order="${opts.order ?? "0"}"><identified-by-contact-information/><notifications><email address="a${i}@b"/></notifications></signer>`,
  ).join("") +
  `</signers><sender><organization-number>${opts.org ?? "983163327"}</organization-number></sender>` +
  `<title>${opts.title ?? "T"}</title>` +
  (opts.nonsensitive === undefined ? "" : `<nonsensitive-title>${opts.nonsensitive}</nonsensitive-title>`) +
  (opts.description === undefined ? "" : `<description>${opts.description}</description>`) +
  "<documents>" +
  Array.from(
    { length: opts.docs ?? 1 },
    (_, i) =>
      `<document href="${opts.href ?? `000${i}_a.pdf`}" mime="${opts.mime ?? "application/pdf"}"><title>D</title></document>`,
  ).join("") +
  "</documents>" +
  (opts.seconds === undefined
    ? "<availability/>"
    : `<availability><available-seconds>${opts.seconds}</available-seconds></availability>`) +
  "</portal-signature-job-manifest>"

const signer = (inner: string) => `<signer>${inner}</signer>`
const a = (n: number) => "a".repeat(n)

const cases: ReadonlyArray<readonly [string, string, boolean]> = [
  ["title 80", manifest({ title: a(80) }), true],
  ["title 81", manifest({ title: a(81) }), false],
  ["title empty", manifest({ title: "" }), false],
  ["non-sensitive title 80", manifest({ nonsensitive: a(80) }), true],
  ["non-sensitive title 81", manifest({ nonsensitive: a(81) }), false],
  ["non-sensitive title empty", manifest({ nonsensitive: "" }), false],
  ["description 220", manifest({ description: a(220) }), true],
  ["description 221", manifest({ description: a(221) }), false],
  ["signers 10", manifest({ signers: 10 }), true],
  ["signers 11", manifest({ signers: 11 }), false],
  ["documents 20", manifest({ docs: 20 }), true],
  ["documents 21", manifest({ docs: 21 }), false],
  ["href 4", manifest({ href: "a.pd" }), true],
  ["href 3", manifest({ href: "a.p" }), false],
  ["href 101", manifest({ href: a(101) }), false],
  ["mime 100", manifest({ mime: a(100) }), true],
  ["mime 101", manifest({ mime: a(101) }), false],
  ["mime empty", manifest({ mime: "" }), false],
  ["order 9", manifest({ order: "9" }), true],
  ["order 10", manifest({ order: "10" }), false],
  ["order -1", manifest({ order: "-1" }), false],
  ["available seconds 7776000", manifest({ seconds: "7776000" }), true],
  ["available seconds 7776001", manifest({ seconds: "7776001" }), false],
  ["available seconds -1", manifest({ seconds: "-1" }), false],
  ["org 8 digits", manifest({ org: "98316332" }), false],
  [
    "SMS-only notifications",
    manifest({
      signer: signer('<identified-by-contact-information/><notifications><sms number="00000000"/></notifications>'),
    }),
    true,
  ],
  [
    "SMS before e-mail",
    manifest({
      signer: signer(
        '<identified-by-contact-information/><notifications><sms number="1"/><email address="a@b"/></notifications>',
      ),
    }),
    false,
  ],
  ["no notifications at all", manifest({ signer: signer("<identified-by-contact-information/>") }), false],
  [
    "lookup with SMS",
    manifest({
      signer: signer(
        "<personal-identification-number>01017012343</personal-identification-number><notifications-using-lookup><email/><sms/></notifications-using-lookup>",
      ),
    }),
    true,
  ],
  [
    "lookup without e-mail",
    manifest({
      signer: signer(
        "<personal-identification-number>01017012343</personal-identification-number><notifications-using-lookup><sms/></notifications-using-lookup>",
      ),
    }),
    false,
  ],
  [
    "PIN of 10 digits",
    manifest({
      signer: signer(
        '<personal-identification-number>0101701234</personal-identification-number><notifications><sms number="1"/></notifications>',
      ),
    }),
    false,
  ],
  [
    "signature type after notifications",
    manifest({
      signer: signer(
        '<identified-by-contact-information/><notifications><sms number="1"/></notifications><signature-type>ADVANCED_ELECTRONIC_SIGNATURE</signature-type>',
      ),
    }),
    false,
  ],
  [
    "reference 51",
    `<portal-signature-job-request xmlns="${ns}"><reference>${a(51)}</reference></portal-signature-job-request>`,
    false,
  ],
  ["unknown job status", readPortalFixture("status-change-response.unknown-job-status.xml"), false],
]

describe("schema/portal.xsd", () => {
  it("accepts the hand-written fixtures (except the one with elements from the future)", async () => {
    const names = [
      "job-response.spec.xml",
      "manifest.legacy.xml",
      "status-change-response.spec.xml",
      "status-change-response.unknown-signature-status.xml",
    ]
    const result = await validatePortal(names.map((name) => ({ name, xml: readPortalFixture(name) })))
    expect(result.valid, describeErrors(result)).toBe(true)
  })

  it("enforces every documented limit, both sides of each boundary", async () => {
    const result = await validatePortal(cases.map(([name, xml]) => ({ name, xml })))
    const verdicts = cases.map(([name]) => [name, !result.errors.has(name)])
    expect(verdicts).toEqual(cases.map(([name, , valid]) => [name, valid]))
  })
})
