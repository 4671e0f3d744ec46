/**
 * The validation both job kinds (direct and portal) are built from: an issue collector, and the checks of the
 * parts they share (sender, documents, personal identification numbers), so one limit has one implementation.
 */
import { Redacted } from "effect"
import {
  type AuthenticationLevel,
  authenticationLevels,
  type Document,
  type DocumentMediaType,
  documentMediaTypes,
  type IdentifierInSignedDocuments,
  identifierInSignedDocumentsValues,
  type OnBehalfOf,
  onBehalfOfValues,
  type Sender,
  type SignatureType,
  signatureTypes,
  type ValidateOptions,
} from "../Common.js"
import type { ValidationIssue } from "../ProtocolError.js"
import { isBytes } from "./bytes.js"
import {
  hasValidOrgNumberCheckDigit,
  hasValidPinCheckDigits,
  isElevenDigits,
  isNineDigits,
  maskPin,
} from "./checkDigits.js"
import { documentFileName as fileNameFor, isUrlEncodingInvariant, maxFileNameLength } from "./fileName.js"
import { codePointLength, firstNonXmlChar } from "./xmlText.js"

/** Limits of the parts both flows share. Lengths count characters (code points), as XML Schema does. */
export const sharedLimits = {
  titleMaxLength: 80,
  descriptionMaxLength: 220,
  referenceMaxLength: 50,
  documentTitleMaxLength: 80,
  minSigners: 1,
  maxSigners: 10,
  minDocuments: 1,
  maxDocuments: 20,
  fileNameMinLength: 4,
  fileNameMaxLength: maxFileNameLength,
  maxTotalDocumentBytes: 10_485_760,
} as const

// Input may come from untyped JavaScript or JSON: every access is defensive so validation never throws.
export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

export class Issues {
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

  /** An optional text field: `undefined` stays absent, anything else is checked like `text`. */
  optionalText(
    path: string,
    value: unknown,
    bounds: { readonly min?: number; readonly max?: number },
    label: string,
  ): string | undefined {
    return value === undefined ? undefined : this.text(path, value, bounds, label)
  }

  oneOf<A extends string>(path: string, value: unknown, allowed: ReadonlyArray<A>, label: string): A | undefined {
    if (value === undefined) return undefined
    if (typeof value === "string" && (allowed as ReadonlyArray<string>).includes(value)) return value as A
    this.add(path, "not-allowed", `${label} must be one of ${allowed.join(", ")}`)
    return undefined
  }

  url(path: string, value: unknown, label: string, maxLength: number): void {
    const s = this.text(path, value, { min: 1, max: maxLength }, label)
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

  /** A list field with a count range; returns the list when it is one. */
  sized<A = unknown>(
    path: string,
    value: unknown,
    min: number,
    max: number,
    noun: string,
  ): ReadonlyArray<A> | undefined {
    if (!Array.isArray(value)) {
      this.add(path, "required", `${path} must be a list of ${min} to ${max}`)
      return undefined
    }
    if (value.length < min || value.length > max) {
      this.add(
        path,
        value.length < min ? "too-few" : "too-many",
        `a job has ${min} to ${max} ${noun} (has ${value.length})`,
      )
    }
    return value as ReadonlyArray<A>
  }
}

const pdfMagic = [0x25, 0x50, 0x44, 0x46, 0x2d] // %PDF-

/** PDF readers accept the header anywhere in the first 1024 bytes; so do we (and nothing else counts). */
export const looksLikePdf = (bytes: Uint8Array): boolean => {
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

/** The sender: 9-digit organization number with its mod-11 check digit, and an optional non-empty polling queue. */
export const checkSender = (issues: Issues, value: unknown): Sender | undefined => {
  if (!isRecord(value)) {
    issues.add("sender", "required", "sender (with organizationNumber) is required")
    return undefined
  }
  let organizationNumber: string | undefined
  const org = value.organizationNumber
  if (typeof org !== "string" || !isNineDigits(org)) {
    issues.add("sender.organizationNumber", "pattern", "organization number must be exactly 9 digits")
  } else if (!hasValidOrgNumberCheckDigit(org)) {
    issues.add("sender.organizationNumber", "check-digit", "organization number has a wrong mod-11 check digit")
  } else {
    organizationNumber = org
  }
  const pollingQueue =
    value.pollingQueue === undefined
      ? undefined
      : issues.text("sender.pollingQueue", value.pollingQueue, { min: 1 }, "polling queue")
  if (organizationNumber === undefined) return undefined
  return { organizationNumber, ...(pollingQueue === undefined ? {} : { pollingQueue }) }
}

/** The job's optional description and the sender's own reference; only the fields given, ready to spread. */
export const checkDescriptionAndReference = (
  issues: Issues,
  input: Record<string, unknown>,
): { readonly description?: string; readonly reference?: string } => {
  const description = issues.optionalText(
    "description",
    input.description,
    { max: sharedLimits.descriptionMaxLength },
    "description",
  )
  const reference = issues.optionalText(
    "reference",
    input.reference,
    { max: sharedLimits.referenceMaxLength },
    "reference",
  )
  return { ...(description === undefined ? {} : { description }), ...(reference === undefined ? {} : { reference }) }
}

/** How the job's signers must authenticate and how they are named in the signed documents; only the fields given. */
export const checkSigningOptions = (
  issues: Issues,
  input: Record<string, unknown>,
): {
  readonly requiredAuthentication?: AuthenticationLevel
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments
} => {
  const requiredAuthentication = issues.oneOf(
    "requiredAuthentication",
    input.requiredAuthentication,
    authenticationLevels,
    "required authentication level",
  )
  const identifierInSignedDocuments = issues.oneOf(
    "identifierInSignedDocuments",
    input.identifierInSignedDocuments,
    identifierInSignedDocumentsValues,
    "identifier in signed documents",
  )
  return {
    ...(requiredAuthentication === undefined ? {} : { requiredAuthentication }),
    ...(identifierInSignedDocuments === undefined ? {} : { identifierInSignedDocuments }),
  }
}

/** A signer's signature type and on-behalf-of, at `path`; only the fields given. */
export const checkSignerKind = (
  issues: Issues,
  path: string,
  signer: Record<string, unknown>,
): { readonly signatureType?: SignatureType; readonly onBehalfOf?: OnBehalfOf } => {
  const signatureType = issues.oneOf(`${path}.signatureType`, signer.signatureType, signatureTypes, "signature type")
  const onBehalfOf = issues.oneOf(`${path}.onBehalfOf`, signer.onBehalfOf, onBehalfOfValues, "on-behalf-of")
  return {
    ...(signatureType === undefined ? {} : { signatureType }),
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
  }
}

/**
 * A personal identification number: 11 digits and, unless the caller opted out, valid mod-11 check digits.
 * Messages show it masked; the result is `Redacted`.
 */
export const checkPin = (
  issues: Issues,
  path: string,
  value: unknown,
  options: ValidateOptions | undefined,
): Redacted.Redacted<string> | undefined => {
  const pin = pinOf(value)
  if (pin === undefined || !isElevenDigits(pin)) {
    issues.add(
      path,
      "pattern",
      `personal identification number${pin === undefined ? "" : ` ${maskPin(pin)}`} must be exactly 11 digits`,
    )
    return undefined
  }
  if (options?.allowInvalidPersonalIdentificationNumberChecksum !== true && !hasValidPinCheckDigits(pin)) {
    issues.add(
      path,
      "check-digit",
      `personal identification number ${maskPin(pin)} has wrong mod-11 check digits (a typo?); ` +
        "for synthetic test numbers, set allowInvalidPersonalIdentificationNumberChecksum: true in the validate " +
        "options (DirectJob.make(input, options), PortalJob.make(input, options)) or in the client's " +
        "options.validation",
    )
    return undefined
  }
  return Redacted.make(pin, { label: "PersonalIdentificationNumber" })
}

/**
 * The documents: 1–20, titles 1..80, PDF by content (or `text/plain` chosen explicitly), file names 4..100 of
 * URL-safe characters and unique (generated as the Java client does when not given), 10 MB in total.
 */
export const checkDocuments = (issues: Issues, value: unknown): Array<Document> => {
  const documents: Array<Document> = []
  const rawDocuments = issues.sized<unknown>(
    "documents",
    value,
    sharedLimits.minDocuments,
    sharedLimits.maxDocuments,
    "documents",
  )
  if (rawDocuments === undefined) return documents
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
      { min: 1, max: sharedLimits.documentTitleMaxLength },
      "document title",
    )
    const mediaType = d.mediaType === undefined ? "application/pdf" : d.mediaType
    const mt = issues.oneOf<DocumentMediaType>(`${path}.mediaType`, mediaType, documentMediaTypes, "media type")
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
        { min: sharedLimits.fileNameMinLength, max: sharedLimits.fileNameMaxLength },
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
  if (totalBytes > sharedLimits.maxTotalDocumentBytes) {
    issues.add(
      "documents",
      "too-large",
      `documents may total at most ${sharedLimits.maxTotalDocumentBytes} bytes (have ${totalBytes})`,
    )
  }
  return documents
}
