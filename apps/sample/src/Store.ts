/**
 * The app's persistence: sessions, jobs, signers, their statuses and the signed documents, in one embedded SQLite
 * file. Every write that belongs together runs in one transaction, so a crash or restart never leaves a job half
 * updated; a status is stored before it is confirmed, so a change the service re-delivers is simply applied again.
 */
import { randomBytes } from "node:crypto"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { JobStatusOrder } from "@signering/client"
import Database from "better-sqlite3"
import { migrate, newRef, schema } from "./StoreSchema.js"

export type Flow = "WAIT_FOR_CALLBACK" | "POLLING" | "PORTAL"
/** The service's job statuses, plus the app's own states before the service knows the job. */
export type JobState = "CREATING" | "CREATE_FAILED" | "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"

export interface Session {
  readonly id: string
  readonly name: string
  readonly pin: string
}

export interface Signer {
  readonly position: number
  readonly name: string
  readonly pin: string
  /** The signer URL at the service (for a new redirect URL); absent until the job is created. */
  readonly href: string | undefined
  readonly status: string
  readonly since: string | undefined
  /** Where the service notifies a portal job's signer. */
  readonly email: string | undefined
}

/** Which of the service's APIs a job lives in: job ids are unique per API. */
export type Api = "direct" | "portal"

export const apiOf = (flow: Flow): Api => (flow === "PORTAL" ? "portal" : "direct")

export interface Job {
  readonly id: number
  /** The job's reference in URLs: 128 random bits, so one job's address tells nothing about another's. */
  readonly ref: string
  readonly flow: Flow
  readonly title: string
  readonly ownerPin: string | undefined
  readonly signatureJobId: string | undefined
  readonly statusUrl: string | undefined
  /** A portal job's cancellation URL, while the service offers one. */
  readonly cancellationUrl: string | undefined
  readonly status: JobState
  readonly createdAt: string
  readonly updatedAt: string
  readonly lastError: string | undefined
  readonly signers: ReadonlyArray<Signer>
  readonly hasSignedDocument: boolean
  /** The newest signer `since` of the status stored last: with the status, what a later change is compared with. */
  readonly statusSince: string | undefined
}

export interface DeskSession {
  readonly id: string
  readonly user: string
}

/** What `applyStatus` did: an update older than what is stored is not applied (and the event log says so). */
export type ApplyResult =
  | { readonly applied: true }
  | { readonly applied: false; readonly reason: "older" | "after-final" | "unknown-job" }

export interface JobEvent {
  readonly at: string
  readonly text: string
}

export interface StatusUpdate {
  readonly status: "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"
  readonly signers: ReadonlyArray<{
    readonly signer?: string | undefined
    readonly status: string
    readonly since: Date
  }>
}

/** The app's own states before the service knows the job: any status from the service replaces them. */
const beforeService = (status: JobState) => status === "CREATING" || status === "CREATE_FAILED"

/**
 * Whether `next` may replace what is stored, by `@signering/client`'s `JobStatusOrder` (a final status never goes
 * back; then the newest signer `since`; then how many signers have acted). The same change delivered again is
 * applied again ("newer"): its handler may run again before it is confirmed, and storing it twice is harmless.
 */
export const isNewer = (
  stored: { readonly status: JobState; readonly signers: ReadonlyArray<JobStatusOrder.Comparable["signers"][number]> },
  next: JobStatusOrder.Comparable,
): "newer" | "older" | "after-final" => {
  if (beforeService(stored.status)) return "newer"
  if (JobStatusOrder.compare(next, stored) >= 0) return "newer"
  return JobStatusOrder.isFinal(stored.status) ? "after-final" : "older"
}

/** A stored job's status as `JobStatusOrder` reads it. */
export const storedOrder = (job: Pick<Job, "status" | "signers">) => ({
  status: job.status,
  signers: job.signers.map((s) => ({ status: s.status, since: s.since === undefined ? undefined : new Date(s.since) })),
})

interface JobRow {
  id: number
  flow: Flow
  title: string
  owner_pin: string | null
  signature_job_id: string | null
  status_url: string | null
  status: JobState
  created_at: string
  updated_at: string
  last_error: string | null
  ref: string
  status_since: string | null
  cancellation_url: string | null
  has_signed: number
}

interface SignerRow {
  position: number
  name: string
  pin: string
  href: string | null
  status: string
  since: string | null
  email: string | null
}

const jobColumns = `id, flow, title, owner_pin, signature_job_id, status_url, status, created_at, updated_at, last_error,
  ref, status_since, cancellation_url,
  EXISTS (SELECT 1 FROM signed_documents d WHERE d.job_id = jobs.id) AS has_signed`

/** How long a customer's login lasts (a working day); the cookie's Max-Age says the same. */
export const sessionMaxAgeMs = 12 * 60 * 60_000
/** How long a sender's desk login lasts: it sends jobs in the organization's name, so shorter. */
export const deskSessionMaxAgeMs = 8 * 60 * 60_000

export class Store {
  readonly #db: Database.Database
  readonly #now: () => Date

  private constructor(db: Database.Database, now: () => Date) {
    this.#db = db
    this.#now = now
  }

  /** Opens (and creates when missing) the database at `path`; `":memory:"` gives a throwaway one. */
  static open(path: string, options: { readonly now?: () => Date } = {}): Store {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
    const db = new Database(path)
    db.pragma("journal_mode = WAL")
    db.pragma("foreign_keys = ON")
    db.pragma("busy_timeout = 5000")
    migrate(db)
    db.exec(schema)
    return new Store(db, options.now ?? (() => new Date()))
  }

  close(): void {
    this.#db.close()
  }

  #stamp(): string {
    return this.#now().toISOString()
  }

  // Sessions ---------------------------------------------------------------------------------------------------

  createSession(name: string, pin: string): Session {
    const id = globalThis.crypto.randomUUID()
    this.#db
      .prepare("INSERT INTO sessions (id, name, pin, created_at) VALUES (?, ?, ?, ?)")
      .run(id, name, pin, this.#stamp())
    return { id, name, pin }
  }

  /** A customer's session, while younger than {@link sessionMaxAgeMs}. */
  session(id: string): Session | undefined {
    const row = this.#db
      .prepare("SELECT id, name, pin FROM sessions WHERE id = ? AND created_at > ?")
      .get(id, this.#oldest(sessionMaxAgeMs)) as Session | undefined
    return row === undefined ? undefined : { id: row.id, name: row.name, pin: row.pin }
  }

  #oldest(maxAgeMs: number): string {
    return new Date(this.#now().getTime() - maxAgeMs).toISOString()
  }

  deleteSession(id: string): void {
    this.#db.prepare("DELETE FROM sessions WHERE id = ?").run(id)
  }

  /** A signed-in sender at the desk (its own login, apart from the customers'). */
  createDeskSession(user: string): DeskSession {
    const id = randomBytes(32).toString("base64url")
    this.#db.prepare("INSERT INTO desk_sessions (id, user, created_at) VALUES (?, ?, ?)").run(id, user, this.#stamp())
    return { id, user }
  }

  /** A sender's desk session, while younger than {@link deskSessionMaxAgeMs}. */
  deskSession(id: string): DeskSession | undefined {
    const row = this.#db
      .prepare("SELECT id, user FROM desk_sessions WHERE id = ? AND created_at > ?")
      .get(id, this.#oldest(deskSessionMaxAgeMs)) as DeskSession | undefined
    return row === undefined ? undefined : { id: row.id, user: row.user }
  }

  deleteDeskSession(id: string): void {
    this.#db.prepare("DELETE FROM desk_sessions WHERE id = ?").run(id)
  }

  // Jobs -------------------------------------------------------------------------------------------------------

  /** Records a job before it is sent, so its id can go into the exit URLs. */
  createJob(input: {
    readonly flow: Flow
    readonly title: string
    readonly ownerPin?: string | undefined
    readonly contract: Uint8Array
    readonly signers: ReadonlyArray<{
      readonly name: string
      readonly pin: string
      readonly email?: string | undefined
    }>
  }): number {
    const at = this.#stamp()
    return this.#db.transaction(() => {
      const result = this.#db
        .prepare(
          "INSERT INTO jobs (flow, title, owner_pin, contract, created_at, updated_at, ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .run(input.flow, input.title, input.ownerPin ?? null, Buffer.from(input.contract), at, at, newRef())
      const id = Number(result.lastInsertRowid)
      const insert = this.#db.prepare("INSERT INTO signers (job_id, position, name, pin, email) VALUES (?, ?, ?, ?, ?)")
      for (const [i, s] of input.signers.entries()) insert.run(id, i + 1, s.name, s.pin, s.email ?? null)
      this.#event(id, at, "Job recorded")
      return id
    })()
  }

  /** Stores what the service answered to create: its job id, the status URL and each signer's URL (matched by number). */
  markCreated(
    id: number,
    response: {
      readonly signatureJobId: string
      readonly statusUrl?: string | undefined
      readonly cancellationUrl?: string | undefined
      readonly signers: ReadonlyArray<{ readonly pin: string | undefined; readonly href: string }>
    },
  ): void {
    const at = this.#stamp()
    this.#db.transaction(() => {
      this.#db
        .prepare(
          // A change from the polling queue may have been stored first (adopted by reference): never go back.
          `UPDATE jobs SET signature_job_id = ?, status_url = ?, cancellation_url = ?, updated_at = ?, last_error = NULL,
             status = CASE WHEN status IN ('CREATING', 'CREATE_FAILED') THEN 'IN_PROGRESS' ELSE status END WHERE id = ?`,
        )
        .run(response.signatureJobId, response.statusUrl ?? null, response.cancellationUrl ?? null, at, id)
      const update = this.#db.prepare("UPDATE signers SET href = ? WHERE job_id = ? AND pin = ?")
      for (const s of response.signers) if (s.pin !== undefined) update.run(s.href, id, s.pin)
      this.#event(id, at, `Created at the service as job ${response.signatureJobId}`)
    })()
  }

  /**
   * Links a job the app recorded but has no service id for (the process died between the create and storing its
   * answer, or the answer was lost) to the service's job a status change names, found by the job's reference.
   * Returns the job, or `undefined` when there is no such unlinked job.
   */
  adopt(id: number, signatureJobId: string, api: Api = "direct"): Job | undefined {
    const at = this.#stamp()
    const changed = this.#db.transaction(() => {
      const result = this.#db
        .prepare(
          "UPDATE jobs SET signature_job_id = ?, status = 'IN_PROGRESS', last_error = NULL, updated_at = ? WHERE id = ? AND signature_job_id IS NULL AND (flow = 'PORTAL') = ?",
        )
        .run(signatureJobId, at, id, api === "portal" ? 1 : 0)
      if (result.changes === 1) this.#event(id, at, `Found at the service as job ${signatureJobId} (by its reference)`)
      return result.changes === 1
    })()
    return changed ? this.job(id) : undefined
  }

  markCreateFailed(id: number, message: string): void {
    const at = this.#stamp()
    this.#db.transaction(() => {
      this.#db
        .prepare(
          "UPDATE jobs SET status = 'CREATE_FAILED', last_error = ?, updated_at = ? WHERE id = ? AND signature_job_id IS NULL",
        )
        .run(message, at, id)
      this.#event(id, at, `Create failed: ${message}`)
    })()
  }

  /**
   * Applies a status from the service, monotonically: a job's status never goes back. An update is applied unless
   * `JobStatusOrder` finds it older than the stored one (see {@link isNewer}); an older one is only noted in the
   * event log. Changes
   * can arrive out of order (a re-queued IN_PROGRESS after the COMPLETED one, issue 14), and several processes may
   * handle one job, so the check and the write run in one transaction. Applying the same status twice changes nothing
   * but the event log.
   */
  applyStatus(id: number, update: StatusUpdate, source: string): ApplyResult {
    const at = this.#stamp()
    const newest = update.signers.reduce<Date | undefined>(
      (max, s) => (max === undefined || s.since.getTime() > max.getTime() ? s.since : max),
      undefined,
    )
    return this.#db.transaction((): ApplyResult => {
      const job = this.job(id)
      if (job === undefined) return { applied: false, reason: "unknown-job" }
      const row = { status: job.status, status_since: job.statusSince ?? null }
      const summary = `${update.status} (${update.signers.map((s) => s.status).join(", ")})`
      const verdict = isNewer(storedOrder(job), update)
      if (verdict !== "newer") {
        this.#event(id, at, `${source}: ${summary} ignored, older than the stored ${row.status}`)
        return { applied: false, reason: verdict }
      }
      this.#db
        .prepare("UPDATE jobs SET status = ?, status_since = ?, updated_at = ? WHERE id = ?")
        .run(update.status, newest?.toISOString() ?? row.status_since, at, id)
      const set = this.#db.prepare("UPDATE signers SET status = ?, since = ? WHERE job_id = ? AND pin = ?")
      for (const s of update.signers) {
        if (s.signer !== undefined) set.run(s.status, s.since.toISOString(), id, s.signer)
      }
      this.#event(id, at, `${source}: ${summary}`)
      return { applied: true }
    })()
  }

  storeSignedDocument(id: number, pdf: Uint8Array): void {
    const at = this.#stamp()
    this.#db.transaction(() => {
      this.#db
        .prepare(
          "INSERT INTO signed_documents (job_id, pdf, stored_at) VALUES (?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET pdf = excluded.pdf, stored_at = excluded.stored_at",
        )
        .run(id, Buffer.from(pdf), at)
      this.#event(id, at, `Signed PDF stored (${pdf.byteLength} bytes)`)
    })()
  }

  /** A portal job's cancellation URL as the latest change gives it (absent once the job cannot be cancelled). */
  setCancellationUrl(id: number, url: string | undefined): void {
    this.#db.prepare("UPDATE jobs SET cancellation_url = ? WHERE id = ?").run(url ?? null, id)
  }

  noteError(id: number, message: string): void {
    const at = this.#stamp()
    this.#db.transaction(() => {
      this.#db.prepare("UPDATE jobs SET last_error = ?, updated_at = ? WHERE id = ?").run(message, at, id)
      this.#event(id, at, message)
    })()
  }

  note(id: number, text: string): void {
    this.#event(id, this.#stamp(), text)
  }

  #event(id: number, at: string, text: string): void {
    this.#db.prepare("INSERT INTO events (job_id, at, text) VALUES (?, ?, ?)").run(id, at, text)
  }

  job(id: number): Job | undefined {
    const row = this.#db.prepare(`SELECT ${jobColumns} FROM jobs WHERE id = ?`).get(id) as JobRow | undefined
    return row === undefined ? undefined : this.#toJob(row)
  }

  /** The job a URL names; `undefined` for any other string. */
  jobByRef(ref: string): Job | undefined {
    const row = this.#db.prepare(`SELECT ${jobColumns} FROM jobs WHERE ref = ?`).get(ref) as JobRow | undefined
    return row === undefined ? undefined : this.#toJob(row)
  }

  jobBySignatureJobId(signatureJobId: string, api: Api = "direct"): Job | undefined {
    const row = this.#db
      .prepare(`SELECT ${jobColumns} FROM jobs WHERE signature_job_id = ? AND (flow = 'PORTAL') = ?`)
      .get(signatureJobId, api === "portal" ? 1 : 0) as JobRow | undefined
    return row === undefined ? undefined : this.#toJob(row)
  }

  jobs(filter: { readonly flow?: Flow; readonly ownerPin?: string; readonly limit?: number } = {}): ReadonlyArray<Job> {
    const where: Array<string> = []
    const args: Array<string | number> = []
    if (filter.flow !== undefined) {
      where.push("flow = ?")
      args.push(filter.flow)
    }
    if (filter.ownerPin !== undefined) {
      where.push("owner_pin = ?")
      args.push(filter.ownerPin)
    }
    const sql = `SELECT ${jobColumns} FROM jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`
    const rows = this.#db.prepare(sql).all(...args, filter.limit ?? 50) as Array<JobRow>
    return rows.map((r) => this.#toJob(r))
  }

  contract(id: number): Uint8Array | undefined {
    const row = this.#db.prepare("SELECT contract FROM jobs WHERE id = ?").get(id) as { contract: Buffer } | undefined
    return row === undefined ? undefined : new Uint8Array(row.contract)
  }

  signedDocument(id: number): Uint8Array | undefined {
    const row = this.#db.prepare("SELECT pdf FROM signed_documents WHERE job_id = ?").get(id) as
      | { pdf: Buffer }
      | undefined
    return row === undefined ? undefined : new Uint8Array(row.pdf)
  }

  events(id: number): ReadonlyArray<JobEvent> {
    return this.#db.prepare("SELECT at, text FROM events WHERE job_id = ? ORDER BY id").all(id) as Array<JobEvent>
  }

  #toJob(row: JobRow): Job {
    const signers = (
      this.#db
        .prepare(
          "SELECT position, name, pin, href, status, since, email FROM signers WHERE job_id = ? ORDER BY position",
        )
        .all(row.id) as Array<SignerRow>
    ).map(
      (s): Signer => ({
        position: s.position,
        name: s.name,
        pin: s.pin,
        href: s.href ?? undefined,
        status: s.status,
        since: s.since ?? undefined,
        email: s.email ?? undefined,
      }),
    )
    return {
      id: row.id,
      ref: row.ref,
      flow: row.flow,
      title: row.title,
      ownerPin: row.owner_pin ?? undefined,
      signatureJobId: row.signature_job_id ?? undefined,
      statusUrl: row.status_url ?? undefined,
      cancellationUrl: row.cancellation_url ?? undefined,
      status: row.status,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      lastError: row.last_error ?? undefined,
      signers,
      hasSignedDocument: row.has_signed === 1,
      statusSince: row.status_since ?? undefined,
    }
  }

  // Settings (what the polling worker did last, for the sender desk) ------------------------------------------------

  setting(key: string): string | undefined {
    const row = this.#db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as { value: string } | undefined
    return row?.value
  }

  setSetting(key: string, value: string): void {
    this.#db
      .prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value)
  }
}
