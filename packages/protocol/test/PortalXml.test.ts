/**
 * The portal codecs, three ways: golden files per message, round-trip properties (client encoder → server
 * decoder, server encoder → client decoder), and malformed input ending in a typed error. Every encoded message
 * is validated against our schema/portal.xsd and against the service's official portal.xsd.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import fc from "fast-check"
import * as PortalJob from "../src/PortalJob.js"
import * as PortalResponse from "../src/PortalResponse.js"
import * as PortalServerXml from "../src/PortalServerXml.js"
import * as PortalXml from "../src/PortalXml.js"
import { DecodeError } from "../src/ProtocolError.js"
import {
  arbPortalInput,
  arbPortalJobResponse,
  arbStatusChangeResponse,
  pdf,
  portalGolden,
  readPortalFixture,
  reveal,
  validOrg,
  validPin,
  validPin2,
  validPortalInput,
} from "./support/portal.js"
import { describeErrors, validateOfficialPortal, validatePortal } from "./support/xsd.js"

const ok = <A>(r: Result.Result<A, DecodeError>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${r.failure.message}`)
  return r.success
}
const failure = <A>(r: Result.Result<A, DecodeError>): DecodeError => {
  if (Result.isSuccess(r)) throw new Error("expected a DecodeError")
  return r.failure
}

/** Every field set, markup and non-ASCII characters in the texts, all three kinds of signer. */
export const fullPortalJob = PortalJob.makeOrThrow(
  validPortalInput({
    title: "Leiekontrakt <Storgata 1> & co",
    nonsensitiveTitle: 'Kontrakt "til signering"',
    description: "Før 24. desember, æøå ÆØÅ",
    reference: "leie-2026-114",
    documents: [
      { title: "Kontrakt", bytes: pdf("a") },
      { title: "Vedlegg A", bytes: new TextEncoder().encode("tekst"), mediaType: "text/plain" },
    ],
    signers: [
      {
        personalIdentificationNumber: validPin,
        notifications: { email: "kari&ola@example.com", sms: "+4799999999" },
        signatureType: "AUTHENTICATED_ELECTRONIC_SIGNATURE",
        onBehalfOf: "OTHER",
      },
      { personalIdentificationNumber: validPin2, notificationsUsingLookup: { email: true, sms: true }, order: 1 },
      { contactInformation: { sms: "00000000" }, order: 2, onBehalfOf: "SELF" },
      { contactInformation: { email: "per@example.com" }, order: 2 },
    ],
    sender: { organizationNumber: validOrg, pollingQueue: "avdeling-øst" },
    availability: { activationTime: new Date("2026-12-24T08:00:00.000Z"), availableSeconds: 345_600 },
    requiredAuthentication: "3",
    identifierInSignedDocuments: "DATE_OF_BIRTH_AND_NAME",
  }),
)

const minimalPortalJob = PortalJob.makeOrThrow(validPortalInput())

const jobResponse: PortalResponse.JobResponse = {
  signatureJobId: 4711n,
  reference: "leie-2026-114",
  cancellationUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/cancel",
}

const statusChange: PortalResponse.StatusChangeResponse = {
  signatureJobId: 4711n,
  reference: "leie-2026-114",
  status: "COMPLETED_SUCCESSFULLY",
  confirmationUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/complete",
  deleteDocumentsUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/delete-documents",
  signatures: [
    {
      signer: { _tag: "PersonalIdentificationNumber", personalIdentificationNumber: Redacted.make(validPin) },
      status: "SIGNED",
      since: new Date("2026-12-01T08:15:00.000Z"),
      xadesUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/xades/1",
    },
    {
      signer: { _tag: "ContactInformation", email: "kari@example.com", sms: "00000000" },
      status: "SIGNED",
      since: new Date("2026-12-01T09:00:00.500Z"),
    },
  ],
  padesUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/pades",
}

const encoded: ReadonlyArray<readonly [string, string]> = [
  ["job-request.full.xml", PortalXml.encodeJobRequest(fullPortalJob)],
  ["job-request.minimal.xml", PortalXml.encodeJobRequest(minimalPortalJob)],
  ["manifest.full.xml", PortalXml.encodeManifest(fullPortalJob)],
  ["manifest.minimal.xml", PortalXml.encodeManifest(minimalPortalJob)],
  ["encoded.job-response.xml", PortalServerXml.encodeJobResponse(jobResponse)],
  ["encoded.status-change-response.xml", PortalServerXml.encodeStatusChangeResponse(statusChange)],
  ["encoded.error.xml", PortalServerXml.encodeError({ errorCode: "X", errorMessage: "a < b", errorType: "CLIENT" })],
]

describe("PortalXml encoders", () => {
  for (const [name, xml] of encoded) {
    it(`${name} matches its golden file`, () => expect(xml).toBe(portalGolden(name, xml)))
  }

  it("every encoded message is valid against our schema and the official portal.xsd", async () => {
    const documents = encoded.filter(([name]) => name !== "encoded.error.xml").map(([name, xml]) => ({ name, xml }))
    const ours = await validatePortal(documents)
    expect(ours.valid, describeErrors(ours)).toBe(true)
    const official = await validateOfficialPortal(documents)
    expect(official.valid, describeErrors(official)).toBe(true)
  })

  it("writes order on every signer and an <availability>, even empty, as Java does", () => {
    const manifest = PortalXml.encodeManifest(minimalPortalJob)
    expect(manifest).toContain('<signer order="0">')
    expect(manifest).toContain("<availability></availability>")
    expect(PortalXml.encodeJobRequest(minimalPortalJob)).toBe(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><portal-signature-job-request xmlns="${PortalXml.namespace}"></portal-signature-job-request>`,
    )
  })

  it("encodeManifestBytes is the UTF-8 of encodeManifest", () => {
    expect(new TextDecoder().decode(PortalXml.encodeManifestBytes(fullPortalJob))).toBe(
      PortalXml.encodeManifest(fullPortalJob),
    )
  })

  it("every valid job's request and manifest validate against both schemas (property)", async () => {
    const jobs = fc.sample(arbPortalInput, { numRuns: 60, seed: 12 }).map((input) => PortalJob.makeOrThrow(input))
    const documents = jobs.flatMap((job, i) => [
      { name: `request ${i}`, xml: PortalXml.encodeJobRequest(job) },
      { name: `manifest ${i}`, xml: PortalXml.encodeManifest(job) },
    ])
    const ours = await validatePortal(documents)
    expect(ours.valid, describeErrors(ours)).toBe(true)
    const official = await validateOfficialPortal(documents)
    expect(official.valid, describeErrors(official)).toBe(true)
  })
})

describe("PortalXml.decodeJobResponse", () => {
  it("reads the answer to create", () => {
    expect(ok(PortalXml.decodeJobResponse(readPortalFixture("job-response.spec.xml")))).toEqual(jobResponse)
  })

  it("requires the cancellation URL and a long job id", () => {
    const ns = PortalXml.namespace
    expect(
      failure(
        PortalXml.decodeJobResponse(
          `<portal-signature-job-response xmlns="${ns}"><signature-job-id>1</signature-job-id></portal-signature-job-response>`,
        ),
      ).reason,
    ).toBe("MissingElement")
    expect(
      failure(
        PortalXml.decodeJobResponse(
          `<portal-signature-job-response xmlns="${ns}"><signature-job-id>x</signature-job-id><cancellation-url>https://a/c</cancellation-url></portal-signature-job-response>`,
        ),
      ).reason,
    ).toBe("InvalidValue")
  })
})

describe("PortalXml.decodeStatusChangeResponse", () => {
  it("reads signatures identified by PIN and by e-mail/SMS, with since, XAdES and PAdES URLs", () => {
    const change = ok(PortalXml.decodeStatusChangeResponse(readPortalFixture("status-change-response.spec.xml")))
    expect(reveal(change)).toEqual({
      signatureJobId: 4711n,
      reference: "leie-2026-114",
      status: "IN_PROGRESS",
      confirmationUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/complete",
      cancellationUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/cancel",
      signatures: [
        {
          // Decoders never check check digits: this number fails mod-11, as the official examples' do.
          signer: { _tag: "PersonalIdentificationNumber", personalIdentificationNumber: { redacted: "12345678910" } },
          status: "SIGNED",
          since: new Date("2026-12-01T08:15:00.000Z"),
          xadesUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/xades/1",
        },
        {
          signer: { _tag: "ContactInformation", email: "kari@example.com", sms: "00000000" },
          status: "WAITING",
          since: new Date("2026-12-01T08:15:00.000Z"),
        },
        {
          signer: { _tag: "ContactInformation", sms: "+4799999999" },
          status: "WAITING",
          since: new Date("2026-12-01T08:00:00.000Z"),
        },
      ],
      padesUrl: "https://api.signering.posten.no/api/983163327/portal/signature-jobs/4711/pades",
    })
    // A decoded PIN stays out of logs and printed values.
    const printed = JSON.stringify(change, (_, v) => (typeof v === "bigint" ? v.toString() : v))
    expect(printed).toContain("kari@example.com")
    expect(printed).not.toContain("12345678910")
    expect(
      String(
        change.signatures[0]?.signer._tag === "PersonalIdentificationNumber"
          ? change.signatures[0].signer.personalIdentificationNumber
          : "",
      ),
    ).not.toContain("12345678910")
  })

  it("ignores prefixes, foreign namespaces and unknown elements", () => {
    const change = ok(PortalXml.decodeStatusChangeResponse(readPortalFixture("status-change-response.ns4.xml")))
    expect(change.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(change.cancellationUrl).toBeUndefined()
    expect(change.deleteDocumentsUrl).toMatch(/delete-documents$/)
    expect(change.signatures).toEqual([
      {
        signer: { _tag: "ContactInformation", email: "ola@example.com" },
        status: "SIGNED",
        since: new Date("2026-12-02T09:00:00.123Z"),
        xadesUrl: "https://api.difitest.signering.posten.no/api/983163327/portal/signature-jobs/4712/xades/9",
      },
    ])
    expect(PortalResponse.isPadesAvailable(change)).toBe(true)
  })

  it("keeps an unknown signature status as its string; an unknown job status is a DecodeError", () => {
    const change = ok(
      PortalXml.decodeStatusChangeResponse(readPortalFixture("status-change-response.unknown-signature-status.xml")),
    )
    expect(change.signatures.map((s) => s.status)).toEqual(["A_STATUS_FROM_THE_FUTURE", "BLOCKED"])
    expect(PortalResponse.isPadesAvailable(change)).toBe(false)
    const error = failure(
      PortalXml.decodeStatusChangeResponse(readPortalFixture("status-change-response.unknown-job-status.xml")),
    )
    expect(error).toBeInstanceOf(DecodeError)
    expect(error.reason).toBe("InvalidValue")
    expect(error.expected).toBe("portal-signature-job-status-change-response")
  })

  const ns = PortalXml.namespace
  const change = (
    inner: string,
    signatures = '<signature><status since="2026-01-01T00:00:00Z">WAITING</status><personal-identification-number>01017012343</personal-identification-number></signature>',
  ) =>
    `<portal-signature-job-status-change-response xmlns="${ns}"><signature-job-id>1</signature-job-id>${inner}<signatures>${signatures}</signatures></portal-signature-job-status-change-response>`
  const malformed: ReadonlyArray<readonly [string, string, DecodeError["reason"]]> = [
    ["no status", change("<confirmation-url>https://a/c</confirmation-url>"), "MissingElement"],
    ["no confirmation URL", change("<status>IN_PROGRESS</status>"), "MissingElement"],
    [
      "no signature",
      change("<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>", ""),
      "MissingElement",
    ],
    [
      "signature without since",
      change(
        "<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>",
        "<signature><status>WAITING</status><personal-identification-number>1</personal-identification-number></signature>",
      ),
      "MissingElement",
    ],
    [
      "since that is no dateTime",
      change(
        "<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>",
        '<signature><status since="yesterday">WAITING</status><personal-identification-number>1</personal-identification-number></signature>',
      ),
      "InvalidValue",
    ],
    [
      "signature without identifier",
      change(
        "<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>",
        '<signature><status since="2026-01-01T00:00:00Z">WAITING</status></signature>',
      ),
      "MissingElement",
    ],
    [
      "identifier without e-mail or SMS",
      change(
        "<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>",
        '<signature><status since="2026-01-01T00:00:00Z">WAITING</status><identifier/></signature>',
      ),
      "MissingElement",
    ],
    [
      "e-mail without address",
      change(
        "<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>",
        '<signature><status since="2026-01-01T00:00:00Z">WAITING</status><identifier><email/></identifier></signature>',
      ),
      "MissingElement",
    ],
    [
      "both PIN and identifier",
      change(
        "<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>",
        '<signature><status since="2026-01-01T00:00:00Z">WAITING</status><personal-identification-number>1</personal-identification-number><identifier><sms number="1"/></identifier></signature>',
      ),
      "InvalidValue",
    ],
    [
      "two job statuses",
      change("<status>IN_PROGRESS</status><status>FAILED</status><confirmation-url>https://a/c</confirmation-url>"),
      "InvalidValue",
    ],
    [
      "DOCTYPE",
      `<!DOCTYPE x [<!ENTITY a "b">]>${change("<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>")}`,
      "Forbidden",
    ],
    ["wrong root", `<portal-signature-job-response xmlns="${ns}"/>`, "UnexpectedRoot"],
    ["no namespace", "<portal-signature-job-status-change-response/>", "UnexpectedRoot"],
    ["not XML", '{ "status": "IN_PROGRESS" }', "Malformed"],
    ["truncated", change("<status>IN_PROGRESS</status>").slice(0, 120), "Malformed"],
  ]
  for (const [name, xml, reason] of malformed) {
    it(`malformed: ${name} → DecodeError ${reason}`, () => {
      const error = failure(PortalXml.decodeStatusChangeResponse(xml))
      expect(error).toBeInstanceOf(DecodeError)
      expect(error.reason).toBe(reason)
    })
  }

  it("bounds size and depth", () => {
    const valid = readPortalFixture("status-change-response.spec.xml")
    expect(failure(PortalXml.decodeStatusChangeResponse(valid, { maxBytes: 100 })).reason).toBe("TooLarge")
    const deep = change(
      `<status>IN_PROGRESS</status><confirmation-url>https://a/c</confirmation-url>${"<x>".repeat(100)}${"</x>".repeat(100)}`,
    )
    expect(failure(PortalXml.decodeStatusChangeResponse(deep)).reason).toBe("TooLarge")
  })

  it("never throws on arbitrary input (property)", () => {
    const valid = readPortalFixture("status-change-response.spec.xml")
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.nat({ max: valid.length }), fc.string(), (a, b, junk) => {
        const mutated = valid.slice(0, Math.min(a, b)) + junk + valid.slice(Math.max(a, b))
        const result = PortalXml.decodeStatusChangeResponse(mutated)
        if (Result.isFailure(result)) expect(result.failure).toBeInstanceOf(DecodeError)
      }),
      { numRuns: 300 },
    )
  })

  it.effect("Effect variants succeed and fail in the error channel", () =>
    Effect.gen(function* () {
      const change = yield* PortalXml.decodeStatusChangeResponseEffect(
        readPortalFixture("status-change-response.spec.xml"),
      )
      expect(change.signatureJobId).toBe(4711n)
      const response = yield* PortalXml.decodeJobResponseEffect(readPortalFixture("job-response.spec.xml"))
      expect(response.cancellationUrl).toMatch(/cancel$/)
      const error = yield* Effect.flip(PortalXml.decodeStatusChangeResponseEffect("<nope/>"))
      expect(error.reason).toBe("UnexpectedRoot")
      const body = yield* PortalXml.decodeErrorEffect(
        PortalServerXml.encodeError({ errorCode: "C", errorMessage: "m", errorType: "CLIENT" }),
      )
      expect(body.errorCode).toBe("C")
    }),
  )
})

describe("round trips (property)", () => {
  it("client manifest and request → server decoders give back the job", () => {
    fc.assert(
      fc.property(arbPortalInput, (input) => {
        const job = PortalJob.makeOrThrow(input)
        expect(ok(PortalServerXml.decodeJobRequest(PortalXml.encodeJobRequest(job)))).toEqual({
          ...(job.reference === undefined ? {} : { reference: job.reference }),
          ...(job.sender.pollingQueue === undefined ? {} : { pollingQueue: job.sender.pollingQueue }),
        })
        const manifest = ok(PortalServerXml.decodeManifest(PortalXml.encodeManifestBytes(job)))
        expect(manifest).toEqual(manifestOf(job))
      }),
      { numRuns: 200 },
    )
  })

  it("server responses → client decoders give back the response", () => {
    fc.assert(
      fc.property(arbStatusChangeResponse, (r) => {
        expect(reveal(ok(PortalXml.decodeStatusChangeResponse(PortalServerXml.encodeStatusChangeResponse(r))))).toEqual(
          reveal(r),
        )
      }),
      { numRuns: 200 },
    )
    fc.assert(
      fc.property(arbPortalJobResponse, (r) => {
        expect(ok(PortalXml.decodeJobResponse(PortalServerXml.encodeJobResponse(r)))).toEqual(r)
      }),
      { numRuns: 200 },
    )
  })

  it("every encoded status change validates against both schemas", async () => {
    const documents = fc
      .sample(arbStatusChangeResponse, { numRuns: 40, seed: 7 })
      .map((r, i) => ({ name: `change ${i}`, xml: PortalServerXml.encodeStatusChangeResponse(r) }))
      .concat(
        fc
          .sample(arbPortalJobResponse, { numRuns: 20, seed: 7 })
          .map((r, i) => ({ name: `response ${i}`, xml: PortalServerXml.encodeJobResponse(r) })),
      )
    const ours = await validatePortal(documents)
    expect(ours.valid, describeErrors(ours)).toBe(true)
    const official = await validateOfficialPortal(documents)
    expect(official.valid, describeErrors(official)).toBe(true)
  })
})

/** What the server decoder must read back from a job's manifest. */
const manifestOf = (job: PortalJob.PortalJob): PortalServerXml.Manifest => ({
  legacy: false,
  signers: job.signers.map((s) => ({
    order: s.order,
    signer:
      s._tag === "PersonalIdentificationNumber"
        ? { _tag: "PersonalIdentificationNumber", value: Redacted.value(s.personalIdentificationNumber) }
        : { _tag: "ContactInformation" },
    ...(s.signatureType === undefined ? {} : { signatureType: s.signatureType }),
    notifications:
      s._tag === "ContactInformation" ? { _tag: "Notifications", ...s.contactInformation } : s.notifications,
    ...(s.onBehalfOf === undefined ? {} : { onBehalfOf: s.onBehalfOf }),
  })),
  organizationNumber: job.sender.organizationNumber,
  title: job.title,
  ...(job.nonsensitiveTitle === undefined ? {} : { nonsensitiveTitle: job.nonsensitiveTitle }),
  ...(job.description === undefined ? {} : { description: job.description }),
  documents: job.documents.map((d) => ({ href: d.fileName, mime: d.mediaType, title: d.title })),
  ...(job.requiredAuthentication === undefined ? {} : { requiredAuthentication: job.requiredAuthentication }),
  availability: job.availability,
  ...(job.identifierInSignedDocuments === undefined
    ? {}
    : { identifierInSignedDocuments: job.identifierInSignedDocuments }),
})
