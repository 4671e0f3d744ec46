/**
 * The simulated service's data model: jobs, signers, status changes and their statuses, shared by both flows, and
 * the random identifiers the service hands out.
 */
import { randomBytes } from "node:crypto"
import type { Clock } from "./clock.js"

export type JobStatus = "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"
export type SignerStatus =
  | "WAITING"
  | "SIGNED"
  | "REJECTED"
  | "FAILED"
  | "EXPIRED"
  | "NOT_APPLICABLE"
  // portal flow only
  | "CANCELLED"
  | "RESERVED"
  | "CONTACT_INFORMATION_MISSING"
  | "BLOCKED"
export type Outcome = "SIGNED" | "REJECTED" | "FAILED"
export type Flow = "direct" | "portal"

/** How a confirmation settles delivered changes (issue 14 §1: the sources do not say). */
export type ConfirmationModel = "settles-job" | "settles-change"

/** E-mail address and/or mobile number exactly as the sender gave them (never normalized). */
export interface ContactInformation {
  readonly email?: string | undefined
  readonly sms?: string | undefined
}

/** What a portal signer has on top of a direct one. */
export interface PortalSigner {
  readonly order: number
  /** Contact-information signers have no PIN: the link and a security code stand in for the login. */
  readonly identifiedByContactInformation: boolean
  /** As given in `notifications` (or `identified-by-contact-information`); the status answer echoes it. */
  readonly notifications: ContactInformation | undefined
  /** `notifications-using-lookup`: the channels to use with the contact data the fake KRR holds. */
  readonly lookup: { readonly email: boolean; readonly sms: boolean } | undefined
  /** Where notifications actually go (given, or looked up). */
  contact: ContactInformation | undefined
  /** Token of the signer's link (contact signers: the link is the login). */
  readonly inviteToken: string
  securityCode: string | undefined
  wrongCodes: number
  activatedAt: number | undefined
}

export interface PortalExtras {
  readonly nonsensitiveTitle: string | undefined
  /** When the first order group becomes available. */
  readonly activationTime: number
  /** Per order group, from its activation. */
  readonly availableMs: number
  cancelled: boolean
  /** Set when the final change was confirmed and the organization has long-term storage. */
  archivedDocumentId: string | undefined
}

export interface StoredDocument {
  readonly href: string
  readonly mime: string
  readonly title: string
  readonly bytes: Uint8Array
}

export interface SignerRecord {
  /** 1-based position, used in the signer href `/signers/{n}`. */
  readonly index: number
  readonly kind: "PersonalIdentificationNumber" | "CustomIdentifier" | "ContactInformation"
  /** The `@signer` value: PIN or custom identifier; for a contact signer its e-mail address, else its mobile number. */
  readonly value: string
  readonly displayName: string
  status: SignerStatus
  since: number
  /** The currently valid one-time redirect token (undefined once used or replaced). */
  redirectToken: string | undefined
  /** Revealed only through the exit-URL redirect. Replaced (old one refused) on confirmation when so configured. */
  statusQueryToken: string
  /** Opaque id in the xades-url; deliberately not the signer index. */
  readonly xadesId: string
  xades: string | undefined
  signedAt: number | undefined
  /** Portal jobs only. */
  readonly portal: PortalSigner | undefined
}

export interface JobRecord {
  readonly id: string
  readonly flow: Flow
  /** Organization in the URL (the data controller). */
  readonly organization: string
  readonly reference: string | undefined
  readonly exitUrls: { readonly completionUrl: string; readonly rejectionUrl: string; readonly errorUrl: string }
  readonly statusRetrievalMethod: "WAIT_FOR_CALLBACK" | "POLLING"
  /** "" is the default queue. */
  readonly pollingQueue: string
  readonly title: string
  readonly description: string | undefined
  documents: ReadonlyArray<StoredDocument> | undefined
  readonly signers: ReadonlyArray<SignerRecord>
  readonly createdAt: number
  readonly expiresAt: number
  completedAt: number | undefined
  /** Bumped on every change; keys the PAdES cache. */
  version: number
  pades: { readonly version: number; readonly bytes: Promise<Uint8Array> } | undefined
  /** Portal jobs only. */
  readonly portal: PortalExtras | undefined
}

export interface SignerSnapshot {
  readonly value: string
  readonly status: SignerStatus
  readonly since: number
}

/** One status change as queued for polling: the job as it was when it changed. */
export interface StatusChange {
  /** Unique per change; names the change in its confirmation URL under the `settles-change` model. */
  readonly seq: number
  readonly jobId: string
  readonly jobStatus: JobStatus
  readonly signers: ReadonlyArray<SignerSnapshot>
}

export interface StateOptions {
  readonly clock: Clock
  readonly jobLifetimeMs: number
  readonly emptyQueuePollDelayMs: number
  readonly unconfirmedRequeueDelayMs: number
  readonly deleteDocumentsDelayMs: number
  /** `"refused"`: confirming a final job replaces its status query tokens, so the old ones get 403. */
  readonly statusQueryTokensAfterConfirmation?: "accepted" | "refused" | undefined
  readonly confirmationModel?: ConfirmationModel | undefined
}

export interface NewJob {
  readonly organization: string
  readonly reference: string | undefined
  readonly exitUrls: JobRecord["exitUrls"]
  readonly statusRetrievalMethod: JobRecord["statusRetrievalMethod"]
  readonly pollingQueue: string | undefined
  readonly title: string
  readonly description: string | undefined
  readonly documents: ReadonlyArray<StoredDocument>
  readonly signers: ReadonlyArray<{ readonly kind: SignerRecord["kind"]; readonly value: string }>
}

export interface NewPortalJob {
  readonly organization: string
  readonly reference: string | undefined
  readonly pollingQueue: string | undefined
  readonly title: string
  readonly nonsensitiveTitle: string | undefined
  readonly description: string | undefined
  readonly documents: ReadonlyArray<StoredDocument>
  readonly activationTime: number | undefined
  readonly availableMs: number
  readonly signers: ReadonlyArray<{
    readonly personalIdentificationNumber: string | undefined
    readonly order: number
    readonly notifications: ContactInformation | undefined
    readonly lookup: { readonly email: boolean; readonly sms: boolean } | undefined
  }>
}

export type PollResult = (
  | { readonly _tag: "TooEarly"; readonly nextPermittedAt: number }
  | { readonly _tag: "Empty"; readonly nextPermittedAt: number }
  | { readonly _tag: "Change"; readonly change: StatusChange; readonly nextPermittedAt: number }
) & {
  /** Unconfirmed changes this poll put back on the queue (their re-queue delay had passed). */
  readonly requeued: number
}

// Every job takes several tokens; one call into the CSPRNG per 4 kB instead of one per token.
let randomPool = Buffer.alloc(0)
let randomOffset = 0
export const random = (n: number): Buffer => {
  if (randomOffset + n > randomPool.length) {
    randomPool = randomBytes(4096)
    randomOffset = 0
  }
  const out = randomPool.subarray(randomOffset, randomOffset + n)
  randomOffset += n
  return out
}

/** 64 hex characters, like the tokens in the specification's examples. */
export const randomToken = (): string => random(32).toString("hex")

/** A six-digit security code for a contact-information signer. */
export const randomCode = (): string => String(random(4).readUInt32BE(0) % 1_000_000).padStart(6, "0")

export const randomLongBase = (): bigint => BigInt(100_000 + (random(4).readUInt32BE(0) % 800_000)) * 10n

const finalStatuses: ReadonlySet<SignerStatus> = new Set(["SIGNED", "REJECTED", "FAILED", "EXPIRED", "NOT_APPLICABLE"])

export const jobStatusOf = (signers: ReadonlyArray<{ readonly status: SignerStatus }>): JobStatus => {
  if (signers.every((s) => s.status === "SIGNED")) return "COMPLETED_SUCCESSFULLY"
  if (signers.some((s) => s.status !== "SIGNED" && s.status !== "WAITING")) return "FAILED"
  return "IN_PROGRESS"
}

export const isFinal = (status: SignerStatus): boolean => finalStatuses.has(status)

/** A signer of a portal job may act: its group is active and the job still open. */
export const canAct = (job: JobRecord, signer: SignerRecord): boolean =>
  signer.status === "WAITING" &&
  jobStatusOf(job.signers) === "IN_PROGRESS" &&
  (job.portal === undefined || signer.portal?.activatedAt !== undefined)

export interface PortalSession {
  readonly secret: string
  /** Logged in with a personal identification number (picked identity). */
  readonly pin: string | undefined
  /** Logged in through a contact signer's link and security code: bound to that one signer. */
  readonly contact: { readonly job: JobRecord; readonly signer: SignerRecord } | undefined
}
