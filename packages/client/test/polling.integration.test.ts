/**
 * Polling, rate limiting, authorization, retries and timeouts against the simulator, on an empty queue
 * (no job needed). Job-based flows are in DirectClient.integration.test.ts.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  BrokerNotAuthorized,
  RateLimited,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "../src/ClientError.js"
import type * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import { agentFor, closedPort, type Harness, ORG_A, ORG_B, start, transport } from "./support/harness.js"

let h: Harness
let client: DirectClient.Service

beforeAll(async () => {
  h = await start({ emptyQueuePollDelayMs: 20_000 })
  client = await h.client()
})
afterAll(() => h.close())

const polls = () => h.sim.requestLog().filter((e) => e.route === "poll")

describe("getStatusChange", () => {
  it("answers NoChanges with the next permitted poll time, then TooEagerPolling with the server's new time", async () => {
    h.sim.resetObservations()
    const before = Date.now()
    const first = await h.run(client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "empty-1" }))
    expect(first._tag).toBe("NoChanges")
    // The simulator permits the next poll 20 s after an empty answer.
    expect(first.nextPermittedPollTime.getTime()).toBeGreaterThanOrEqual(before + 19_000)
    expect(first.nextPermittedPollTime.getTime()).toBeLessThanOrEqual(Date.now() + 21_000)

    const error = await h.run(
      Effect.flip(client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "empty-1" })),
    )
    expect(error).toBeInstanceOf(TooEagerPolling)
    const eager = error as TooEagerPolling
    expect(eager.status).toBe(429)
    expect(eager.operation).toBe("getStatusChange")
    expect(eager.nextPermittedPollTime.getTime()).toBeGreaterThan(Date.now())
    // 429 is never retried by the client: exactly two polls reached the server.
    expect(polls()).toHaveLength(2)
    expect(polls()[0]!.path).toContain("polling_queue=empty-1")
  })

  it("polls the default queue without a polling_queue parameter, and queues are independent", async () => {
    h.sim.resetObservations()
    const change = await h.run(client.getStatusChange())
    expect(change._tag).toBe("NoChanges")
    expect(polls()[0]!.path).not.toContain("polling_queue")
    // Another queue of the same organization has its own permitted time.
    const other = await h.run(client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "empty-2" }))
    expect(other._tag).toBe("NoChanges")
  })

  it("takes the sender as an organization number string", async () => {
    const c = await h.client({ sender: undefined })
    h.sim.resetObservations()
    const outcome = await h.run(Effect.result(c.getStatusChange(ORG_A)))
    // The default queue was polled just before, so this may be too early; either way it went to ORG_A's queue.
    expect(outcome._tag === "Success" || outcome.failure._tag === "TooEagerPolling").toBe(true)
    expect(polls()[0]!.path).toBe(`/api/${ORG_A}/direct/signature-jobs`)
    const missing = await h.run(Effect.flip(c.getStatusChange()))
    expect(missing._tag).toBe("ValidationError")
  })

  it("maps the DoSFilter 429 to RateLimited with the 30 s block", async () => {
    h.sim.faults.inject({ route: "poll", kind: "dos" })
    // Without retries: with them, a safe request waits the block out and tries again (tested in hostile.integration).
    const once = await h.client({ retry: false })
    const error = await h.run(Effect.flip(once.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "dos" })))
    expect(error).toBeInstanceOf(RateLimited)
    const limited = error as RateLimited
    expect(limited.retryAfter).toEqual(expect.objectContaining({}))
    expect(limited.blockedUntil.getTime() - Date.now()).toBeGreaterThan(28_000)
    expect(limited.message).toContain("Rate limited")
  })

  it("maps BROKER_NOT_AUTHORIZED when the certificate's organization acts for another without being its broker", async () => {
    const error = await h.run(Effect.flip(client.getStatusChange({ organizationNumber: ORG_B })))
    expect(error).toBeInstanceOf(BrokerNotAuthorized)
    const e = error as BrokerNotAuthorized
    expect(e.reason).toBe("BrokerNotAuthorized")
    expect(e.errorCode).toBe("BROKER_NOT_AUTHORIZED")
    expect(e.errorType).toBe("CLIENT")
    expect(e.status).toBe(403)
    expect(e.url).toBe(`${h.sim.url}/${ORG_B}/direct/signature-jobs`)
  })

  it("maps NOT_AUTHORIZED for a certificate whose organization has no API access", async () => {
    const outsider = h.sim.pki.issueClientCertificate({ organizationNumber: "974760673" })
    const t = transport(agentFor(outsider, h.sim.pki.caCertificatePem))
    try {
      const c = await Effect.runPromise(
        (await import("../src/DirectClient.js"))
          .make({ environment: h.environment, sender: { organizationNumber: "974760673" } })
          .pipe(Effect.provide(t.layer)),
      )
      const error = await h.run(Effect.flip(c.getStatusChange()))
      expect(error).toBeInstanceOf(BrokerNotAuthorized)
      expect((error as BrokerNotAuthorized).reason).toBe("NotAuthorized")
      expect(error.message).toContain("no access")
    } finally {
      await t.close()
    }
  })
})

describe("retries", () => {
  it("retries a poll on 503 and on a reset connection, then succeeds", async () => {
    h.sim.resetObservations()
    h.sim.faults.inject({ route: "poll", kind: "status", status: 503 })
    h.sim.faults.inject({ route: "poll", kind: "reset" })
    const change = await h.run(client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "retry-1" }))
    expect(change._tag).toBe("NoChanges")
    expect(
      polls().length + h.sim.requestLog().filter((e) => e.flags.includes("fault:reset")).length,
    ).toBeGreaterThanOrEqual(3)
    expect(h.sim.faults.pending()).toHaveLength(0)
  })

  it("gives up after the configured retries and reports the last 503", async () => {
    h.sim.resetObservations()
    h.sim.faults.inject({ route: "poll", kind: "status", status: 503, times: 5 })
    const calls = h.transport.calls()
    const error = await h.run(
      Effect.flip(client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "retry-2" })),
    )
    expect(error).toBeInstanceOf(UnexpectedResponse)
    expect((error as UnexpectedResponse).status).toBe(503)
    // One attempt plus two retries (the harness configures retry.times = 2).
    expect(h.transport.calls() - calls).toBe(3)
    h.sim.faults.clear()
  })

  it("does not retry a 500", async () => {
    h.sim.faults.inject({ route: "poll", kind: "status", status: 500, times: 3 })
    const calls = h.transport.calls()
    const error = await h.run(
      Effect.flip(client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "retry-3" })),
    )
    expect((error as UnexpectedResponse).status).toBe(500)
    expect(h.transport.calls() - calls).toBe(1)
    h.sim.faults.clear()
  })

  it("with retries off, a 503 fails at once", async () => {
    const c = await h.client({ retry: false })
    h.sim.faults.inject({ route: "poll", kind: "status", status: 503 })
    const calls = h.transport.calls()
    const error = await h.run(Effect.flip(c.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "retry-4" })))
    expect((error as UnexpectedResponse).status).toBe(503)
    expect(h.transport.calls() - calls).toBe(1)
  })
})

describe("timeouts", () => {
  it("fails a slow poll with a Timeout transport error after the API timeout, without retrying", async () => {
    const c = await h.client({ timeouts: { api: "250 millis" } })
    h.sim.faults.inject({ route: "poll", kind: "latency", ms: 5_000 })
    const calls = h.transport.calls()
    const started = Date.now()
    const error = await h.run(Effect.flip(c.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "slow" })))
    const elapsed = Date.now() - started
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).reason).toBe("Timeout")
    expect(elapsed).toBeGreaterThanOrEqual(240)
    expect(elapsed).toBeLessThan(4_000)
    expect(h.transport.calls() - calls).toBe(1)
  })
})

describe("connection failures", () => {
  it("reports a refused connection as Connect with a hint, after retrying it", async () => {
    const apiRoot = `https://127.0.0.1:${await closedPort()}/api`
    const closed = Environment.custom({ apiRoot })
    const c = await h.client({ environment: closed })
    const calls = h.transport.calls()
    const error = await h.run(Effect.flip(c.getStatusChange()))
    expect(error).toBeInstanceOf(TransportError)
    const e = error as TransportError
    expect(e.reason).toBe("Connect")
    expect(e.code).toBe("ECONNREFUSED")
    expect(e.hint).toContain(apiRoot)
    expect(h.transport.calls() - calls).toBe(3)
  })
})
