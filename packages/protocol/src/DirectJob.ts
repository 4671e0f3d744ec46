/**
 * The direct-flow signature job: input shape, validated job, and validation of every documented limit.
 *
 * CONTRACT (shared by the bundle, the simulator and the client): the type names and fields below.
 * The implementation of `make`/`validate` lives here too.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Result } from "effect"
import { isBytes } from "./internal/bytes.js"
import {
  completeOrgNumber,
  completePin,
  hasValidOrgNumberCheckDigit,
  hasValidPinCheckDigits,
  isElevenDigits,
  isNineDigits,
  maskPin,
} from "./internal/checkDigits.js"
import { documentFileName as fileNameFor, isUrlEncodingInvariant, maxFileNameLength } from "./internal/fileName.js"
import { codePointLength, firstNonXmlChar } from "./internal/xmlText.js"
import { ValidationError, type ValidationIssue } from "./ProtocolError.js"

export type SignatureType = "ADVANCED_ELECTRONIC_SIGNATURE" | "AUTHENTICATED_ELECTRONIC_SIGNATURE"
export type OnBehalfOf = "SELF" | "OTHER"
export type AuthenticationLevel = "3" | "4"
export type IdentifierInSignedDocuments = "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME" | "DATE_OF_BIRTH_AND_NAME" | "NAME"
export type StatusRetrievalMethod = "WAIT_FOR_CALLBACK" | "POLLING"
export type DocumentMediaType = "application/pdf" | "text/plain"

/** The sender: the organization whose signatures are collected, and its polling queue (absent = default queue). */
export interface Sender {
  readonly organizationNumber: string
  readonly pollingQueue?: string | undefined
}

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

export interface DocumentInput {
  readonly title: string
  readonly bytes: Uint8Array
  /** `application/pdf` (default, checked by content) or, when chosen explicitly, `text/plain`. */
  readonly mediaType?: DocumentMediaType | undefined
  /** Override the generated zip entry name (4–100 characters, `[0-9a-z._-]` recommended). */
  readonly fileName?: string | undefined
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

export interface ValidateOptions {
  /** Accept 11-digit numbers with wrong mod-11 check digits (synthetic test numbers). Default false. */
  readonly allowInvalidPersonalIdentificationNumberChecksum?: boolean | undefined
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

/** A validated document with its zip entry name (the manifest `href`, URL-encoding invariant). */
export interface Document {
  readonly title: string
  readonly mediaType: DocumentMediaType
  readonly bytes: Uint8Array
  readonly fileName: string
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
  titleMaxLength: 80,
  descriptionMaxLength: 220,
  referenceMaxLength: 50,
  urlMaxLength: 500,
  customIdentifierMaxLength: 80,
  documentTitleMaxLength: 80,
  minSigners: 1,
  maxSigners: 10,
  minDocuments: 1,
  maxDocuments: 20,
  fileNameMinLength: 4,
  fileNameMaxLength: maxFileNameLength,
  maxTotalDocumentBytes: 10_485_760,
} as const

const signatureTypes: ReadonlyArray<SignatureType> = [
  "ADVANCED_ELECTRONIC_SIGNATURE",
  "AUTHENTICATED_ELECTRONIC_SIGNATURE",
]
const onBehalfOfValues: ReadonlyArray<OnBehalfOf> = ["SELF", "OTHER"]
const authenticationLevels: ReadonlyArray<AuthenticationLevel> = ["3", "4"]
const identifierValues: ReadonlyArray<IdentifierInSignedDocuments> = [
  "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME",
  "DATE_OF_BIRTH_AND_NAME",
  "NAME",
]
const statusRetrievalMethods: ReadonlyArray<StatusRetrievalMethod> = ["WAIT_FOR_CALLBACK", "POLLING"]
const mediaTypes: ReadonlyArray<DocumentMediaType> = ["application/pdf", "text/plain"]

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

// Input may come from untyped JavaScript or JSON: every access is defensive so validation never throws.
const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

class Issues {
  readonly list: Array<ValidationIssue> = []
  add(path: string, rule: string, message: string): void {
    this.list.push({ path, rule, message })
  }

  /** Type, XML 1.0 characters and length bounds of a text field. Returns the string when it is one. */
  text(
    path: string,
    value: unknown,
    bounds: { readonly min?: number; readonly max?: number },
    label: string,
  ): string | undefined {
    if (typeof value !== "string") {
      this.add(path, "type", `${label} must be a string`)
      return undefined
    }
    const bad = firstNonXmlChar(value)
    if (bad >= 0) {
      this.add(path, "xml-character", `${label} contains a character XML 1.0 cannot carry (at index ${bad})`)
    }
    const length = codePointLength(value)
    if (bounds.min !== undefined && length < bounds.min) {
      this.add(
        path,
        bounds.min === 1 && length === 0 ? "required" : "too-short",
        bounds.min === 1
          ? `${label} must not be empty`
          : `${label} must be at least ${bounds.min} characters (is ${length})`,
      )
    }
    if (bounds.max !== undefined && length > bounds.max) {
      this.add(path, "too-long", `${label} must be at most ${bounds.max} characters (is ${length})`)
    }
    return value
  }

  oneOf<A extends string>(path: string, value: unknown, allowed: ReadonlyArray<A>, label: string): A | undefined {
    if (value === undefined) return undefined
    if (typeof value === "string" && (allowed as ReadonlyArray<string>).includes(value)) return value as A
    this.add(path, "not-allowed", `${label} must be one of ${allowed.join(", ")}`)
    return undefined
  }

  url(path: string, value: unknown, label: string): void {
    const s = this.text(path, value, { min: 1, max: limits.urlMaxLength }, label)
    if (s === undefined || s.length === 0) return
    let ok = false
    if (!/[\s]/.test(s)) {
      try {
        const u = new URL(s)
        ok = (u.protocol === "https:" || u.protocol === "http:") && u.host !== ""
      } catch {
        ok = false
      }
    }
    if (!ok) this.add(path, "url", `${label} must be an absolute http(s) URL without whitespace`)
  }
}

const pdfMagic = [0x25, 0x50, 0x44, 0x46, 0x2d] // %PDF-

/** PDF readers accept the header anywhere in the first 1024 bytes; so do we (and nothing else counts). */
const looksLikePdf = (bytes: Uint8Array): boolean => {
  const end = Math.min(bytes.length - pdfMagic.length, 1024 - pdfMagic.length)
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < pdfMagic.length; j++) if (bytes[i + j] !== pdfMagic[j]) continue outer
    return true
  }
  return false
}

const pinOf = (value: unknown): string | undefined => {
  const plain = Redacted.isRedacted(value) ? Redacted.value(value) : value
  return typeof plain === "string" ? plain : undefined
}

interface Checked {
  readonly issues: ReadonlyArray<ValidationIssue>
  readonly job?: DirectJob
}

const check = (input: DirectJobInput, options?: ValidateOptions): Checked => {
  const issues = new Issues()
  if (!isRecord(input)) {
    issues.add("", "type", "the job must be an object")
    return { issues: issues.list }
  }
  const title = issues.text("title", input.title, { min: 1, max: limits.titleMaxLength }, "title")
  const description =
    input.description === undefined
      ? undefined
      : issues.text("description", input.description, { max: limits.descriptionMaxLength }, "description")
  const reference =
    input.reference === undefined
      ? undefined
      : issues.text("reference", input.reference, { max: limits.referenceMaxLength }, "reference")

  // Sender
  const sender = input.sender as unknown
  let organizationNumber: string | undefined
  let pollingQueue: string | undefined
  if (!isRecord(sender)) {
    issues.add("sender", "required", "sender (with organizationNumber) is required")
  } else {
    const org = sender.organizationNumber
    if (typeof org !== "string" || !isNineDigits(org)) {
      issues.add("sender.organizationNumber", "pattern", "organization number must be exactly 9 digits")
    } else if (!hasValidOrgNumberCheckDigit(org)) {
      issues.add("sender.organizationNumber", "check-digit", "organization number has a wrong mod-11 check digit")
    } else {
      organizationNumber = org
    }
    if (sender.pollingQueue !== undefined) {
      pollingQueue = issues.text("sender.pollingQueue", sender.pollingQueue, { min: 1 }, "polling queue")
    }
  }

  // Exit URLs: required even for POLLING, the signer's browser must be sent somewhere.
  const exit = input.exitUrls as unknown
  if (!isRecord(exit)) {
    issues.add("exitUrls", "required", "exitUrls (completionUrl, rejectionUrl, errorUrl) are required")
  } else {
    issues.url("exitUrls.completionUrl", exit.completionUrl, "completion URL")
    issues.url("exitUrls.rejectionUrl", exit.rejectionUrl, "rejection URL")
    issues.url("exitUrls.errorUrl", exit.errorUrl, "error URL")
  }

  const statusRetrievalMethod = issues.oneOf(
    "statusRetrievalMethod",
    input.statusRetrievalMethod,
    statusRetrievalMethods,
    "status retrieval method",
  )
  const requiredAuthentication = issues.oneOf(
    "requiredAuthentication",
    input.requiredAuthentication,
    authenticationLevels,
    "required authentication level",
  )
  const identifierInSignedDocuments = issues.oneOf(
    "identifierInSignedDocuments",
    input.identifierInSignedDocuments,
    identifierValues,
    "identifier in signed documents",
  )

  // Signers
  const signers: Array<DirectSigner> = []
  const rawSigners = input.signers as unknown
  if (!Array.isArray(rawSigners)) {
    issues.add("signers", "required", `signers must be a list of ${limits.minSigners} to ${limits.maxSigners}`)
  } else {
    if (rawSigners.length < limits.minSigners || rawSigners.length > limits.maxSigners) {
      issues.add(
        "signers",
        rawSigners.length < limits.minSigners ? "too-few" : "too-many",
        `a job has ${limits.minSigners} to ${limits.maxSigners} signers (has ${rawSigners.length})`,
      )
    }
    const seenIdentifiers = new Map<string, number>()
    rawSigners.forEach((s: unknown, i) => {
      const path = `signers[${i}]`
      if (!isRecord(s)) {
        issues.add(path, "type", "a signer must be an object")
        return
      }
      const signatureType = issues.oneOf(`${path}.signatureType`, s.signatureType, signatureTypes, "signature type")
      const onBehalfOf = issues.oneOf(`${path}.onBehalfOf`, s.onBehalfOf, onBehalfOfValues, "on-behalf-of")
      const extra = {
        ...(signatureType === undefined ? {} : { signatureType }),
        ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
      }
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
        const pinPath = `${path}.personalIdentificationNumber`
        const pin = pinOf(s.personalIdentificationNumber)
        if (pin === undefined || !isElevenDigits(pin)) {
          issues.add(
            pinPath,
            "pattern",
            `personal identification number${pin === undefined ? "" : ` ${maskPin(pin)}`} must be exactly 11 digits`,
          )
          return
        }
        if (options?.allowInvalidPersonalIdentificationNumberChecksum !== true && !hasValidPinCheckDigits(pin)) {
          issues.add(
            pinPath,
            "check-digit",
            `personal identification number ${maskPin(pin)} has wrong mod-11 check digits (a typo?); ` +
              "pass allowInvalidPersonalIdentificationNumberChecksum for synthetic test numbers",
          )
          return
        }
        signers.push({
          _tag: "PersonalIdentificationNumber",
          personalIdentificationNumber: Redacted.make(pin, { label: "PersonalIdentificationNumber" }),
          ...extra,
        })
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
  }

  // Documents
  const documents: Array<Document> = []
  const rawDocuments = input.documents as unknown
  if (!Array.isArray(rawDocuments)) {
    issues.add("documents", "required", `documents must be a list of ${limits.minDocuments} to ${limits.maxDocuments}`)
  } else {
    if (rawDocuments.length < limits.minDocuments || rawDocuments.length > limits.maxDocuments) {
      issues.add(
        "documents",
        rawDocuments.length < limits.minDocuments ? "too-few" : "too-many",
        `a job has ${limits.minDocuments} to ${limits.maxDocuments} documents (has ${rawDocuments.length})`,
      )
    }
    let totalBytes = 0
    const seenNames = new Map<string, number>()
    rawDocuments.forEach((d: unknown, i) => {
      const path = `documents[${i}]`
      if (!isRecord(d)) {
        issues.add(path, "type", "a document must be an object")
        return
      }
      const docTitle = issues.text(
        `${path}.title`,
        d.title,
        { min: 1, max: limits.documentTitleMaxLength },
        "document title",
      )
      const mediaType = d.mediaType === undefined ? "application/pdf" : d.mediaType
      const mt = issues.oneOf(`${path}.mediaType`, mediaType, mediaTypes, "media type")
      const bytes = d.bytes
      if (!isBytes(bytes)) {
        issues.add(`${path}.bytes`, "type", "document bytes must be a Uint8Array")
      } else {
        totalBytes += bytes.byteLength
        if (bytes.byteLength === 0) {
          issues.add(`${path}.bytes`, "required", "document is empty")
        } else if (mt === "application/pdf" && !looksLikePdf(bytes)) {
          issues.add(
            `${path}.bytes`,
            "not-pdf",
            "document is not a PDF (no %PDF- header); choose mediaType text/plain explicitly for plain text",
          )
        }
      }
      let fileName: string | undefined
      if (d.fileName !== undefined) {
        fileName = issues.text(
          `${path}.fileName`,
          d.fileName,
          { min: limits.fileNameMinLength, max: limits.fileNameMaxLength },
          "file name",
        )
        if (fileName !== undefined && !isUrlEncodingInvariant(fileName)) {
          issues.add(
            `${path}.fileName`,
            "unsafe-characters",
            "file name may contain only A-Z, a-z, 0-9, '.', '_' and '-' (it is both a zip entry name and a URL)",
          )
        }
        if (fileName !== undefined && fileName.toLowerCase() === "manifest.xml") {
          issues.add(`${path}.fileName`, "reserved", "manifest.xml is reserved for the job manifest")
        }
      } else if (docTitle !== undefined && docTitle.length > 0 && mt !== undefined) {
        fileName = fileNameFor(i, docTitle, mt)
      }
      if (fileName !== undefined) {
        const first = seenNames.get(fileName)
        if (first !== undefined) {
          issues.add(`${path}.fileName`, "duplicate", `file name must be unique (same as documents[${first}])`)
        } else {
          seenNames.set(fileName, i)
        }
      }
      if (docTitle !== undefined && mt !== undefined && isBytes(bytes) && fileName !== undefined) {
        documents.push({ title: docTitle, mediaType: mt, bytes, fileName })
      }
    })
    if (totalBytes > limits.maxTotalDocumentBytes) {
      issues.add(
        "documents",
        "too-large",
        `documents may total at most ${limits.maxTotalDocumentBytes} bytes (have ${totalBytes})`,
      )
    }
  }

  if (issues.list.length > 0 || title === undefined || organizationNumber === undefined || !isRecord(exit)) {
    return { issues: issues.list }
  }
  const job: DirectJob = {
    _tag: "DirectJob",
    title,
    ...(description === undefined ? {} : { description }),
    ...(reference === undefined ? {} : { reference }),
    documents,
    signers,
    sender: { organizationNumber, ...(pollingQueue === undefined ? {} : { pollingQueue }) },
    exitUrls: {
      completionUrl: exit.completionUrl as string,
      rejectionUrl: exit.rejectionUrl as string,
      errorUrl: exit.errorUrl as string,
    },
    statusRetrievalMethod: statusRetrievalMethod ?? "WAIT_FOR_CALLBACK",
    statusRetrievalMethodChosen: statusRetrievalMethod !== undefined,
    ...(requiredAuthentication === undefined ? {} : { requiredAuthentication }),
    ...(identifierInSignedDocuments === undefined ? {} : { identifierInSignedDocuments }),
  }
  return { issues: [], job }
}

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
export const validate = (input: DirectJobInput, options?: ValidateOptions): ReadonlyArray<ValidationIssue> =>
  check(input, options).issues

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
 *   signers: [{ personalIdentificationNumber: "01017012345" }],
 *   sender: { organizationNumber: "983163327" },
 *   exitUrls: { completionUrl: "https://example.com/ok", rejectionUrl: "https://example.com/no", errorUrl: "https://example.com/err" },
 * })
 * if (result._tag === "Failure") console.error(result.failure.issues)
 * else result.success.documents[0].fileName // "0000_contract.pdf"
 * ```
 * @since 0.1.0
 */
export const make = (input: DirectJobInput, options?: ValidateOptions): Result.Result<DirectJob, ValidationError> => {
  const { issues, job } = check(input, options)
  return job === undefined ? Result.fail(new ValidationError({ issues })) : Result.succeed(job)
}

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
export const makeEffect = (
  input: DirectJobInput,
  options?: ValidateOptions,
): Effect.Effect<DirectJob, ValidationError> => Effect.suspend(() => Effect.fromResult(make(input, options)))

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
export const makeOrThrow = (input: DirectJobInput, options?: ValidateOptions): DirectJob => {
  const result = make(input, options)
  if (result._tag === "Failure") throw result.failure
  return result.success
}

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
 * DirectJob.maskPersonalIdentificationNumber("01017012345") // "010170*****"
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
 * DirectJob.isValidPersonalIdentificationNumber("01017012345")
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
 * DirectJob.completePersonalIdentificationNumber("010170123") // an 11-digit number with valid check digits, or undefined
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
