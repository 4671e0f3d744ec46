/**
 * The portal-flow signature job: signers are notified by e-mail or SMS, log in to the Posten signing portal and
 * sign in order within an availability window. Input shape, validated job, and validation of every documented
 * limit (PROTOCOL.md §12.2 and §12.6), all reported at once.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Result } from "effect"
import {
  type AuthenticationLevel,
  authenticationLevels,
  type Document,
  type DocumentInput,
  type IdentifierInSignedDocuments,
  identifierInSignedDocumentsValues,
  type OnBehalfOf,
  onBehalfOfValues,
  type Sender,
  type SignatureType,
  signatureTypes,
  type ValidateOptions,
} from "./Common.js"
import { maskPin } from "./internal/checkDigits.js"
import { checkDocuments, checkPin, checkSender, Issues, isRecord, sharedLimits } from "./internal/jobCheck.js"
import { ValidationError, type ValidationIssue } from "./ProtocolError.js"

export type {
  AuthenticationLevel,
  Document,
  DocumentInput,
  IdentifierInSignedDocuments,
  OnBehalfOf,
  Sender,
  SignatureType,
  ValidateOptions,
}

/**
 * An e-mail address and/or a mobile number, each kept exactly as given (the status answer identifies a signer by
 * them verbatim, so they are never normalized).
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const contact: PortalJob.ContactInformation = { email: "kari@example.com", sms: "+4799999999" }
 * ```
 * @since 0.1.0
 */
export interface ContactInformation {
  readonly email?: string | undefined
  readonly sms?: string | undefined
}

/**
 * Notify through the contact register (KRR) instead of given contact information: e-mail always, SMS optionally.
 * Public senders only; not with `onBehalfOf: "OTHER"`.
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const lookup: PortalJob.NotificationsUsingLookupInput = { email: true, sms: true }
 * ```
 * @since 0.1.0
 */
export interface NotificationsUsingLookupInput {
  readonly email: true
  readonly sms?: boolean | undefined
}

interface SignerOptionsInput {
  /** Signing order group, an integer 0–9 (default 0): lower groups sign first, equal groups in parallel. */
  readonly order?: number | undefined
  readonly signatureType?: SignatureType | undefined
  readonly onBehalfOf?: OnBehalfOf | undefined
}

/**
 * A signer as the caller describes it: by national identity number (with exactly one of `notifications` and
 * `notificationsUsingLookup`), or by contact information only (which is also where the notifications go).
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const byPin: PortalJob.PortalSignerInput = { personalIdentificationNumber: "01017012343", notifications: { email: "kari@example.com" } }
 * const byContact: PortalJob.PortalSignerInput = { contactInformation: { sms: "+4799999999" }, order: 1 }
 * ```
 * @since 0.1.0
 */
export type PortalSignerInput =
  | (SignerOptionsInput & {
      readonly personalIdentificationNumber: string | Redacted.Redacted<string>
      readonly notifications?: ContactInformation | undefined
      readonly notificationsUsingLookup?: NotificationsUsingLookupInput | undefined
      readonly contactInformation?: never
    })
  | (SignerOptionsInput & {
      readonly contactInformation: ContactInformation
      readonly personalIdentificationNumber?: never
      readonly notifications?: never
      readonly notificationsUsingLookup?: never
    })

/**
 * When the job can be signed: from `activationTime` (absent or past = at once), for `availableSeconds` per order
 * group from its activation (absent = the service's default, 30 days; at most 90 days).
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const availability: PortalJob.Availability = { activationTime: new Date("2026-12-24T08:00:00Z"), availableSeconds: 4 * 86400 }
 * ```
 * @since 0.1.0
 */
export interface Availability {
  readonly activationTime?: Date | undefined
  readonly availableSeconds?: number | undefined
}

/**
 * The input of {@link make}.
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const input: PortalJob.PortalJobInput = {
 *   title: "Tenancy agreement", nonsensitiveTitle: "Agreement",
 *   documents: [{ title: "Agreement", bytes: pdfBytes }],
 *   signers: [{ contactInformation: { email: "kari@example.com" } }],
 *   sender: { organizationNumber: "983163327" },
 * }
 * ```
 * @since 0.1.0
 */
export interface PortalJobInput {
  readonly title: string
  /** Shown where the context is not secure (e-mail, SMS, the level-3 view): never personal data. */
  readonly nonsensitiveTitle?: string | undefined
  readonly description?: string | undefined
  /** Sender's own reference (≤ 50). Appears in e-mails to the sender: never personal data. */
  readonly reference?: string | undefined
  readonly documents: ReadonlyArray<DocumentInput>
  readonly signers: ReadonlyArray<PortalSignerInput>
  readonly sender: Sender
  readonly availability?: Availability | undefined
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

/**
 * A job input whose sender may be left out, for clients with a default sender.
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const input: PortalJob.PortalJobInputWithoutSender = { title, documents, signers } // sender: the client's default
 * ```
 * @since 0.1.0
 */
export type PortalJobInputWithoutSender = Omit<PortalJobInput, "sender"> & { readonly sender?: Sender | undefined }

/**
 * How a signer identified by national identity number is notified: given contact information, or the register.
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const n: PortalJob.Notifications = { _tag: "NotificationsUsingLookup", sms: false }
 * ```
 * @since 0.1.0
 */
export type Notifications =
  | ({ readonly _tag: "Notifications" } & ContactInformation)
  | { readonly _tag: "NotificationsUsingLookup"; readonly sms: boolean }

interface SignerOptions {
  /** The order group, 0 when not given (the Java client always writes it). */
  readonly order: number
  readonly signatureType?: SignatureType | undefined
  readonly onBehalfOf?: OnBehalfOf | undefined
}

/**
 * A validated signer. The national identity number travels as `Redacted` so logs and `toString` never show it.
 *
 * @example
 * ```ts
 * import type { PortalJob } from "@signering/protocol"
 * const label = (s: PortalJob.PortalSigner) => s._tag === "ContactInformation" ? s.contactInformation.email : "by PIN"
 * ```
 * @since 0.1.0
 */
export type PortalSigner =
  | (SignerOptions & {
      readonly _tag: "PersonalIdentificationNumber"
      readonly personalIdentificationNumber: Redacted.Redacted<string>
      readonly notifications: Notifications
    })
  | (SignerOptions & {
      readonly _tag: "ContactInformation"
      readonly contactInformation: ContactInformation
    })

/**
 * A portal job that passed every documented limit. Only {@link make} creates one.
 *
 * @example
 * ```ts
 * import { PortalJob } from "@signering/protocol"
 * const job: PortalJob.PortalJob = PortalJob.makeOrThrow(input)
 * job.signers[0].order // 0
 * ```
 * @since 0.1.0
 */
export interface PortalJob {
  readonly _tag: "PortalJob"
  readonly title: string
  readonly nonsensitiveTitle?: string | undefined
  readonly description?: string | undefined
  readonly reference?: string | undefined
  readonly documents: ReadonlyArray<Document>
  readonly signers: ReadonlyArray<PortalSigner>
  readonly sender: Sender
  /** Always present (possibly empty): the manifest always carries `<availability>`, as Java writes it. */
  readonly availability: Availability
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

/**
 * Every documented limit of a portal job, in one place. Lengths count characters (code points), as XML Schema does.
 *
 * @example
 * ```ts
 * import { PortalJob } from "@signering/protocol"
 * PortalJob.limits.maxAvailableSeconds // 7776000 (90 days)
 * ```
 * @since 0.1.0
 */
export const limits = {
  ...sharedLimits,
  nonsensitiveTitleMaxLength: 80,
  minOrder: 0,
  maxOrder: 9,
  maxAvailableSeconds: 7_776_000,
} as const

// No source gives a pattern (plain xs:string, Java checks nothing): only the shape, loosely, to catch mix-ups.
const emailShape = /^[^\s@]+@[^\s@]+$/
// The docs' own examples `00000000` and `999999999` must pass; a leading + for international numbers.
const mobileShape = /^\+?[0-9]+$/

interface Checked {
  readonly issues: ReadonlyArray<ValidationIssue>
  readonly job?: PortalJob
}

const checkContact = (
  issues: Issues,
  path: string,
  value: unknown,
  what: string,
): { readonly email?: string; readonly sms?: string } | undefined => {
  if (!isRecord(value)) {
    issues.add(path, "type", `${what} must be an object with email and/or sms`)
    return undefined
  }
  const email = issues.optionalText(`${path}.email`, value.email, { min: 1 }, "e-mail address")
  if (email !== undefined && email.length > 0 && !emailShape.test(email)) {
    issues.add(`${path}.email`, "email", "e-mail address must have the shape local@domain")
  }
  const sms = issues.optionalText(`${path}.sms`, value.sms, { min: 1 }, "mobile number")
  if (sms !== undefined && sms.length > 0 && !mobileShape.test(sms)) {
    issues.add(`${path}.sms`, "mobile", "mobile number must be digits with an optional leading +")
  }
  if (value.email === undefined && value.sms === undefined) {
    issues.add(path, "required", `${what} needs an e-mail address or a mobile number`)
    return undefined
  }
  return { ...(email === undefined ? {} : { email }), ...(sms === undefined ? {} : { sms }) }
}

const checkAvailability = (issues: Issues, value: unknown): Availability => {
  if (value === undefined) return {}
  if (!isRecord(value)) {
    issues.add("availability", "type", "availability must be an object")
    return {}
  }
  let activationTime: Date | undefined
  if (value.activationTime !== undefined) {
    const t = value.activationTime
    if (!(t instanceof Date) || Number.isNaN(t.getTime())) {
      issues.add("availability.activationTime", "type", "activation time must be a valid Date")
    } else {
      activationTime = t
    }
  }
  let availableSeconds: number | undefined
  if (value.availableSeconds !== undefined) {
    const s = value.availableSeconds
    if (typeof s !== "number" || !Number.isInteger(s)) {
      issues.add("availability.availableSeconds", "type", "available seconds must be an integer")
    } else if (s < 0 || s > limits.maxAvailableSeconds) {
      issues.add(
        "availability.availableSeconds",
        "out-of-range",
        `available seconds must be 0 to ${limits.maxAvailableSeconds} (90 days) (is ${s})`,
      )
    } else {
      availableSeconds = s
    }
  }
  return {
    ...(activationTime === undefined ? {} : { activationTime }),
    ...(availableSeconds === undefined ? {} : { availableSeconds }),
  }
}

const checkSigners = (issues: Issues, value: unknown, options: ValidateOptions | undefined): Array<PortalSigner> => {
  const signers: Array<PortalSigner> = []
  const raw = issues.sized<unknown>("signers", value, limits.minSigners, limits.maxSigners, "signers")
  if (raw === undefined) return signers
  // Identifiers must tell signers apart: the status answer names each by PIN, or by e-mail / mobile verbatim.
  const seenPins = new Map<string, number>()
  const seenEmails = new Map<string, number>()
  const seenMobiles = new Map<string, number>()
  const unique = (seen: Map<string, number>, key: string, i: number, path: string, what: string) => {
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else issues.add(path, "duplicate", `${what} must be unique among the job's signers (same as signers[${first}])`)
  }
  raw.forEach((s: unknown, i) => {
    const path = `signers[${i}]`
    if (!isRecord(s)) {
      issues.add(path, "type", "a signer must be an object")
      return
    }
    const signatureType = issues.oneOf(`${path}.signatureType`, s.signatureType, signatureTypes, "signature type")
    const onBehalfOf = issues.oneOf(`${path}.onBehalfOf`, s.onBehalfOf, onBehalfOfValues, "on-behalf-of")
    let order = 0
    if (s.order !== undefined) {
      if (
        typeof s.order !== "number" ||
        !Number.isInteger(s.order) ||
        s.order < limits.minOrder ||
        s.order > limits.maxOrder
      ) {
        issues.add(`${path}.order`, "out-of-range", `order must be an integer ${limits.minOrder} to ${limits.maxOrder}`)
      } else {
        order = s.order
      }
    }
    const common: SignerOptions = {
      order,
      ...(signatureType === undefined ? {} : { signatureType }),
      ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
    }
    const hasPin = s.personalIdentificationNumber !== undefined
    const hasContact = s.contactInformation !== undefined
    if (hasPin === hasContact) {
      issues.add(
        path,
        "signer-identifier",
        "a signer needs exactly one of personalIdentificationNumber and contactInformation",
      )
      return
    }
    if (hasContact) {
      if (s.notifications !== undefined || s.notificationsUsingLookup !== undefined) {
        issues.add(
          path,
          "notifications",
          "a signer identified by contactInformation is notified there: notifications and notificationsUsingLookup are not allowed",
        )
      }
      const contact = checkContact(issues, `${path}.contactInformation`, s.contactInformation, "contactInformation")
      if (contact === undefined) return
      if (contact.email !== undefined)
        unique(seenEmails, contact.email, i, `${path}.contactInformation.email`, "e-mail address")
      if (contact.sms !== undefined)
        unique(seenMobiles, contact.sms, i, `${path}.contactInformation.sms`, "mobile number")
      signers.push({ _tag: "ContactInformation", contactInformation: contact, ...common })
      return
    }
    const pinPath = `${path}.personalIdentificationNumber`
    const pin = checkPin(issues, pinPath, s.personalIdentificationNumber, options)
    if (pin !== undefined)
      unique(
        seenPins,
        Redacted.value(pin),
        i,
        pinPath,
        `personal identification number ${maskPin(Redacted.value(pin))}`,
      )
    const hasNotifications = s.notifications !== undefined
    const hasLookup = s.notificationsUsingLookup !== undefined
    let notifications: Notifications | undefined
    if (hasNotifications === hasLookup) {
      issues.add(
        path,
        hasNotifications ? "notifications" : "required",
        hasNotifications
          ? "give either notifications or notificationsUsingLookup, not both"
          : "a signer identified by personalIdentificationNumber needs notifications or notificationsUsingLookup (a way to be notified)",
      )
    } else if (hasNotifications) {
      const contact = checkContact(issues, `${path}.notifications`, s.notifications, "notifications")
      if (contact !== undefined) notifications = { _tag: "Notifications", ...contact }
    } else {
      const lookup = s.notificationsUsingLookup
      const lookupPath = `${path}.notificationsUsingLookup`
      if (!isRecord(lookup)) {
        issues.add(lookupPath, "type", "notificationsUsingLookup must be an object { email: true, sms?: boolean }")
      } else {
        if (lookup.email !== true)
          issues.add(
            `${lookupPath}.email`,
            "required",
            "notificationsUsingLookup.email must be true (the register always notifies by e-mail)",
          )
        if (lookup.sms !== undefined && typeof lookup.sms !== "boolean")
          issues.add(`${lookupPath}.sms`, "type", "notificationsUsingLookup.sms must be a boolean")
        // As the Java client: a signer on behalf of another is not looked up in the register.
        if (onBehalfOf === "OTHER")
          issues.add(lookupPath, "on-behalf-of", "notificationsUsingLookup cannot be combined with onBehalfOf OTHER")
        notifications = { _tag: "NotificationsUsingLookup", sms: lookup.sms === true }
      }
    }
    if (pin !== undefined && notifications !== undefined) {
      signers.push({
        _tag: "PersonalIdentificationNumber",
        personalIdentificationNumber: pin,
        notifications,
        ...common,
      })
    }
  })
  return signers
}

const check = (input: PortalJobInput, options?: ValidateOptions): Checked => {
  const issues = new Issues()
  if (!isRecord(input)) {
    issues.add("", "type", "the job must be an object")
    return { issues: issues.list }
  }
  const title = issues.text("title", input.title, { min: 1, max: limits.titleMaxLength }, "title")
  // An empty non-sensitive title is invalid, not absent (the schema's minLength 1).
  const nonsensitiveTitle = issues.optionalText(
    "nonsensitiveTitle",
    input.nonsensitiveTitle,
    { min: 1, max: limits.nonsensitiveTitleMaxLength },
    "non-sensitive title",
  )
  const description = issues.optionalText(
    "description",
    input.description,
    { max: limits.descriptionMaxLength },
    "description",
  )
  const reference = issues.optionalText("reference", input.reference, { max: limits.referenceMaxLength }, "reference")
  const sender = checkSender(issues, input.sender)
  const availability = checkAvailability(issues, input.availability)
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
  const signers = checkSigners(issues, input.signers, options)
  const documents = checkDocuments(issues, input.documents)

  if (issues.list.length > 0 || title === undefined || sender === undefined) return { issues: issues.list }
  const job: PortalJob = {
    _tag: "PortalJob",
    title,
    ...(nonsensitiveTitle === undefined ? {} : { nonsensitiveTitle }),
    ...(description === undefined ? {} : { description }),
    ...(reference === undefined ? {} : { reference }),
    documents,
    signers,
    sender,
    availability,
    ...(requiredAuthentication === undefined ? {} : { requiredAuthentication }),
    ...(identifierInSignedDocuments === undefined ? {} : { identifierInSignedDocuments }),
  }
  return { issues: [], job }
}

/**
 * Every limit the input breaks, each with its path and a message naming the limit. Empty when the input is valid.
 * Never throws, even for input that is not shaped like a job at all.
 *
 * @example
 * ```ts
 * import { PortalJob } from "@signering/protocol"
 * for (const i of PortalJob.validate(input)) console.log(`${i.path}: ${i.message}`) // signers[0].order: ...
 * ```
 * @since 0.1.0
 */
export const validate = (input: PortalJobInput, options?: ValidateOptions): ReadonlyArray<ValidationIssue> =>
  check(input, options).issues

/**
 * Validates the input and builds a `PortalJob` (document file names assigned, PINs wrapped in `Redacted`, every
 * signer's order set), or a `ValidationError` listing every issue. Returns an Effect `Result` (plain data: check
 * `_tag`), or use `makeEffect` / `makeOrThrow`.
 *
 * @example
 * ```ts
 * import { PortalJob } from "@signering/protocol"
 * const result = PortalJob.make({
 *   title: "Tenancy agreement",
 *   nonsensitiveTitle: "Agreement",
 *   documents: [{ title: "Agreement", bytes: pdfBytes }],
 *   signers: [
 *     { personalIdentificationNumber: "01017012343", notifications: { email: "kari@example.com" }, order: 0 },
 *     { contactInformation: { sms: "+4799999999" }, order: 1 },
 *   ],
 *   sender: { organizationNumber: "983163327" },
 *   availability: { availableSeconds: 7 * 86400 },
 * })
 * if (result._tag === "Failure") console.error(result.failure.issues)
 * ```
 * @since 0.1.0
 */
export const make = (input: PortalJobInput, options?: ValidateOptions): Result.Result<PortalJob, ValidationError> => {
  const { issues, job } = check(input, options)
  return job === undefined ? Result.fail(new ValidationError({ issues })) : Result.succeed(job)
}

/**
 * {@link make} as an Effect that fails with `ValidationError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PortalJob } from "@signering/protocol"
 * const program = Effect.gen(function* () {
 *   const job = yield* PortalJob.makeEffect(input)
 *   return job.signers.length
 * })
 * ```
 * @since 0.1.0
 */
export const makeEffect = (
  input: PortalJobInput,
  options?: ValidateOptions,
): Effect.Effect<PortalJob, ValidationError> => Effect.suspend(() => Effect.fromResult(make(input, options)))

/**
 * {@link make} for code without Effect that prefers exceptions: returns the job or throws the `ValidationError`.
 *
 * @example
 * ```ts
 * import { PortalJob, ValidationError } from "@signering/protocol"
 * try {
 *   const job = PortalJob.makeOrThrow(input)
 * } catch (e) {
 *   if (e instanceof ValidationError) console.error(e.issues)
 * }
 * ```
 * @since 0.1.0
 */
export const makeOrThrow = (input: PortalJobInput, options?: ValidateOptions): PortalJob => {
  const result = make(input, options)
  if (result._tag === "Failure") throw result.failure
  return result.success
}
