/**
 * Valid direct-job inputs for tests, and fast-check generators of them.
 */
import fc from "fast-check"
import type { DirectJobInput, DocumentInput } from "../../src/DirectJob.js"
import { completeOrgNumber, completePin } from "../../src/internal/checkDigits.js"

export const pdf = (text = "hello"): Uint8Array => new TextEncoder().encode(`%PDF-1.7\n% ${text}\n%%EOF\n`)

/** 01017012343: a valid-check-digit number (synthetic). */
export const validPin = completePin("010170123")!
export const validPin2 = completePin("150387654")!
export const validOrg = "983163327"

export const validInput = (overrides: Partial<DirectJobInput> = {}): DirectJobInput => ({
  title: "Ansettelseskontrakt",
  documents: [{ title: "Kontrakt", bytes: pdf() }],
  signers: [{ personalIdentificationNumber: validPin }],
  sender: { organizationNumber: validOrg },
  exitUrls: {
    completionUrl: "https://sender.example/complete",
    rejectionUrl: "https://sender.example/reject",
    errorUrl: "https://sender.example/error",
  },
  ...overrides,
})

/** Every 11-digit number with valid check digits is reachable: draw 9 digits, keep those that complete. */
export const arbPin: fc.Arbitrary<string> = fc
  .stringMatching(/^[0-9]{9}$/)
  .map(completePin)
  .filter((p): p is string => p !== undefined)

export const arbOrg: fc.Arbitrary<string> = fc
  .stringMatching(/^[0-9]{8}$/)
  .map(completeOrgNumber)
  .filter((p): p is string => p !== undefined)

/** Text XML 1.0 can carry, with markup characters and astral code points, within [min, max] code points. */
export const arbXmlText = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom("&", "<", ">", '"', "'", "\t", "\n", "\r", " ", "æ", "ø", "å", "é", "\u{1F600}", "]]>"),
        fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      ),
      { minLength: min, maxLength: max },
    )
    .map((parts) => parts.join(""))
    .map((s) => Array.from(s).filter((c) => /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]$/u.test(c)))
    .filter((cps) => cps.length >= min)
    .map((cps) => cps.slice(0, max).join(""))

const arbUrl: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom("https", "http"),
    fc.domain(),
    fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), { maxLength: 4 }),
    fc.option(fc.stringMatching(/^[a-z]{1,5}=[A-Za-z0-9%&=]{0,20}$/), { nil: undefined }),
  )
  .map(
    ([scheme, host, path, query]) => `${scheme}://${host}/${path.join("/")}${query === undefined ? "" : `?${query}`}`,
  )
  .filter((u) => u.length <= 500)

const arbDocument: fc.Arbitrary<DocumentInput> = fc.record({
  title: arbXmlText(1, 80),
  bytes: fc.uint8Array({ maxLength: 64 }).map((tail) => {
    const head = pdf()
    const out = new Uint8Array(head.length + tail.length)
    out.set(head)
    out.set(tail, head.length)
    return out
  }),
})

const arbSignerExtras = fc.record(
  {
    signatureType: fc.constantFrom("ADVANCED_ELECTRONIC_SIGNATURE", "AUTHENTICATED_ELECTRONIC_SIGNATURE" as const),
    onBehalfOf: fc.constantFrom("SELF", "OTHER" as const),
  },
  { requiredKeys: [] },
)

/** Valid jobs: 1–10 signers (PIN or unique custom identifier), 1–20 documents, every optional field sometimes. */
export const arbValidInput: fc.Arbitrary<DirectJobInput> = fc
  .record(
    {
      title: arbXmlText(1, 80),
      description: arbXmlText(0, 220),
      reference: arbXmlText(0, 50),
      documents: fc.array(arbDocument, { minLength: 1, maxLength: 20 }),
      signers: fc.uniqueArray(
        fc.tuple(
          fc.oneof(
            arbPin.map((p) => ({ pin: p })),
            arbXmlText(1, 80).map((c) => ({ custom: c })),
          ),
          arbSignerExtras,
        ),
        { minLength: 1, maxLength: 10, selector: ([id]) => ("pin" in id ? `p${id.pin}` : `c${id.custom}`) },
      ),
      org: arbOrg,
      pollingQueue: arbXmlText(1, 30),
      exitUrls: fc.record({ completionUrl: arbUrl, rejectionUrl: arbUrl, errorUrl: arbUrl }),
      statusRetrievalMethod: fc.constantFrom("WAIT_FOR_CALLBACK", "POLLING" as const),
      requiredAuthentication: fc.constantFrom("3", "4" as const),
      identifierInSignedDocuments: fc.constantFrom(
        "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME",
        "DATE_OF_BIRTH_AND_NAME",
        "NAME" as const,
      ),
    },
    { requiredKeys: ["title", "documents", "signers", "org", "exitUrls"] },
  )
  .map(
    (r): DirectJobInput => ({
      title: r.title,
      ...(r.description === undefined ? {} : { description: r.description }),
      ...(r.reference === undefined ? {} : { reference: r.reference }),
      documents: r.documents,
      signers: r.signers.map(([id, extra]) =>
        "pin" in id ? { personalIdentificationNumber: id.pin, ...extra } : { customIdentifier: id.custom, ...extra },
      ),
      sender: { organizationNumber: r.org, ...(r.pollingQueue === undefined ? {} : { pollingQueue: r.pollingQueue }) },
      exitUrls: r.exitUrls,
      ...(r.statusRetrievalMethod === undefined ? {} : { statusRetrievalMethod: r.statusRetrievalMethod }),
      ...(r.requiredAuthentication === undefined ? {} : { requiredAuthentication: r.requiredAuthentication }),
      ...(r.identifierInSignedDocuments === undefined
        ? {}
        : { identifierInSignedDocuments: r.identifierInSignedDocuments }),
    }),
  )
