/**
 * The sample portal end to end: a real simulator (mutual-TLS API and signing portal), the real client and
 * transport, and the app on loopback, driven like a browser by the headless client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Customers from "../src/Customers.js"
import * as Headless from "../src/Headless.js"
import { pdfMentions } from "../src/PdfText.js"
import * as Stack from "./support/stack.js"

let stack: Stack.Stack

beforeAll(async () => {
  stack = await Stack.start()
})
afterAll(async () => {
  await stack?.close()
})

const browser = () => new Headless.Browser({ signal: AbortSignal.timeout(30_000) })
const at = (path: string) => new URL(path, stack.url)
const outcome = (page: Headless.Page) => /data-outcome="([^"]+)"/.exec(page.text)?.[1]
const refOf = (page: Headless.Page) => /\/jobs\/([A-Za-z0-9_-]+)/.exec(page.url.pathname)?.[1] ?? ""
const jobOf = (page: Headless.Page) => stack.server.store.jobByRef(refOf(page))

const deskLogin = async (b: Headless.Browser) => {
  const page = await b.request(at("/desk/login"))
  return b.submit(page, "Log in to the desk", { user: Stack.desk.user, password: Stack.desk.password })
}

const login = async (b: Headless.Browser, customer = 0) => {
  const page = await b.request(at("/"))
  return b.submit(page, `Log in as ${Customers.demo[customer]!.name}`)
}

const waitFor = async <A>(what: string, probe: () => A | undefined, timeoutMs = 15_000): Promise<A> => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe("direct flow, status on return", () => {
  it("signs: status with the token, PAdES stored, status confirmed, signed PDF names the signer", async () => {
    const before = stack.simulator.counters().confirmations
    const lines: Array<string> = []
    const result = await Headless.run({ appUrl: stack.url, report: (l) => lines.push(l) })
    expect(result.outcome).toBe("signed")
    const job = stack.server.store.jobByRef(result.jobPath.split("/")[2]!)!
    expect(job.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(job.signers.map((s) => s.status)).toEqual(["SIGNED"])
    expect(stack.simulator.job(job.signatureJobId!)?.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(stack.simulator.counters().confirmations).toBe(before + 1)
    const events = stack.server.store.events(job.id).map((e) => e.text)
    // Stored before confirmed: a crash in between would leave the change unconfirmed, never lost.
    const stored = events.findIndex((e) => e.startsWith("Signed PDF stored"))
    expect(stored).toBeGreaterThan(-1)
    expect(events.indexOf("Status confirmed")).toBeGreaterThan(stored)
    expect(pdfMentions(result.signedPdf!, Customers.demo[0]!.pin)).toBe(true)
    // Neither the token, the one-time URL nor the signer's number shows up in the app's log or what the flow printed.
    const token = stack.simulator.statusQueryToken(job.signatureJobId!, Customers.demo[0]!.pin)
    const logged = stack.logs.join("\n")
    expect(logged).toContain(`job ${job.id}: confirmed`)
    expect(logged).not.toContain(token)
    expect(logged).not.toContain(Customers.demo[0]!.pin)
    expect(logged).not.toContain("/redirect/")
    expect(lines.join("\n")).not.toContain(token)
    expect(lines.join("\n")).not.toMatch(/status_query_token=[^*]/)
    expect(lines.some((l) => l.includes("/redirect/***"))).toBe(true)
  })

  it("shows a clear page on rejection, and Try again starts a new job that can be signed", async () => {
    const b = browser()
    let page = await login(b, 1)
    page = await b.submit(page, "Sign")
    expect(page.url.origin).toBe(new URL(stack.simulator.portalUrl).origin)
    page = await b.submit(page, "Reject")
    expect(outcome(page)).toBe("rejected")
    expect(page.text).toContain("The agreement was rejected")
    const rejected = jobOf(page)!
    expect(rejected.status).toBe("FAILED")
    expect(rejected.signers[0]!.status).toBe("REJECTED")

    page = await b.submit(page, "Try again")
    expect(page.url.origin).toBe(new URL(stack.simulator.portalUrl).origin)
    page = await b.submit(page, "Sign")
    expect(outcome(page)).toBe("signed")
    expect(jobOf(page)!.id).toBeGreaterThan(rejected.id)
  })

  it("shows a clear page when the signing service reports an error", async () => {
    const b = browser()
    let page = await login(b, 2)
    page = await b.submit(page, "Sign")
    page = await b.submit(page, "Simulate an unexpected error")
    expect(outcome(page)).toBe("error")
    expect(page.text).toContain("Something went wrong while signing")
    expect(jobOf(page)?.signers[0]?.status).toBe("FAILED")
  })

  it("after an abandoned attempt, Continue signing gets a new redirect URL (the old one is spent)", async () => {
    const b = browser()
    let page = await login(b, 3)
    const signPage = page
    page = await b.submit(signPage, "Sign")
    expect(page.url.origin).toBe(new URL(stack.simulator.portalUrl).origin)
    // The signer walks away and comes back to the app.
    page = await b.request(at("/agreement"))
    expect(page.text).toContain("You have started signing")
    const job = stack.server.store.jobs({ ownerPin: Customers.demo[3]!.pin, limit: 1 })[0]!
    expect(job.status).toBe("IN_PROGRESS")
    const requests = stack.simulator.requestLog().length
    page = await b.submit(page, "Continue signing")
    expect(page.url.origin).toBe(new URL(stack.simulator.portalUrl).origin)
    expect(
      stack.simulator
        .requestLog()
        .slice(requests)
        .some((r) => r.method === "POST" && /signers/.test(r.path)),
    ).toBe(true)
    page = await b.submit(page, "Sign")
    expect(outcome(page)).toBe("signed")
    expect(jobOf(page)?.id).toBe(job.id)
  })

  it("a job with a co-signer: waits for the second signer, then is signed by both", async () => {
    const b = browser()
    const co = { name: "Ingrid Co-Signer", pin: Customers.demo[2]!.pin }
    let page = await login(b, 0)
    page = await b.submit(page, "Sign", { coName: co.name, coPin: co.pin })
    page = await b.submit(page, "Sign")
    expect(outcome(page)).toBe("waiting")
    const { id, ref } = jobOf(page)!
    expect(stack.server.store.job(id)?.signers.map((s) => s.status)).toEqual(["SIGNED", "WAITING"])
    page = await b.submit(page, `Sign as ${co.name}`)
    page = await b.submit(page, "Sign")
    expect(outcome(page)).toBe("signed")
    const pdf = await b.request(at(`/jobs/${ref}/signed.pdf`))
    expect(pdf.contentType).toBe("application/pdf")
    expect(pdfMentions(pdf.body, Customers.demo[0]!.pin)).toBe(true)
    expect(pdfMentions(pdf.body, co.pin)).toBe(true)
  })

  it("keeps a signed job's page and PDF private to its owner", async () => {
    const owner = browser()
    let page = await login(owner, 0)
    const job = stack.server.store.jobs({ ownerPin: Customers.demo[0]!.pin, flow: "WAIT_FOR_CALLBACK" })[0]!
    expect((await owner.request(at(`/jobs/${job.ref}`))).status).toBe(200)
    const other = browser()
    page = await login(other, 1)
    expect((await other.request(at(`/jobs/${job.ref}`))).status).toBe(404)
    expect((await other.request(at(`/jobs/${job.ref}/signed.pdf`))).status).toBe(404)
    expect((await browser().request(at(`/jobs/${job.ref}/signed.pdf`))).status).toBe(404)
    expect(page.status).toBe(200)
  })

  it("a replayed return URL changes nothing; one without a token gets a clear page", async () => {
    const b = browser()
    await login(b, 0)
    const job = stack.server.store
      .jobs({ ownerPin: Customers.demo[0]!.pin, flow: "WAIT_FOR_CALLBACK" })
      .find((j) => j.status === "COMPLETED_SUCCESSFULLY" && j.signers.length === 1)!
    const token = stack.simulator.statusQueryToken(job.signatureJobId!, Customers.demo[0]!.pin)
    const confirmations = stack.simulator.counters().confirmations
    const replay = await b.request(
      at(`/jobs/${job.ref}/return/completed?status_query_token=${encodeURIComponent(token)}`),
    )
    expect(replay.status).toBe(200)
    expect(outcome(replay)).toBe("signed")
    expect(stack.server.store.job(job.id)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY", hasSignedDocument: true })
    expect(stack.simulator.counters().confirmations - confirmations).toBeLessThanOrEqual(1)
    const bare = await b.request(at(`/jobs/${job.ref}/return/completed`))
    expect(bare.status).toBe(400)
    expect(outcome(bare)).toBe("bad-return")
  })

  it("refuses a number with wrong check digits at login, naming the rule", async () => {
    const b = browser()
    const page = await b.request(at("/"))
    const bad = await b.submit(page, "Log in", { name: "Test", pin: "12345678901" })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain("11 digits with valid check digits")
  })
})

describe("sender desk, status by polling", () => {
  it("sends one job per signer, and the poller stores and confirms each change", async () => {
    const b = browser()
    let page = await deskLogin(b)
    const first = stack.server.store.jobs({ flow: "POLLING", limit: 1 })[0]?.id ?? 0
    const confirmations = stack.simulator.counters().confirmations
    page = await b.submit(page, "Send", { mode: "separately" })
    expect(page.status).toBe(200)
    const jobs = stack.server.store.jobs({ flow: "POLLING" }).filter((j) => j.id > first)
    expect(jobs).toHaveLength(2)
    for (const job of jobs) expect(job.status).toBe("IN_PROGRESS")
    const [a, b2] = jobs
    await stack.simulator.sign(a!.signatureJobId!, a!.signers[0]!.pin)
    await stack.simulator.reject(b2!.signatureJobId!, b2!.signers[0]!.pin)
    const done = await waitFor("both jobs to be updated", () => {
      const x = stack.server.store.job(a!.id)!
      const y = stack.server.store.job(b2!.id)!
      return x.status === "COMPLETED_SUCCESSFULLY" && x.hasSignedDocument && y.status === "FAILED" ? [x, y] : undefined
    })
    expect(done[1]!.signers[0]!.status).toBe("REJECTED")
    // The worker confirms each change once the app has stored it.
    await waitFor("confirmations", () =>
      stack.simulator.counters().confirmations >= confirmations + 2 ? true : undefined,
    )
    expect(stack.simulator.counters().pollsBeforePermittedTime).toBe(0)
    page = await b.request(at("/desk"))
    expect(page.text).toContain(`href="/jobs/${a!.ref}/signed.pdf"`)
  })

  it("refuses a signer line without a valid number, naming the line", async () => {
    const b = browser()
    const page = await deskLogin(b)
    const bad = await b.submit(page, "Send", { signers: `Kari Nordmann, ${Customers.demo[0]!.pin}\nOla, 1234` })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain("Line 2: the number must be 11 digits with valid check digits.")
  })

  it("signers of a POLLING job sign through the portal from the job page; both names are on the PDF", async () => {
    const b = browser()
    let page = await deskLogin(b)
    page = await b.submit(page, "Send", { mode: "together" })
    const job = stack.server.store.jobs({ flow: "POLLING", limit: 1 })[0]!
    expect(job.signers).toHaveLength(2)
    for (const signer of job.signers) {
      page = await b.request(at(`/jobs/${job.ref}`))
      page = await b.submit(page, `Sign as ${signer.name}`)
      page = await b.submit(page, "Sign")
      expect(outcome(page)).toBe("returned-completed")
    }
    const signed = await waitFor("the signed PDF", () => stack.server.store.signedDocument(job.id))
    for (const signer of job.signers) expect(pdfMentions(signed, signer.pin)).toBe(true)
    expect(stack.simulator.counters().pollsBeforePermittedTime).toBe(0)
  })
})

describe("persistence", () => {
  it("a restart loses nothing: jobs, statuses and signed PDFs are still there", async () => {
    const before = stack.server.store.jobs({ limit: 100 })
    const signed = before.find((j) => j.hasSignedDocument)!
    const pdf = stack.server.store.signedDocument(signed.id)!
    stack = await stack.restart()
    const after = stack.server.store.jobs({ limit: 100 })
    expect(after.map((j) => [j.id, j.status, j.hasSignedDocument])).toEqual(
      before.map((j) => [j.id, j.status, j.hasSignedDocument]),
    )
    const b = browser()
    if (signed.flow === "POLLING") await deskLogin(b)
    const owner = signed.ownerPin === undefined ? undefined : Customers.demo.findIndex((c) => c.pin === signed.ownerPin)
    if (owner !== undefined) await login(b, owner)
    const download = await b.request(at(`/jobs/${signed.ref}/signed.pdf`))
    expect(download.status).toBe(200)
    expect(download.body).toEqual(pdf)
  })
})
