import { describe, expect, it } from "@effect/vitest"
import { maskPins, maskServerText, maskUrl } from "../../src/internal/redact.js"

describe("maskUrl", () => {
  it("masks the status query token and keeps the rest", () => {
    expect(
      maskUrl(
        "https://api.example/api/123456789/direct/signature-jobs/7/status?status_query_token=abc123&polling_queue=q1",
      ),
    ).toBe("https://api.example/api/123456789/direct/signature-jobs/7/status?status_query_token=***&polling_queue=q1")
  })

  it("masks tokens in the fragment, where redirect URLs carry them", () => {
    const token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    const masked = maskUrl(`https://signering.posten.no#/redirect/${token}`)
    expect(masked).not.toContain(token)
    expect(masked).toBe("https://signering.posten.no/#***")
    expect(maskUrl(`https://difitest.signering.posten.no/signere/#/-/${token}`)).not.toContain(token)
  })

  it("masks long random path segments and user info", () => {
    const token = "Zx8_k2-9QmL0pR7sT4uV1wY3aB5cD6eF7gH8iJ9kL0m"
    expect(maskUrl(`https://portal.example/redirect/${token}?x=1`)).toBe("https://portal.example/redirect/***?x=1")
    expect(maskUrl("https://user:pw@host.example/a")).toBe("https://***@host.example/a")
  })

  it("keeps ordinary URLs unchanged", () => {
    const url = "https://api.signering.posten.no/api/123456789/direct/signature-jobs/12087/xades/13715"
    expect(maskUrl(url)).toBe(url)
  })

  it("masks from the first ? or # in unparsable input", () => {
    expect(maskUrl("not a url?status_query_token=secret")).toBe("not a url?***")
    expect(maskUrl("relative/path")).toBe("relative/path")
  })

  it("masks encoded and case-variant token names", () => {
    expect(maskUrl("https://h.example/s?Status_Query_Token=abc")).toBe("https://h.example/s?Status_Query_Token=***")
    expect(maskUrl("https://h.example/s?status%5Fquery%5Ftoken=abc")).toBe(
      "https://h.example/s?status%5Fquery%5Ftoken=***",
    )
  })
})

describe("maskServerText", () => {
  it("masks anything shaped like a personal identification number", () => {
    expect(maskServerText("cvc-pattern-valid: Value '01017012345' is not facet-valid")).toBe(
      "cvc-pattern-valid: Value '***********' is not facet-valid",
    )
  })

  it("leaves other numbers (org numbers, ids) alone and bounds the length", () => {
    expect(maskServerText("org 123456789, job 123456789012")).toBe("org 123456789, job 123456789012")
    expect(maskServerText("x".repeat(600)).length).toBe(501)
  })
})

describe("maskPins", () => {
  it("masks a personal identification number in every common spelling, and leaves other numbers", () => {
    for (const spelling of [
      "01017012345",
      "010170 12345",
      "010170-12345",
      "01.01.70 12345",
      "01.01.1970 12345",
      "01 01 70 12345",
      "01/01/70-12345",
    ]) {
      expect(maskPins(`signer ${spelling}.`)).toBe("signer ***********.")
    }
    expect(maskPins("org 123456785, job 123456789012, at 2026-01-01 10:00")).toBe(
      "org 123456785, job 123456789012, at 2026-01-01 10:00",
    )
  })
})
