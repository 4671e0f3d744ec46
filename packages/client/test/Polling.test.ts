/**
 * The worker's pure parts: backoff, jitter, the shared permitted time, error messages, and reading the token from an
 * exit URL. The worker itself runs against the simulator in Polling.worker.integration.test.ts.
 */
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as ExitCallback from "../src/ExitCallback.js"
import { backoffMillis, gateFor, gateKey, jitterMillis, postpone } from "../src/internal/pollingGate.js"
import * as Polling from "../src/Polling.js"

describe("backoff", () => {
  it("doubles from the base up to the cap, with jitter between half the step and the step", () => {
    expect(backoffMillis(1, 1000, 300_000, 1)).toBe(1000)
    expect(backoffMillis(1, 1000, 300_000, 0)).toBe(500)
    expect(backoffMillis(2, 1000, 300_000, 1)).toBe(2000)
    expect(backoffMillis(5, 1000, 300_000, 1)).toBe(16_000)
    expect(backoffMillis(20, 1000, 300_000, 1)).toBe(300_000)
    expect(backoffMillis(10_000, 1000, 300_000, 0.5)).toBe(225_000)
    for (let n = 1; n < 40; n++) {
      const ms = backoffMillis(n, 1000, 300_000, Math.random())
      expect(ms).toBeGreaterThanOrEqual(500)
      expect(ms).toBeLessThanOrEqual(300_000)
    }
  })
})

describe("jitter", () => {
  it("is nothing after a change, at most a tenth of the wait, and capped", () => {
    expect(jitterMillis(0, 5000, 1)).toBe(0)
    expect(jitterMillis(-5, 5000, 1)).toBe(0)
    expect(jitterMillis(10_000, 5000, 1)).toBe(1000)
    expect(jitterMillis(600_000, 5000, 1)).toBe(5000)
    expect(jitterMillis(600_000, 5000, 0)).toBe(0)
  })
})

describe("gate", () => {
  it("is one per API root, organization and queue, and the permitted time only moves later through postpone", () => {
    const a = gateFor(gateKey("https://api.example/api/", "123456785", "q"))
    expect(gateFor(gateKey("https://api.example/api", "123456785", "q"))).toBe(a)
    expect(gateFor(gateKey("https://api.example/api", "123456785", undefined))).not.toBe(a)
    expect(gateFor(gateKey("https://api.example/api", "123456785", ""))).toBe(
      gateFor(gateKey("https://api.example/api", "123456785", undefined)),
    )
    postpone(a, 1000)
    postpone(a, 500)
    expect(a.nextPermittedAt).toBe(1000)
  })
})

describe("PollingError", () => {
  it("says what happens to the change, and never quotes what a handler failed with", () => {
    const handler = new Polling.PollingError({
      reason: "Handler",
      jobId: 42n,
      jobStatus: "COMPLETED_SUCCESSFULLY",
      cause: new Error("customer 01017012345 not found"),
    })
    expect(handler.message).toContain("job 42 (COMPLETED_SUCCESSFULLY)")
    expect(handler.message).toContain("not confirmed")
    expect(handler.message).not.toContain("01017012345")
    const poll = new Polling.PollingError({ reason: "Poll", cause: new Error("503 from the service") })
    expect(poll.message).toBe("Polling failed; backing off: 503 from the service")
    expect(
      new Polling.PollingError({ reason: "Confirm", jobId: 1n, jobStatus: "FAILED", cause: {} }).message,
    ).toContain("after the handler succeeded")
  })
})

describe("ExitCallback.statusQueryToken", () => {
  it("reads the token from an absolute URL or a path, as a Redacted", () => {
    const token = ExitCallback.statusQueryToken("https://sender.example/done?order=1&status_query_token=abc%2Bdef")
    expect(Redacted.isRedacted(token)).toBe(true)
    expect(Redacted.value(token as Redacted.Redacted<string>)).toBe("abc+def")
    expect(String(token)).not.toContain("abc")
    const fromPath = ExitCallback.statusQueryToken("/done?status_query_token=xyz")
    expect(Redacted.value(fromPath as Redacted.Redacted<string>)).toBe("xyz")
    const fromUrl = ExitCallback.statusQueryToken(new URL("https://sender.example/done?status_query_token=u"))
    expect(Redacted.value(fromUrl as Redacted.Redacted<string>)).toBe("u")
  })

  it("gives MissingToken or InvalidUrl", () => {
    expect((ExitCallback.statusQueryToken("/done?x=1") as ExitCallback.ExitCallbackError).reason).toBe("MissingToken")
    expect(
      (ExitCallback.statusQueryToken("/done?status_query_token=%20") as ExitCallback.ExitCallbackError).reason,
    ).toBe("MissingToken")
    expect((ExitCallback.statusQueryToken("http://[::1/done") as ExitCallback.ExitCallbackError).reason).toBe(
      "InvalidUrl",
    )
  })
})
