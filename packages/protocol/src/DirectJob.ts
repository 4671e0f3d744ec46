/**
 * The direct-flow signature job: input shape, validated job, and validation of every documented limit.
 *
 * CONTRACT (shared by the bundle, the simulator and the client): the type names and fields below.
 * The implementation of `make`/`validate` lives here too.
 *
 * @since 0.1.0
 */
import { type Effect, Redacted, type Result } from "effect"
import type {
  AuthenticationLevel,
  Document,
  DocumentInput,
  DocumentMediaType,
  IdentifierInSignedDocuments,
  OnBehalfOf,
  Sender,
  SignatureType,
  ValidateOptions,
} from "./Common.js"
import {
  completeOrgNumber,
  completePin,
  hasValidOrgNumberCheckDigit,
  hasValidPinCheckDigits,
  maskPin,
} from "./internal/checkDigits.js"
import { documentFileName as fileNameFor } from "./internal/fileName.js"
import {
  checkDescriptionAndReference,
  checkDocuments,
  checkPin,
  checkSender,
  checkSignerKind,
  checkSigningOptions,
  Issues,
  isRecord,
  sharedLimits,
} from "./internal/jobCheck.js"
import { type Checked, jobConstructors } from "./internal/jobConstructors.js"
import type { ValidationError, ValidationIssue } from "./ProtocolError.js"

// The shared domain types live in `Common`; these names stay for existing code.
export type {
  AuthenticationLevel,
  Document,
  DocumentInput,
  DocumentMediaType,
  IdentifierInSignedDocuments,
  OnBehalfOf,
  Sender,
  SignatureType,
  ValidateOptions,
}
export type StatusRetrievalMethod = "WAIT_FOR_CALLBACK" | "POLLING"

export interface ExitUrls {
  readonly completionUrl: string
  readonly rejectionUrl: string
  readonly errorUrl: string
}

/** A signer as the caller describes it: exactly one of `personalIdentificationNumber` / `customIdentifier`. */
export type DirectSignerInput = (
  | { readonly personalIdentificationNumber: string | Redacted.Redacted<string>; readonly customIdentifier?: never }
  | { readonly customIdentifier: string; readonly personalIdentificationNumber?: never }
) & {
  readonly signatureType?: SignatureType | undefined
  readonly onBehalfOf?: OnBehalfOf | undefined
}

export interface DirectJobInput {
  readonly title: string
  readonly description?: string | undefined
  /** Sender's own reference (≤ 50). Appears in e-mails to the sender: never personal data. */
  readonly reference?: string | undefined
  readonly documents: ReadonlyArray<DocumentInput>
  readonly signers: ReadonlyArray<DirectSignerInput>
  readonly sender: Sender
  readonly exitUrls: ExitUrls
  readonly statusRetrievalMethod?: StatusRetrievalMethod | undefined
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

/** A validated signer. The PIN travels as `Redacted` so logs and `toString` never show it. */
export type DirectSigner =
  | {
      readonly _tag: "PersonalIdentificationNumber"
      readonly personalIdentificationNumber: Redacted.Redacted<string>
      readonly signatureType?: SignatureType | undefined
      readonly onBehalfOf?: OnBehalfOf | undefined
    }
  | {
      readonly _tag: "CustomIdentifier"
      readonly customIdentifier: string
      readonly signatureType?: SignatureType | undefined
      readonly onBehalfOf?: OnBehalfOf | undefined
    }

/** A job that passed every documented limit. Only `make` creates one. */
export interface DirectJob {
  readonly _tag: "DirectJob"
  readonly title: string
  readonly description?: string | undefined
  readonly reference?: string | undefined
  readonly documents: ReadonlyArray<Document>
  readonly signers: ReadonlyArray<DirectSigner>
  readonly sender: Sender
  readonly exitUrls: ExitUrls
  /** The effective method: the caller's choice, else `WAIT_FOR_CALLBACK` (the service's default). */
  readonly statusRetrievalMethod: StatusRetrievalMethod
  /**
   * Whether the caller chose `statusRetrievalMethod` (added field). The request carries the element only then,
   * exactly as the Java client does; absent means WAIT_FOR_CALLBACK to the service.
   */
  readonly statusRetrievalMethodChosen?: boolean | undefined
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------------------------

/**
 * Every documented limit, in one place. Lengths count characters (code points), as XML Schema does.
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.limits.maxTotalDocumentBytes // 10485760
 * ```
 * @since 0.1.0
 */
export const limits = {
  ...sharedLimits,
  urlMaxLength: 500,
  customIdentifierMaxLength: 80,
} as const

const statusRetrievalMethods: ReadonlyArray<StatusRetrievalMethod> = ["WAIT_FOR_CALLBACK", "POLLING"]

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

const check = (input: DirectJobInput, options?: ValidateOptions): Checked<DirectJob> => {
  const issues = new Issues()
  if (!isRecord(input)) {
    issues.add("", "type", "the job must be an object")
    return { issues: issues.list }
  }
  const title = issues.text("title", input.title, { min: 1, max: limits.titleMaxLength }, "title")
  const texts = checkDescriptionAndReference(issues, input)
  const sender = checkSender(issues, input.sender)

  // Exit URLs: required even for POLLING, the signer's browser must be sent somewhere.
  const exit = input.exitUrls as unknown
  if (!isRecord(exit)) {
    issues.add("exitUrls", "required", "exitUrls (completionUrl, rejectionUrl, errorUrl) are required")
  } else {
    issues.url("exitUrls.completionUrl", exit.completionUrl, "completion URL", limits.urlMaxLength)
    issues.url("exitUrls.rejectionUrl", exit.rejectionUrl, "rejection URL", limits.urlMaxLength)
    issues.url("exitUrls.errorUrl", exit.errorUrl, "error URL", limits.urlMaxLength)
  }

  const statusRetrievalMethod = issues.oneOf(
    "statusRetrievalMethod",
    input.statusRetrievalMethod,
    statusRetrievalMethods,
    "status retrieval method",
  )
  const signingOptions = checkSigningOptions(issues, input)

  // Signers
  const signers: Array<DirectSigner> = []
  const rawSigners = issues.sized<unknown>("signers", input.signers, limits.minSigners, limits.maxSigners, "signers")
  const seenIdentifiers = new Map<string, number>()
  rawSigners?.forEach((s: unknown, i) => {
    const path = `signers[${i}]`
    if (!isRecord(s)) {
      issues.add(path, "type", "a signer must be an object")
      return
    }
    const extra = checkSignerKind(issues, path, s)
    const hasPin = s.personalIdentificationNumber !== undefined
    const hasCustom = s.customIdentifier !== undefined
    if (hasPin === hasCustom) {
      issues.add(
        path,
        "signer-identifier",
        "a signer needs exactly one of personalIdentificationNumber and customIdentifier",
      )
      return
    }
    if (hasPin) {
      const pin = checkPin(issues, `${path}.personalIdentificationNumber`, s.personalIdentificationNumber, options)
      if (pin !== undefined)
        signers.push({ _tag: "PersonalIdentificationNumber", personalIdentificationNumber: pin, ...extra })
    } else {
      const idPath = `${path}.customIdentifier`
      const id = issues.text(
        idPath,
        s.customIdentifier,
        { min: 1, max: limits.customIdentifierMaxLength },
        "custom identifier",
      )
      if (id === undefined) return
      const first = seenIdentifiers.get(id)
      if (first !== undefined) {
        issues.add(idPath, "duplicate", `custom identifier must be unique within the job (same as signers[${first}])`)
      } else {
        seenIdentifiers.set(id, i)
      }
      signers.push({ _tag: "CustomIdentifier", customIdentifier: id, ...extra })
    }
  })

  const documents = checkDocuments(issues, input.documents)

  if (issues.list.length > 0 || title === undefined || sender === undefined || !isRecord(exit)) {
    return { issues: issues.list }
  }
  const job: DirectJob = {
    _tag: "DirectJob",
    title,
    ...texts,
    documents,
    signers,
    sender,
    exitUrls: {
      completionUrl: exit.completionUrl as string,
      rejectionUrl: exit.rejectionUrl as string,
      errorUrl: exit.errorUrl as string,
    },
    statusRetrievalMethod: statusRetrievalMethod ?? "WAIT_FOR_CALLBACK",
    statusRetrievalMethodChosen: statusRetrievalMethod !== undefined,
    ...signingOptions,
  }
  return { issues: [], job }
}

const constructors = jobConstructors(check)

/**
 * Every limit the input breaks, each with its path and a message naming the limit. Empty when the input is valid.
 * Plain function, no Effect needed. Never throws, even for input that is not shaped like a job at all.
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * const issues = DirectJob.validate(input)
 * for (const i of issues) console.log(`${i.path}: ${i.message}`) // signers[0].personalIdentificationNumber: ...
 * ```
 * @since 0.1.0
 */
export const validate: (input: DirectJobInput, options?: ValidateOptions) => ReadonlyArray<ValidationIssue> =
  constructors.validate

/**
 * Validates the input and builds a `DirectJob` (with document file names assigned and the PIN wrapped in
 * `Redacted`), or a `ValidationError` listing every issue. Returns an Effect `Result`, which is plain data:
 * check `result._tag` (`"Success"` / `"Failure"`) without using Effect at all, or use `makeEffect` / `makeOrThrow`.
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * const result = DirectJob.make({
 *   title: "Employment contract",
 *   documents: [{ title: "Contract", bytes: pdfBytes }],
 *   signers: [{ personalIdentificationNumber: "01017012343" }],
 *   sender: { organizationNumber: "983163327" },
 *   exitUrls: { completionUrl: "https://example.com/ok", rejectionUrl: "https://example.com/no", errorUrl: "https://example.com/err" },
 * })
 * if (result._tag === "Failure") console.error(result.failure.issues)
 * else result.success.documents[0].fileName // "0000_contract.pdf"
 * ```
 * @since 0.1.0
 */
export const make: (input: DirectJobInput, options?: ValidateOptions) => Result.Result<DirectJob, ValidationError> =
  constructors.make

/**
 * `make` as an Effect that fails with `ValidationError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DirectJob } from "@signering/protocol"
 * const program = Effect.gen(function* () {
 *   const job = yield* DirectJob.makeEffect(input)
 *   return job.documents.length
 * })
 * ```
 * @since 0.1.0
 */
export const makeEffect: (
  input: DirectJobInput,
  options?: ValidateOptions,
) => Effect.Effect<DirectJob, ValidationError> = constructors.makeEffect

/**
 * `make` for code without Effect that prefers exceptions: returns the job or throws the `ValidationError`.
 *
 * @example
 * ```ts
 * import { DirectJob, ValidationError } from "@signering/protocol"
 * try {
 *   const job = DirectJob.makeOrThrow(input)
 * } catch (e) {
 *   if (e instanceof ValidationError) console.error(e.issues)
 * }
 * ```
 * @since 0.1.0
 */
export const makeOrThrow: (input: DirectJobInput, options?: ValidateOptions) => DirectJob = constructors.makeOrThrow

/**
 * The zip entry name (and manifest `href`) the Java client gives document `index`: `%04d_<reduced title>.<ext>`.
 * Only `[0-9a-z._-]`, so URL-encoding leaves it unchanged; unique per job thanks to the index prefix.
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.documentFileName(0, "Hei på deg", "application/pdf") // "0000_hei_paa_deg.pdf"
 * ```
 * @since 0.1.0
 */
export const documentFileName = (index: number, title: string, mediaType: DocumentMediaType): string =>
  fileNameFor(index, title, mediaType)

/**
 * A personal identification number with everything after the first 6 digits masked, for logs and messages.
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.maskPersonalIdentificationNumber("01017012343") // "010170*****"
 * ```
 * @since 0.1.0
 */
export const maskPersonalIdentificationNumber = (value: string | Redacted.Redacted<string>): string =>
  maskPin(typeof value === "string" ? value : Redacted.value(value))

/**
 * Whether an 11-digit number has valid mod-11 check digits (fødselsnummer or D-number).
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.isValidPersonalIdentificationNumber("01017012343")
 * ```
 * @since 0.1.0
 */
export const isValidPersonalIdentificationNumber = (value: string): boolean => hasValidPinCheckDigits(value)

/**
 * Whether a 9-digit organization number has a valid mod-11 check digit.
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.isValidOrganizationNumber("983163327") // true
 * ```
 * @since 0.1.0
 */
export const isValidOrganizationNumber = (value: string): boolean => hasValidOrgNumberCheckDigit(value)

/**
 * Synthetic test numbers: completes 9 leading digits with both check digits (`undefined` when none exist).
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.completePersonalIdentificationNumber(dateOfBirthAndIndividualNumber) // 9 digits in, 11 with valid check digits out (or undefined)
 * ```
 * @since 0.1.0
 */
export const completePersonalIdentificationNumber = (nineDigits: string): string | undefined => completePin(nineDigits)

/**
 * Completes 8 leading digits to a 9-digit organization number with its check digit (`undefined` when none exists).
 *
 * @example
 * ```ts
 * import { DirectJob } from "@signering/protocol"
 * DirectJob.completeOrganizationNumber("98316332") // "983163327"
 * ```
 * @since 0.1.0
 */
export const completeOrganizationNumber = (eightDigits: string): string | undefined => completeOrgNumber(eightDigits)
