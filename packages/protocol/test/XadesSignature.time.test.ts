import { execFileSync } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { formatSigningTime, localTime } from "../src/internal/xadesTime.js"

const zones = [
  "UTC",
  "Europe/Oslo",
  "America/New_York",
  "America/St_Johns",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "America/Sao_Paulo",
]

// Instants from 2000 to 2035, biased towards the hours around DST switches in March/April and October/November.
const arbInstant = fc.oneof(
  fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2035, 0, 1) }),
  fc
    .record({
      year: fc.integer({ min: 2000, max: 2035 }),
      month: fc.constantFrom(2, 3, 9, 10),
      day: fc.integer({ min: 1, max: 28 }),
      minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
      millis: fc.constantFrom(0, 0, 1, 500, 999),
    })
    .map((r) => Date.UTC(r.year, r.month, r.day) + r.minute * 60_000 + r.millis),
)

describe("SigningTime", () => {
  it("matches java.time's wall time and offset for random instants and zones, DST switches included", () => {
    const samples = fc.sample(fc.tuple(arbInstant, fc.constantFrom(...zones)), { numRuns: 400, seed: 4242 })
    const java = execFileSync("java", [new URL("./support/java/SigningTimes.java", import.meta.url).pathname], {
      input: samples.map(([ms, zone]) => `${ms} ${zone}`).join("\n") + "\n",
      encoding: "utf8",
    })
    expect(samples.map(([ms, zone]) => formatSigningTime(new Date(ms), zone))).toEqual(java.trimEnd().split("\n"))
  })

  it("rejects an invalid date and an unknown zone with a RangeError", () => {
    expect(() => formatSigningTime(new Date(Number.NaN), "UTC")).toThrow(RangeError)
    expect(() => localTime(new Date(0), "Nowhere/Never")).toThrow(RangeError)
  })
})
