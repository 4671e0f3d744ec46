/**
 * Fault injection per route, seen from a plain undici client over mutual TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { call } from "./support/client.js"
import { type Harness, start } from "./support/setup.js"

let h: Harness
beforeAll(async () => {
  h = await start()
})
afterAll(() => h.close())

const whoami = () => call(h.a, "GET", `${h.sim.url}/${h.orgA}`)
const poll = () => call(h.a, "GET", `${h.sim.url}/${h.orgA}/direct/signature-jobs`)

describe("fault injection", () => {
  it("adds latency, then answers normally", async () => {
    h.sim.faults.inject({ route: "whoami", kind: "latency", ms: 150 })
    const started = performance.now()
    const r = await whoami()
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(r.status).toBe(200)
  })

  it("resets the connection", async () => {
    h.sim.faults.inject({ route: "whoami", kind: "reset" })
    await expect(whoami()).rejects.toThrow(/socket|reset|closed/i)
    expect((await whoami()).status).toBe(200)
    expect(h.sim.requestLog().some((e) => e.flags.includes("fault:reset") && e.status === 0)).toBe(true)
  })

  it("answers 500 and 503 for the next N requests of the route only", async () => {
    h.sim.faults.inject({ route: "poll", kind: "status", status: 503, times: 2 })
    expect((await whoami()).status).toBe(200)
    expect((await poll()).status).toBe(503)
    expect((await poll()).status).toBe(503)
    h.sim.faults.inject({ route: "poll", kind: "status", status: 500 })
    expect((await poll()).status).toBe(500)
    expect(h.sim.faults.pending()).toEqual([])
  })

  it("truncates the body: the client sees a premature close", async () => {
    const created = await h.create()
    h.sim.faults.inject({ route: "create", kind: "truncate" })
    await expect(h.create()).rejects.toThrow()
    expect(h.sim.job(created.jobId)).toBeDefined()
  })

  it("sends malformed XML with the real status and content type", async () => {
    h.sim.faults.inject({ route: "create", kind: "malformed" })
    const r = await h.post(h.orgA, (await import("./support/bundle.js")).buildRequest(h.spec()))
    expect(r.status).toBe(200)
    expect(r.headers["content-type"]).toMatch(/^application\/xml/)
    expect(r.text).toMatch(/^<\?xml/)
    expect(r.text).not.toMatch(/<\/direct-signature-job-response>$/)
    expect(r.text).toContain("<<&broken")
  })

  it("answers 429 with a DoSFilter header", async () => {
    h.sim.faults.inject({ route: "status", kind: "dos" })
    const created = await h.create()
    const r = await call(h.a, "GET", `${created.statusUrl}?status_query_token=x`)
    expect(r.status).toBe(429)
    expect(r.headers.dosfilter).toBeDefined()
    expect((await call(h.a, "GET", `${created.statusUrl}?status_query_token=x`)).status).toBe(403)
  })

  it("matches every route with '*' and counts the faults", async () => {
    const before = h.sim.counters().faults
    h.sim.faults.inject({ route: "*", kind: "status", status: 502, times: 2 })
    expect((await whoami()).status).toBe(502)
    expect((await poll()).status).toBe(502)
    expect((await whoami()).status).toBe(200)
    expect(h.sim.counters().faults).toBe(before + 2)
  })

  it("refuses nonsense fault specifications", () => {
    expect(() => h.sim.faults.inject({ route: "poll", kind: "latency", ms: -1 })).toThrow(/ms/)
    expect(() => h.sim.faults.inject({ route: "poll", kind: "reset", times: 0 })).toThrow(/times/)
    expect(() => h.sim.faults.inject({ route: "poll", kind: "status", status: 200 })).toThrow(/status/)
    h.sim.faults.inject({ route: "pades", kind: "reset" })
    h.sim.faults.clear()
    expect(h.sim.faults.pending()).toEqual([])
  })
})

describe("a create whose client leaves during injected latency", () => {
  it("is still logged once the delay is over (its body read does not hang)", async () => {
    h.sim.faults.inject({ route: "create", kind: "latency", ms: 400 })
    const before = h.sim.requestLog().filter((e) => e.route === "create").length
    const controller = new AbortController()
    const sent = call(h.a, "POST", `${h.sim.url}/${h.orgA}/direct/signature-jobs`, {
      body: "--b\r\nContent-Type: application/xml\r\n\r\n<x/>\r\n--b--\r\n",
      headers: { "content-type": "multipart/mixed; boundary=b" },
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 100)
    await expect(sent).rejects.toThrow()
    const deadline = Date.now() + 5_000
    while (h.sim.requestLog().filter((e) => e.route === "create").length === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(h.sim.requestLog().filter((e) => e.route === "create").length).toBe(before + 1)
  })
})
