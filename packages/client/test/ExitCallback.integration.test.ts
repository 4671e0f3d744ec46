/**
 * The exit callback helper against the simulator over mutual TLS: completion, rejection and error URLs, a signer who
 * finished before the others, a handler that fails (nothing confirmed), a replayed URL after confirmation, wrong
 * tokens, a ceremony not finished yet, a URL without a token, the Promise form, and the token kept out of logs.
 */
import type { Simulator } from "@signering/simulator"
import { Effect, Logger, References } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { InvalidStatusQueryToken, SigningCeremonyNotCompleted } from "../src/ClientError.js"
import * as DirectClient from "../src/DirectClient.js"
import * as ExitCallback from "../src/ExitCallback.js"
import { createDirectClient } from "../src/promise.js"
import { type Harness, jobInput, ORG_A, PIN, start } from "./support/harness.js"

let h: Harness
let client: DirectClient.Service
/** Every API request with its real start time (the simulator reports when it finished and how long it took). */
const requests: Array<Simulator.RequestLogEntry & { readonly startedAt: number }> = []

beforeAll(async () => {
  h = await start({
    emptyQueuePollDelayMs: 1_000,
    signingTimeLeniencyMs: 30 * 24 * 60 * 60 * 1000,
    statusQueryTokensAfterConfirmation: "refused",
    onRequest: (entry) => {
      if (entry.listener === "api") requests.push({ ...entry, startedAt: performance.now() - entry.durationMs })
    },
  })
  client = await h.client()
})
afterAll(() => h.close())

const single = (id: string) => jobInput({ signers: [{ customIdentifier: id }], reference: `cb-${id}` })
const confirmsOf = (jobId: bigint) =>
  requests.filter((r) => r.route === "confirm" && r.path.includes(`/signature-jobs/${jobId}/complete`))

const provideClient = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provideService(self, DirectClient.DirectClient, client)

describe("ExitCallback.handle", () => {
  it("completion URL: status, PAdES and XAdES to the handler, then one confirmation after the handler finished", async () => {
    const job = await h.run(client.create(single("c-signed")))
    const exitUrl = await h.sim.sign(job.signatureJobId, "c-signed")
    let finishedAt = Number.POSITIVE_INFINITY
    const seen: Array<ExitCallback.Result> = []
    const handled = await h.run(
      ExitCallback.handle({
        url: exitUrl,
        statusUrl: job.statusUrl!,
        download: { pades: true, xades: true },
        handler: (result) =>
          Effect.gen(function* () {
            seen.push(result)
            // No confirmation may start while the handler works.
            expect(confirmsOf(job.signatureJobId)).toHaveLength(0)
            yield* Effect.sleep("30 millis")
            finishedAt = performance.now()
          }),
      }).pipe(provideClient),
    )
    expect(seen).toHaveLength(1)
    expect(handled.jobId).toBe(job.signatureJobId)
    expect(handled.final).toBe(true)
    expect(handled.confirmed).toBe(true)
    expect(handled.status.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(new TextDecoder().decode(handled.pades!.subarray(0, 5))).toBe("%PDF-")
    expect(handled.xades).toHaveLength(1)
    expect(handled.xades[0]!.signer).toBe("c-signed")
    expect(new TextDecoder().decode(handled.xades[0]!.bytes)).toContain("Signature")
    const confirms = confirmsOf(job.signatureJobId)
    expect(confirms).toHaveLength(1)
    expect(confirms[0]!.status).toBe(200)
    expect(confirms[0]!.startedAt).toBeGreaterThan(finishedAt)
  })

  it("rejection URL and error URL: FAILED with the signer's status, confirmed, no PAdES", async () => {
    for (const [id, act, expected] of [
      ["c-rejected", h.sim.reject, "REJECTED"],
      ["c-failed", h.sim.fail, "FAILED"],
    ] as const) {
      const job = await h.run(client.create(single(id)))
      const exitUrl = await act(job.signatureJobId, id)
      expect(exitUrl).toContain(expected === "REJECTED" ? "/rejected?" : "/error?")
      const handled = await h.run(
        ExitCallback.handle({
          url: exitUrl,
          statusUrl: job.statusUrl!,
          download: { pades: true, xades: true },
          handler: () => Effect.void,
        }).pipe(provideClient),
      )
      expect(handled.status.status).toBe("FAILED")
      expect(handled.status.signers[0]!.status).toBe(expected)
      expect(handled.pades).toBeUndefined()
      expect(handled.xades).toEqual([])
      expect(handled.confirmed).toBe(true)
      expect(confirmsOf(job.signatureJobId)).toHaveLength(1)
    }
  })

  it("a signer who finished before the others: handled with final=false, nothing to confirm", async () => {
    const job = await h.run(client.create(jobInput({ reference: "cb-two" })))
    const exitUrl = await h.sim.sign(job.signatureJobId, PIN)
    const handled = await h.run(
      ExitCallback.handle({ url: exitUrl, statusUrl: job.statusUrl!, handler: () => Effect.void }).pipe(provideClient),
    )
    expect(handled.final).toBe(false)
    expect(handled.confirmed).toBe(false)
    expect(handled.status.status).toBe("IN_PROGRESS")
    expect(confirmsOf(job.signatureJobId)).toHaveLength(0)
  })

  it("a failing handler: its error comes back, nothing is confirmed, and the same URL works again afterwards", async () => {
    const job = await h.run(client.create(single("c-retry")))
    const exitUrl = await h.sim.sign(job.signatureJobId, "c-retry")
    const failure = await h.run(
      Effect.flip(
        ExitCallback.handle({
          url: exitUrl,
          statusUrl: job.statusUrl!,
          handler: () => Effect.fail("database down" as const),
        }).pipe(provideClient),
      ),
    )
    expect(failure).toBe("database down")
    expect(confirmsOf(job.signatureJobId)).toHaveLength(0)
    // A thrown exception (a defect) is no different: nothing confirmed.
    const thrown = await h.run(
      Effect.exit(
        ExitCallback.handle({
          url: exitUrl,
          statusUrl: job.statusUrl!,
          handler: () =>
            Effect.sync(() => {
              throw new Error("bug")
            }),
        }).pipe(provideClient),
      ),
    )
    expect(thrown._tag).toBe("Failure")
    expect(confirmsOf(job.signatureJobId)).toHaveLength(0)
    const handled = await h.run(
      ExitCallback.handle({ url: exitUrl, statusUrl: job.statusUrl!, handler: () => Effect.void }).pipe(provideClient),
    )
    expect(handled.confirmed).toBe(true)
    expect(confirmsOf(job.signatureJobId)).toHaveLength(1)
  })

  it("a replayed URL after confirmation: InvalidStatusQueryToken, handler not called, nothing confirmed again", async () => {
    const job = await h.run(client.create(single("c-replay")))
    const exitUrl = await h.sim.sign(job.signatureJobId, "c-replay")
    await h.run(
      ExitCallback.handle({ url: exitUrl, statusUrl: job.statusUrl!, handler: () => Effect.void }).pipe(provideClient),
    )
    let called = false
    const error = await h.run(
      Effect.flip(
        ExitCallback.handle({
          url: exitUrl,
          statusUrl: job.statusUrl!,
          handler: () =>
            Effect.sync(() => {
              called = true
            }),
        }).pipe(provideClient),
      ),
    )
    expect(error).toBeInstanceOf(InvalidStatusQueryToken)
    expect((error as InvalidStatusQueryToken).status).toBe(403)
    expect(called).toBe(false)
    expect(confirmsOf(job.signatureJobId)).toHaveLength(1)
  })

  it("a wrong token, or the token of another job: InvalidStatusQueryToken", async () => {
    const job = await h.run(client.create(single("c-wrong")))
    const other = await h.run(client.create(single("c-other")))
    await h.sim.sign(job.signatureJobId, "c-wrong")
    const otherExit = await h.sim.sign(other.signatureJobId, "c-other")
    const otherToken = new URL(otherExit).searchParams.get("status_query_token")!
    for (const url of [
      `https://sender.example/done?status_query_token=${"0".repeat(64)}`,
      `https://sender.example/done?status_query_token=${otherToken}`,
    ]) {
      const error = await h.run(
        Effect.flip(
          ExitCallback.handle({ url, statusUrl: job.statusUrl!, handler: () => Effect.void }).pipe(provideClient),
        ),
      )
      expect(error).toBeInstanceOf(InvalidStatusQueryToken)
      // The token is masked in the error.
      expect(JSON.stringify(error)).not.toContain(otherToken)
      expect((error as InvalidStatusQueryToken).message).not.toContain(otherToken)
    }
    expect(confirmsOf(job.signatureJobId)).toHaveLength(0)
  })

  it("the ceremony is not finished: SigningCeremonyNotCompleted, handler not called", async () => {
    const job = await h.run(client.create(single("c-waiting")))
    // A sender only learns the token from the exit URL; the simulator reveals it to test the early call.
    const token = h.sim.statusQueryToken(job.signatureJobId, "c-waiting")
    let called = false
    const error = await h.run(
      Effect.flip(
        ExitCallback.handle({
          url: `/signing/done?order=7&status_query_token=${token}`,
          statusUrl: job.statusUrl!,
          handler: () =>
            Effect.sync(() => {
              called = true
            }),
        }).pipe(provideClient),
      ),
    )
    expect(error).toBeInstanceOf(SigningCeremonyNotCompleted)
    expect(called).toBe(false)
  })

  it("a URL without a token, or not a URL: ExitCallbackError before any request", async () => {
    const before = requests.length
    for (const [url, reason] of [
      ["https://sender.example/done?order=7", "MissingToken"],
      ["https://sender.example/done?status_query_token=", "MissingToken"],
      ["http://[broken/done", "InvalidUrl"],
    ] as const) {
      const error = await h.run(
        Effect.flip(
          ExitCallback.handle({ url, statusUrl: "https://127.0.0.1:1/api/x/status", handler: () => Effect.void }).pipe(
            provideClient,
          ),
        ),
      )
      expect(error).toBeInstanceOf(ExitCallback.ExitCallbackError)
      expect((error as ExitCallback.ExitCallbackError).reason).toBe(reason)
      expect((error as ExitCallback.ExitCallbackError).message).toContain(
        reason === "MissingToken" ? "status_query_token" : "not a valid URL",
      )
    }
    expect(requests.length).toBe(before)
  })

  it("keeps the token out of every log line", async () => {
    const job = await h.run(client.create(single("c-logs")))
    const exitUrl = await h.sim.sign(job.signatureJobId, "c-logs")
    const token = new URL(exitUrl).searchParams.get("status_query_token")!
    const lines: Array<string> = []
    const logger = Logger.make((options) => {
      lines.push(
        JSON.stringify({
          message: options.message,
          annotations: options.fiber.getRef(References.CurrentLogAnnotations),
        }),
      )
    })
    await Effect.runPromise(
      ExitCallback.handle({ url: exitUrl, statusUrl: job.statusUrl!, handler: () => Effect.void }).pipe(
        provideClient,
        Effect.provide(Logger.layer([logger])),
        Effect.provideService(References.MinimumLogLevel, "Trace"),
      ),
    )
    expect(lines.some((l) => l.includes(String(job.signatureJobId)))).toBe(true)
    for (const line of lines) expect(line).not.toContain(token)
  })
})

describe("handleExitCallback (Promise form)", () => {
  it("handles, confirms, and rejects with the handler's own error or the tagged client error", async () => {
    const promiseClient = createDirectClient({
      environment: h.environment,
      keystore: h.keystore,
      sender: { organizationNumber: ORG_A },
      validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
      transport: h.transport.layer,
    })
    try {
      const job = await promiseClient.create(single("p-1"))
      const exitUrl = await h.sim.sign(job.signatureJobId, "p-1")
      const boom = new Error("boom")
      await expect(
        ExitCallback.handleExitCallback(promiseClient, {
          url: exitUrl,
          statusUrl: job.statusUrl!,
          handler: async () => {
            throw boom
          },
        }),
      ).rejects.toBe(boom)
      expect(confirmsOf(job.signatureJobId)).toHaveLength(0)
      const seen: Array<string> = []
      const handled = await ExitCallback.handleExitCallback(promiseClient, {
        url: new URL(exitUrl),
        statusUrl: job.statusUrl!,
        download: { pades: true },
        handler: async (result) => {
          seen.push(result.status.status)
        },
      })
      expect(seen).toEqual(["COMPLETED_SUCCESSFULLY"])
      expect(handled.confirmed).toBe(true)
      expect(handled.pades?.length).toBeGreaterThan(100)
      await expect(
        ExitCallback.handleExitCallback(promiseClient, { url: exitUrl, statusUrl: job.statusUrl!, handler: () => {} }),
      ).rejects.toBeInstanceOf(InvalidStatusQueryToken)
      await expect(
        ExitCallback.handleExitCallback({} as never, { url: exitUrl, statusUrl: job.statusUrl!, handler: () => {} }),
      ).rejects.toMatchObject({ _tag: "ValidationError" })
    } finally {
      await promiseClient.close()
    }
  })
})
