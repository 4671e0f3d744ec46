/**
 * The same polling worker on the portal flow (`Polling.runPortal`) against the simulator over mutual TLS: a portal
 * job's changes are handed over in order with the documents asked for, confirmed after the handler, and the queue is
 * empty afterwards.
 */
import { Effect, Fiber } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Polling from "../src/Polling.js"
import * as PortalClient from "../src/PortalClient.js"
import { createDirectClient, createPortalClient } from "../src/promise.js"
import { type Harness, minimalPdf, ORG_A, PIN, start } from "./support/harness.js"

let h: Harness
let client: PortalClient.Service

beforeAll(async () => {
  h = await start({ emptyQueuePollDelayMs: 200, signingTimeLeniencyMs: 30 * 24 * 60 * 60 * 1000 })
  client = await h.portal()
})
afterAll(() => h.close())

describe("Polling.runPortal", () => {
  it("hands a portal job's changes over in order, with PAdES and XAdES, and confirms each after the handler", async () => {
    const job = await h.run(
      client.create({
        title: "Rental contract",
        nonsensitiveTitle: "Contract",
        reference: "portal-polling",
        documents: [{ title: "Contract", bytes: minimalPdf("Portal polling") }],
        signers: [
          { personalIdentificationNumber: PIN, notifications: { email: "kari@example.com" }, order: 0 },
          { contactInformation: { email: "ola@example.com" }, order: 1 },
        ],
      }),
    )
    await h.sim.sign(job.signatureJobId, PIN)
    await h.sim.sign(job.signatureJobId, "ola@example.com")
    const seen: Array<{ status: string; pades: number; xades: number; at: number }> = []
    const worker = Effect.runFork(
      Polling.runPortal({
        download: { pades: true, xades: true },
        handler: (change) =>
          Effect.sync(() => {
            if (change.jobId === job.signatureJobId)
              seen.push({
                status: change.status.status,
                pades: change.pades?.length ?? 0,
                xades: change.xades.length,
                at: Date.now(),
              })
          }),
      }).pipe(Effect.provideService(PortalClient.PortalClient, client)),
    )
    const started = Date.now()
    while (!seen.some((s) => s.status === "COMPLETED_SUCCESSFULLY") && Date.now() - started < 20_000)
      await new Promise((resolve) => setTimeout(resolve, 50))
    await new Promise((resolve) => setTimeout(resolve, 500))
    await Effect.runPromise(Fiber.interrupt(worker))

    expect(seen.map((s) => s.status)).toEqual(["IN_PROGRESS", "COMPLETED_SUCCESSFULLY"])
    const done = seen[1]!
    expect(done.pades).toBeGreaterThan(0)
    expect(done.xades).toBe(2)
    // Both changes confirmed (after their handler), and the service saw no poll before its permitted time.
    const confirms = h.sim
      .requestLog()
      .filter((r) => r.route === "portal-confirm" && r.status === 200 && r.path.includes(String(job.signatureJobId)))
    expect(confirms).toHaveLength(2)
    expect(confirms.every((c) => c.at.getTime() >= seen[0]!.at - 5)).toBe(true)
    expect(h.sim.counters().pollsBeforePermittedTime).toBe(0)
  }, 30_000)
})

describe("startPortalPollingWorker", () => {
  it("runs the same worker on a Promise portal client: changes in order, the final one with its PAdES, each confirmed", async () => {
    const portal = createPortalClient({
      environment: h.environment,
      keystore: h.keystore,
      sender: { organizationNumber: ORG_A, pollingQueue: "promise-portal" },
      transport: h.transport.layer,
      rateLimiter: false,
      logLevel: "None",
    })
    try {
      const job = await portal.create({
        title: "Lease",
        documents: [{ title: "Lease", bytes: minimalPdf("Promise portal worker") }],
        signers: [{ personalIdentificationNumber: PIN, notifications: { email: "kari@example.com" } }],
      })
      await h.sim.sign(job.signatureJobId, PIN)
      const seen: Array<{ status: string; pades: number }> = []
      const worker = Polling.startPortalPollingWorker(portal, {
        download: { pades: true },
        handler: async (change) => {
          if (change.jobId === job.signatureJobId)
            seen.push({ status: change.status.status, pades: change.pades?.length ?? 0 })
        },
      })
      const started = Date.now()
      while (seen.length === 0 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50))
      await worker.stop()
      await worker.done
      expect(seen).toEqual([{ status: "COMPLETED_SUCCESSFULLY", pades: expect.any(Number) }])
      expect(seen[0]!.pades).toBeGreaterThan(0)
      const confirms = h.sim
        .requestLog()
        .filter((r) => r.route === "portal-confirm" && r.status === 200 && r.path.includes(String(job.signatureJobId)))
      expect(confirms).toHaveLength(1)
    } finally {
      await portal.close()
    }
  }, 30_000)

  it("refuses a client of another flow with a ValidationError naming the maker", async () => {
    const direct = createDirectClient({ environment: h.environment, transport: h.transport.layer, logLevel: "None" })
    try {
      expect(() => Polling.startPortalPollingWorker(direct as never, { handler: () => undefined })).toThrow(
        /createPortalClient/,
      )
    } finally {
      await direct.close()
    }
  })
})
