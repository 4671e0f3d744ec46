/**
 * In-memory state of the simulated service: jobs, signers, one-time tokens, portal sessions and polling queues.
 * Pure bookkeeping driven by the injected clock; HTTP lives elsewhere.
 */
import { randomBytes } from "node:crypto"
import type { Clock } from "./clock.js"

export type JobStatus = "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"
export type SignerStatus = "WAITING" | "SIGNED" | "REJECTED" | "FAILED" | "EXPIRED" | "NOT_APPLICABLE"
export type Outcome = "SIGNED" | "REJECTED" | "FAILED"

export interface StoredDocument {
  readonly href: string
  readonly mime: string
  readonly title: string
  readonly bytes: Uint8Array
}

export interface SignerRecord {
  /** 1-based position, used in the signer href `/signers/{n}`. */
  readonly index: number
  readonly kind: "PersonalIdentificationNumber" | "CustomIdentifier"
  /** The `@signer` value: PIN or custom identifier. */
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
}

export interface JobRecord {
  readonly id: string
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
}

export interface SignerSnapshot {
  readonly value: string
  readonly status: SignerStatus
  readonly since: number
}

/** One status change as queued for polling: the job as it was when it changed. */
export interface StatusChange {
  readonly jobId: string
  readonly jobStatus: JobStatus
  readonly signers: ReadonlyArray<SignerSnapshot>
}

interface Queue {
  readonly ready: Array<StatusChange>
  readonly inFlight: Array<{ readonly change: StatusChange; readonly requeueAt: number }>
  nextPermittedAt: number
}

export interface StateOptions {
  readonly clock: Clock
  readonly jobLifetimeMs: number
  readonly emptyQueuePollDelayMs: number
  readonly unconfirmedRequeueDelayMs: number
  readonly deleteDocumentsDelayMs: number
  /** `"refused"`: confirming a final job replaces its status query tokens, so the old ones get 403. */
  readonly statusQueryTokensAfterConfirmation?: "accepted" | "refused" | undefined
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
const random = (n: number): Buffer => {
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

const randomLongBase = (): bigint => BigInt(100_000 + (random(4).readUInt32BE(0) % 800_000)) * 10n

const finalStatuses: ReadonlySet<SignerStatus> = new Set(["SIGNED", "REJECTED", "FAILED", "EXPIRED", "NOT_APPLICABLE"])

export const jobStatusOf = (signers: ReadonlyArray<{ readonly status: SignerStatus }>): JobStatus => {
  if (signers.every((s) => s.status === "SIGNED")) return "COMPLETED_SUCCESSFULLY"
  if (signers.some((s) => s.status !== "SIGNED" && s.status !== "WAITING")) return "FAILED"
  return "IN_PROGRESS"
}

export const isFinal = (status: SignerStatus): boolean => finalStatuses.has(status)

const queueKey = (organization: string, queue: string) => `${organization}\u0000${queue}`

export class State {
  readonly jobs = new Map<string, JobRecord>()
  private readonly byCreation: Array<JobRecord> = []
  private expiryCursor = 0
  private readonly redirectTokens = new Map<string, { readonly job: JobRecord; readonly signer: SignerRecord }>()
  private readonly sessions = new Map<
    string,
    { readonly secret: string; readonly job: JobRecord; readonly signer: SignerRecord }
  >()
  private readonly queues = new Map<string, Queue>()
  private nextJobId = randomLongBase()
  private nextXadesId = randomLongBase() * 3n

  constructor(readonly options: StateOptions) {}

  now(): number {
    return this.options.clock.now()
  }

  createJob(input: NewJob): JobRecord {
    const now = this.now()
    const id = String(this.nextJobId++)
    const signers = input.signers.map(
      (s, i): SignerRecord => ({
        index: i + 1,
        kind: s.kind,
        value: s.value,
        displayName: s.kind === "CustomIdentifier" ? s.value : `Test Person ${i + 1}`,
        status: "WAITING",
        since: now,
        redirectToken: undefined,
        statusQueryToken: randomToken(),
        xadesId: String(this.nextXadesId++),
        xades: undefined,
        signedAt: undefined,
      }),
    )
    const job: JobRecord = {
      id,
      organization: input.organization,
      reference: input.reference,
      exitUrls: input.exitUrls,
      statusRetrievalMethod: input.statusRetrievalMethod,
      pollingQueue: input.pollingQueue ?? "",
      title: input.title,
      description: input.description,
      documents: input.documents,
      signers,
      createdAt: now,
      expiresAt: now + this.options.jobLifetimeMs,
      completedAt: undefined,
      version: 0,
      pades: undefined,
    }
    this.jobs.set(id, job)
    this.byCreation.push(job)
    for (const signer of signers) this.issueRedirectToken(job, signer)
    return job
  }

  /** The job, when it exists and belongs to the organization in the URL. */
  job(organization: string, id: string): JobRecord | undefined {
    this.sweep()
    const job = this.jobs.get(id)
    return job !== undefined && job.organization === organization ? job : undefined
  }

  /** A fresh one-time redirect token; the previous one stops working. */
  issueRedirectToken(job: JobRecord, signer: SignerRecord): string {
    if (signer.redirectToken !== undefined) this.redirectTokens.delete(signer.redirectToken)
    const token = randomToken()
    signer.redirectToken = token
    this.redirectTokens.set(token, { job, signer })
    return token
  }

  /** Redeems a one-time redirect token: returns a portal session (id + cookie secret) or undefined when unknown/used. */
  redeemRedirectToken(token: string): { readonly sessionId: string; readonly secret: string } | undefined {
    this.sweep()
    const entry = this.redirectTokens.get(token)
    if (entry === undefined) return undefined
    this.redirectTokens.delete(token)
    entry.signer.redirectToken = undefined
    const sessionId = random(12).toString("base64url")
    const secret = randomToken()
    this.sessions.set(sessionId, { secret, job: entry.job, signer: entry.signer })
    return { sessionId, secret }
  }

  session(sessionId: string, secret: string | undefined) {
    this.sweep()
    const s = this.sessions.get(sessionId)
    if (s === undefined || secret === undefined || s.secret !== secret) return undefined
    return s
  }

  /**
   * Records a signer's outcome (§5.7): one rejection or failure ends the job for everyone (the remaining WAITING signers
   * become NOT_APPLICABLE); all signed completes it. Returns false when the signer can no longer act.
   */
  finish(job: JobRecord, signer: SignerRecord, outcome: Outcome, xades?: string): boolean {
    this.sweep()
    if (signer.status !== "WAITING") return false
    const now = this.now()
    signer.status = outcome
    signer.since = now
    if (signer.redirectToken !== undefined) {
      this.redirectTokens.delete(signer.redirectToken)
      signer.redirectToken = undefined
    }
    if (outcome === "SIGNED") {
      signer.xades = xades
      signer.signedAt = now
    } else {
      for (const other of job.signers) {
        if (other.status === "WAITING") {
          other.status = "NOT_APPLICABLE"
          other.since = now
          this.dropRedirectToken(other)
        }
      }
    }
    if (jobStatusOf(job.signers) === "COMPLETED_SUCCESSFULLY") job.completedAt = now
    this.changed(job)
    return true
  }

  private dropRedirectToken(signer: SignerRecord) {
    if (signer.redirectToken !== undefined) this.redirectTokens.delete(signer.redirectToken)
    signer.redirectToken = undefined
  }

  private changed(job: JobRecord) {
    job.version++
    if (job.statusRetrievalMethod !== "POLLING") return
    this.queue(job.organization, job.pollingQueue).ready.push(this.snapshot(job))
  }

  snapshot(job: JobRecord): StatusChange {
    return {
      jobId: job.id,
      jobStatus: jobStatusOf(job.signers),
      signers: job.signers.map((s) => ({ value: s.value, status: s.status, since: s.since })),
    }
  }

  private queue(organization: string, name: string): Queue {
    const key = queueKey(organization, name)
    let q = this.queues.get(key)
    if (q === undefined) {
      q = { ready: [], inFlight: [], nextPermittedAt: 0 }
      this.queues.set(key, q)
    }
    return q
  }

  /** Expires jobs whose 30-day lifetime has passed. Jobs are created in clock order, so a cursor suffices. */
  sweep() {
    const now = this.now()
    while (this.expiryCursor < this.byCreation.length) {
      const job = this.byCreation[this.expiryCursor]!
      if (job.expiresAt > now) break
      this.expiryCursor++
      if (jobStatusOf(job.signers) !== "IN_PROGRESS") continue
      for (const signer of job.signers) {
        if (signer.status === "WAITING") {
          signer.status = "EXPIRED"
          signer.since = job.expiresAt
          this.dropRedirectToken(signer)
        }
      }
      this.changed(job)
    }
  }

  /** One poll of an (organization, queue): 429 before the permitted time, else one change or empty. */
  poll(organization: string, name: string): PollResult {
    this.sweep()
    const now = this.now()
    const q = this.queue(organization, name)
    if (now < q.nextPermittedAt) return { _tag: "TooEarly", nextPermittedAt: q.nextPermittedAt, requeued: 0 }
    // Unconfirmed changes whose grace period has passed go back to the front of the queue.
    const due = q.inFlight.filter((f) => f.requeueAt <= now)
    if (due.length > 0) {
      for (let i = q.inFlight.length - 1; i >= 0; i--) if (q.inFlight[i]!.requeueAt <= now) q.inFlight.splice(i, 1)
      q.ready.unshift(...due.map((d) => d.change))
    }
    const change = q.ready.shift()
    if (change === undefined) {
      q.nextPermittedAt = now + this.options.emptyQueuePollDelayMs
      return { _tag: "Empty", nextPermittedAt: q.nextPermittedAt, requeued: due.length }
    }
    q.inFlight.push({ change, requeueAt: now + this.options.unconfirmedRequeueDelayMs })
    q.nextPermittedAt = now
    return { _tag: "Change", change, nextPermittedAt: now, requeued: due.length }
  }

  /** Confirmation: delivered changes of this job stop being re-queued. */
  confirm(job: JobRecord) {
    if (this.options.statusQueryTokensAfterConfirmation === "refused" && jobStatusOf(job.signers) !== "IN_PROGRESS") {
      for (const signer of job.signers) signer.statusQueryToken = randomToken()
    }
    const q = this.queues.get(queueKey(job.organization, job.pollingQueue))
    if (q === undefined) return
    for (let i = q.inFlight.length - 1; i >= 0; i--) if (q.inFlight[i]!.change.jobId === job.id) q.inFlight.splice(i, 1)
  }

  /** Documents may be deleted once every signer has signed and the configured delay after the last signature passed. */
  deletable(job: JobRecord): boolean {
    return (
      job.documents !== undefined &&
      job.completedAt !== undefined &&
      this.now() >= job.completedAt + this.options.deleteDocumentsDelayMs
    )
  }

  deleteDocuments(job: JobRecord): boolean {
    if (!this.deletable(job)) return false
    job.documents = undefined
    job.pades = undefined
    for (const s of job.signers) s.xades = undefined
    return true
  }

  /** Counts for tests: queued and in-flight changes of one queue. */
  queueDepth(organization: string, name = ""): { readonly ready: number; readonly inFlight: number } {
    const q = this.queues.get(queueKey(organization, name))
    return { ready: q?.ready.length ?? 0, inFlight: q?.inFlight.length ?? 0 }
  }
}
