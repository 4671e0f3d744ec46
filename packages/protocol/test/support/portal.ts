/**
 * Valid portal-job inputs for tests, fast-check generators of inputs and of the portal responses, and a way to
 * compare values holding `Redacted` national identity numbers (whose instances `toEqual` cannot look into).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Redacted } from "effect"
import fc from "fast-check"
import type { PortalJobInput, PortalSignerInput } from "../../src/PortalJob.js"
import {
  type JobResponse,
  knownSignatureStatuses,
  type Signature,
  type StatusChangeResponse,
} from "../../src/PortalResponse.js"
import { arbOrg, arbPin, arbXmlText, pdf, validOrg, validPin, validPin2 } from "./direct.js"
import { arbUrl } from "./responses.js"

export { pdf, validOrg, validPin, validPin2 }

export const validPortalInput = (overrides: Partial<PortalJobInput> = {}): PortalJobInput => ({
  title: "Leiekontrakt",
  documents: [{ title: "Kontrakt", bytes: pdf() }],
  signers: [{ personalIdentificationNumber: validPin, notifications: { email: "kari@example.com" } }],
  sender: { organizationNumber: validOrg },
  ...overrides,
})

/** Replaces every `Redacted` by `{ redacted: value }`, so that `toEqual` compares what is inside. */
export const reveal = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return { redacted: Redacted.value(value) }
  if (value instanceof Date || value instanceof Uint8Array || typeof value === "bigint") return value
  if (Array.isArray(value)) return value.map(reveal)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]))
  }
  return value
}

export const arbEmail: fc.Arbitrary<string> = fc.emailAddress().filter((e) => e.length <= 200)
export const arbMobile: fc.Arbitrary<string> = fc.stringMatching(/^\+?[0-9]{1,15}$/)

const arbContact = fc.oneof(
  fc.record({ email: arbEmail }),
  fc.record({ sms: arbMobile }),
  fc.record({ email: arbEmail, sms: arbMobile }),
)

const arbSignerOptions = fc.record(
  {
    order: fc.integer({ min: 0, max: 9 }),
    signatureType: fc.constantFrom("ADVANCED_ELECTRONIC_SIGNATURE", "AUTHENTICATED_ELECTRONIC_SIGNATURE" as const),
    onBehalfOf: fc.constantFrom("SELF", "OTHER" as const),
  },
  { requiredKeys: [] },
)

const arbSigner: fc.Arbitrary<PortalSignerInput> = fc.oneof(
  fc
    .tuple(arbPin, arbContact, arbSignerOptions)
    .map(([pin, notifications, o]): PortalSignerInput => ({ personalIdentificationNumber: pin, notifications, ...o })),
  fc.tuple(arbPin, fc.boolean(), arbSignerOptions).map(
    ([pin, sms, o]): PortalSignerInput => ({
      personalIdentificationNumber: pin,
      notificationsUsingLookup: { email: true, sms },
      ...o,
      // The register is never asked for a signer on behalf of another.
      ...(o.onBehalfOf === "OTHER" ? { onBehalfOf: "SELF" as const } : {}),
    }),
  ),
  fc
    .tuple(arbContact, arbSignerOptions)
    .map(([contactInformation, o]): PortalSignerInput => ({ contactInformation, ...o })),
)

const signerKeys = (s: PortalSignerInput): ReadonlyArray<string> =>
  s.personalIdentificationNumber !== undefined
    ? [`pin:${s.personalIdentificationNumber as string}`]
    : [
        ...(s.contactInformation.email === undefined ? [] : [`email:${s.contactInformation.email}`]),
        ...(s.contactInformation.sms === undefined ? [] : [`sms:${s.contactInformation.sms}`]),
      ]

/** Valid inputs: every optional field sometimes set, signers with distinct identifiers. */
export const arbPortalInput: fc.Arbitrary<PortalJobInput> = fc.record(
  {
    title: arbXmlText(1, 80),
    nonsensitiveTitle: arbXmlText(1, 80),
    description: arbXmlText(0, 220),
    reference: arbXmlText(0, 50),
    documents: fc.array(
      fc.record({ title: arbXmlText(1, 80), bytes: fc.string({ maxLength: 20 }).map((t) => pdf(t)) }),
      { minLength: 1, maxLength: 3 },
    ),
    signers: fc.array(arbSigner, { minLength: 1, maxLength: 10 }).filter((signers) => {
      const keys = signers.flatMap(signerKeys)
      return new Set(keys).size === keys.length
    }),
    sender: fc.record(
      { organizationNumber: arbOrg, pollingQueue: arbXmlText(1, 20) },
      { requiredKeys: ["organizationNumber"] },
    ),
    availability: fc.record(
      {
        activationTime: fc.date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2100-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        availableSeconds: fc.integer({ min: 0, max: 7_776_000 }),
      },
      { requiredKeys: [] },
    ),
    requiredAuthentication: fc.constantFrom("3", "4" as const),
    identifierInSignedDocuments: fc.constantFrom(
      "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME",
      "DATE_OF_BIRTH_AND_NAME",
      "NAME" as const,
    ),
  },
  { requiredKeys: ["title", "documents", "signers", "sender"] },
)

const arbSince = fc.date({
  min: new Date("2000-01-01T00:00:00Z"),
  max: new Date("2100-01-01T00:00:00Z"),
  noInvalidDate: true,
})

const arbSignature: fc.Arbitrary<Signature> = fc.record(
  {
    signer: fc.oneof(
      arbPin.map((pin) => ({
        _tag: "PersonalIdentificationNumber" as const,
        personalIdentificationNumber: Redacted.make(pin),
      })),
      arbContact.map((c) => ({ _tag: "ContactInformation" as const, ...c })),
    ),
    status: fc.oneof(fc.constantFrom(...knownSignatureStatuses), fc.stringMatching(/^[A-Z_]{1,30}$/)),
    since: arbSince,
    xadesUrl: arbUrl,
  },
  { requiredKeys: ["signer", "status", "since"] },
)

const arbJobId = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })

export const arbPortalJobResponse: fc.Arbitrary<JobResponse> = fc.record(
  { signatureJobId: arbJobId, reference: arbXmlText(0, 50), cancellationUrl: arbUrl },
  { requiredKeys: ["signatureJobId", "cancellationUrl"] },
)

export const arbStatusChangeResponse: fc.Arbitrary<StatusChangeResponse> = fc.record(
  {
    signatureJobId: arbJobId,
    reference: arbXmlText(0, 50),
    status: fc.constantFrom("IN_PROGRESS", "COMPLETED_SUCCESSFULLY", "FAILED" as const),
    confirmationUrl: arbUrl,
    cancellationUrl: arbUrl,
    deleteDocumentsUrl: arbUrl,
    signatures: fc.array(arbSignature, { minLength: 1, maxLength: 10 }),
    padesUrl: arbUrl,
  },
  { requiredKeys: ["signatureJobId", "status", "confirmationUrl", "signatures"] },
)

export const portalFixtureDir = fileURLToPath(new URL("../fixtures/portal/", import.meta.url))

export const readPortalFixture = (name: string): string => readFileSync(portalFixtureDir + name, "utf8")

/** The golden file's content (portal fixtures); rewritten when `UPDATE_GOLDEN=1`, as `golden` in golden.ts. */
export const portalGolden = (name: string, actual: string): string => {
  const path = portalFixtureDir + name
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual)
  if (!existsSync(path)) throw new Error(`missing golden file ${name} (run with UPDATE_GOLDEN=1)`)
  return readFileSync(path, "utf8")
}
