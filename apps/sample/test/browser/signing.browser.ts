/**
 * The sample portal in a real browser: Debian's Chromium (playwright-core) against the real simulator and the real
 * app. Every step leaves a screenshot under apps/sample/test-results/.
 */
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { PDFDocument } from "pdf-lib"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Customers from "../../src/Customers.js"
import { pdfMentions } from "../../src/PdfText.js"
import * as Stack from "../support/stack.js"
import * as Chromium from "./chromium.js"

let stack: Stack.Stack
let browser: Chromium.Chromium

beforeAll(async () => {
  stack = await Stack.start({ emptyQueuePollDelayMs: 300 })
  browser = await Chromium.launch()
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

const portal = () => new URL(stack.simulator.portalUrl).origin

/** What the browser reported as blocked by the app's Content-Security-Policy (must stay empty). */
const cspViolations: Array<string> = []

/** A new page with no cookies from earlier flows, as if a different person opened the app. */
const freshPage = async () => {
  await browser.context.clearCookies()
  const page = await browser.context.newPage()
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`)
  })
  return page
}

const login = async (page: Page, shot: (p: Page, s: string) => Promise<void>, customer: number) => {
  await page.goto(stack.url)
  await expect.poll(() => page.title()).toContain("Log in")
  await shot(page, "login")
  await page.getByRole("button", { name: `Log in as ${Customers.demo[customer]!.name}` }).click()
  await page.waitForURL(`${stack.url}/agreement`)
  await shot(page, "agreement")
}

const toPortal = async (page: Page) => {
  await page.waitForURL((u) => u.origin === portal())
  await page.getByRole("button", { name: "Sign", exact: true }).waitFor()
}

const outcome = (page: Page) => page.locator("[data-outcome]").first().getAttribute("data-outcome")

const download = async (page: Page, flow: string) => {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page
      .getByRole("link", { name: /Download the signed PDF/ })
      .first()
      .click(),
  ])
  const target = join(Chromium.resultsDir, flow, file.suggestedFilename())
  await file.saveAs(target)
  return new Uint8Array(await readFile(target))
}

describe("sample portal in Chromium", () => {
  it("sign: log in, Sign, sign in the portal, Signed, download the signed PDF naming the signer", async () => {
    const shot = Chromium.screenshots("sign")
    const page = await freshPage()
    await login(page, shot, 0)
    await page.getByRole("link", { name: "Read the agreement (PDF)" }).waitFor()
    // The style sheet is a file (the CSP allows no inline style), and it applies.
    expect(await page.locator("a.brand").evaluate((e) => getComputedStyle(e).color)).toBe("rgb(200, 16, 46)")
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await toPortal(page)
    await shot(page, "portal")
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await page.waitForURL(
      (u) => u.origin === new URL(stack.url).origin && /^\/jobs\/[A-Za-z0-9_-]{22}$/.test(u.pathname),
    )
    expect(await outcome(page)).toBe("signed")
    await expect.poll(() => page.locator("h1").first().textContent()).toBe("Signed")
    await shot(page, "signed")
    const pdf = await download(page, "sign")
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe("%PDF-")
    const doc = await PDFDocument.load(pdf, { ignoreEncryption: true })
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(2)
    // The simulator's cover page lists each signer with their identifier.
    expect(pdfMentions(pdf, Customers.demo[0]!.pin)).toBe(true)
    await page.close()
  })

  it("reject: the portal's Reject brings a clear rejection page", async () => {
    const shot = Chromium.screenshots("reject")
    const page = await freshPage()
    await login(page, shot, 1)
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await toPortal(page)
    await shot(page, "portal")
    await page.getByRole("button", { name: "Reject" }).click()
    await page.waitForURL((u) => u.origin === new URL(stack.url).origin)
    expect(await outcome(page)).toBe("rejected")
    await expect.poll(() => page.locator("h1").first().textContent()).toBe("The agreement was rejected")
    await page.getByRole("button", { name: "Try again" }).waitFor()
    await shot(page, "rejected")
    await page.close()
  })

  it("error: an unexpected error in the portal brings a clear error page", async () => {
    const shot = Chromium.screenshots("error")
    const page = await freshPage()
    await login(page, shot, 2)
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await toPortal(page)
    await shot(page, "portal")
    await page.getByRole("button", { name: "Simulate an unexpected error" }).click()
    await page.waitForURL((u) => u.origin === new URL(stack.url).origin)
    expect(await outcome(page)).toBe("error")
    await expect.poll(() => page.locator("h1").first().textContent()).toBe("Something went wrong while signing")
    await shot(page, "error")
    await page.close()
  })

  it("abandon, then a new redirect URL: the old link is spent, Continue signing works", async () => {
    const shot = Chromium.screenshots("abandon")
    const page = await freshPage()
    const redirects: Array<string> = []
    page.on("request", (r) => {
      if (r.url().startsWith(`${portal()}/redirect/`)) redirects.push(r.url())
    })
    await login(page, shot, 3)
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await toPortal(page)
    await shot(page, "portal-first-visit")
    // The signer leaves the portal without acting and comes back to the app later.
    await page.goto(`${stack.url}/agreement`)
    await page.getByRole("button", { name: "Continue signing" }).waitFor()
    await shot(page, "agreement-unfinished")
    const spent = await browser.context.newPage()
    const response = await spent.goto(redirects[0]!)
    expect(response?.status()).toBe(410)
    await shot(spent, "old-link-spent")
    await spent.close()
    await page.getByRole("button", { name: "Continue signing" }).click()
    await toPortal(page)
    expect(redirects).toHaveLength(2)
    expect(redirects[1]).not.toBe(redirects[0])
    await shot(page, "portal-new-link")
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await page.waitForURL((u) => u.origin === new URL(stack.url).origin)
    expect(await outcome(page)).toBe("signed")
    await shot(page, "signed")
    await page.close()
  })

  it("two signers: the customer and a co-signer sign the same job; the PDF names both", async () => {
    const shot = Chromium.screenshots("two-signers")
    const page = await freshPage()
    const co = { name: "Per Co-Signer", pin: Customers.demo[3]!.pin }
    await login(page, shot, 0)
    await page.getByText("Add a co-signer (optional)").click()
    await page.getByLabel("Co-signer's name").fill(co.name)
    await page.getByLabel("Co-signer's personal identification number").fill(co.pin)
    await shot(page, "co-signer-filled")
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await toPortal(page)
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await page.waitForURL((u) => u.origin === new URL(stack.url).origin)
    expect(await outcome(page)).toBe("waiting")
    await shot(page, "waiting-for-co-signer")
    await page.getByRole("button", { name: `Sign as ${co.name}` }).click()
    await toPortal(page)
    await shot(page, "portal-co-signer")
    await page.getByRole("button", { name: "Sign", exact: true }).click()
    await page.waitForURL((u) => u.origin === new URL(stack.url).origin)
    expect(await outcome(page)).toBe("signed")
    await shot(page, "signed")
    const pdf = await download(page, "two-signers")
    expect(pdfMentions(pdf, Customers.demo[0]!.pin)).toBe(true)
    expect(pdfMentions(pdf, co.pin)).toBe(true)
    await page.close()
  })

  it("sender desk: a POLLING job for two signers updates as the poller stores each change", async () => {
    const shot = Chromium.screenshots("desk")
    const page = await freshPage()
    await page.goto(`${stack.url}/desk`)
    // The desk has its own login.
    await page.waitForURL(`${stack.url}/desk/login`)
    await page.getByLabel("User name").fill(Stack.desk.user)
    await page.getByLabel("Password").fill(Stack.desk.password)
    await shot(page, "desk-login")
    await page.getByRole("button", { name: "Log in to the desk" }).click()
    await page.waitForURL(`${stack.url}/desk`)
    await shot(page, "desk")
    await page.getByRole("button", { name: "Send" }).click()
    await page.waitForURL(`${stack.url}/desk`)
    const job = stack.server.store.jobs({ flow: "POLLING", limit: 1 })[0]!
    await shot(page, "sent")
    for (const signer of job.signers) {
      await page.goto(`${stack.url}/jobs/${job.ref}`)
      await page.getByRole("button", { name: `Sign as ${signer.name}` }).click()
      await toPortal(page)
      await page.getByRole("button", { name: "Sign", exact: true }).click()
      await page.waitForURL((u) => u.origin === new URL(stack.url).origin)
      expect(await outcome(page)).toBe("returned-completed")
    }
    await page.goto(`${stack.url}/desk`)
    // The desk refreshes itself while jobs are open; the poller stores the change, then the row says Signed.
    await page
      .locator(`tr[data-job="${job.id}"] td:nth-child(3) [data-status="COMPLETED_SUCCESSFULLY"]`)
      .waitFor({ timeout: 20_000 })
    await shot(page, "desk-signed")
    expect(stack.simulator.counters().pollsBeforePermittedTime).toBe(0)
    await page.close()
  })

  it("portal desk: two signers in order sign in the portal from their e-mail links; the desk follows each", async () => {
    const shot = Chromium.screenshots("portal")
    const deskLogin = async (page: Page) => {
      await page.goto(`${stack.url}/desk/login`)
      await page.getByLabel("User name").fill(Stack.desk.user)
      await page.getByLabel("Password").fill(Stack.desk.password)
      await page.getByRole("button", { name: "Log in to the desk" }).click()
      await page.waitForURL(`${stack.url}/desk`)
    }
    let page = await freshPage()
    await deskLogin(page)
    await page.goto(`${stack.url}/portal-desk`)
    await shot(page, "portal-desk")
    await page.getByRole("button", { name: "Send for signing" }).click()
    await page.waitForURL(`${stack.url}/portal-desk`)
    const job = stack.server.store.jobs({ flow: "PORTAL", limit: 1 })[0]!
    const jobId = job.signatureJobId!
    await shot(page, "sent")
    await page.close()
    for (const signer of job.signers) {
      // The signer's e-mail: the simulator's outbox holds it, with the link to the signing portal.
      const mail = stack.simulator.outbox({ jobId, signer: signer.pin }).find((n) => n.kind === "invitation")!
      expect(mail.to).toBe(signer.email)
      page = await freshPage()
      await page.goto(mail.link!)
      await page.getByLabel("National identity number").fill(signer.pin)
      await shot(page, `signer-${signer.position}-login`)
      await page.getByRole("button", { name: "Log in", exact: true }).click()
      await page.locator(`a[href="/portal/jobs/${jobId}"]`).click()
      await shot(page, `signer-${signer.position}-job`)
      await page.getByRole("button", { name: "Sign", exact: true }).click()
      await page.locator('[data-status="SIGNED"]').waitFor()
      await shot(page, `signer-${signer.position}-signed`)
      await page.close()
      // The desk shows the signature once the portal queue's worker has stored it (the page refreshes itself).
      page = await freshPage()
      await deskLogin(page)
      await page.goto(`${stack.url}/portal-desk`)
      await page
        .locator(`tr[data-job="${job.id}"] [data-signer="${signer.position}"] [data-status="SIGNED"]`)
        .waitFor({ timeout: 20_000 })
      await shot(page, `desk-after-signer-${signer.position}`)
      if (signer.position === 1) {
        // The second signer is notified only now.
        expect(stack.simulator.outbox({ jobId, signer: job.signers[1]!.pin })).not.toHaveLength(0)
        await page.close()
      }
    }
    await page
      .locator(`tr[data-job="${job.id}"] td:nth-child(3) [data-status="COMPLETED_SUCCESSFULLY"]`)
      .waitFor({ timeout: 20_000 })
    await page.getByRole("link", { name: "Signed PDF" }).first().waitFor()
    await shot(page, "desk-signed")
    expect(stack.simulator.counters().pollsBeforePermittedTime).toBe(0)
    await page.close()
  })

  it("the security headers break nothing: no CSP violation in any flow, and the app refuses to be framed", async () => {
    // A page of another origin that frames the app: a plain loopback server of the test's own.
    const framing = createServer((_, res) => {
      res.writeHead(200, { "Content-Type": "text/html" })
      res.end(`<!doctype html><iframe src="${stack.url}/"></iframe>`)
    })
    await new Promise<void>((resolve) => framing.listen(0, "127.0.0.1", resolve))
    const page = await freshPage()
    await page.goto(`http://127.0.0.1:${(framing.address() as AddressInfo).port}/`)
    await page.waitForTimeout(1000)
    const frame = page.frames().find((f) => f !== page.mainFrame())
    expect(frame).toBeDefined()
    // Chromium leaves a refused frame empty (an error page), never the app's login page.
    expect(await frame!.locator("text=Log in to your customer page").count()).toBe(0)
    await page.close()
    framing.closeAllConnections()
    await new Promise((resolve) => framing.close(resolve))
    // The only report: Chromium refusing the frame because of frame-ancestors; nothing in any flow was blocked.
    expect(cspViolations.some((v) => v.includes("frame-ancestors 'none'"))).toBe(true)
    expect(cspViolations.filter((v) => !v.includes("frame-ancestors"))).toEqual([])
  })
})
