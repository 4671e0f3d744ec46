import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import fc from "fast-check"
import * as DirectJob from "../src/DirectJob.js"
import type { JobResponse, JobStatusResponse, SignerResponse } from "../src/DirectResponse.js"
import * as DirectServerXml from "../src/DirectServerXml.js"
import * as DirectXml from "../src/DirectXml.js"
import type { DecodeError } from "../src/ProtocolError.js"
import { arbValidInput, pdf, validInput, validOrg, validPin, validPin2 } from "./support/direct.js"
import { golden, readFixture, readFixtureBytes } from "./support/golden.js"
import { arbErrorResponse, arbJobResponse, arbJobStatusResponse, arbSignerResponse } from "./support/responses.js"
import { describeErrors, validateDirect } from "./support/xsd.js"

const ok = <A>(r: Result.Result<A, DecodeError>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${r.failure.message}`)
  return r.success
}

/** Every job field set, markup characters and non-ASCII in every text, two documents with the same title. */
export const fullJob = DirectJob.makeOrThrow(
  validInput({
    title: "Avtale & vilkår <2026> \"A\" 'B'",
    description: "Les nøye.\nSignér innen fredag 😀",
    reference: "ref-2026/11 & co",
    documents: [
      { title: "Kontrakt", bytes: pdf("a") },
      { title: "Kontrakt", bytes: pdf("b") },
      { title: "Notat: vedlegg (ny)", bytes: new TextEncoder().encode("tekst"), mediaType: "text/plain" },
    ],
    signers: [
      {
        personalIdentificationNumber: validPin,
        signatureType: "AUTHENTICATED_ELECTRONIC_SIGNATURE",
        onBehalfOf: "OTHER",
      },
      { customIdentifier: 'kunde <42> & "co"', onBehalfOf: "SELF" },
      { personalIdentificationNumber: Redacted.make(validPin2), signatureType: "ADVANCED_ELECTRONIC_SIGNATURE" },
    ],
    sender: { organizationNumber: validOrg, pollingQueue: "kø-1" },
    exitUrls: {
      completionUrl: "https://sender.example/done?job=1&state=ok",
      rejectionUrl: "https://sender.example/rejected",
      errorUrl: "http://sender.example/error",
    },
    statusRetrievalMethod: "POLLING",
    requiredAuthentication: "4",
    identifierInSignedDocuments: "DATE_OF_BIRTH_AND_NAME",
  }),
)

export const minimalJob = DirectJob.makeOrThrow(validInput())

const signerResponse: SignerResponse = {
  href: "https://api.signering.posten.no/api/983163327/direct/signature-jobs/1/signers/1",
  signer: { _tag: "CustomIdentifier", value: 'kunde <42> & "co"' },
  redirectUrl: "https://signering.posten.no#/redirect/abc?x=1&y=2",
}

const statusResponse: JobStatusResponse = {
  signatureJobId: 9223372036854775807n,
  reference: "ref-2026/11 & co",
  status: "COMPLETED_SUCCESSFULLY",
  signers: [
    {
      signer: validPin,
      status: "SIGNED",
      since: new Date("2026-11-28T07:00:00.123Z"),
      xadesUrl: "https://api.signering.posten.no/x/1",
    },
    {
      signer: "kunde\t<42>",
      status: "SIGNED",
      since: new Date("2026-11-28T07:05:00Z"),
      xadesUrl: "https://api.signering.posten.no/x/2",
    },
  ],
  confirmationUrl: "https://api.signering.posten.no/c",
  deleteDocumentsUrl: "https://api.signering.posten.no/d",
  xadesUrls: [
    { signer: validPin, url: "https://api.signering.posten.no/x/1" },
    { signer: "kunde\t<42>", url: "https://api.signering.posten.no/x/2" },
  ],
  padesUrl: "https://api.signering.posten.no/p",
}

const jobResponse: JobResponse = {
  signatureJobId: 1n,
  reference: "ref",
  statusUrl: "https://api.signering.posten.no/api/983163327/direct/signature-jobs/1/status",
  signers: [signerResponse, { ...signerResponse, signer: { _tag: "PersonalIdentificationNumber", value: validPin } }],
}

const errorResponse = { errorCode: "INVALID_STATUS_QUERY_TOKEN", errorMessage: "Token <x> & y", errorType: "CLIENT" }

/** Every golden encoder output, by fixture name. */
export const goldenOutputs = (): ReadonlyArray<readonly [string, string]> => [
  ["job-request.minimal.xml", DirectXml.encodeJobRequest(minimalJob)],
  ["job-request.full.xml", DirectXml.encodeJobRequest(fullJob)],
  ["manifest.minimal.xml", DirectXml.encodeManifest(minimalJob)],
  ["manifest.full.xml", DirectXml.encodeManifest(fullJob)],
  ["signer-update-request.xml", DirectXml.encodeSignerUpdateRequest()],
  ["encoded.job-response.xml", DirectServerXml.encodeJobResponse(jobResponse)],
  ["encoded.signer-response.xml", DirectServerXml.encodeSignerResponse(signerResponse)],
  ["encoded.status-response.xml", DirectServerXml.encodeJobStatusResponse(statusResponse)],
  ["encoded.error.xml", DirectServerXml.encodeError(errorResponse)],
]

describe("encoders: golden files, byte for byte", () => {
  for (const [name, actual] of goldenOutputs()) {
    it(name, () => {
      expect(actual).toBe(golden(name, actual))
    })
  }

  it("the manifest bytes are the UTF-8 encoding of the manifest string", () => {
    expect(DirectXml.encodeManifestBytes(fullJob)).toEqual(new TextEncoder().encode(DirectXml.encodeManifest(fullJob)))
  })

  it("writes elements in schema order and the default namespace on the root", () => {
    const manifest = DirectXml.encodeManifest(fullJob)
    expect(manifest).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8" standalone="yes"\?><direct-signature-job-manifest xmlns="http:\/\/signering\.posten\.no\/schema\/v1"><signer>/,
    )
    const order = [
      "<signer>",
      "<sender>",
      "<title>",
      "<description>",
      "<documents>",
      "<required-authentication>",
      "<identifier-in-signed-documents>",
    ]
    const positions = order.map((tag) => manifest.indexOf(tag))
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    expect(manifest).toContain(
      '<document href="0000_kontrakt.pdf" mime="application/pdf"><title>Kontrakt</title></document>',
    )
    expect(manifest).toContain('<document href="0001_kontrakt.pdf" mime="application/pdf">')
    expect(manifest).toContain('<document href="0002_notat_vedlegg_ny_.txt" mime="text/plain">')
  })

  it("writes status-retrieval-method only when chosen, polling-queue only when set (as the Java client does)", () => {
    expect(DirectXml.encodeJobRequest(minimalJob)).not.toContain("status-retrieval-method")
    expect(DirectXml.encodeJobRequest(minimalJob)).not.toContain("polling-queue")
    const chosen = DirectJob.makeOrThrow(validInput({ statusRetrievalMethod: "WAIT_FOR_CALLBACK" }))
    expect(DirectXml.encodeJobRequest(chosen)).toContain(
      "</exit-urls><status-retrieval-method>WAIT_FOR_CALLBACK</status-retrieval-method></direct",
    )
    expect(DirectXml.encodeJobRequest(fullJob)).toContain(
      "<status-retrieval-method>POLLING</status-retrieval-method><polling-queue>kø-1</polling-queue>",
    )
  })

  it("every golden output is valid against our schema", async () => {
    const result = await validateDirect(goldenOutputs().map(([name, xml]) => ({ name, xml })))
    expect(result.valid, describeErrors(result)).toBe(true)
  })
})

describe("decoders: spec examples and server variants", () => {
  it("job response (spec example, default namespace, pretty-printed)", () => {
    const r = ok(DirectXml.decodeJobResponse(readFixture("job-response.spec.xml")))
    expect(r).toEqual({
      signatureJobId: 1n,
      reference: "ref-2017-01",
      statusUrl: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/1/status",
      signers: [
        {
          href: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/1/signers/2",
          signer: { _tag: "PersonalIdentificationNumber", value: "12345678910" },
          redirectUrl:
            "https://signering.posten.no#/redirect/421e7ac38da1f81150cfae8a053cef62f9e7433ffd9395f0805e55f4d1df1d40",
        },
        {
          href: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/1/signers/1",
          signer: { _tag: "PersonalIdentificationNumber", value: "10987654321" },
          redirectUrl: "https://signering.posten.no#/redirect/8aB3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW3xY4zA5bC6",
        },
      ],
    })
  })

  it("job response with ns4: prefixes and foreign default namespace, from bytes", () => {
    const r = ok(DirectXml.decodeJobResponse(readFixtureBytes("job-response.ns4.xml")))
    expect(r.signatureJobId).toBe(12087n)
    expect(r.reference).toBeUndefined()
    expect(r.signers).toEqual([
      {
        href: "https://api.difitest.signering.posten.no/api/988015814/direct/signature-jobs/12087/signers/13715",
        signer: { _tag: "CustomIdentifier", value: "kunde-42" },
        redirectUrl: "https://difitest.signering.posten.no/signere/#/-/yRzRjHpnOGZEddKNn0bWSWaGWqXvgC0PZp4VIBm4pL0",
      },
    ])
  })

  it("job response with unknown elements and attributes, and the largest xs:long id", () => {
    const r = ok(DirectXml.decodeJobResponse(readFixture("job-response.unknown-elements.xml")))
    expect(r.signatureJobId).toBe(9223372036854775807n)
    expect(r.statusUrl).toBeUndefined()
    expect(r.signers).toHaveLength(1)
    expect(r.signers[0]!.signer).toEqual({ _tag: "CustomIdentifier", value: "kunde-1" })
  })

  it("signer response (spec and ns4 with entity and character references)", () => {
    expect(ok(DirectXml.decodeSignerResponse(readFixture("signer-response.spec.xml")))).toEqual({
      href: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/1/signers/1",
      signer: { _tag: "PersonalIdentificationNumber", value: "12345678910" },
      redirectUrl:
        "https://signering.posten.no#/redirect/421e7ac38da1f81150cfae8a053cef62f9e7433ffd9395f0805e55f4d1df1d40",
    })
    const ns4 = ok(DirectXml.decodeSignerResponse(readFixture("signer-response.ns4.xml")))
    expect(ns4.signer).toEqual({ _tag: "CustomIdentifier", value: "kunde & co \u263A" })
    expect(ns4.redirectUrl).toBe("https://difitest.signering.posten.no/signere/#/-/abc?x=1&y=2")
  })

  it("status response (the PROTOCOL.md multi-signer example): xades paired by signer", () => {
    const r = ok(DirectXml.decodeJobStatusResponse(readFixture("status-response.spec.xml")))
    const since = new Date("2017-01-23T11:51:43Z")
    const base = "https://api.signering.posten.no/api/123456789/direct/signature-jobs/1"
    expect(r).toEqual({
      signatureJobId: 1n,
      status: "COMPLETED_SUCCESSFULLY",
      signers: [
        { signer: "123abc", status: "SIGNED", since, xadesUrl: `${base}/xades/1` },
        { signer: "10987654321", status: "SIGNED", since, xadesUrl: `${base}/xades/2` },
      ],
      confirmationUrl: `${base}/complete`,
      xadesUrls: [
        { signer: "123abc", url: `${base}/xades/1` },
        { signer: "10987654321", url: `${base}/xades/2` },
      ],
      padesUrl: `${base}/pades`,
    })
  })

  it("status response as the real service sends it (ns4, milliseconds, delete-documents-url)", () => {
    const r = ok(DirectXml.decodeJobStatusResponse(readFixtureBytes("status-response.ns4.xml")))
    expect(r.reference).toBe("ref-12087")
    expect(r.signers[0]!.since.toISOString()).toBe("2018-03-14T12:01:06.742Z")
    expect(r.deleteDocumentsUrl).toMatch(/\/delete-documents$/)
    expect(r.signers[0]!.xadesUrl).toMatch(/\/xades\/13715$/)
  })

  it("status response with only the required parts", () => {
    expect(ok(DirectXml.decodeJobStatusResponse(readFixture("status-response.missing-optional.xml")))).toEqual({
      signatureJobId: 77n,
      status: "IN_PROGRESS",
      signers: [{ signer: "kunde-1", status: "WAITING", since: new Date("2026-11-28T07:00:00Z") }],
      xadesUrls: [],
    })
  })

  it("a status and a xades-url without the signer attribute are kept unpaired, without crashing", () => {
    const r = ok(DirectXml.decodeJobStatusResponse(readFixture("status-response.missing-signer-attribute.xml")))
    expect(r.signers[0]).toEqual({ status: "SIGNED", since: new Date("2026-11-28T07:00:00Z") })
    expect(r.signers[1]).toEqual({
      signer: "kunde-2",
      status: "SIGNED",
      since: new Date("2026-11-28T07:05:00.500Z"),
      xadesUrl: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/78/xades/2",
    })
    expect(r.xadesUrls[0]).toEqual({
      url: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/78/xades/1",
    })
  })

  it("an unknown signer status is kept as its string", () => {
    const r = ok(DirectXml.decodeJobStatusResponse(readFixture("status-response.unknown-status.xml")))
    expect(r.signers.map((s) => s.status)).toEqual(["REJECTED", "BLOCKED_BY_FUTURE_RULE", "NOT_APPLICABLE"])
    expect(r.signers[0]!.since).toEqual(new Date("2026-11-28T13:00:00Z"))
  })

  it("error bodies", () => {
    expect(ok(DirectXml.decodeError(readFixture("error.spec.xml")))).toEqual({
      errorCode: "SCHEMA_VALIDATION_ERROR",
      errorMessage:
        "Xml-message was not in accordance to schema: cvc-complex-type.2.4.b: The content of element 'direct-signature-job-manifest' is not complete.",
      errorType: "CLIENT",
    })
    expect(ok(DirectXml.decodeError(readFixture("error.ns4.xml")))).toEqual({
      errorCode: "INVALID_STATUS_QUERY_TOKEN",
      errorMessage: "The provided status query token is invalid <or expired>",
      errorType: "CLIENT",
    })
  })

  it("accepts bytes from another realm and Node Buffers", () => {
    const xml = readFixture("error.ns4.xml")
    const foreign = runInNewContext("new Uint8Array(src)", { src: Array.from(Buffer.from(xml)) }) as Uint8Array
    expect(foreign instanceof Uint8Array).toBe(false)
    expect(ok(DirectXml.decodeError(foreign)).errorCode).toBe("INVALID_STATUS_QUERY_TOKEN")
    expect(ok(DirectXml.decodeError(Buffer.from(xml))).errorCode).toBe("INVALID_STATUS_QUERY_TOKEN")
  })

  it("a PIN-like value stays a string, leading zero included", () => {
    const xml = DirectServerXml.encodeSignerResponse({
      ...signerResponse,
      signer: { _tag: "PersonalIdentificationNumber", value: "01017012343" },
    })
    expect(ok(DirectXml.decodeSignerResponse(xml)).signer.value).toBe("01017012343")
  })

  it.effect("Effect forms succeed and fail with DecodeError", () =>
    Effect.gen(function* () {
      const r = yield* DirectXml.decodeJobStatusResponseEffect(readFixture("status-response.spec.xml"))
      expect(r.signatureJobId).toBe(1n)
      const e = yield* Effect.flip(DirectXml.decodeErrorEffect("<nope/>"))
      expect(e._tag).toBe("DecodeError")
      expect(e.reason).toBe("UnexpectedRoot")
      expect((yield* DirectXml.decodeJobResponseEffect(readFixture("job-response.ns4.xml"))).signatureJobId).toBe(
        12087n,
      )
      expect((yield* DirectXml.decodeSignerResponseEffect(readFixture("signer-response.spec.xml"))).href).toMatch(
        /signers\/1$/,
      )
    }),
  )
})

describe("decoders: strict about what is required", () => {
  const status = (body: string) =>
    `<direct-signature-job-status-response xmlns="${DirectXml.namespace}">${body}</direct-signature-job-status-response>`
  const fail = (r: Result.Result<unknown, DecodeError>) => {
    if (Result.isSuccess(r)) throw new Error("expected a DecodeError")
    return r.failure
  }
  const okStatus = '<status signer="a" since="2026-01-01T00:00:00Z">SIGNED</status>'

  it("missing required elements and attributes", () => {
    expect(
      fail(DirectXml.decodeJobStatusResponse(status(`<signature-job-status>FAILED</signature-job-status>${okStatus}`))),
    ).toMatchObject({
      reason: "MissingElement",
      detail: expect.stringContaining("signature-job-id"),
    })
    expect(
      fail(
        DirectXml.decodeJobStatusResponse(
          status("<signature-job-id>1</signature-job-id><signature-job-status>FAILED</signature-job-status>"),
        ),
      ),
    ).toMatchObject({
      reason: "MissingElement",
      detail: expect.stringContaining("status"),
    })
    expect(
      fail(
        DirectXml.decodeJobStatusResponse(
          status(
            '<signature-job-id>1</signature-job-id><signature-job-status>FAILED</signature-job-status><status signer="a">SIGNED</status>',
          ),
        ),
      ),
    ).toMatchObject({
      reason: "MissingElement",
      detail: expect.stringContaining("@since"),
    })
    expect(
      fail(
        DirectXml.decodeSignerResponse(
          `<direct-signer-response xmlns="${DirectXml.namespace}"><signer-identifier>a</signer-identifier><redirect-url>https://r</redirect-url></direct-signer-response>`,
        ),
      ),
    ).toMatchObject({
      reason: "MissingElement",
      detail: expect.stringContaining("@href"),
    })
    expect(
      fail(
        DirectXml.decodeSignerResponse(
          `<direct-signer-response xmlns="${DirectXml.namespace}" href="https://h"><redirect-url>https://r</redirect-url></direct-signer-response>`,
        ),
      ),
    ).toMatchObject({
      reason: "MissingElement",
    })
    expect(
      fail(
        DirectXml.decodeError(
          `<error xmlns="${DirectXml.namespace}"><error-code>X</error-code><error-type>CLIENT</error-type></error>`,
        ),
      ),
    ).toMatchObject({
      reason: "MissingElement",
      detail: expect.stringContaining("error-message"),
    })
    expect(
      fail(
        DirectXml.decodeJobResponse(
          `<direct-signature-job-response xmlns="${DirectXml.namespace}"><signature-job-id>1</signature-job-id></direct-signature-job-response>`,
        ),
      ),
    ).toMatchObject({
      reason: "MissingElement",
      detail: expect.stringContaining("signer"),
    })
  })

  it("invalid values: job id, job status, since, duplicates", () => {
    const job = (id: string, st = "FAILED", since = "2026-01-01T00:00:00Z") =>
      DirectXml.decodeJobStatusResponse(
        status(
          `<signature-job-id>${id}</signature-job-id><signature-job-status>${st}</signature-job-status><status since="${since}">SIGNED</status>`,
        ),
      )
    expect(Result.isSuccess(job(" 42 "))).toBe(true)
    expect(Result.isSuccess(job("-9223372036854775808"))).toBe(true)
    for (const id of ["", "1.5", "abc", "9223372036854775808", "-9223372036854775809", "0x10"]) {
      expect(fail(job(id)).reason, id).toBe("InvalidValue")
    }
    expect(fail(job("1", "DONE")).reason).toBe("InvalidValue")
    for (const since of [
      "yesterday",
      "2026-02-30T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T00:00:00+15:00",
      "2026-13-01T00:00:00Z",
      "2026-01-01",
    ]) {
      expect(fail(job("1", "FAILED", since)).detail, since).toContain("xs:dateTime")
    }
    expect(ok(job("1", "FAILED", "2024-02-29T23:59:59.9999-00:30")).signers[0]!.since.toISOString()).toBe(
      "2024-03-01T00:29:59.999Z",
    )
    // No offset names no instant: refused, naming the field (the service always sends one).
    expect(fail(job("1", "FAILED", "2026-01-01T10:00:00")).detail).toContain("status/@since has no time zone offset")
    expect(
      fail(
        DirectXml.decodeJobStatusResponse(
          status(
            `<signature-job-id>1</signature-job-id><signature-job-id>2</signature-job-id><signature-job-status>FAILED</signature-job-status>${okStatus}`,
          ),
        ),
      ).reason,
    ).toBe("InvalidValue")
  })

  it("elements from another namespace do not count", () => {
    const r = DirectXml.decodeError(
      `<error xmlns="${DirectXml.namespace}" xmlns:o="urn:other"><o:error-code>X</o:error-code><error-message/><error-type>T</error-type></error>`,
    )
    expect(fail(r).reason).toBe("MissingElement")
    const unqualified = DirectXml.decodeError(
      `<s:error xmlns:s="${DirectXml.namespace}"><error-code>X</error-code><s:error-message/><s:error-type>T</s:error-type></s:error>`,
    )
    expect(fail(unqualified).detail).toContain("error-code")
    const redeclared = DirectXml.decodeError(
      `<s:error xmlns:s="${DirectXml.namespace}"><s:error-code xmlns:s="urn:other">X</s:error-code><s:error-message/><s:error-type>T</s:error-type></s:error>`,
    )
    expect(fail(redeclared).reason).toBe("MissingElement")
  })
})

describe("request decoders (simulator side)", () => {
  it("decode what the client encodes", () => {
    expect(ok(DirectServerXml.decodeJobRequest(DirectXml.encodeJobRequest(fullJob)))).toEqual({
      reference: "ref-2026/11 & co",
      exitUrls: fullJob.exitUrls,
      statusRetrievalMethod: "POLLING",
      pollingQueue: "kø-1",
    })
    const manifest = ok(DirectServerXml.decodeManifest(DirectXml.encodeManifestBytes(fullJob)))
    expect(manifest).toEqual(manifestOf(fullJob))
    expect(Result.isSuccess(DirectServerXml.decodeSignerUpdateRequest(DirectXml.encodeSignerUpdateRequest()))).toBe(
      true,
    )
    expect(
      Result.isFailure(
        DirectServerXml.decodeSignerUpdateRequest(`<direct-signer-update-request xmlns="${DirectXml.namespace}"/>`),
      ),
    ).toBe(true)
  })

  it("the deprecated single-document manifest maps to the same shape", () => {
    expect(ok(DirectServerXml.decodeManifest(readFixture("manifest.legacy.xml")))).toEqual({
      legacy: true,
      signers: [{ signer: { _tag: "PersonalIdentificationNumber", value: "12345678910" } }],
      organizationNumber: "123456789",
      title: "Tittel",
      description: "Melding til undertegner",
      documents: [{ href: "document.pdf", mime: "application/pdf", title: "Tittel" }],
      requiredAuthentication: "4",
    })
  })
})

/** What decodeManifest should give back for a job. */
export const manifestOf = (job: DirectJob.DirectJob): DirectServerXml.Manifest => ({
  legacy: false,
  signers: job.signers.map((s) => ({
    signer:
      s._tag === "PersonalIdentificationNumber"
        ? { _tag: "PersonalIdentificationNumber", value: Redacted.value(s.personalIdentificationNumber) }
        : { _tag: "CustomIdentifier", value: s.customIdentifier },
    ...(s.signatureType === undefined ? {} : { signatureType: s.signatureType }),
    ...(s.onBehalfOf === undefined ? {} : { onBehalfOf: s.onBehalfOf }),
  })),
  organizationNumber: job.sender.organizationNumber,
  title: job.title,
  ...(job.description === undefined ? {} : { description: job.description }),
  documents: job.documents.map((d) => ({ href: d.fileName, mime: d.mediaType, title: d.title })),
  ...(job.requiredAuthentication === undefined ? {} : { requiredAuthentication: job.requiredAuthentication }),
  ...(job.identifierInSignedDocuments === undefined
    ? {}
    : { identifierInSignedDocuments: job.identifierInSignedDocuments }),
})

describe("round trips (property-based), every output schema-valid", () => {
  it("jobs: encodeJobRequest/encodeManifest → decode → equal", async () => {
    const docs: Array<{ name: string; xml: string }> = []
    fc.assert(
      fc.property(arbValidInput, (input) => {
        const job = DirectJob.makeOrThrow(input)
        const request = DirectXml.encodeJobRequest(job)
        const manifest = DirectXml.encodeManifest(job)
        docs.push(
          { name: `request-${docs.length}`, xml: request },
          { name: `manifest-${docs.length + 1}`, xml: manifest },
        )
        expect(ok(DirectServerXml.decodeJobRequest(request))).toEqual({
          ...(job.reference === undefined ? {} : { reference: job.reference }),
          exitUrls: job.exitUrls,
          ...(job.statusRetrievalMethodChosen ? { statusRetrievalMethod: job.statusRetrievalMethod } : {}),
          ...(job.sender.pollingQueue === undefined ? {} : { pollingQueue: job.sender.pollingQueue }),
        })
        expect(ok(DirectServerXml.decodeManifest(manifest))).toEqual(manifestOf(job))
      }),
      { numRuns: 150 },
    )
    const result = await validateDirect(docs)
    expect(result.valid, describeErrors(result)).toBe(true)
  })

  it("responses: encode → decode → equal", async () => {
    const docs: Array<{ name: string; xml: string }> = []
    const add = (kind: string, xml: string) => {
      docs.push({ name: `${kind}-${docs.length}`, xml })
      return xml
    }
    fc.assert(
      fc.property(arbJobStatusResponse, (r) => {
        expect(
          ok(DirectXml.decodeJobStatusResponse(add("status", DirectServerXml.encodeJobStatusResponse(r)))),
        ).toEqual(r)
      }),
      { numRuns: 150 },
    )
    fc.assert(
      fc.property(arbJobResponse, (r) => {
        expect(ok(DirectXml.decodeJobResponse(add("job", DirectServerXml.encodeJobResponse(r))))).toEqual(r)
      }),
      { numRuns: 100 },
    )
    fc.assert(
      fc.property(arbSignerResponse, (r) => {
        expect(ok(DirectXml.decodeSignerResponse(add("signer", DirectServerXml.encodeSignerResponse(r))))).toEqual(r)
      }),
      { numRuns: 100 },
    )
    fc.assert(
      fc.property(arbErrorResponse, (r) => {
        expect(ok(DirectXml.decodeError(add("error", DirectServerXml.encodeError(r))))).toEqual(r)
      }),
      { numRuns: 100 },
    )
    const result = await validateDirect(docs)
    expect(result.valid, describeErrors(result)).toBe(true)
  })
})
