/**
 * Crash safety end to end (issue 14 §1): the simulator runs as its own process (its CLI), the sample app as another
 * (`src/main.ts`, configured only through `SIGNERING_*` / `SAMPLE_*` variables). The app is killed with SIGKILL twice
 * mid-flow (right after a create, and inside the polling handler before the change is stored and confirmed), then
 * started again on the same database. Every job must reach its final status in the app's store, none may be created
 * twice at the service (its own log counts the creates), and none may be lost.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Customers from "../src/Customers.js"
import * as Headless from "../src/Headless.js"
import * as Processes from "./support/processes.js"

const requeueDelayMs = 1500
const dir = mkdtempSync(join(tmpdir(), "sample-crash-"))
const databasePath = join(dir, "sample.db")
const holdFile = join(dir, "held")
const deskPassword = "crash-test-desk-password"
let simulator: Processes.SimulatorProcess
let app: Processes.AppProcess | undefined
let port: number

beforeAll(async () => {
  simulator = await Processes.startSimulator({ dir: join(dir, "pki"), requeueDelayMs, emptyQueueDelayMs: 200 })
  port = await Processes.freePort()
})
afterAll(async () => {
  await app?.kill("SIGKILL")
  await simulator?.kill("SIGTERM")
  rmSync(dir, { recursive: true, force: true })
})

const startApp = (hold?: string) =>
  Processes.startApp({
    SIGNERING_ENVIRONMENT: "custom",
    SIGNERING_API_ROOT: simulator.apiRoot,
    SIGNERING_SERVER_ORGANIZATION_NUMBER: simulator.serverOrganizationNumber,
    SIGNERING_KEYSTORE: simulator.pkcs12File,
    SIGNERING_KEYSTORE_PASSPHRASE_FILE: simulator.passphraseFile,
    SIGNERING_TRUST_ANCHORS: simulator.caFile,
    SAMPLE_PORT: String(port),
    SAMPLE_DATABASE: databasePath,
    SAMPLE_DESK_PASSWORD: deskPassword,
    ...(hold === undefined ? {} : { SAMPLE_TEST_HOLD: hold, SAMPLE_TEST_HOLD_FILE: holdFile }),
  })

const held = () => {
  try {
    return readFileSync(holdFile, "utf8")
  } catch {
    return ""
  }
}

const waitFor = async <A>(what: string, probe: () => A | undefined, timeoutMs = 20_000): Promise<A> => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

interface Row {
  readonly id: number
  readonly flow: string
  readonly ref: string
  readonly status: string
  readonly signature_job_id: string | null
  readonly signed: number
}

/** The app's store as another process sees it (read-only; the app may be running). */
const rows = (): ReadonlyArray<Row> => {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare(
        `SELECT id, flow, ref, status, signature_job_id,
           EXISTS (SELECT 1 FROM signed_documents d WHERE d.job_id = jobs.id) AS signed FROM jobs ORDER BY id`,
      )
      .all() as Array<Row>
  } finally {
    db.close()
  }
}

const deskBrowser = async (url: string) => {
  const b = new Headless.Browser({ signal: AbortSignal.timeout(30_000) })
  const page = await b.request(new URL("/desk/login", url))
  const desk = await b.submit(page, "Log in to the desk", { user: "sender", password: deskPassword })
  expect(desk.url.pathname).toBe("/desk")
  return { b, desk }
}

/**
 * A portal signer: logs in at the simulator's portal pages (simulated ID-porten) and signs the one job waiting there.
 * The test does not know the service's job id (the app never stored it): the signer's own list shows the job.
 */
const signInPortal = async (pin: string) => {
  const b = new Headless.Browser({ signal: AbortSignal.timeout(30_000) })
  let page = await b.request(new URL("/portal/login", simulator.portalUrl))
  page = await b.submit(page, "Log in", { pin })
  const href = /href="(\/portal\/jobs\/\d+)"/.exec(page.text)?.[1]
  expect(href, "the portal job in the signer's list").toBeDefined()
  page = await b.request(new URL(href!, simulator.portalUrl))
  page = await b.submit(page, "Sign")
  expect(page.text).toContain('data-status="SIGNED"')
}

/** Signs (or rejects) as the job's first signer: the desk's "Sign as", then the simulator's portal page. */
const act = async (url: string, ref: string, action: "Sign" | "Reject") => {
  const { b } = await deskBrowser(url)
  let page = await b.request(new URL(`/jobs/${ref}`, url))
  page = await b.submit(page, /^Sign as /)
  expect(page.url.origin).toBe(new URL(simulator.portalUrl).origin)
  page = await b.submit(page, action)
  expect(page.url.pathname).toBe(`/jobs/${ref}/return/${action === "Sign" ? "completed" : "rejected"}`)
}

describe("the sample app killed mid-flow", () => {
  it("loses no job and creates none twice; every job reaches its final status", async () => {
    const signers = Customers.demo.slice(0, 3).map((c) => `${c.name}, ${c.pin}`)

    // 1. Killed right after a direct create (the service has the job, the browser never got its answer), while a
    //    portal create waits between the service's answer and storing it (only its reference can find it again).
    app = await startApp("after-create,portal-before-store")
    const first = await deskBrowser(app.url)
    const sending = first.b
      .submit(first.desk, "Send", { signers: signers.join("\n"), mode: "separately" })
      .catch(() => undefined)
    const portalDesk = await first.b.request(new URL("/portal-desk", app.url))
    const sendingPortal = first.b.submit(portalDesk, "Send for signing").catch(() => undefined)
    await waitFor("the app to hold after both creates", () =>
      held().includes("after-create") && held().includes("portal-before-store") ? true : undefined,
    )
    await app.kill("SIGKILL")
    await Promise.all([sending, sendingPortal])
    expect(simulator.creations()).toBe(1)
    expect(simulator.portalCreations()).toBe(1)

    // 2. Restarted: the job is there, nothing is sent again by itself. Two more jobs, then the first is signed and
    //    the app is killed inside the handler of its COMPLETED change (PDF stored, status not, not confirmed).
    app = await startApp("handler")
    const portalJob = rows().find((j) => j.flow === "PORTAL")!
    expect(portalJob).toMatchObject({ status: "CREATING", signature_job_id: null })
    let jobs = rows().filter((j) => j.flow === "POLLING")
    expect(jobs).toHaveLength(1)
    expect(jobs[0]).toMatchObject({ status: "IN_PROGRESS" })
    expect(jobs[0]!.signature_job_id).not.toBeNull()
    const second = await deskBrowser(app.url)
    await second.b.submit(second.desk, "Send", { signers: signers.slice(1).join("\n"), mode: "separately" })
    expect(simulator.creations()).toBe(3)
    jobs = rows().filter((j) => j.flow === "POLLING")
    expect(jobs.map((j) => j.status)).toEqual(["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"])
    await act(app.url, jobs[0]!.ref, "Sign")
    await waitFor("the handler to hold", () => (held().includes("handler") ? true : undefined))
    await app.kill("SIGKILL")
    expect(rows().find((j) => j.id === jobs[0]!.id)).toMatchObject({ status: "IN_PROGRESS" })
    const firstJob = jobs[0]!.signature_job_id!
    expect(simulator.confirmations().get(firstJob) ?? 0).toBe(0)

    // 3. Restarted without holds: the unconfirmed change comes back after the simulator's re-queue delay and is
    //    stored and confirmed; the other two jobs are signed and rejected as usual.
    app = await startApp()
    await act(app.url, jobs[1]!.ref, "Sign")
    await act(app.url, jobs[2]!.ref, "Reject")
    // The portal job's signers sign in order; its first change finds the job by its reference.
    await signInPortal(Customers.demo[0]!.pin)
    await waitFor("the second portal signer's turn", () =>
      rows().find((j) => j.id === portalJob.id)?.signature_job_id !== null ? true : undefined,
    )
    await signInPortal(Customers.demo[1]!.pin)
    const final = await waitFor(
      "every job to reach its final status in the app's store",
      () => {
        const now = rows()
        return now.every((j) => j.status !== "IN_PROGRESS") ? now : undefined
      },
      requeueDelayMs + 20_000,
    )
    expect(final.map((j) => [j.flow, j.status, j.signed])).toEqual([
      ["POLLING", "COMPLETED_SUCCESSFULLY", 1],
      ["PORTAL", "COMPLETED_SUCCESSFULLY", 1],
      ["POLLING", "COMPLETED_SUCCESSFULLY", 1],
      ["POLLING", "FAILED", 0],
    ])
    // Each final change confirmed (once it was stored); no job created twice, none unknown to the app.
    await waitFor("the confirmations", () => (simulator.confirmations().size === 4 ? true : undefined))
    for (const j of final) expect(simulator.confirmations().get(j.signature_job_id!)).toBeGreaterThanOrEqual(1)
    expect(simulator.creations()).toBe(3)
    expect(simulator.portalCreations()).toBe(1)
    expect(new Set(final.map((j) => j.signature_job_id)).size).toBe(4)
    await app.kill("SIGTERM")
    app = undefined
  }, 120_000) // ~35 s alone; the margin is for a loaded CI machine (the whole suite runs in parallel on 2 cores)
})
