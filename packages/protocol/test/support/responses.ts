/**
 * fast-check generators of the direct-flow responses (what the simulator sends).
 */
import fc from "fast-check"
import type {
  ErrorResponse,
  JobResponse,
  JobStatusResponse,
  SignerRef,
  SignerResponse,
} from "../../src/DirectResponse.js"
import { knownSignerStatuses } from "../../src/DirectResponse.js"
import { arbPin, arbXmlText } from "./direct.js"

export const arbUrl: fc.Arbitrary<string> = fc
  .tuple(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.stringMatching(/^[A-Za-z0-9_-]{0,43}$/))
  .map(([u, token]) => (token === "" ? u : `${u}${u.includes("?") ? "&" : "?"}t=${token}`))
  .filter((u) => u.length <= 500 && u === u.trim())

const arbSignerRef: fc.Arbitrary<SignerRef> = fc.oneof(
  arbPin.map((value) => ({ _tag: "PersonalIdentificationNumber" as const, value })),
  arbXmlText(1, 80).map((value) => ({ _tag: "CustomIdentifier" as const, value })),
)

export const arbSignerResponse: fc.Arbitrary<SignerResponse> = fc.record({
  href: arbUrl,
  signer: arbSignerRef,
  redirectUrl: arbUrl,
})

const arbJobId = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })

export const arbJobResponse: fc.Arbitrary<JobResponse> = fc.record(
  {
    signatureJobId: arbJobId,
    reference: arbXmlText(0, 50),
    statusUrl: arbUrl,
    signers: fc.array(arbSignerResponse, { minLength: 1, maxLength: 10 }),
  },
  { requiredKeys: ["signatureJobId", "signers"] },
)

const arbSince = fc.date({
  min: new Date("1970-01-01T00:00:00Z"),
  max: new Date("2100-01-01T00:00:00Z"),
  noInvalidDate: true,
})

const arbSignerStatus = fc.oneof(fc.constantFrom(...knownSignerStatuses), fc.stringMatching(/^[A-Z][A-Z_]{0,30}$/))

export const arbJobStatusResponse: fc.Arbitrary<JobStatusResponse> = fc
  .record(
    {
      signatureJobId: arbJobId,
      reference: arbXmlText(0, 50),
      status: fc.constantFrom("IN_PROGRESS", "COMPLETED_SUCCESSFULLY", "FAILED" as const),
      signers: fc.uniqueArray(
        fc.record({ signer: fc.oneof(arbPin, arbXmlText(1, 80)), status: arbSignerStatus, since: arbSince }),
        { minLength: 1, maxLength: 10, selector: (s) => s.signer },
      ),
      confirmationUrl: arbUrl,
      deleteDocumentsUrl: arbUrl,
      withXades: fc.boolean(),
      padesUrl: arbUrl,
    },
    { requiredKeys: ["signatureJobId", "status", "signers", "withXades"] },
  )
  .chain((r) =>
    fc.array(arbUrl, { minLength: r.signers.length, maxLength: r.signers.length }).map((urls): JobStatusResponse => {
      const xadesUrls = r.withXades ? r.signers.map((s, i) => ({ signer: s.signer, url: urls[i]! })) : []
      return {
        signatureJobId: r.signatureJobId,
        ...(r.reference === undefined ? {} : { reference: r.reference }),
        status: r.status,
        signers: r.signers.map((s, i) =>
          r.withXades ? { ...s, xadesUrl: urls[i]! } : { signer: s.signer, status: s.status, since: s.since },
        ),
        ...(r.confirmationUrl === undefined ? {} : { confirmationUrl: r.confirmationUrl }),
        ...(r.deleteDocumentsUrl === undefined ? {} : { deleteDocumentsUrl: r.deleteDocumentsUrl }),
        xadesUrls,
        ...(r.padesUrl === undefined ? {} : { padesUrl: r.padesUrl }),
      }
    }),
  )

export const arbErrorResponse: fc.Arbitrary<ErrorResponse> = fc.record({
  errorCode: fc.stringMatching(/^[A-Z][A-Z_]{0,40}$/),
  errorMessage: arbXmlText(0, 300),
  errorType: fc.constantFrom("CLIENT", "SERVER"),
})
