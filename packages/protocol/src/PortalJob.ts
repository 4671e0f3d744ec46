/**
 * The portal-flow signature job: signers are notified by e-mail or SMS, log in to the Posten signing portal and
 * sign in order within an availability window. Input shape, validated job, and validation of every documented
 * limit (PROTOCOL.md §12.2 and §12.6), all reported at once.
 *
 * @since 0.1.0
 */
import type { Effect, Redacted, Result } from "effect"
import type {
  AuthenticationLevel,
  Document,
  DocumentInput,
  IdentifierInSignedDocuments,
  OnBehalfOf,
  Sender,
  SignatureType,
  ValidateOptions,
} from "./Common.js"
import { jobConstructors } from "./internal/jobConstructors.js"
import { checkPortalJob, portalLimits } from "./internal/portalJobCheck.js"
import type { ValidationError, ValidationIssue } from "./ProtocolError.js"

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
export const limits = portalLimits

const constructors = jobConstructors(checkPortalJob)

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
export const validate: (input: PortalJobInput, options?: ValidateOptions) => ReadonlyArray<ValidationIssue> =
  constructors.validate

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
export const make: (input: PortalJobInput, options?: ValidateOptions) => Result.Result<PortalJob, ValidationError> =
  constructors.make

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
export const makeEffect: (
  input: PortalJobInput,
  options?: ValidateOptions,
) => Effect.Effect<PortalJob, ValidationError> = constructors.makeEffect

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
export const makeOrThrow: (input: PortalJobInput, options?: ValidateOptions) => PortalJob = constructors.makeOrThrow
