/**
 * In-memory state of the simulated service: jobs, signers, one-time tokens, portal sessions and polling queues.
 * Pure bookkeeping driven by the injected clock; HTTP lives elsewhere.
 */
import {
  type ContactInformation,
  canAct,
  type Flow,
  type JobRecord,
  jobStatusOf,
  type NewJob,
  type NewPortalJob,
  type Outcome,
  type PollResult,
  type PortalSession,
  type PortalSigner,
  random,
  randomCode,
  randomLongBase,
  randomToken,
  type SignerRecord,
  type SignerStatus,
  type StateOptions,
  type StatusChange,
} from "./model.js"

export * from "./model.js"

interface Queue {
  readonly ready: Array<StatusChange>
  readonly inFlight: Array<{ readonly change: StatusChange; readonly requeueAt: number }>
  nextPermittedAt: number
}

const queueKey = (organization: string, flow: Flow, queue: string) => `${organization}\u0000${flow}\u0000${queue}`

export class State {
  readonly jobs = new Map<string, JobRecord>()
  private readonly byCreation: Array<JobRecord> = []
  private expiryCursor = 0
  /** Portal jobs still IN_PROGRESS: their groups activate and expire on the clock. */
  private readonly openPortalJobs = new Set<JobRecord>()
  private readonly redirectTokens = new Map<string, { readonly job: JobRecord; readonly signer: SignerRecord }>()
  private readonly inviteTokens = new Map<string, { readonly job: JobRecord; readonly signer: SignerRecord }>()
  private readonly sessions = new Map<
    string,
    { readonly secret: string; readonly job: JobRecord; readonly signer: SignerRecord }
  >()
  private readonly portalSessions = new Map<string, PortalSession>()
  private readonly queues = new Map<string, Queue>()
  private nextJobId = randomLongBase()
  private nextXadesId = randomLongBase() * 3n
  private nextChange = 1
  /** Called when an order group of a portal job becomes available (the engine sends the notifications). */
  onActivated: ((job: JobRecord, signers: ReadonlyArray<SignerRecord>) => void) | undefined
  /** Called when a final change of a job was settled by a confirmation (the engine archives). */
  onFinalConfirmed: ((job: JobRecord) => void) | undefined

  constructor(readonly options: StateOptions) {}

  now(): number {
    return this.options.clock.now()
  }

  private newSigner(
    index: number,
    kind: SignerRecord["kind"],
    value: string,
    now: number,
    portal: PortalSigner | undefined,
  ): SignerRecord {
    return {
      index,
      kind,
      value,
      displayName: kind === "PersonalIdentificationNumber" ? `Test Person ${index}` : value,
      status: "WAITING",
      since: now,
      redirectToken: undefined,
      statusQueryToken: randomToken(),
      xadesId: String(this.nextXadesId++),
      xades: undefined,
      signedAt: undefined,
      portal,
    }
  }

  createJob(input: NewJob): JobRecord {
    const now = this.now()
    const id = String(this.nextJobId++)
    const signers = input.signers.map((s, i) => this.newSigner(i + 1, s.kind, s.value, now, undefined))
    const job: JobRecord = {
      id,
      flow: "direct",
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
      portal: undefined,
    }
    this.jobs.set(id, job)
    this.byCreation.push(job)
    for (const signer of signers) this.issueRedirectToken(job, signer)
    return job
  }

  /**
   * A portal job. `lookup` is the fake KRR: contact data for a PIN, or why there is none. A reserved or unreachable
   * signer ends the job at once (the others NOT_APPLICABLE), as the service cannot notify it.
   */
  createPortalJob(
    input: NewPortalJob,
    lookup: (pin: string) => ContactInformation | "RESERVED" | "CONTACT_INFORMATION_MISSING",
  ): JobRecord {
    const now = this.now()
    const id = String(this.nextJobId++)
    const signers = input.signers.map((s, i) => {
      const pin = s.personalIdentificationNumber
      const given = s.notifications
      const value = pin ?? given?.email ?? given?.sms ?? ""
      const looked = pin !== undefined && s.lookup !== undefined ? lookup(pin) : undefined
      const contact =
        looked === undefined
          ? given
          : typeof looked === "string"
            ? undefined
            : {
                email: s.lookup?.email ? looked.email : undefined,
                sms: s.lookup?.sms ? looked.sms : undefined,
              }
      const signer = this.newSigner(
        i + 1,
        pin === undefined ? "ContactInformation" : "PersonalIdentificationNumber",
        value,
        now,
        {
          order: s.order,
          identifiedByContactInformation: pin === undefined,
          notifications: given,
          lookup: s.lookup,
          contact,
          inviteToken: randomToken(),
          securityCode: undefined,
          wrongCodes: 0,
          activatedAt: undefined,
        },
      )
      if (typeof looked === "string") signer.status = looked
      else if (contact?.email === undefined && contact?.sms === undefined) signer.status = "CONTACT_INFORMATION_MISSING"
      return signer
    })
    const job: JobRecord = {
      id,
      flow: "portal",
      organization: input.organization,
      reference: input.reference,
      exitUrls: { completionUrl: "", rejectionUrl: "", errorUrl: "" },
      statusRetrievalMethod: "POLLING",
      pollingQueue: input.pollingQueue ?? "",
      title: input.title,
      description: input.description,
      documents: input.documents,
      signers,
      createdAt: now,
      expiresAt: Number.POSITIVE_INFINITY,
      completedAt: undefined,
      version: 0,
      pades: undefined,
      portal: {
        nonsensitiveTitle: input.nonsensitiveTitle,
        // A missing or past activation time means now.
        activationTime: Math.max(now, input.activationTime ?? now),
        availableMs: input.availableMs,
        cancelled: false,
        archivedDocumentId: undefined,
      },
    }
    this.jobs.set(id, job)
    for (const s of signers) if (s.portal !== undefined) this.inviteTokens.set(s.portal.inviteToken, { job, signer: s })
    if (signers.some((s) => s.status !== "WAITING")) {
      this.endOthers(job, "NOT_APPLICABLE", now)
      this.changed(job)
      return job
    }
    this.openPortalJobs.add(job)
    this.sweepPortal(job, now)
    return job
  }

  /** The job, when it exists and belongs to the organization in the URL (and flow, when given). */
  job(organization: string, id: string, flow?: Flow): JobRecord | undefined {
    this.sweep()
    const job = this.jobs.get(id)
    return job !== undefined && job.organization === organization && (flow === undefined || job.flow === flow)
      ? job
      : undefined
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

  /** The portal signer behind a contact signer's link. */
  invite(token: string): { readonly job: JobRecord; readonly signer: SignerRecord } | undefined {
    this.sweep()
    return this.inviteTokens.get(token)
  }

  openPortalSession(session: Omit<PortalSession, "secret">): { readonly sessionId: string; readonly secret: string } {
    const sessionId = random(12).toString("base64url")
    const secret = randomToken()
    this.portalSessions.set(sessionId, { ...session, secret })
    return { sessionId, secret }
  }

  portalSession(sessionId: string, secret: string | undefined): PortalSession | undefined {
    this.sweep()
    const s = this.portalSessions.get(sessionId)
    return s === undefined || secret === undefined || s.secret !== secret ? undefined : s
  }

  /** Portal jobs a logged-in PIN signs in, newest first. */
  portalJobsOf(pin: string): Array<{ readonly job: JobRecord; readonly signer: SignerRecord }> {
    this.sweep()
    const out: Array<{ job: JobRecord; signer: SignerRecord }> = []
    for (const job of this.jobs.values()) {
      if (job.flow !== "portal") continue
      const signer = job.signers.find((s) => s.kind === "PersonalIdentificationNumber" && s.value === pin)
      // Not visible before its group is activated.
      if (signer?.portal?.activatedAt !== undefined) out.push({ job, signer })
    }
    return out.reverse()
  }

  /**
   * Records a signer's outcome (§5.7): one rejection or failure ends the job for everyone (the remaining WAITING signers
   * become NOT_APPLICABLE); all signed completes it. In a portal job, the next order group is activated once every
   * signer of the current one has signed. Returns false when the signer can no longer act.
   */
  finish(job: JobRecord, signer: SignerRecord, outcome: Outcome, xades?: string): boolean {
    this.sweep()
    if (!canAct(job, signer)) return false
    const now = this.now()
    signer.status = outcome
    signer.since = now
    this.dropRedirectToken(signer)
    if (outcome === "SIGNED") {
      signer.xades = xades
      signer.signedAt = now
    } else {
      this.endOthers(job, "NOT_APPLICABLE", now)
    }
    const status = jobStatusOf(job.signers)
    if (status === "COMPLETED_SUCCESSFULLY") job.completedAt = now
    if (status !== "IN_PROGRESS") this.openPortalJobs.delete(job)
    this.changed(job)
    if (status === "IN_PROGRESS" && job.portal !== undefined) this.sweepPortal(job, now)
    return true
  }

  /** Too many wrong security codes: the signer is BLOCKED and the job ends. */
  block(job: JobRecord, signer: SignerRecord) {
    if (!canAct(job, signer)) return
    const now = this.now()
    signer.status = "BLOCKED"
    signer.since = now
    this.endOthers(job, "NOT_APPLICABLE", now)
    this.openPortalJobs.delete(job)
    this.changed(job)
  }

  /** The sender cancels a portal job: every signer who has not signed is CANCELLED. False once the job is final. */
  cancel(job: JobRecord): boolean {
    this.sweep()
    if (job.portal === undefined || jobStatusOf(job.signers) !== "IN_PROGRESS") return false
    const now = this.now()
    for (const s of job.signers)
      if (s.status !== "SIGNED") {
        s.status = "CANCELLED"
        s.since = now
      }
    job.portal.cancelled = true
    this.openPortalJobs.delete(job)
    this.changed(job)
    return true
  }

  private endOthers(job: JobRecord, status: SignerStatus, at: number) {
    for (const other of job.signers) {
      if (other.status === "WAITING") {
        other.status = status
        other.since = at
        this.dropRedirectToken(other)
      }
    }
  }

  private dropRedirectToken(signer: SignerRecord) {
    if (signer.redirectToken !== undefined) this.redirectTokens.delete(signer.redirectToken)
    signer.redirectToken = undefined
  }

  private changed(job: JobRecord) {
    job.version++
    if (job.statusRetrievalMethod !== "POLLING") return
    this.queue(job.organization, job.flow, job.pollingQueue).ready.push(this.snapshot(job))
  }

  snapshot(job: JobRecord): StatusChange {
    return {
      seq: this.nextChange++,
      jobId: job.id,
      jobStatus: jobStatusOf(job.signers),
      signers: job.signers.map((s) => ({ value: s.value, status: s.status, since: s.since })),
    }
  }

  private queue(organization: string, flow: Flow, name: string): Queue {
    const key = queueKey(organization, flow, name)
    let q = this.queues.get(key)
    if (q === undefined) {
      q = { ready: [], inFlight: [], nextPermittedAt: 0 }
      this.queues.set(key, q)
    }
    return q
  }

  /**
   * Moves a portal job along the clock: activates its first group at the activation time and each next group when
   * the one before has signed; expires it when the active group's available time has run out.
   */
  private sweepPortal(job: JobRecord, now: number) {
    const portal = job.portal!
    for (;;) {
      const waiting = job.signers.filter((s) => s.status === "WAITING")
      if (waiting.length === 0) return
      const order = Math.min(...waiting.map((s) => s.portal!.order))
      const group = waiting.filter((s) => s.portal!.order === order)
      const activatedAt = group[0]!.portal!.activatedAt
      if (activatedAt === undefined) {
        // The first group starts at the activation time; a later one when the group before has signed (now).
        const first = job.signers.every((s) => s.portal!.activatedAt === undefined)
        const at = first ? portal.activationTime : now
        if (at > now) return
        for (const s of group) {
          s.portal!.activatedAt = at
          if (s.portal!.identifiedByContactInformation) s.portal!.securityCode = randomCode()
        }
        this.onActivated?.(job, group)
        continue
      }
      const deadline = activatedAt + portal.availableMs
      if (now < deadline) return
      // Everyone still waiting expires, including groups never activated: the sources do not say what those
      // show, EXPIRED is the reading that tells the sender the job ran out of time (PROTOCOL.md §12.6).
      this.endOthers(job, "EXPIRED", deadline)
      this.openPortalJobs.delete(job)
      this.changed(job)
      return
    }
  }

  /** Expires direct jobs whose 30-day lifetime has passed (created in clock order, so a cursor suffices), and moves
   * open portal jobs along the clock. */
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
    for (const job of this.openPortalJobs) this.sweepPortal(job, now)
  }

  /** One poll of an (organization, flow, queue): 429 before the permitted time, else one change or empty. */
  poll(organization: string, name: string, flow: Flow = "direct"): PollResult {
    this.sweep()
    const now = this.now()
    const q = this.queue(organization, flow, name)
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

  /**
   * Confirmation. Under `settles-job` (the default, the worst case the sources allow) it settles every delivered
   * change of the job, whichever change's URL was used; under `settles-change` only the change named by `seq` (a
   * confirmation URL without one, as from a status query, still settles them all). When that settles a final change
   * (or the job is final and not polled), the job's final status counts as received: its status query tokens are
   * spent (when so configured) and its documents archived.
   */
  confirm(job: JobRecord, seq?: number) {
    const q = this.queues.get(queueKey(job.organization, job.flow, job.pollingQueue))
    let finalSettled = job.statusRetrievalMethod !== "POLLING" && jobStatusOf(job.signers) !== "IN_PROGRESS"
    const only = this.options.confirmationModel === "settles-change" && seq !== undefined
    if (q !== undefined) {
      for (let i = q.inFlight.length - 1; i >= 0; i--) {
        const { change } = q.inFlight[i]!
        if (change.jobId !== job.id || (only && change.seq !== seq)) continue
        if (change.jobStatus !== "IN_PROGRESS") finalSettled = true
        q.inFlight.splice(i, 1)
      }
    }
    if (!finalSettled) return
    if (this.options.statusQueryTokensAfterConfirmation === "refused")
      for (const signer of job.signers) signer.statusQueryToken = randomToken()
    this.onFinalConfirmed?.(job)
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
  queueDepth(
    organization: string,
    name = "",
    flow: Flow = "direct",
  ): { readonly ready: number; readonly inFlight: number } {
    const q = this.queues.get(queueKey(organization, flow, name))
    return { ready: q?.ready.length ?? 0, inFlight: q?.inFlight.length ?? 0 }
  }
}
