/**
 * The simulated service behind both listeners: state, signed output, observation and faults.
 */
import type { Pki } from "../Pki.js"
import type { Clock } from "./clock.js"
import { Faults } from "./faults.js"
import {
  type Counters,
  emptyCounters,
  RateLimiter,
  type RateLimitOptions,
  RequestLog,
  type RequestLogEntry,
} from "./observe.js"
import type { Urls } from "./responses.js"
import { makePades, makeSignerXades } from "./signedOutput/index.js"
import {
  type ContactInformation,
  canAct,
  type JobRecord,
  type Outcome,
  randomToken,
  type SignerRecord,
  State,
  type StateOptions,
} from "./state.js"

/** What the fake contact register (KRR) holds for a personal identification number. */
export type RegistryEntry = ContactInformation | "RESERVED" | "CONTACT_INFORMATION_MISSING"

/** One notification the simulated service sent (instead of a real e-mail or SMS). */
export interface Notification {
  readonly at: Date
  readonly jobId: string
  /** The signer as the sender named it: PIN, or a contact signer's e-mail address or mobile number as given. */
  readonly signer: string
  readonly channel: "email" | "sms"
  /** The e-mail address or mobile number it went to. */
  readonly to: string
  readonly kind: "invitation" | "security-code" | "cancellation"
  readonly text: string
  /** The signing link in the text, if any. */
  readonly link: string | undefined
  /** The security code in the text (contact-information signers), if any. */
  readonly securityCode: string | undefined
}

/** An archived (long-term stored) document of an organization. */
export interface Archived {
  readonly jobId: string
  readonly pades: Promise<Uint8Array>
}

export interface EngineOptions extends StateOptions {
  readonly pki: Pki
  /** Organizations with API access (else NOT_AUTHORIZED). */
  readonly organizations: ReadonlySet<string>
  /** Broker organization → organizations it may act for. */
  readonly brokers: ReadonlyMap<string, ReadonlySet<string>>
  readonly signingTimeLeniencyMs: number
  readonly rateLimit: RateLimitOptions | undefined
  readonly requestLogLimit: number
  readonly onRequest: ((entry: RequestLogEntry) => void) | undefined
  readonly clock: Clock
  /** Fake KRR: contact data per PIN; a PIN not listed gets made-up contact data. */
  readonly registry: ReadonlyMap<string, RegistryEntry>
  /** Organizations with long-term storage switched on (sender portal setting). */
  readonly longTermStorage: ReadonlySet<string>
  /** Wrong security codes a contact signer may enter before BLOCKED. */
  readonly securityCodeAttempts: number
}

/** Appends `status_query_token` to an exit URL: `&` when it already has a query, before any fragment. */
export const withStatusQueryToken = (url: string, token: string): string => {
  const hash = url.indexOf("#")
  const base = hash === -1 ? url : url.slice(0, hash)
  const fragment = hash === -1 ? "" : url.slice(hash)
  const sep = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?"
  return `${base}${sep}status_query_token=${encodeURIComponent(token)}${fragment}`
}

export class Engine {
  readonly state: State
  readonly faults = new Faults()
  readonly log: RequestLog
  readonly counters: Counters = emptyCounters()
  readonly rateLimiter: RateLimiter | undefined
  urls: Urls = { api: "", portal: "" }
  readonly outbox: Array<Notification> = []
  /** Organization → archived document id → document. */
  readonly archive = new Map<string, Map<string, Archived>>()

  constructor(readonly options: EngineOptions) {
    this.state = new State(options)
    this.log = new RequestLog(options.requestLogLimit, options.onRequest)
    this.rateLimiter = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit)
    this.state.onActivated = (job, signers) => this.notifyActivated(job, signers)
    this.state.onFinalConfirmed = (job) => this.archiveJob(job)
  }

  /** The fake KRR: listed entries as configured; anyone else gets made-up contact data derived from the PIN. */
  lookup(pin: string): RegistryEntry {
    const entry = this.options.registry.get(pin)
    if (entry !== undefined) return entry
    // No PIN digits in the made-up address: the outbox is printed by tests and the demo.
    let h = 0
    for (const c of pin) h = (h * 31 + c.charCodeAt(0)) >>> 0
    const tag = h.toString(36)
    return { email: `person-${tag}@krr.example`, sms: `+4790${String(h % 1_000_000).padStart(6, "0")}` }
  }

  /** Where a portal signer's browser starts: the login page, or a contact signer's own link. */
  signingLink(signer: SignerRecord): string {
    return signer.portal?.identifiedByContactInformation === true
      ? `${this.urls.portal}/portal/invitation/${signer.portal.inviteToken}`
      : `${this.urls.portal}/portal/login`
  }

  private send(
    job: JobRecord,
    signer: SignerRecord,
    n: Omit<Notification, "at" | "jobId" | "signer" | "channel" | "to">,
  ) {
    const contact = signer.portal?.contact
    const at = new Date(this.state.now())
    for (const channel of ["email", "sms"] as const) {
      const to = contact?.[channel]
      if (to !== undefined) this.outbox.push({ at, jobId: job.id, signer: signer.value, channel, to, ...n })
    }
  }

  private notifyActivated(job: JobRecord, signers: ReadonlyArray<SignerRecord>) {
    // Notifications name the non-sensitive title only: e-mail and SMS are not a secure channel.
    const title = job.portal?.nonsensitiveTitle ?? "Documents to sign"
    for (const signer of signers) {
      const link = this.signingLink(signer)
      this.send(job, signer, {
        kind: "invitation",
        text: `You have documents to sign: "${title}". Open ${link} to read and sign them.`,
        link,
        securityCode: undefined,
      })
      const code = signer.portal?.securityCode
      if (code !== undefined) {
        // The code goes by SMS when there is a number, so the link alone is not enough.
        const contact = signer.portal!.contact
        const channel = contact?.sms !== undefined ? "sms" : "email"
        this.outbox.push({
          at: new Date(this.state.now()),
          jobId: job.id,
          signer: signer.value,
          channel,
          to: contact?.[channel] ?? "",
          kind: "security-code",
          text: `Your security code for "${title}" is ${code}.`,
          link: undefined,
          securityCode: code,
        })
      }
    }
  }

  /** The sender cancels: the job ends and every signer who could still act is told. */
  cancel(job: JobRecord): boolean {
    const told = job.signers.filter((s) => s.status === "WAITING" && s.portal?.activatedAt !== undefined)
    if (!this.state.cancel(job)) return false
    const title = job.portal?.nonsensitiveTitle ?? "Documents to sign"
    for (const signer of told)
      this.send(job, signer, {
        kind: "cancellation",
        text: `The sender cancelled "${title}". There is nothing to sign any more.`,
        link: undefined,
        securityCode: undefined,
      })
    return true
  }

  /** Long-term storage: the job's signed documents, kept under an opaque id once its final status is confirmed. */
  private archiveJob(job: JobRecord) {
    if (!this.options.longTermStorage.has(job.organization) || job.portal?.archivedDocumentId !== undefined) return
    if (job.documents === undefined || !job.signers.some((s) => s.status === "SIGNED")) return
    const id = randomToken().slice(0, 32)
    const pades = this.pades(job)
    pades.catch(() => undefined)
    let stored = this.archive.get(job.organization)
    if (stored === undefined) {
      stored = new Map()
      this.archive.set(job.organization, stored)
    }
    stored.set(id, { jobId: job.id, pades })
    if (job.portal !== undefined) job.portal.archivedDocumentId = id
    else this.directArchiveIds.set(job.id, id)
  }

  /** Archived ids of direct jobs (portal jobs keep theirs on the job). */
  readonly directArchiveIds = new Map<string, string>()

  archivedDocumentId(job: JobRecord): string | undefined {
    return job.portal?.archivedDocumentId ?? this.directArchiveIds.get(job.id)
  }

  /** Deleting a job's documents removes them from long-term storage too. */
  deleteDocuments(job: JobRecord): boolean {
    if (!this.state.deleteDocuments(job)) return false
    const id = this.archivedDocumentId(job)
    if (id !== undefined) this.archive.get(job.organization)?.delete(id)
    return true
  }

  /** Where the signer's browser goes after the outcome. */
  exitUrl(job: JobRecord, signer: SignerRecord): string {
    const target =
      signer.status === "SIGNED"
        ? job.exitUrls.completionUrl
        : signer.status === "REJECTED"
          ? job.exitUrls.rejectionUrl
          : job.exitUrls.errorUrl
    return withStatusQueryToken(target, signer.statusQueryToken)
  }

  /**
   * The signer signs, rejects or fails. Signing seals a XAdES with the simulated e-ID first, so the artefacts exist
   * as soon as the status says SIGNED. Undefined when the signer can no longer act.
   */
  async act(job: JobRecord, signer: SignerRecord, outcome: Outcome): Promise<string | undefined> {
    this.state.sweep()
    if (!canAct(job, signer) || job.documents === undefined) return undefined
    let xades: string | undefined
    if (outcome === "SIGNED") {
      xades = await makeSignerXades({
        eid: this.options.pki.eid,
        signer: { displayName: signer.displayName, identifier: signer.value },
        documents: job.documents.map((d) => ({ name: d.href, bytes: d.bytes })),
        signedAt: new Date(this.state.now()),
      })
    }
    if (!this.state.finish(job, signer, outcome, xades)) return undefined
    // A portal job has no exit URLs: the signer stays in the portal.
    return job.portal === undefined ? this.exitUrl(job, signer) : `${this.urls.portal}/portal`
  }

  /** The PAdES of the job as it is now, rebuilt only when the job changed. */
  pades(job: JobRecord): Promise<Uint8Array> {
    const documents = job.documents
    if (documents === undefined) return Promise.reject(new Error("documents deleted"))
    if (job.pades?.version !== job.version) {
      const bytes = makePades({
        title: job.title,
        ...(job.description === undefined ? {} : { description: job.description }),
        documents: documents.map((d) => ({ title: d.title, mediaType: d.mime, bytes: d.bytes })),
        signers: job.signers.map((s) => ({
          displayName: s.displayName,
          identifier: s.value,
          status: s.status,
          ...(s.signedAt === undefined ? {} : { signedAt: new Date(s.signedAt) }),
        })),
        // Like the real PAdES, the file carries a PDF signature a reader can check (here by the simulated e-ID).
        seal: this.options.pki.eid,
      })
      job.pades = { version: job.version, bytes }
      bytes.catch(() => {
        if (job.pades?.bytes === bytes) job.pades = undefined
      })
    }
    return job.pades!.bytes
  }
}
