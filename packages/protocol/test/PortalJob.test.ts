import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import fc from "fast-check"
import { completePin } from "../src/internal/checkDigits.js"
import * as PortalJob from "../src/PortalJob.js"
import { ValidationError } from "../src/ProtocolError.js"
import { arbPortalInput, pdf, validOrg, validPin, validPin2, validPortalInput } from "./support/portal.js"

const issuesOf = (input: PortalJob.PortalJobInput, options?: PortalJob.ValidateOptions) =>
  PortalJob.validate(input, options).map((i) => `${i.path}:${i.rule}`)

const ok = (input: PortalJob.PortalJobInput, options?: PortalJob.ValidateOptions) =>
  expect(PortalJob.validate(input, options)).toEqual([])

const s = (n: number, c = "a") => c.repeat(n)
const mail = (i: number) => `signer${i}@example.com`
const contactSigners = (n: number): Array<PortalJob.PortalSignerInput> =>
  Array.from({ length: n }, (_, i) => ({ contactInformation: { email: mail(i) } }))

describe("PortalJob.make", () => {
  it("builds a validated job: order 0 by default, empty availability, file names, redacted PINs", () => {
    const job = Result.getOrThrow(
      PortalJob.make(
        validPortalInput({
          documents: [{ title: "Hei på deg", bytes: pdf() }],
          signers: [
            {
              personalIdentificationNumber: validPin,
              notifications: { email: "kari@example.com", sms: "+4799999999" },
            },
            { personalIdentificationNumber: validPin2, notificationsUsingLookup: { email: true }, order: 1 },
            { contactInformation: { sms: "00000000" }, order: 2, signatureType: "AUTHENTICATED_ELECTRONIC_SIGNATURE" },
          ],
        }),
      ),
    )
    expect(job._tag).toBe("PortalJob")
    expect(job.availability).toEqual({})
    expect(job.documents[0]).toMatchObject({ fileName: "0000_hei_paa_deg.pdf", mediaType: "application/pdf" })
    const [a, b, c] = job.signers
    expect(a).toMatchObject({
      _tag: "PersonalIdentificationNumber",
      order: 0,
      notifications: { _tag: "Notifications", email: "kari@example.com", sms: "+4799999999" },
    })
    expect(b).toMatchObject({ order: 1, notifications: { _tag: "NotificationsUsingLookup", sms: false } })
    expect(c).toEqual({
      _tag: "ContactInformation",
      contactInformation: { sms: "00000000" },
      order: 2,
      signatureType: "AUTHENTICATED_ELECTRONIC_SIGNATURE",
    })
    if (a?._tag !== "PersonalIdentificationNumber") throw new Error("expected a PIN signer")
    expect(Redacted.value(a.personalIdentificationNumber)).toBe(validPin)
    expect(JSON.stringify(job)).not.toContain(validPin)
    expect(JSON.stringify(job)).not.toContain(validPin2)
    expect(String(a.personalIdentificationNumber)).not.toContain(validPin)
  })

  it("fails with a ValidationError listing every issue at once, each with its path", () => {
    const result = PortalJob.make(
      validPortalInput({
        title: "",
        nonsensitiveTitle: s(81),
        description: s(221),
        reference: s(51),
        sender: { organizationNumber: "12345678" },
        availability: { availableSeconds: 7_776_001 },
        signers: [{ personalIdentificationNumber: validPin, order: 10 } as PortalJob.PortalSignerInput],
        documents: [],
      }),
    )
    expect(Result.isFailure(result)).toBe(true)
    if (!Result.isFailure(result)) return
    expect(result.failure).toBeInstanceOf(ValidationError)
    expect(result.failure.issues.map((i) => `${i.path}:${i.rule}`)).toEqual([
      "title:required",
      "nonsensitiveTitle:too-long",
      "description:too-long",
      "reference:too-long",
      "sender.organizationNumber:pattern",
      "availability.availableSeconds:out-of-range",
      "signers[0].order:out-of-range",
      "signers[0]:required",
      "documents:too-few",
    ])
    expect(result.failure.message).toContain("7776000")
  })

  it.effect("makeEffect and makeOrThrow", () =>
    Effect.gen(function* () {
      expect((yield* PortalJob.makeEffect(validPortalInput())).title).toBe("Leiekontrakt")
      const error = yield* Effect.flip(PortalJob.makeEffect(validPortalInput({ title: "" })))
      expect(error.issues.map((i) => i.path)).toEqual(["title"])
      expect(() => PortalJob.makeOrThrow(validPortalInput({ title: "" }))).toThrow(ValidationError)
    }),
  )

  it("never throws, whatever the input", () => {
    for (const input of [null, undefined, 42, "job", [], { signers: [null, 1], documents: "x", sender: [] }]) {
      expect(PortalJob.validate(input as never).length).toBeGreaterThan(0)
    }
  })
})

describe("PortalJob limits, each on both sides of the boundary", () => {
  const cases: ReadonlyArray<readonly [string, Partial<PortalJob.PortalJobInput>, ReadonlyArray<string>]> = [
    ["title 80", { title: s(80) }, []],
    ["title 81", { title: s(81) }, ["title:too-long"]],
    ["title empty", { title: "" }, ["title:required"]],
    ["non-sensitive title 80", { nonsensitiveTitle: s(80) }, []],
    ["non-sensitive title 81", { nonsensitiveTitle: s(81) }, ["nonsensitiveTitle:too-long"]],
    ["non-sensitive title empty is invalid, not absent", { nonsensitiveTitle: "" }, ["nonsensitiveTitle:required"]],
    ["description 220", { description: s(220) }, []],
    ["description 221", { description: s(221) }, ["description:too-long"]],
    ["reference 50", { reference: s(50) }, []],
    ["reference 51", { reference: s(51) }, ["reference:too-long"]],
    ["10 signers", { signers: contactSigners(10) }, []],
    ["11 signers", { signers: contactSigners(11) }, ["signers:too-many"]],
    ["0 signers", { signers: [] }, ["signers:too-few"]],
    ["20 documents", { documents: Array.from({ length: 20 }, () => ({ title: "d", bytes: pdf() })) }, []],
    [
      "21 documents",
      { documents: Array.from({ length: 21 }, () => ({ title: "d", bytes: pdf() })) },
      ["documents:too-many"],
    ],
    ["document title 80", { documents: [{ title: s(80), bytes: pdf() }] }, []],
    ["document title 81", { documents: [{ title: s(81), bytes: pdf() }] }, ["documents[0].title:too-long"]],
    ["document title empty", { documents: [{ title: "", bytes: pdf() }] }, ["documents[0].title:required"]],
    ["file name 4", { documents: [{ title: "d", bytes: pdf(), fileName: "a.pd" }] }, []],
    [
      "file name 3",
      { documents: [{ title: "d", bytes: pdf(), fileName: "a.p" }] },
      ["documents[0].fileName:too-short"],
    ],
    ["file name 100", { documents: [{ title: "d", bytes: pdf(), fileName: s(100) }] }, []],
    [
      "file name 101",
      { documents: [{ title: "d", bytes: pdf(), fileName: s(101) }] },
      ["documents[0].fileName:too-long"],
    ],
    [
      "file name with a space",
      { documents: [{ title: "d", bytes: pdf(), fileName: "a b.pdf" }] },
      ["documents[0].fileName:unsafe-characters"],
    ],
    [
      "not a PDF",
      { documents: [{ title: "d", bytes: new TextEncoder().encode("hello") }] },
      ["documents[0].bytes:not-pdf"],
    ],
    [
      "text/plain as Java allows",
      { documents: [{ title: "d", bytes: new TextEncoder().encode("hello"), mediaType: "text/plain" }] },
      [],
    ],
    [
      "unknown media type",
      { documents: [{ title: "d", bytes: pdf(), mediaType: "image/png" as never }] },
      ["documents[0].mediaType:not-allowed"],
    ],
    ["org number 8 digits", { sender: { organizationNumber: "98316332" } }, ["sender.organizationNumber:pattern"]],
    [
      "org number bad check digit",
      { sender: { organizationNumber: "983163328" } },
      ["sender.organizationNumber:check-digit"],
    ],
    [
      "polling queue empty",
      { sender: { organizationNumber: validOrg, pollingQueue: "" } },
      ["sender.pollingQueue:required"],
    ],
    ["available seconds 0", { availability: { availableSeconds: 0 } }, []],
    ["available seconds 7 776 000", { availability: { availableSeconds: 7_776_000 } }, []],
    [
      "available seconds 7 776 001",
      { availability: { availableSeconds: 7_776_001 } },
      ["availability.availableSeconds:out-of-range"],
    ],
    [
      "available seconds -1",
      { availability: { availableSeconds: -1 } },
      ["availability.availableSeconds:out-of-range"],
    ],
    ["available seconds 1.5", { availability: { availableSeconds: 1.5 } }, ["availability.availableSeconds:type"]],
    ["activation time", { availability: { activationTime: new Date("2026-12-24T08:00:00Z") } }, []],
    [
      "activation time invalid",
      { availability: { activationTime: new Date("nope") } },
      ["availability.activationTime:type"],
    ],
    [
      "activation time a string",
      { availability: { activationTime: "2026-12-24" as never } },
      ["availability.activationTime:type"],
    ],
    ["required authentication 5", { requiredAuthentication: "5" as never }, ["requiredAuthentication:not-allowed"]],
    [
      "identifier unknown",
      { identifierInSignedDocuments: "EMAIL" as never },
      ["identifierInSignedDocuments:not-allowed"],
    ],
  ]
  for (const [name, overrides, expected] of cases) {
    it(name, () => expect(issuesOf(validPortalInput(overrides))).toEqual(expected))
  }

  const signerCases: ReadonlyArray<
    readonly [string, PortalJob.PortalSignerInput | Record<string, unknown>, ReadonlyArray<string>]
  > = [
    ["order 0", { contactInformation: { email: "a@b" }, order: 0 }, []],
    ["order 9", { contactInformation: { email: "a@b" }, order: 9 }, []],
    ["order 10", { contactInformation: { email: "a@b" }, order: 10 }, ["signers[0].order:out-of-range"]],
    ["order -1", { contactInformation: { email: "a@b" }, order: -1 }, ["signers[0].order:out-of-range"]],
    ["order 1.5", { contactInformation: { email: "a@b" }, order: 1.5 }, ["signers[0].order:out-of-range"]],
    ["contact signer needs e-mail or mobile", { contactInformation: {} }, ["signers[0].contactInformation:required"]],
    ["contact signer by SMS only", { contactInformation: { sms: "999999999" } }, []],
    ["mobile 00000000 (the docs' example)", { contactInformation: { sms: "00000000" } }, []],
    ["mobile with +", { contactInformation: { sms: "+4799999999" } }, []],
    [
      "mobile with a space",
      { contactInformation: { sms: "+47 99999999" } },
      ["signers[0].contactInformation.sms:mobile"],
    ],
    ["mobile with letters", { contactInformation: { sms: "99x" } }, ["signers[0].contactInformation.sms:mobile"]],
    [
      "e-mail without @",
      { contactInformation: { email: "kari.example.com" } },
      ["signers[0].contactInformation.email:email"],
    ],
    ["e-mail with two @", { contactInformation: { email: "a@b@c" } }, ["signers[0].contactInformation.email:email"]],
    ["e-mail empty", { contactInformation: { email: "" } }, ["signers[0].contactInformation.email:required"]],
    [
      "contact signer with notifications too",
      { contactInformation: { email: "a@b" }, notifications: { email: "c@d" } },
      ["signers[0]:notifications"],
    ],
    ["PIN signer without a way to be notified", { personalIdentificationNumber: validPin }, ["signers[0]:required"]],
    [
      "PIN signer with both notifications and lookup",
      {
        personalIdentificationNumber: validPin,
        notifications: { email: "a@b" },
        notificationsUsingLookup: { email: true },
      },
      ["signers[0]:notifications"],
    ],
    [
      "PIN signer with empty notifications",
      { personalIdentificationNumber: validPin, notifications: {} },
      ["signers[0].notifications:required"],
    ],
    [
      "PIN signer by lookup with SMS",
      { personalIdentificationNumber: validPin, notificationsUsingLookup: { email: true, sms: true } },
      [],
    ],
    [
      "lookup without email: true",
      { personalIdentificationNumber: validPin, notificationsUsingLookup: { sms: true } },
      ["signers[0].notificationsUsingLookup.email:required"],
    ],
    [
      "OTHER with lookup is refused, as Java does",
      { personalIdentificationNumber: validPin, notificationsUsingLookup: { email: true }, onBehalfOf: "OTHER" },
      ["signers[0].notificationsUsingLookup:on-behalf-of"],
    ],
    [
      "OTHER with given notifications",
      { personalIdentificationNumber: validPin, notifications: { sms: "12345678" }, onBehalfOf: "OTHER" },
      [],
    ],
    [
      "both PIN and contact information",
      { personalIdentificationNumber: validPin, contactInformation: { email: "a@b" } },
      ["signers[0]:signer-identifier"],
    ],
    ["neither PIN nor contact information", { notifications: { email: "a@b" } }, ["signers[0]:signer-identifier"]],
    [
      "PIN of 10 digits",
      { personalIdentificationNumber: "0101701234", notifications: { email: "a@b" } },
      ["signers[0].personalIdentificationNumber:pattern"],
    ],
    [
      "PIN with a wrong check digit",
      { personalIdentificationNumber: "01017012345", notifications: { email: "a@b" } },
      ["signers[0].personalIdentificationNumber:check-digit"],
    ],
    ["PIN as Redacted", { personalIdentificationNumber: Redacted.make(validPin), notifications: { email: "a@b" } }, []],
    [
      "unknown signature type",
      { contactInformation: { email: "a@b" }, signatureType: "QES" },
      ["signers[0].signatureType:not-allowed"],
    ],
    [
      "unknown on-behalf-of",
      { contactInformation: { email: "a@b" }, onBehalfOf: "BOTH" },
      ["signers[0].onBehalfOf:not-allowed"],
    ],
  ]
  for (const [name, signer, expected] of signerCases) {
    it(`signer: ${name}`, () =>
      expect(issuesOf(validPortalInput({ signers: [signer as PortalJob.PortalSignerInput] }))).toEqual(expected))
  }

  it("PIN check digits can be opted out of (synthetic test numbers), as in the direct flow", () => {
    const input = validPortalInput({
      signers: [{ personalIdentificationNumber: "01017012345", notifications: { email: "a@b" } }],
    })
    expect(issuesOf(input)).toEqual(["signers[0].personalIdentificationNumber:check-digit"])
    ok(input, { allowInvalidPersonalIdentificationNumberChecksum: true })
    expect(Result.isSuccess(PortalJob.make(input, { allowInvalidPersonalIdentificationNumberChecksum: true }))).toBe(
      true,
    )
  })

  it("messages never show a full PIN", () => {
    const pin = "01017012345"
    const issues = PortalJob.validate(
      validPortalInput({ signers: [{ personalIdentificationNumber: pin, notifications: { email: "a@b" } }] }),
    )
    expect(issues.length).toBe(1)
    expect(issues[0]!.message).not.toContain(pin)
    expect(issues[0]!.message).toContain("010170*****")
  })

  it("signer identifiers are unique: PINs, and contact signers' e-mail addresses and mobile numbers", () => {
    expect(
      issuesOf(
        validPortalInput({
          signers: [
            { personalIdentificationNumber: validPin, notifications: { email: "a@b" } },
            { personalIdentificationNumber: validPin, notifications: { email: "c@d" } },
            { contactInformation: { email: "x@y", sms: "123" } },
            { contactInformation: { email: "x@y" } },
            { contactInformation: { sms: "123" } },
            // The same address in a PIN signer's notifications identifies nobody: the answer names that signer by PIN.
            { contactInformation: { email: "a@b" } },
          ],
        }),
      ),
    ).toEqual([
      "signers[1].personalIdentificationNumber:duplicate",
      "signers[3].contactInformation.email:duplicate",
      "signers[4].contactInformation.sms:duplicate",
    ])
    // Verbatim: addresses differing only in case are different identifiers (never normalized).
    ok(
      validPortalInput({
        signers: [{ contactInformation: { email: "A@b" } }, { contactInformation: { email: "a@b" } }],
      }),
    )
  })

  it("e-mail addresses and mobile numbers are kept exactly as given", () => {
    const job = PortalJob.makeOrThrow(
      validPortalInput({ signers: [{ contactInformation: { email: "Kari.Nordmann@Example.COM", sms: "+004799" } }] }),
    )
    expect(job.signers[0]).toMatchObject({ contactInformation: { email: "Kari.Nordmann@Example.COM", sms: "+004799" } })
  })
})

describe("PortalJob properties", () => {
  it("every generated valid input validates, and make keeps what it was given", () => {
    fc.assert(
      fc.property(arbPortalInput, (input) => {
        const job = Result.getOrThrow(PortalJob.make(input))
        expect(job.title).toBe(input.title)
        expect(job.signers.length).toBe(input.signers.length)
        expect(job.signers.map((signer) => signer.order)).toEqual(input.signers.map((signer) => signer.order ?? 0))
        expect(job.availability).toEqual(input.availability ?? {})
      }),
      { numRuns: 200 },
    )
  })

  it("a PIN whose check digits are off by one is always refused, and accepted with the opt-out", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{9}$/), (nine) => {
        const pin = completePin(nine)
        if (pin === undefined) return
        const wrong = pin.slice(0, 10) + String((Number(pin[10]) + 1) % 10)
        const input = validPortalInput({
          signers: [{ personalIdentificationNumber: wrong, notifications: { sms: "1" } }],
        })
        expect(issuesOf(input)).toEqual(["signers[0].personalIdentificationNumber:check-digit"])
        ok(input, { allowInvalidPersonalIdentificationNumberChecksum: true })
      }),
      { numRuns: 100 },
    )
  })
})
