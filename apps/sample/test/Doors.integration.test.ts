/**
 * The app's own doors, over HTTP against the real app and a real simulator: the sender desk's login, the Origin
 * check on every state-changing POST, unguessable job references, returns that only the job's own signer may
 * trigger, and the security headers (issue 15, "apps/sample"; issue 12 §4).
 */
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as App from "../src/App.js"
import * as Customers from "../src/Customers.js"
import * as DeskLogin from "../src/DeskLogin.js"
import * as Headless from "../src/Headless.js"
import type { SigningPort } from "../src/Signing.js"
import { Store } from "../src/Store.js"
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
/** Requests the app made to the service since `since`, apart from the polling workers' own polls. */
const callsSince = (since: Date) =>
  stack.simulator
    .requestLog()
    .filter((r) => r.at >= since && r.listener === "api" && r.route !== "poll" && r.route !== "portal-poll")
    .map((r) => `${r.method} ${r.path}`)
const outcome = (page: Headless.Page) => /data-outcome="([^"]+)"/.exec(page.text)?.[1]
const evil = "http://evil.example"
const desk = [
  `${Customers.demo[0]!.name}, ${Customers.demo[0]!.pin}`,
  `${Customers.demo[1]!.name}, ${Customers.demo[1]!.pin}`,
].join("\n")

const deskLogin = async (b: Headless.Browser) => {
  const page = await b.request(at("/desk/login"))
  return b.submit(page, "Log in to the desk", { user: Stack.desk.user, password: Stack.desk.password })
}

/** A POST as a form on another site would send it: its own Origin, and the cookies the browser has for the app. */
const crossSite = (b: Headless.Browser, path: string, form: ReadonlyArray<readonly [string, string]>) =>
  b.request(at(path), { method: "POST", form, origin: evil })

describe("the sender desk's door", () => {
  it("refuses a cross-site POST /desk/send, with or without a desk login: no job at the service", async () => {
    const creations = stack.simulator.counters().creations
    const jobs = stack.server.store.jobs({ limit: 1000 }).length
    const anonymous = await crossSite(browser(), "/desk/send", [
      ["signers", desk],
      ["mode", "together"],
    ])
    expect(anonymous.status).toBe(403)
    const signedIn = browser()
    await deskLogin(signedIn)
    const withCookie = await crossSite(signedIn, "/desk/send", [
      ["signers", desk],
      ["mode", "together"],
    ])
    expect(withCookie.status).toBe(403)
    // Neither a Sec-Fetch-Site of another site helps.
    const fetched = await fetch(at("/desk/send"), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Sec-Fetch-Site": "cross-site",
        Cookie: signedIn.jar.header(at("/desk/send")) ?? "",
      },
      body: new URLSearchParams({ signers: desk, mode: "together" }).toString(),
      redirect: "manual",
    })
    expect(fetched.status).toBe(403)
    expect(stack.simulator.counters().creations).toBe(creations)
    expect(stack.server.store.jobs({ limit: 1000 })).toHaveLength(jobs)
  })

  it("refuses every state-changing POST from another site: login, sign, logout", async () => {
    const b = browser()
    expect((await crossSite(b, "/login", [["customer", "0"]])).status).toBe(403)
    expect(b.jar.header(at("/"))).toBeUndefined()
    expect((await crossSite(b, "/desk/login", [...Object.entries(Stack.desk)])).status).toBe(403)
    expect(b.jar.header(at("/desk"))).toBeUndefined()
    const customer = browser()
    await customer.submit(await customer.request(at("/")), `Log in as ${Customers.demo[0]!.name}`)
    const creations = stack.simulator.counters().creations
    expect((await crossSite(customer, "/sign", [])).status).toBe(403)
    expect((await crossSite(customer, "/logout", [])).status).toBe(403)
    expect(stack.simulator.counters().creations).toBe(creations)
    // The same posts from the app's own pages work (the browser still has its session).
    expect((await customer.request(at("/agreement"))).url.pathname).toBe("/agreement")
  })

  it("needs the desk login: the desk, sending, and POLLING job pages are closed without it", async () => {
    const b = browser()
    const page = await b.request(at("/desk"))
    expect(page.url.pathname).toBe("/desk/login")
    expect(page.text).toContain("Log in to the desk")
    const creations = stack.simulator.counters().creations
    const send = await b.request(at("/desk/send"), {
      method: "POST",
      form: [
        ["signers", desk],
        ["mode", "together"],
      ],
    })
    expect(send.url.pathname).toBe("/desk/login")
    expect(stack.simulator.counters().creations).toBe(creations)

    const wrong = await b.submit(page, "Log in to the desk", { user: Stack.desk.user, password: "not-the-password" })
    expect(wrong.status).toBe(401)
    expect(wrong.text).toContain("Wrong user name or password.")
    expect(wrong.text).not.toContain("not-the-password")

    const sender = browser()
    let deskPage = await deskLogin(sender)
    expect(deskPage.url.pathname).toBe("/desk")
    deskPage = await sender.submit(deskPage, "Send", { signers: desk, mode: "together" })
    expect(stack.simulator.counters().creations).toBe(creations + 1)
    const job = stack.server.store.jobs({ flow: "POLLING", limit: 1 })[0]!
    expect((await sender.request(at(`/jobs/${job.ref}`))).status).toBe(200)
    // Someone without the desk login, even a customer who is one of the signers, sees nothing of the job.
    const outsider = browser()
    await outsider.submit(await outsider.request(at("/")), `Log in as ${Customers.demo[0]!.name}`)
    for (const path of [`/jobs/${job.ref}`, `/jobs/${job.ref}/contract.pdf`]) {
      expect((await outsider.request(at(path))).status).toBe(404)
      expect((await browser().request(at(path))).status).toBe(404)
    }
    const before = new Date()
    const redirect = await outsider.request(at(`/jobs/${job.ref}/signers/1/redirect`), { method: "POST" })
    expect(redirect.status).toBe(404)
    expect(callsSince(before)).toEqual([])
    // Leaving the desk ends the desk session.
    await sender.submit(await sender.request(at("/desk")), "Leave the desk")
    expect((await sender.request(at("/desk"))).url.pathname).toBe("/desk/login")
  })
})

describe("job references", () => {
  it("are 128 random bits, and a job number in the URL finds nothing", async () => {
    const b = browser()
    let page = await b.submit(await b.request(at("/")), `Log in as ${Customers.demo[2]!.name}`)
    page = await b.submit(page, "Sign")
    expect(page.url.origin).toBe(new URL(stack.simulator.portalUrl).origin)
    page = await b.submit(page, "Sign")
    const ref = /^\/jobs\/([^/]+)$/.exec(page.url.pathname)?.[1]
    expect(ref).toMatch(/^[A-Za-z0-9_-]{22}$/)
    const job = stack.server.store.jobByRef(ref!)!
    expect(job.ownerPin).toBe(Customers.demo[2]!.pin)
    expect((await b.request(at(`/jobs/${job.id}`))).status).toBe(404)
    expect((await b.request(at(`/jobs/${job.id}/signed.pdf`))).status).toBe(404)
    const refs = stack.server.store.jobs({ limit: 1000 }).map((j) => j.ref)
    expect(new Set(refs).size).toBe(refs.length)
    for (const r of refs) expect(Buffer.from(r, "base64url")).toHaveLength(16)
  })
})

describe("returns from signing", () => {
  it("an anonymous return with a forged token calls nothing and writes nothing", async () => {
    const owner = browser()
    let page = await owner.submit(await owner.request(at("/")), `Log in as ${Customers.demo[3]!.name}`)
    page = await owner.submit(page, "Sign")
    expect(page.url.origin).toBe(new URL(stack.simulator.portalUrl).origin)
    const job = stack.server.store.jobs({ ownerPin: Customers.demo[3]!.pin, limit: 1 })[0]!
    expect(job.status).toBe("IN_PROGRESS")
    const events = stack.server.store.events(job.id)
    const requests = new Date()

    for (const b of [
      browser(),
      await (async () => {
        const other = browser()
        await other.submit(await other.request(at("/")), `Log in as ${Customers.demo[1]!.name}`)
        return other
      })(),
    ]) {
      const forged = await b.request(at(`/jobs/${job.ref}/return/completed?status_query_token=forged-token`))
      expect(forged.status).toBe(403)
      expect(outcome(forged)).toBe("return-needs-login")
      const bare = await b.request(at(`/jobs/${job.ref}/return/error`))
      expect(bare.status).toBe(403)
    }
    expect(callsSince(requests)).toEqual([])
    expect(stack.server.store.events(job.id)).toEqual(events)
    expect(stack.server.store.job(job.id)?.lastError).toBeUndefined()

    // The signer's own browser still finishes the signing.
    page = await owner.submit(page, "Sign")
    expect(outcome(page)).toBe("signed")
  })
})

describe("security headers", () => {
  it("every page forbids framing and sniffing, and allows only the app's own style sheet", async () => {
    const b = browser()
    for (const path of ["/", "/desk/login", "/app.css", "/no-such-page"]) {
      const response = await fetch(at(path))
      await response.arrayBuffer()
      const csp = response.headers.get("content-security-policy") ?? ""
      expect(csp, path).toContain("frame-ancestors 'none'")
      expect(csp, path).toContain("default-src 'none'")
      expect(csp, path).toContain("style-src 'self'")
      expect(response.headers.get("x-frame-options"), path).toBe("DENY")
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff")
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer")
    }
    const login = await b.request(at("/"))
    expect(login.text).not.toMatch(/<style|style="|<script/)
    expect(login.text).toContain('<link rel="stylesheet" href="/app.css">')
    const css = await b.request(at("/app.css"))
    expect(css.contentType).toContain("text/css")
    // A PDF is not framed either, but keeps the browser's PDF viewer working.
    await b.submit(login, `Log in as ${Customers.demo[0]!.name}`)
    const pdf = await fetch(at("/agreement.pdf"), { headers: { Cookie: b.jar.header(at("/agreement.pdf")) ?? "" } })
    await pdf.arrayBuffer()
    expect(pdf.headers.get("content-type")).toBe("application/pdf")
    expect(pdf.headers.get("content-security-policy")).toBe("frame-ancestors 'none'")
    expect(pdf.headers.get("x-frame-options")).toBe("DENY")
  })
})

describe("session cookies", () => {
  it("are HttpOnly, SameSite=Lax, last 12 hours, and are Secure when browsers reach the app over https", async () => {
    const unused = () => Promise.reject(new Error("not used by a login"))
    const signing: SigningPort = {
      create: unused,
      newRedirectUrl: unused,
      handleReturn: unused,
      pades: unused,
      watch: () => ({ stop: async () => {} }),
      close: async () => {},
    }
    for (const publicUrl of ["https://sample.example", "http://127.0.0.1:3000"]) {
      const store = Store.open(":memory:")
      const app = App.make({ store, signing, publicUrl })
      const response = await app.fetch(
        new Request(`${publicUrl}/login`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: publicUrl },
          body: "customer=0",
        }),
      )
      expect(response.status).toBe(303)
      const cookie = response.headers.get("set-cookie") ?? ""
      expect(cookie).toMatch(/HttpOnly/)
      expect(cookie).toMatch(/SameSite=Lax/)
      expect(cookie).toMatch(/Max-Age=43200/)
      expect(/;\s*Secure/.test(cookie), publicUrl).toBe(publicUrl.startsWith("https:"))
      store.close()
    }
  })

  it("slows down guessing the desk password: a few failures, then 429 naming the limit, even for the right one", async () => {
    let clock = Date.parse("2026-12-06T10:00:00Z")
    const store = Store.open(":memory:")
    const unused = () => Promise.reject(new Error("not used by a login"))
    const app = App.make({
      store,
      publicUrl: "http://127.0.0.1:3000",
      now: () => new Date(clock),
      desk: { user: "sender", password: Redacted.make("the-right-password") },
      signing: {
        create: unused,
        newRedirectUrl: unused,
        handleReturn: unused,
        pades: unused,
        watch: () => ({ stop: async () => {} }),
        close: async () => {},
      },
    })
    const attempt = (password: string) =>
      app.fetch(
        new Request("http://127.0.0.1:3000/desk/login", {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://127.0.0.1:3000" },
          body: new URLSearchParams({ user: "sender", password }).toString(),
        }),
      )
    for (let i = 0; i < DeskLogin.deskLoginAttempts; i++) expect((await attempt(`guess-${i}`)).status).toBe(401)
    const locked = await attempt("the-right-password")
    expect(locked.status).toBe(429)
    expect(await locked.text()).toContain("Too many failed logins: at most 5 in 15 minutes. Try again after 10:15 UTC.")
    clock += DeskLogin.deskLoginWindowMs
    expect((await attempt("the-right-password")).status).toBe(303)
    store.close()
  })
})
