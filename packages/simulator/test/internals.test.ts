/**
 * Small pure pieces of the simulator, tested directly: masking, exit-URL joining, subject parsing, rate limiting,
 * fault selection, the clock format.
 */
import { describe, expect, it } from "@effect/vitest"
import { organizationNumberOf } from "../src/internal/certificate.js"
import { formatDateTime, makeTestClock } from "../src/internal/clock.js"
import { withStatusQueryToken } from "../src/internal/engine.js"
import { Faults } from "../src/internal/faults.js"
import { maskPath, RateLimiter } from "../src/internal/observe.js"

describe("maskPath", () => {
  it("masks tokens, signers and sessions, keeps everything else", () => {
    expect(maskPath("/api/1/direct/signature-jobs/5/status?status_query_token=abc&polling_queue=q")).toBe(
      "/api/1/direct/signature-jobs/5/status?status_query_token=***&polling_queue=q",
    )
    expect(maskPath("/web/signature-jobs/5/devmodesign?signer=01013300002")).toBe(
      "/web/signature-jobs/5/devmodesign?signer=***",
    )
    expect(maskPath("/redirect/0123abcd")).toBe("/redirect/***")
    expect(maskPath("/ceremony/s3ss10n/documents/0?download=1")).toBe("/ceremony/***/documents/0?download=1")
    expect(maskPath("/api/1/direct/signature-jobs?polling_queue")).toBe("/api/1/direct/signature-jobs?polling_queue")
  })
})

describe("withStatusQueryToken", () => {
  it("appends with ? or &, keeps a fragment last, and encodes the token", () => {
    expect(withStatusQueryToken("https://a.example/done", "t")).toBe("https://a.example/done?status_query_token=t")
    expect(withStatusQueryToken("https://a.example/done?x=1", "t")).toBe(
      "https://a.example/done?x=1&status_query_token=t",
    )
    expect(withStatusQueryToken("https://a.example/done?", "t")).toBe("https://a.example/done?status_query_token=t")
    expect(withStatusQueryToken("https://a.example/d?x=1#frag", "t")).toBe(
      "https://a.example/d?x=1&status_query_token=t#frag",
    )
    expect(withStatusQueryToken("https://a.example/d", "a+b")).toBe("https://a.example/d?status_query_token=a%2Bb")
  })
})

describe("organizationNumberOf", () => {
  it("reads SEID 2, then SEID 1, then a CN starting with the number", () => {
    expect(organizationNumberOf("C=NO\nO=Test AS\norganizationIdentifier=NTRNO-123456785\nCN=Test AS")).toBe(
      "123456785",
    )
    expect(organizationNumberOf("C=NO\nO=Test AS\nserialNumber=987654325\nCN=Test AS")).toBe("987654325")
    expect(organizationNumberOf("C=NO\nCN=974760673 Megler AS")).toBe("974760673")
    expect(organizationNumberOf("C=NO\nO=Nobody\nCN=Nobody")).toBeUndefined()
    expect(organizationNumberOf("organizationIdentifier=NTRSE-123456785")).toBeUndefined()
  })
})

describe("RateLimiter", () => {
  it("allows N per sliding second, then blocks for blockMs", () => {
    const limiter = new RateLimiter({ requestsPerSecond: 3, blockMs: 10_000 })
    expect([0, 100, 200].map((t) => limiter.allow("a", t))).toEqual([true, true, true])
    expect(limiter.allow("b", 250)).toBe(true)
    expect(limiter.allow("a", 300)).toBe(false)
    expect(limiter.allow("a", 9_000)).toBe(false)
    expect(limiter.allow("a", 10_300)).toBe(true)
  })

  it("lets the window slide without blocking when the rate stays under the limit", () => {
    const limiter = new RateLimiter({ requestsPerSecond: 2, blockMs: 30_000 })
    for (let t = 0; t < 10_000; t += 600) expect(limiter.allow("a", t)).toBe(true)
  })
})

describe("Faults", () => {
  it("serves faults first-in first-out, per route or '*', and counts them down", () => {
    const faults = new Faults()
    faults.inject({ route: "poll", kind: "reset", times: 2 })
    faults.inject({ route: "*", kind: "dos" })
    expect(faults.take("create")?.kind).toBe("dos")
    expect(faults.take("create")).toBeUndefined()
    expect(faults.take("poll")?.kind).toBe("reset")
    expect(faults.pending()).toMatchObject([{ route: "poll", remaining: 1 }])
    expect(faults.take("poll")?.kind).toBe("reset")
    expect(faults.take("poll")).toBeUndefined()
  })
})

describe("clock", () => {
  it("formats instants in Oslo time with the offset of the season, round-tripping exactly", () => {
    for (const iso of ["2026-01-15T12:00:00.123Z", "2026-07-15T12:00:00.000Z", "2026-10-25T00:59:59.999Z"]) {
      const text = formatDateTime(Date.parse(iso))
      expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00$/)
      expect(Date.parse(text)).toBe(Date.parse(iso))
    }
    expect(formatDateTime(Date.parse("2026-07-15T12:00:00Z"))).toBe("2026-07-15T14:00:00.000+02:00")
  })

  it("the test clock moves only when told, and refuses going backwards by advance", () => {
    const clock = makeTestClock(1_000)
    expect(clock.now()).toBe(1_000)
    clock.advance(500)
    expect(clock.now()).toBe(1_500)
    clock.set(new Date(10))
    expect(clock.now()).toBe(10)
    expect(() => clock.advance(-1)).toThrow(/advance/)
  })
})
