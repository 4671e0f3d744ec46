import { describe, expect, it } from "@effect/vitest"
import { parsePollTime } from "../../src/internal/pollTime.js"

describe("parsePollTime", () => {
  it("parses ISO-8601 date-times with an offset", () => {
    expect(parsePollTime("2026-11-28T09:10:11+01:00")?.toISOString()).toBe("2026-11-28T08:10:11.000Z")
    expect(parsePollTime("2026-11-28T08:10:11Z")?.toISOString()).toBe("2026-11-28T08:10:11.000Z")
    expect(parsePollTime("2026-11-28T08:10:11.123456789-02:30")?.toISOString()).toBe("2026-11-28T10:40:11.123Z")
    expect(parsePollTime("2026-11-28T09:10+0100")?.toISOString()).toBe("2026-11-28T08:10:00.000Z")
  })

  it("accepts Java's ISO_DATE_TIME zone-id suffix", () => {
    expect(parsePollTime("2026-11-28T09:10:11+01:00[Europe/Oslo]")?.toISOString()).toBe("2026-11-28T08:10:11.000Z")
  })

  it("rejects absent, local and malformed values", () => {
    expect(parsePollTime(undefined)).toBeUndefined()
    expect(parsePollTime("2026-11-28T09:10:11")).toBeUndefined()
    expect(parsePollTime("tomorrow")).toBeUndefined()
    expect(parsePollTime("2026-13-45T99:10:11Z")).toBeUndefined()
  })
})
