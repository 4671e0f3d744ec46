import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import Database from "better-sqlite3"
import { afterEach, describe, expect, it } from "vitest"
import { deskSessionMaxAgeMs, Store, sessionMaxAgeMs } from "../src/Store.js"

const dirs: Array<string> = []
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), "sample-store-"))
  dirs.push(dir)
  return join(dir, "nested", "sample.db")
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const signers = [
  { name: "Kari Nordmann", pin: "12831200151" },
  { name: "Ola Nordmann", pin: "01917900155" },
]

describe("Store", () => {
  it("keeps sessions, jobs, statuses, events and signed documents across a reopen", () => {
    const path = tempDb()
    const store = Store.open(path)
    const session = store.createSession("Kari Nordmann", signers[0]!.pin)
    const id = store.createJob({
      flow: "WAIT_FOR_CALLBACK",
      title: "Service agreement",
      ownerPin: signers[0]!.pin,
      contract: new Uint8Array([1, 2, 3]),
      signers,
    })
    expect(store.job(id)?.status).toBe("CREATING")
    store.markCreated(id, {
      signatureJobId: "9007199254740993",
      statusUrl: "https://sim/status",
      signers: [
        { pin: signers[1]!.pin, href: "https://sim/signers/2" },
        { pin: signers[0]!.pin, href: "https://sim/signers/1" },
      ],
    })
    store.applyStatus(
      id,
      {
        status: "COMPLETED_SUCCESSFULLY",
        signers: [
          { signer: signers[0]!.pin, status: "SIGNED", since: new Date("2026-11-28T10:00:00Z") },
          { signer: signers[1]!.pin, status: "SIGNED", since: new Date("2026-11-28T10:01:00Z") },
        ],
      },
      "test",
    )
    store.storeSignedDocument(id, new Uint8Array([37, 80, 68, 70]))
    store.setSetting("k", "v1")
    store.setSetting("k", "v2")
    store.close()

    const again = Store.open(path)
    expect(again.session(session.id)).toEqual(session)
    const job = again.job(id)!
    expect(job).toMatchObject({
      flow: "WAIT_FOR_CALLBACK",
      signatureJobId: "9007199254740993",
      statusUrl: "https://sim/status",
      status: "COMPLETED_SUCCESSFULLY",
      hasSignedDocument: true,
      ownerPin: signers[0]!.pin,
    })
    expect(job.signers.map((s) => [s.position, s.href, s.status])).toEqual([
      [1, "https://sim/signers/1", "SIGNED"],
      [2, "https://sim/signers/2", "SIGNED"],
    ])
    expect(job.signers[1]!.since).toBe("2026-11-28T10:01:00.000Z")
    expect(again.jobBySignatureJobId("9007199254740993")?.id).toBe(id)
    expect(again.signedDocument(id)).toEqual(new Uint8Array([37, 80, 68, 70]))
    expect(again.contract(id)).toEqual(new Uint8Array([1, 2, 3]))
    expect(again.events(id).map((e) => e.text)).toEqual([
      "Job recorded",
      "Created at the service as job 9007199254740993",
      "test: COMPLETED_SUCCESSFULLY (SIGNED, SIGNED)",
      "Signed PDF stored (4 bytes)",
    ])
    expect(again.setting("k")).toBe("v2")
    again.close()
  })

  it("filters jobs by flow and owner, newest first", () => {
    const store = Store.open(":memory:")
    const a = store.createJob({
      flow: "WAIT_FOR_CALLBACK",
      title: "A",
      ownerPin: "1",
      contract: new Uint8Array(),
      signers: [],
    })
    const b = store.createJob({ flow: "POLLING", title: "B", contract: new Uint8Array(), signers: [] })
    const c = store.createJob({
      flow: "WAIT_FOR_CALLBACK",
      title: "C",
      ownerPin: "2",
      contract: new Uint8Array(),
      signers: [],
    })
    const d = store.createJob({
      flow: "WAIT_FOR_CALLBACK",
      title: "D",
      ownerPin: "1",
      contract: new Uint8Array(),
      signers: [],
    })
    expect(store.jobs({ flow: "WAIT_FOR_CALLBACK", ownerPin: "1" }).map((j) => j.id)).toEqual([d, a])
    expect(store.jobs({ flow: "POLLING" }).map((j) => j.id)).toEqual([b])
    expect(store.jobs({ limit: 2 }).map((j) => j.id)).toEqual([d, c])
    store.markCreateFailed(c, "refused")
    expect(store.job(c)).toMatchObject({ status: "CREATE_FAILED", lastError: "refused" })
    store.close()
  })

  it("refuses a second job with the same service job id", () => {
    const store = Store.open(":memory:")
    const make = () => store.createJob({ flow: "POLLING", title: "X", contract: new Uint8Array(), signers: [] })
    const one = make()
    const two = make()
    store.markCreated(one, { signatureJobId: "7", signers: [] })
    expect(() => store.markCreated(two, { signatureJobId: "7", signers: [] })).toThrow(/UNIQUE/)
    expect(store.job(two)?.status).toBe("CREATING")
    store.close()
  })

  it("never lets a status go back: an older since, or IN_PROGRESS after a final status, is noted and ignored", () => {
    const store = Store.open(":memory:")
    const id = store.createJob({ flow: "POLLING", title: "M", contract: new Uint8Array(), signers })
    store.markCreated(id, { signatureJobId: "11", signers: [] })
    const at = (minute: number) => new Date(`2026-11-28T10:${String(minute).padStart(2, "0")}:00Z`)
    const update = (status: "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED", a: string, b: string, m: number) => ({
      status,
      signers: [
        { signer: signers[0]!.pin, status: a, since: at(m) },
        { signer: signers[1]!.pin, status: b, since: at(m) },
      ],
    })
    expect(store.applyStatus(id, update("IN_PROGRESS", "SIGNED", "WAITING", 5), "poll")).toEqual({ applied: true })
    // An older IN_PROGRESS (re-queued, delivered late) does not undo the first signature.
    expect(store.applyStatus(id, update("IN_PROGRESS", "WAITING", "WAITING", 1), "poll")).toEqual({
      applied: false,
      reason: "older",
    })
    expect(store.job(id)?.signers.map((s) => s.status)).toEqual(["SIGNED", "WAITING"])
    expect(store.applyStatus(id, update("COMPLETED_SUCCESSFULLY", "SIGNED", "SIGNED", 7), "poll").applied).toBe(true)
    // The stale IN_PROGRESS of the issue (newer since than nothing, but after a final status) is ignored too.
    expect(store.applyStatus(id, update("IN_PROGRESS", "SIGNED", "WAITING", 9), "poll")).toEqual({
      applied: false,
      reason: "after-final",
    })
    // The same final status delivered again is applied again (its handler may run again before it is confirmed).
    expect(store.applyStatus(id, update("COMPLETED_SUCCESSFULLY", "SIGNED", "SIGNED", 7), "poll").applied).toBe(true)
    const job = store.job(id)!
    expect(job.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(job.statusSince).toBe("2026-11-28T10:07:00.000Z")
    expect(job.signers.map((s) => s.status)).toEqual(["SIGNED", "SIGNED"])
    expect(store.events(id).filter((e) => e.text.includes("ignored"))).toHaveLength(2)
    expect(store.applyStatus(404, update("FAILED", "REJECTED", "WAITING", 1), "poll")).toEqual({
      applied: false,
      reason: "unknown-job",
    })
    store.close()
  })

  it("gives each job an unguessable reference, and adds them to a database from before references", () => {
    const path = tempDb()
    const store = Store.open(path)
    const a = store.createJob({ flow: "POLLING", title: "A", contract: new Uint8Array(), signers: [] })
    const ref = store.job(a)!.ref
    expect(Buffer.from(ref, "base64url")).toHaveLength(16)
    expect(store.jobByRef(ref)?.id).toBe(a)
    expect(store.jobByRef(String(a))).toBeUndefined()
    store.close()
    // An old database: the columns dropped, as they were before.
    const db = new Database(path)
    db.exec("DROP INDEX jobs_ref; ALTER TABLE jobs DROP COLUMN ref; ALTER TABLE jobs DROP COLUMN status_since")
    db.close()
    const again = Store.open(path)
    const migrated = again.job(a)!
    expect(migrated.ref).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(migrated.ref).not.toBe(ref)
    expect(again.jobByRef(migrated.ref)?.title).toBe("A")
    again.close()
  })

  it("links a recorded job to the service's job once, and a late create answer does not set it back", () => {
    const store = Store.open(":memory:")
    const id = store.createJob({ flow: "POLLING", title: "X", contract: new Uint8Array(), signers })
    expect(store.adopt(id, "77")?.signatureJobId).toBe("77")
    expect(store.adopt(id, "78")).toBeUndefined()
    store.applyStatus(
      id,
      { status: "FAILED", signers: [{ signer: signers[0]!.pin, status: "REJECTED", since: new Date() }] },
      "poll",
    )
    store.markCreated(id, { signatureJobId: "77", signers: [] })
    store.markCreateFailed(id, "timeout")
    expect(store.job(id)).toMatchObject({ status: "FAILED", signatureJobId: "77" })
    store.close()
  })

  it("opens a database of the first version: the jobs table rebuilt for the portal flow, nothing lost", () => {
    const path = tempDb()
    mkdirSync(dirname(path), { recursive: true })
    const old = new Database(path)
    // The schema as the app shipped it before job references, monotonic statuses and the portal flow.
    old.exec(readFileSync(new URL("./fixtures/store-v1-schema.sql", import.meta.url), "utf8"))
    old
      .prepare(
        "INSERT INTO jobs (flow, title, signature_job_id, status, contract, created_at, updated_at) VALUES ('POLLING', 'Old', '41', 'COMPLETED_SUCCESSFULLY', x'01', 't', 't')",
      )
      .run()
    old
      .prepare("INSERT INTO signers (job_id, position, name, pin, status) VALUES (1, 1, 'Kari', ?, 'SIGNED')")
      .run(signers[0]!.pin)
    old.prepare("INSERT INTO events (job_id, at, text) VALUES (1, 't', 'Job recorded')").run()
    old.prepare("INSERT INTO signed_documents (job_id, pdf, stored_at) VALUES (1, x'25504446', 't')").run()
    old.close()

    const store = Store.open(path)
    const job = store.job(1)!
    expect(job).toMatchObject({ title: "Old", status: "COMPLETED_SUCCESSFULLY", hasSignedDocument: true })
    expect(job.ref).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(job.signers.map((s) => [s.name, s.status, s.email])).toEqual([["Kari", "SIGNED", undefined]])
    expect(store.events(1).map((e) => e.text)).toEqual(["Job recorded"])
    expect(store.jobBySignatureJobId("41")?.id).toBe(1)
    // The same service id in the portal API is another job; a portal job can be recorded now.
    const portal = store.createJob({ flow: "PORTAL", title: "P", contract: new Uint8Array(), signers })
    store.markCreated(portal, { signatureJobId: "41", cancellationUrl: "https://sim/cancel", signers: [] })
    expect(store.jobBySignatureJobId("41", "portal")?.id).toBe(portal)
    expect(store.job(portal)?.cancellationUrl).toBe("https://sim/cancel")
    // Foreign keys still hold: removing the job removes its rows (the rebuilt table is the one they point at).
    store.close()
    const check = new Database(path)
    check.pragma("foreign_keys = ON")
    expect(check.pragma("foreign_key_check")).toEqual([])
    check.prepare("DELETE FROM jobs WHERE id = 1").run()
    expect(check.prepare("SELECT COUNT(*) AS n FROM events WHERE job_id = 1").get()).toEqual({ n: 0 })
    check.close()
  })

  it("ends a customer's session after 12 hours and a desk session after 8", () => {
    let clock = Date.parse("2026-12-06T08:00:00Z")
    const store = Store.open(":memory:", { now: () => new Date(clock) })
    const customer = store.createSession("Kari", signers[0]!.pin)
    const desk = store.createDeskSession("sender")
    clock += deskSessionMaxAgeMs - 1000
    expect(store.session(customer.id)?.name).toBe("Kari")
    expect(store.deskSession(desk.id)?.user).toBe("sender")
    clock += 2000
    expect(store.deskSession(desk.id)).toBeUndefined()
    expect(store.session(customer.id)).toBeDefined()
    clock += sessionMaxAgeMs - deskSessionMaxAgeMs
    expect(store.session(customer.id)).toBeUndefined()
    store.close()
  })
})
