import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as Environment from "../../src/Environment.js"
import { bundleOptions } from "../../src/internal/operations.js"
import type { Settings } from "../../src/internal/pipeline.js"

const settings = (offsetMs: number | undefined) => ({ clock: { offsetMs, warned: false } }) as unknown as Settings
const environment = Environment.custom({ apiRoot: "https://127.0.0.1:1/api" })

describe("bundleOptions", () => {
  it("signs with the service's clock only when useServerClock is on and an offset was measured", async () => {
    const before = Date.now()
    const corrected = await Effect.runPromise(bundleOptions({ environment, useServerClock: true }, settings(10_000)))
    expect(corrected?.signingTime?.getTime()).toBeGreaterThanOrEqual(before + 10_000)
    expect(corrected?.signingTime?.getTime()).toBeLessThan(Date.now() + 10_000 + 1_000)
    expect(await Effect.runPromise(bundleOptions({ environment }, settings(10_000)))).toBeUndefined()
    expect(
      await Effect.runPromise(bundleOptions({ environment, useServerClock: true }, settings(undefined))),
    ).toBeUndefined()
    const fixed = new Date("2026-01-01T00:00:00Z")
    const given = await Effect.runPromise(
      bundleOptions({ environment, useServerClock: true, bundle: { signingTime: fixed } }, settings(10_000)),
    )
    expect(given?.signingTime).toBe(fixed)
  })
})
