/**
 * Load and faults: direct jobs created through the client over mutual TLS (`NodeTlsTransport`) to the simulator,
 * `RELIABILITY_IN_FLIGHT` (default 50) at a time. Half are WAIT_FOR_CALLBACK jobs completed through the portal pages by
 * a cookie-carrying browser (follow the redirect URL, submit the sign/reject/error form, take the
 * `status_query_token` from the exit redirect, then `getStatus` and `confirm`); half are POLLING jobs whose signer acts
 * and whose change two `Polling.run` workers pick up, hand to a handler and confirm. The test chooses each job's
 * outcome (signed, rejected, failed) up front.
 *
 * Phase 1 (`RELIABILITY_JOBS`, default 1 000), no faults: every job ends as chosen, every change reaches a handler,
 * the simulator counts exactly one creation per job, and zero polls before the permitted time.
 *
 * Phase 2 (`RELIABILITY_FAULT_JOBS`, default 400), with faults injected all along on the API routes: connection
 * resets, latency beyond the client's timeout, 5xx bursts, truncated and malformed bodies, a DoS block. The same
 * invariants hold, with one honest difference for `create`: the client never retries a create once its body may
 * have reached the server, so a create that fails that way has an **unknown outcome**. The sender here does what a
 * real one should: it records the attempt as unknown (that job, if it exists, never gets a signer: nobody has its
 * redirect URL, and the service expires it after 30 days), and creates the job again under a new reference. The test
 * then proves there is no duplicate: no create call sent more than one request (the simulator logged no more create
 * requests than the client made calls), every job the sender knows exists once in the state it chose, and the
 * simulator's creations exceed the sender's successful creates by at most the number of unknown outcomes.
 *
 * Polls and lost answers: a poll whose answer is lost (truncated, malformed) may still have moved the queue's
 * permitted time at the server. The worker cannot know that time, so it must not come back sooner than the
 * service's empty-queue delay: here the client's retry base (1 s, jittered ±20 %) and the worker's backoff base
 * (2 s, full jitter from half) both exceed the simulator's 500 ms empty-queue delay, which is how a sender should
 * configure it (in production the delay is 10 minutes: a lost empty answer costs one 429, which the worker obeys).
 */
import { DirectClient, Polling } from "@signering/client"
import type { DirectResponse } from "@signering/protocol"
import { Effect, Fiber, Redacted } from "effect"
import { Agent } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Action, completeCeremony } from "./support/portal.js"
import { capture, captureError, leaks, secret, stats } from "./support/secrets.js"
import { envInt, ORG, pdf, pins, startWorld, type World } from "./support/world.js"

const JOBS = envInt("RELIABILITY_JOBS", 1000)
const FAULT_JOBS = envInt("RELIABILITY_FAULT_JOBS", 400)
const IN_FLIGHT = envInt("RELIABILITY_IN_FLIGHT", 50)
const QUEUE = "reliability"
const EMPTY_QUEUE_DELAY_MS = 500

type Method = "WAIT_FOR_CALLBACK" | "POLLING"

interface Plan {
  readonly phase: string
  readonly index: number
  readonly method: Method
  readonly action: Action
  readonly pin: string
}

interface Outcome {
  readonly plan: Plan
  readonly jobId: bigint
  /** What the sender saw: the status from the exit callback, or the change its polling handler got. */
  readonly seen: DirectResponse.JobStatusResponse
}

const expectedJob = (action: Action) => (action === "sign" ? "COMPLETED_SUCCESSFULLY" : "FAILED")
const expectedSigner = (action: Action) => ({ sign: "SIGNED", reject: "REJECTED", error: "FAILED" })[action]

/** mulberry32, so a run can be repeated. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const plans = (phase: string, count: number, seed: number): Array<Plan> => {
  const random = prng(seed)
  const people = pins(count, seed)
  return Array.from({ length: count }, (_, index) => ({
    phase,
    index,
    method: index % 2 === 0 ? "WAIT_FOR_CALLBACK" : "POLLING",
    action: (["sign", "reject", "error"] as const)[Math.floor(random() * 3)]!,
    pin: people[index]!,
  }))
}

/** Runs `task` over `items`, `limit` at a time. */
const pool = async <A, B>(items: ReadonlyArray<A>, limit: number, task: (item: A) => Promise<B>): Promise<Array<B>> => {
  const results: Array<B> = new Array(items.length)
  let next = 0
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]!)
    }
  })
  await Promise.all(runners)
  return results
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let world: World
let portal: Agent

/** Per phase: what the sender observed. */
interface Ledger {
  createCalls: number
  unknownOutcomes: number
  rateLimitedCreates: number
  refusedCreates: number
  appRetries: number
  readonly handled: Map<bigint, Array<DirectResponse.JobStatusResponse>>
  readonly pollingErrors: Map<string, number>
  /** Distinct failures the sender met (messages are masked by the client; the secrets scan checks that). */
  readonly failures: Map<string, number>
}

const newLedger = (): Ledger => ({
  createCalls: 0,
  unknownOutcomes: 0,
  rateLimitedCreates: 0,
  refusedCreates: 0,
  appRetries: 0,
  handled: new Map(),
  pollingErrors: new Map(),
  failures: new Map(),
})

const note = (ledger: Ledger, what: string, error: unknown) => {
  const e = error as { _tag?: string; reason?: string; status?: number; message?: string }
  const key = `${what}: ${e._tag ?? "?"}${e.reason === undefined ? "" : `/${e.reason}`}${e.status === undefined ? "" : ` ${e.status}`}`
  ledger.failures.set(key, (ledger.failures.get(key) ?? 0) + 1)
}

beforeAll(async () => {
  world = await startWorld({
    simulator: {
      emptyQueuePollDelayMs: EMPTY_QUEUE_DELAY_MS,
      unconfirmedRequeueDelayMs: 3_000,
      // Under load on two cores a signed bundle can wait a few seconds before the simulator reads it.
      signingTimeLeniencyMs: 60_000,
      requestLogLimit: 100,
    },
    client: { timeouts: { api: "10 seconds" }, retry: { times: 3, base: "1 second" } },
    connections: IN_FLIGHT,
  })
  portal = new Agent({ connections: IN_FLIGHT })
}, 120_000)

afterAll(async () => {
  await portal?.close()
  await world?.close()
})

/** Retries an idempotent step the way a sender's job would (the client already retried what is safe to retry). */
const patiently = async <A>(ledger: Ledger, what: string, step: () => Promise<A>): Promise<A> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (error) {
      captureError(`sender: ${what}`, error)
      note(ledger, what, error)
      const tag = (error as { _tag?: string })._tag
      const transient =
        tag === "TransportError" ||
        tag === "DecodeError" ||
        tag === "RateLimited" ||
        (tag === "UnexpectedResponse" && ((error as { status?: number }).status ?? 0) >= 500)
      if (!transient || attempt >= 20) throw error
      ledger.appRetries++
      const blockedUntil = (error as { blockedUntil?: Date }).blockedUntil
      await sleep(
        blockedUntil === undefined ? Math.min(2_000, 250 * attempt) : Math.max(0, blockedUntil.getTime() - Date.now()),
      )
    }
  }
}

/**
 * Creates the job; on an unknown outcome records it and creates it again under a new reference (see the header).
 * Definite refusals before the request was handled (connection never opened, DoS block) are simply tried again.
 */
const createJob = async (ledger: Ledger, plan: Plan) => {
  for (let attempt = 0; ; attempt++) {
    ledger.createCalls++
    try {
      return await world.run(
        Effect.gen(function* () {
          const client = yield* DirectClient.DirectClient
          return yield* client.create({
            title: `Contract ${plan.phase} ${plan.index}`,
            description: "Reliability suite",
            reference: `${plan.phase}-${plan.index}-${attempt}`,
            documents: [{ title: "Contract", bytes: pdf() }],
            signers: [{ personalIdentificationNumber: Redacted.make(plan.pin) }],
            exitUrls: {
              completionUrl: `https://sender.example/done?job=${plan.phase}-${plan.index}`,
              rejectionUrl: "https://sender.example/rejected",
              errorUrl: "https://sender.example/error",
            },
            statusRetrievalMethod: plan.method,
            ...(plan.method === "POLLING" ? { sender: { organizationNumber: ORG, pollingQueue: QUEUE } } : {}),
          })
        }),
      )
    } catch (error) {
      captureError("sender: create", error)
      note(ledger, "create", error)
      const e = error as { _tag?: string; reason?: string; status?: number; blockedUntil?: Date }
      if (e._tag === "RateLimited") {
        ledger.rateLimitedCreates++
        await sleep(Math.max(0, (e.blockedUntil?.getTime() ?? Date.now()) - Date.now()))
        continue
      }
      if (e._tag === "TransportError" && e.reason === "Connect") continue
      if (
        e._tag === "ValidationError" ||
        (e._tag !== "TransportError" && (e.status ?? 0) >= 400 && (e.status ?? 0) < 500)
      ) {
        ledger.refusedCreates++
        throw error
      }
      // Timeout, reset, closed early, 5xx, an unreadable answer: the job may or may not exist.
      ledger.unknownOutcomes++
    }
  }
}

const runJob = async (ledger: Ledger, plan: Plan): Promise<Outcome> => {
  const created = await createJob(ledger, plan)
  const signer = created.signers[0]!
  secret("redirect URL token", new URL(signer.redirectUrl).pathname.split("/").pop()!)
  if (plan.method === "POLLING") {
    const act = { sign: world.sim.sign, reject: world.sim.reject, error: world.sim.fail }[plan.action]
    secret(
      "status query token",
      new URL(await act(created.signatureJobId, plan.pin)).searchParams.get("status_query_token")!,
    )
    return { plan, jobId: created.signatureJobId, seen: undefined as unknown as DirectResponse.JobStatusResponse }
  }
  const exitUrl = await completeCeremony(portal, signer.redirectUrl, plan.action)
  const token = new URL(exitUrl).searchParams.get("status_query_token")
  if (token === null) throw new Error("the exit URL has no status_query_token")
  secret("status query token", token)
  const status = await patiently(ledger, "getStatus", () =>
    world.run(
      Effect.gen(function* () {
        const client = yield* DirectClient.DirectClient
        return yield* client.getStatus(created.statusUrl!, Redacted.make(token))
      }),
    ),
  )
  await patiently(ledger, "confirm", () =>
    world.run(
      Effect.gen(function* () {
        const client = yield* DirectClient.DirectClient
        return yield* client.confirm(status)
      }),
    ),
  )
  return { plan, jobId: created.signatureJobId, seen: status }
}

const startWorkers = (ledger: Ledger) =>
  [1, 2].map(() =>
    world.runtime.runFork(
      Polling.run({
        queue: QUEUE,
        backoff: { base: "2 seconds", cap: "5 seconds" },
        maxJitter: "100 millis",
        handler: (change) =>
          Effect.sync(() => {
            const seen = ledger.handled.get(change.jobId) ?? []
            seen.push(change.status)
            ledger.handled.set(change.jobId, seen)
          }),
        onError: (error) =>
          Effect.sync(() => {
            captureError("polling worker", error)
            note(ledger, `polling ${error.reason}`, error.cause)
            ledger.pollingErrors.set(error.reason, (ledger.pollingErrors.get(error.reason) ?? 0) + 1)
          }),
      }),
    ),
  )

/** Runs one phase and checks every invariant. */
const phase = async (name: string, count: number, seed: number, whileRunning?: () => () => void) => {
  const ledger = newLedger()
  const before = world.sim.counters()
  const createLogBefore = world.requests.filter((r) => r.route === "create").length
  const workers = startWorkers(ledger)
  const stopFaults = whileRunning?.()
  const started = performance.now()
  const outcomes = await pool(plans(name, count, seed), IN_FLIGHT, (plan) => runJob(ledger, plan))
  const polling = outcomes.filter((o) => o.plan.method === "POLLING")
  // Wait for the workers to see every polling job's change (they confirm after the handler).
  const deadline = Date.now() + 120_000
  while (polling.some((o) => !ledger.handled.has(o.jobId)) && Date.now() < deadline) await sleep(100)
  stopFaults?.()
  const elapsed = performance.now() - started
  for (const worker of workers) await world.runtime.runPromise(Fiber.interrupt(worker))
  // Requests still in the simulator (a create held by injected latency) must land before counting.
  const settle = Date.now() + 15_000
  while (
    world.requests.filter((r) => r.route === "create").length - createLogBefore < ledger.createCalls &&
    Date.now() < settle
  )
    await sleep(100)
  const after = world.sim.counters()
  const delta = Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, v - (before as unknown as Record<string, number>)[k]!]),
  ) as unknown as typeof after

  const summary = {
    phase: name,
    jobs: count,
    seconds: Math.round(elapsed / 100) / 10,
    jobsPerSecond: Math.round((count / elapsed) * 10_000) / 10,
    createCalls: ledger.createCalls,
    unknownOutcomes: ledger.unknownOutcomes,
    rateLimitedCreates: ledger.rateLimitedCreates,
    appRetries: ledger.appRetries,
    handlerCalls: [...ledger.handled.values()].reduce((n, s) => n + s.length, 0),
    pollingErrors: Object.fromEntries(ledger.pollingErrors),
    failures: Object.fromEntries(ledger.failures),
    simulator: delta,
  }
  console.info(`reliability ${name}: ${JSON.stringify(summary)}`)
  if (process.env.RELIABILITY_DUMP) {
    const { writeFileSync } = await import("node:fs")
    writeFileSync(
      process.env.RELIABILITY_DUMP,
      JSON.stringify(
        world.requests
          .filter((r) => r.listener === "api")
          .map((r) => [r.at.getTime(), r.route, r.status, r.durationMs, r.flags.join(" ")]),
      ),
    )
  }

  // Every job ends as chosen: at the simulator, and as the sender saw it.
  const wrong: Array<string> = []
  for (const o of outcomes) {
    const job = world.sim.job(o.jobId)
    const seen = o.plan.method === "POLLING" ? ledger.handled.get(o.jobId)?.at(-1) : o.seen
    const want = expectedJob(o.plan.action)
    if (job?.status !== want || job.signers[0]?.status !== expectedSigner(o.plan.action))
      wrong.push(`${o.plan.index} at the simulator: ${job?.status}/${job?.signers[0]?.status}, chose ${o.plan.action}`)
    if (seen === undefined) wrong.push(`${o.plan.index} (${o.plan.method}): the sender never saw its status (lost)`)
    else if (seen.status !== want || seen.signers[0]?.status !== expectedSigner(o.plan.action))
      wrong.push(`${o.plan.index} (${o.plan.method}): sender saw ${seen.status}/${seen.signers[0]?.status}`)
  }
  expect(wrong).toEqual([])
  // No job id twice among the sender's jobs.
  expect(new Set(outcomes.map((o) => o.jobId)).size).toBe(count)
  // Each change handled; more than once only when the service handed it out again (at-least-once, as documented):
  // the worker never re-handles on its own. A change is handed out again only after its confirmation failed or came
  // later than the re-queue delay (e.g. a confirm retried through a 503 burst), and the simulator counts each re-queue.
  const repeats = [...ledger.handled.values()].reduce((n, s) => n + Math.max(0, s.length - 1), 0)
  expect(repeats).toBeLessThanOrEqual(delta.requeued)
  // Only jobs of this phase reach the handlers, and only the polling ones.
  expect([...ledger.handled.keys()].every((id) => polling.some((o) => o.jobId === id))).toBe(true)
  // No duplicate creation: at most one request per create call reached the simulator (a request on a connection the
  // server had already closed never reaches it, and counts as an unknown outcome to the sender, conservatively), and
  // every creation beyond the sender's jobs is an unknown outcome.
  const createRequests = world.requests.filter((r) => r.route === "create").length - createLogBefore
  expect(createRequests).toBeLessThanOrEqual(ledger.createCalls)
  expect(createRequests).toBeGreaterThanOrEqual(count)
  expect(delta.creations).toBeGreaterThanOrEqual(count)
  expect(delta.creations - count).toBeLessThanOrEqual(ledger.unknownOutcomes)
  expect(ledger.createCalls).toBe(count + ledger.unknownOutcomes + ledger.rateLimitedCreates)
  // Never polled before the permitted time.
  expect(delta.pollsBeforePermittedTime).toBe(0)
  return { ledger, delta, summary }
}

describe("load and faults over mutual TLS", () => {
  it(`load: ${JOBS} jobs, ${IN_FLIGHT} in flight, half callback through the portal, half polled by two workers`, async () => {
    const { delta, ledger } = await phase("load", JOBS, 1)
    // Without faults: exactly one creation per job, nothing unknown, nothing retried.
    expect(delta.creations).toBe(JOBS)
    expect(world.requests.filter((r) => r.route === "create").length).toBe(JOBS)
    expect(ledger.unknownOutcomes).toBe(0)
    expect(delta.faults).toBe(0)
    expect(delta.confirmations).toBeGreaterThanOrEqual(JOBS)
  })

  it(`faults: ${FAULT_JOBS} jobs while resets, timeouts, 5xx bursts, truncated and malformed bodies and a DoS block hit the API`, async () => {
    const random = prng(42)
    const kinds = [
      { kind: "reset" },
      { kind: "status", status: 503 },
      { kind: "status", status: 500 },
      { kind: "status", status: 502 },
      { kind: "truncate" },
      { kind: "malformed" },
    ] as const
    const routes = ["create", "status", "poll", "confirm"] as const
    const { delta, ledger } = await phase("faults", FAULT_JOBS, 2, () => {
      // One DoS block on polling and one on creation, at once; latency beyond the client's 10 s timeout on create and
      // status, within it on polls (see the header); then a random fault every 50 ms, bursts of 503 on every route.
      world.sim.faults.inject({ route: "poll", kind: "dos" })
      world.sim.faults.inject({ route: "create", kind: "dos" })
      world.sim.faults.inject({ route: "create", kind: "latency", ms: 11_000, times: 2 })
      world.sim.faults.inject({ route: "status", kind: "latency", ms: 11_000, times: 2 })
      world.sim.faults.inject({ route: "poll", kind: "latency", ms: 1_500, times: 2 })
      // Faults follow the traffic, so that no route meets nothing but faults when it is quiet: after a request to a
      // route, the next one to that route meets a fault with probability 1/8 (at most one armed per route), and every
      // 150 API requests a burst of five 503s hits whatever comes next.
      let seen = world.requests.length
      let sinceBurst = 0
      const timer = setInterval(() => {
        const fresh = world.requests.slice(seen).filter((r) => r.listener === "api")
        seen = world.requests.length
        sinceBurst += fresh.length
        if (sinceBurst >= 150) {
          sinceBurst = 0
          world.sim.faults.inject({ route: "*", kind: "status", status: 503, times: 5 })
        }
        for (const entry of fresh) {
          const route = routes.find((r) => r === entry.route)
          if (route === undefined || random() >= 1 / 8) continue
          if (world.sim.faults.pending().some((f) => f.route === route)) continue
          world.sim.faults.inject({ route, ...kinds[Math.floor(random() * kinds.length)]!, times: 1 })
        }
      }, 50)
      return () => {
        clearInterval(timer)
        world.sim.faults.clear()
      }
    })
    // The faults really happened, on every kind the issue names.
    expect(delta.faults).toBeGreaterThan(20)
    const flags = new Set(world.requests.flatMap((r) => r.flags))
    for (const f of ["fault:reset", "fault:status", "fault:truncate", "fault:malformed", "fault:latency", "fault:dos"])
      expect(flags, f).toContain(f)
    expect(ledger.appRetries + ledger.unknownOutcomes + ledger.pollingErrors.size).toBeGreaterThan(0)
  })

  it("secrets: no PIN, token, redirect token, key or passphrase in any log line, request log entry or error", () => {
    capture("note", "scan")
    const s = stats()
    console.info(`secrets scan: ${s.secrets} secrets against ${s.capturedTexts} texts (${s.capturedChars} characters)`)
    expect(s.secrets).toBeGreaterThan(JOBS)
    expect(leaks()).toEqual([])
  })
})
