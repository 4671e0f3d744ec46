/**
 * The Promise form of the polling worker (`startPollingWorker`) against the simulator over mutual TLS, on the live
 * clock. Set-up: `support/pollingWorld.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Polling from "../src/Polling.js"
import { createDirectClient } from "../src/promise.js"
import { type Harness, ORG_A } from "./support/harness.js"
import { confirmsOf, liveClock, pollingJob, requests, setupWorld } from "./support/pollingWorld.js"

let h: Harness
setupWorld((harness) => {
  h = harness
})

describe("startPollingWorker (Promise form)", () => {
  it("handles, confirms after the handler, and stop() waits for the handler in progress", async () => {
    // Real time here: the Promise client runs on the live clock.
    liveClock()
    const promiseClient = createDirectClient({
      environment: h.environment,
      keystore: h.keystore,
      sender: { organizationNumber: ORG_A, pollingQueue: "promise" },
      validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
      retry: { times: 2, base: "10 millis" },
      transport: h.transport.layer,
    })
    try {
      const created = await promiseClient.create(pollingJob("promise", ["p-1"], "promise-1"))
      const jobId = String(created.signatureJobId)
      await h.sim.sign(jobId, "p-1")
      const start = requests.length
      let started!: () => void
      const handlerStarted = new Promise<void>((resolve) => {
        started = resolve
      })
      let release!: () => void
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      let finishedAt = Number.POSITIVE_INFINITY
      const seen: Array<Polling.Change> = []
      const worker = Polling.startPollingWorker(promiseClient, {
        download: { pades: true },
        handler: async (change) => {
          seen.push(change)
          started()
          await released
          finishedAt = performance.now()
        },
      })
      await handlerStarted
      let stopped = false
      const stopping = worker.stop().then(() => {
        stopped = true
      })
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(stopped).toBe(false)
      expect(confirmsOf(jobId, start)).toHaveLength(0)
      release()
      await stopping
      await worker.done
      expect(seen).toHaveLength(1)
      expect(seen[0]!.final).toBe(true)
      expect(new TextDecoder().decode(seen[0]!.pades!.subarray(0, 5))).toBe("%PDF-")
      const confirms = confirmsOf(jobId, start)
      expect(confirms).toHaveLength(1)
      expect(confirms[0]!.startedAt).toBeGreaterThan(finishedAt)
      // Invalid options: `done` rejects with the ValidationError, nothing is polled.
      const polls = requests.filter((r) => r.route === "poll").length
      const invalid = Polling.startPollingWorker(promiseClient, { sender: "1", handler: () => {} })
      await expect(invalid.done).rejects.toMatchObject({ _tag: "ValidationError" })
      await invalid.stop()
      expect(requests.filter((r) => r.route === "poll").length).toBe(polls)
      expect(() => Polling.startPollingWorker({} as never, { handler: () => {} })).toThrow(/createDirectClient/)
    } finally {
      await promiseClient.close()
    }
  }, 20_000)
})
