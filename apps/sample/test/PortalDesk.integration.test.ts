/**
 * The portal desk end to end (issue 12 §4): the sender sends a contract to two signers in order; the simulator
 * notifies them by e-mail (its outbox); each signs through the simulator's portal pages from the link in their
 * e-mail; the app's portal polling worker stores each change (and the signed PDF), then confirms it.
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

const deskLogin = async (b: Headless.Browser) => {
  const page = await b.request(at("/desk/login"))
  return b.submit(page, "Log in to the desk", { user: Stack.desk.user, password: Stack.desk.password })
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

/** What a signer does with their e-mail: open its link, log in (simulated ID-porten), open the job, click Sign. */
const signFromEmail = async (jobId: string, pin: string, action: "Sign" | "Reject" = "Sign") => {
  const invitation = stack.simulator.outbox({ jobId, signer: pin }).find((n) => n.kind === "invitation")
  expect(invitation?.channel).toBe("email")
  const b = browser()
  let page = await b.request(new URL(invitation!.link!))
  page = await b.submit(page, "Log in", { pin })
  const href = new RegExp(`href="(/portal/jobs/${jobId})"`).exec(page.text)?.[1]
  expect(href).toBeDefined()
  page = await b.request(new URL(href!, page.url))
  page = await b.submit(page, action)
  expect(page.status).toBe(200)
  expect(page.text).toContain(`data-status="${action === "Sign" ? "SIGNED" : "REJECTED"}"`)
}

describe("portal desk", () => {
  it("sends to two signers in order; each signs from the e-mail link; the desk follows both", async () => {
    const b = browser()
    await deskLogin(b)
    let page = await b.request(at("/portal-desk"))
    expect(page.text).toContain("Portal desk")
    const confirmations = stack.simulator.counters().confirmations
    page = await b.submit(page, "Send for signing")
    expect(page.url.pathname).toBe("/portal-desk")
    const job = stack.server.store.jobs({ flow: "PORTAL", limit: 1 })[0]!
    expect(job).toMatchObject({ status: "IN_PROGRESS", flow: "PORTAL" })
    expect(job.signers.map((s) => [s.name, s.email])).toEqual([
      [Customers.demo[0]!.name, "kari.nordmann@example.com"],
      [Customers.demo[1]!.name, "ola.nordmann@example.com"],
    ])
    const jobId = job.signatureJobId!
    const [first, second] = job.signers
    // In order: only the first signer is notified now.
    expect(stack.simulator.outbox({ jobId, signer: second!.pin })).toHaveLength(0)
    expect(stack.simulator.outbox({ jobId, signer: first!.pin })[0]?.to).toBe("kari.nordmann@example.com")

    await signFromEmail(jobId, first!.pin)
    const halfway = await waitFor("the first signature in the app's store", () => {
      const j = stack.server.store.job(job.id)!
      return j.signers[0]?.status === "SIGNED" ? j : undefined
    })
    expect(halfway.status).toBe("IN_PROGRESS")
    expect(halfway.signers[1]?.status).toBe("WAITING")
    page = await b.request(at("/portal-desk"))
    expect(page.text).toMatch(new RegExp(`data-signer="1">1\\. ${first!.name}[^]*?data-status="SIGNED"`))

    // Now the second signer gets the e-mail.
    await signFromEmail(jobId, second!.pin)
    const done = await waitFor("the signed job in the app's store", () => {
      const j = stack.server.store.job(job.id)!
      return j.status === "COMPLETED_SUCCESSFULLY" && j.hasSignedDocument ? j : undefined
    })
    expect(done.signers.map((s) => s.status)).toEqual(["SIGNED", "SIGNED"])
    const pdf = stack.server.store.signedDocument(job.id)!
    expect(pdfMentions(pdf, first!.pin)).toBe(true)
    expect(pdfMentions(pdf, second!.pin)).toBe(true)
    // Every change confirmed after it was stored: one per signature, the last with the PDF; never an early poll.
    await waitFor("the confirmations", () =>
      stack.simulator.counters().confirmations >= confirmations + 2 ? true : undefined,
    )
    expect(stack.simulator.job(jobId)?.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(stack.simulator.counters().pollsBeforePermittedTime).toBe(0)
    page = await b.request(at("/portal-desk"))
    expect(page.text).toContain(`href="/jobs/${job.ref}/signed.pdf"`)
    const download = await b.request(at(`/jobs/${job.ref}/signed.pdf`))
    expect(download.contentType).toBe("application/pdf")
  })

  it("cancels an open job from the desk: the change arrives through the portal queue", async () => {
    const b = browser()
    await deskLogin(b)
    let page = await b.request(at("/portal-desk"))
    page = await b.submit(page, "Send for signing", { pin2: Customers.demo[2]!.pin, name2: Customers.demo[2]!.name })
    const job = stack.server.store.jobs({ flow: "PORTAL", limit: 1 })[0]!
    expect(job.cancellationUrl).toBeDefined()
    page = await b.request(at("/portal-desk"))
    page = await b.submit(page, `Cancel job #${job.id}`)
    const cancelled = await waitFor("the cancellation in the app's store", () => {
      const j = stack.server.store.job(job.id)!
      return j.status === "FAILED" ? j : undefined
    })
    expect(cancelled.signers.map((s) => s.status)).toEqual(["CANCELLED", "CANCELLED"])
    expect(stack.server.store.events(job.id).map((e) => e.text)).toContain("Cancellation sent")
  })

  it("refuses a bad signer, naming the signer and the rule; needs the desk login", async () => {
    expect((await browser().request(at("/portal-desk"))).url.pathname).toBe("/desk/login")
    const b = browser()
    await deskLogin(b)
    const page = await b.request(at("/portal-desk"))
    const creations = stack.simulator.counters().creations
    const badEmail = await b.submit(page, "Send for signing", { email2: "ola.example.com" })
    expect(badEmail.status).toBe(400)
    expect(badEmail.text).toContain("Signer 2: type an e-mail address")
    const same = await b.submit(page, "Send for signing", { pin2: Customers.demo[0]!.pin })
    expect(same.status).toBe(400)
    expect(same.text).toContain("Signer 2 must be someone else than signer 1.")
    const badPin = await b.submit(page, "Send for signing", { pin1: "12345678901" })
    expect(badPin.text).toContain("Signer 1: the personal identification number must be 11 digits")
    expect(stack.simulator.counters().creations).toBe(creations)
  })
})
