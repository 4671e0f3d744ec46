/**
 * The signing portal as a browser sees it: plain HTTP without a client certificate, a cookie jar, no redirects followed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { request } from "undici"
import * as HeadlessSigner from "../src/HeadlessSigner.js"
import { call, xmlText } from "./support/client.js"
import { type Harness, start, statusOf, tokenOf } from "./support/setup.js"

let h: Harness
beforeAll(async () => {
  h = await start()
})
afterAll(() => h.close())

/** The simulator's headless signer, one request at a time (no redirect followed), so every hop can be checked. */
const browser = () => new HeadlessSigner.Browser({ followRedirects: false })
const browse = async (b: HeadlessSigner.Browser, method: "GET" | "POST", url: string) => {
  const page = await b.request(new URL(url), method === "POST" ? { method, form: [] } : {})
  return { ...page, location: page.location?.toString() }
}

const open = async (redirectUrl: string) => {
  const jar = browser()
  const first = await browse(jar, "GET", redirectUrl)
  return { jar, first, page: first.location! }
}

describe("signing portal", () => {
  it("serves the portal on a separate listener than the API", () => {
    expect(h.sim.portalUrl.startsWith("http://")).toBe(true)
    expect(new URL(h.sim.portalUrl).port).not.toBe(new URL(h.sim.url).port)
  })

  it("redeems the one-time URL into a cookie: a refresh works, the URL does not work twice", async () => {
    const created = await h.create({ title: "Leiekontrakt <Storgata 1>", description: "Les & signer" })
    const { jar, first, page } = await open(created.signers[0]!.redirectUrl)
    expect(first.status).toBe(302)
    expect(page.startsWith(`${h.sim.portalUrl}/ceremony/`)).toBe(true)
    const cookie = String(first.headers.get("set-cookie"))
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    for (let i = 0; i < 2; i++) {
      const view = await browse(jar, "GET", page)
      expect(view.status).toBe(200)
      expect(view.headers.get("content-type")).toMatch(/^text\/html/)
      expect(view.text).toContain("Leiekontrakt &lt;Storgata 1&gt;")
      expect(view.text).toContain("Les &amp; signer")
      expect(view.text).toContain("Kontrakt")
      expect(view.text).toMatch(/<form method="post" action="[^"]+\/sign">/)
      expect(view.text).toMatch(/action="[^"]+\/reject"/)
      expect(view.text).toMatch(/action="[^"]+\/error"/)
      expect(view.text).not.toContain("<script")
      expect(view.headers.get("content-security-policy")).toContain("default-src 'none'")
      expect(view.headers.get("referrer-policy")).toBe("no-referrer")
    }
    const reuse = await browse(browser(), "GET", created.signers[0]!.redirectUrl)
    expect(reuse.status).toBe(410)
    const noCookie = await browse(browser(), "GET", page)
    expect(noCookie.status).toBe(403)
  })

  it("shows the documents inline and as downloads", async () => {
    const created = await h.create()
    const { jar, page } = await open(created.signers[0]!.redirectUrl)
    const inline = await request(`${page}/documents/0`, {
      headers: { cookie: jar.jar.header(new URL(`${page}/documents/0`))! },
    })
    expect(inline.statusCode).toBe(200)
    expect(inline.headers["content-type"]).toBe("application/pdf")
    expect(String(inline.headers["content-disposition"])).toMatch(/^inline/)
    expect(new TextDecoder().decode(new Uint8Array(await inline.body.arrayBuffer()).subarray(0, 5))).toBe("%PDF-")
    const url = `${page}/documents/0?download=1`
    const download = await request(url, { headers: { cookie: jar.jar.header(new URL(url))! } })
    expect(String(download.headers["content-disposition"])).toMatch(/^attachment; filename="0000_kontrakt\.pdf"/)
    await download.body.dump()
    expect((await browse(jar, "GET", `${page}/documents/5`)).status).toBe(404)
  })

  it("signs: 302 to the completion URL with '&status_query_token' (it already has a query), usable on the API", async () => {
    const created = await h.create()
    const { jar, page } = await open(created.signers[0]!.redirectUrl)
    const signed = await browse(jar, "POST", `${page}/sign`)
    expect(signed.status).toBe(302)
    expect(signed.location).toMatch(/^https:\/\/sender\.example\/done\?x=1&status_query_token=[0-9a-f]{64}$/)
    const status = await call(h.a, "GET", `${created.statusUrl}?status_query_token=${tokenOf(signed.location!)}`)
    expect(statusOf(status.text).job).toBe("COMPLETED_SUCCESSFULLY")
    const after = await browse(jar, "GET", page)
    expect(after.text).toContain("SIGNED")
    expect(after.text).not.toContain('action="')
    expect((await browse(jar, "POST", `${page}/sign`)).status).toBe(409)
  })

  it("rejects: 302 to the rejection URL with '?status_query_token'; the other signer's page has nothing to do", async () => {
    const created = await h.create({ signers: [{ id: "one" }, { id: "two" }] })
    const one = await open(created.signers[0]!.redirectUrl)
    const two = await open(created.signers[1]!.redirectUrl)
    const rejected = await browse(one.jar, "POST", `${one.page}/reject`)
    expect(rejected.location).toMatch(/^https:\/\/sender\.example\/rejected\?status_query_token=[0-9a-f]{64}$/)
    expect(h.sim.job(created.jobId)?.signers.map((s) => s.status)).toEqual(["REJECTED", "NOT_APPLICABLE"])
    const other = await browse(two.jar, "GET", two.page)
    expect(other.text).toContain("NOT_APPLICABLE")
    expect((await browse(two.jar, "POST", `${two.page}/sign`)).status).toBe(409)
  })

  it("simulates an unexpected error: 302 to the error URL", async () => {
    const created = await h.create({
      exitUrls: {
        completionUrl: "https://s.example/ok",
        rejectionUrl: "https://s.example/no",
        errorUrl: "https://s.example/err?case=7#top",
      },
    })
    const { jar, page } = await open(created.signers[0]!.redirectUrl)
    const failed = await browse(jar, "POST", `${page}/error`)
    expect(failed.location).toMatch(/^https:\/\/s\.example\/err\?case=7&status_query_token=[0-9a-f]{64}#top$/)
    expect(h.sim.job(created.jobId)?.status).toBe("FAILED")
  })

  it("a fresh redirect URL from the API opens a new session; the unused old URL is dead", async () => {
    const created = await h.create()
    const fresh = await call(h.a, "POST", created.signers[0]!.href)
    const url = xmlText(fresh.text, "redirect-url")!
    expect((await browse(browser(), "GET", created.signers[0]!.redirectUrl)).status).toBe(410)
    const { first } = await open(url)
    expect(first.status).toBe(302)
  })

  it("the headless signer goes through the same pages and stops at the sender's exit URL", async () => {
    const created = await h.create()
    const exit = await HeadlessSigner.ceremony(created.signers[0]!.redirectUrl, "Sign")
    expect(exit).toMatch(/^https:\/\/sender\.example\/done\?x=1&status_query_token=[0-9a-f]{64}$/)
    expect(h.sim.job(created.jobId)?.status).toBe("COMPLETED_SUCCESSFULLY")
    // The one-time URL is spent: a second run is refused with the pages' own answer.
    await expect(HeadlessSigner.ceremony(created.signers[0]!.redirectUrl, "Sign")).rejects.toThrow(
      /expected HTTP 200, got 410/,
    )
  })
})
