/**
 * Load and faults: direct jobs created through the client over mutual TLS (`NodeTlsTransport`) to the simulator,
 * `RELIABILITY_IN_FLIGHT` (default 50) at a time. Half are WAIT_FOR_CALLBACK jobs completed through the portal pages by
 * a cookie-carrying browser (follow the redirect URL, submit the sign/reject/error form, take the
 * `status_query_token` from the exit redirect, then `getStatus` and `confirm`); half are POLLING jobs whose signer acts
 * and whose change two `Polling.run` workers pick up, hand to a handler and confirm. The test chooses each job's
 * outcome (signed, rejected, failed) up front.
 *
 * Mixed in the same run, portal jobs (`RELIABILITY_PORTAL_JOBS`, default 200; `support/portalJobs.ts`) through
 * `PortalClient` on a queue of their own: two signers in order (the second cannot act first), signed or rejected
 * through `sim.sign`/`sim.reject`, or cancelled by the sender through `cancel` before or after the first signature;
 * cancelling a final job must answer `JobCannotBeCancelled`. Two more workers (`Polling.runSource` over the portal
 * client) hand every change to a handler (the sender's record) and confirm it. The same invariants hold for them.
 *
 * Phase 1 (`RELIABILITY_JOBS`, default 1 000), no faults: every job ends as chosen, every change reaches a handler,
 * the simulator counts exactly one creation per job, and zero polls before the permitted time. After the workers
 * stop and the re-queue delay passes, both queues are empty (every change was confirmed).
 *
 * Phase 2 (`RELIABILITY_FAULT_JOBS`, default 400, and `RELIABILITY_PORTAL_FAULT_JOBS`, default 80 portal jobs),
 * with faults injected all along on the API routes of both flows: connection
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
import { DirectClient, Polling, PortalClient, RateLimiter } from "@signering/client"
import type { DirectResponse } from "@signering/protocol"
import { Effect, Fiber, Redacted } from "effect"
import { Agent } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Action, completeCeremony } from "./support/portal.js"
import {
  PORTAL_QUEUE,
  type PortalOutcome,
  portalPlans,
  portalProblems,
  portalSettled,
  runPortalJob,
  startPortalWorkers,
} from "./support/portalJobs.js"
import { capture, captureError, leaks, secret, stats } from "./support/secrets.js"
import {
  createWithUnknownOutcome,
  type Ledger,
  newLedger,
  note,
  patiently,
  pool,
  prng,
  sleep,
} from "./support/sender.js"
import { envInt, ORG, pdf, pins, startWorld, type World } from "./support/world.js"

const JOBS = envInt("RELIABILITY_JOBS", 1000)
const FAULT_JOBS = envInt("RELIABILITY_FAULT_JOBS", 400)
// 0 runs the direct flow alone (to measure what the portal jobs add).
const PORTAL_JOBS = envInt("RELIABILITY_PORTAL_JOBS", 200, 0)
const PORTAL_FAULT_JOBS = envInt("RELIABILITY_PORTAL_FAULT_JOBS", 80, 0)
const IN_FLIGHT = envInt("RELIABILITY_IN_FLIGHT", 50)
const QUEUE = "reliability"
const EMPTY_QUEUE_DELAY_MS = 500
const REQUEUE_DELAY_MS = 3_000

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

let world: World
let portal: Agent

beforeAll(async () => {
  world = await startWorld({
    simulator: {
      emptyQueuePollDelayMs: EMPTY_QUEUE_DELAY_MS,
      unconfirmedRequeueDelayMs: REQUEUE_DELAY_MS,
      // Under load on two cores a signed bundle can wait a few seconds before the simulator reads it.
      signingTimeLeniencyMs: 60_000,
      requestLogLimit: 100,
    },
    client: {
      timeouts: { api: "10 seconds" },
      retry: { times: 3, base: "1 second" },
      // The simulator enforces no rate limit here (only the injected DoS blocks), and the service's 10 requests/s
      // would make this a test of the pacing, which has its own tests and benchmark: the limiter stays in the path of
      // every request, at a rate this run never reaches.
      rateLimiter: RateLimiter.make({ requestsPerSecond: 1_000 }),
    },
    connections: IN_FLIGHT,
  })
  portal = new Agent({ connections: IN_FLIGHT })
}, 120_000)

afterAll(async () => {
  await portal?.close()
  await world?.close()
})

/** Creates the direct job; an unknown outcome is recorded and the job created again (see the header). */
const createJob = (ledger: Ledger, plan: Plan) =>
  createWithUnknownOutcome(ledger, (attempt) =>
    world.run(
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
    ),
  )

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

/** Create requests of both flows in the simulator's request log. */
const createRequestsLogged = () =>
  world.requests.filter((r) => r.route === "create" || r.route === "portal-create").length

/** `b` spread evenly through `a`, so that both flows run side by side all along the phase. */
const interleave = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>): Array<A> => {
  const out: Array<A> = []
  let j = 0
  for (let i = 0; i < a.length; i++) {
    out.push(a[i]!)
    while (j < b.length && (j + 1) * a.length <= (i + 1) * b.length) out.push(b[j++]!)
  }
  while (j < b.length) out.push(b[j++]!)
  return out
}

/**
 * After the workers stopped and the re-queue delay passed (a change handed out but never confirmed is back on its
 * queue by then), polls each queue once more as the sender would, at the permitted time: whatever is left is
 * confirmed here and returned. Without faults nothing may be left; with faults only a change the sender's record
 * already holds (at least once), never a new one.
 */
const leftOnQueues = async (ledger: Ledger) => {
  await sleep(REQUEUE_DELAY_MS + 1_000)
  interface Change {
    readonly signatureJobId: bigint
    readonly status: string
    readonly confirmationUrl?: string | undefined
  }
  interface Queue {
    readonly flow: string
    readonly poll: () => Promise<
      { readonly _tag: "NoChanges" } | { readonly _tag: "StatusChange"; readonly status: Change }
    >
    readonly confirm: (status: Change) => Promise<void>
    readonly known: (status: Change) => boolean
  }
  const queues: ReadonlyArray<Queue> = [
    {
      flow: "direct",
      poll: () =>
        world.run(
          Effect.gen(function* () {
            return yield* (yield* DirectClient.DirectClient).getStatusChange({
              organizationNumber: ORG,
              pollingQueue: QUEUE,
            })
          }),
        ),
      confirm: (status: { readonly confirmationUrl?: string | undefined }) =>
        world.run(
          Effect.gen(function* () {
            return yield* (yield* DirectClient.DirectClient).confirm(status)
          }),
        ),
      known: (status: { signatureJobId: bigint; status: string }) =>
        ledger.handled.get(status.signatureJobId)?.some((s) => s.status === status.status) ?? false,
    },
    {
      flow: "portal",
      poll: () =>
        world.run(
          Effect.gen(function* () {
            return yield* (yield* PortalClient.PortalClient).getStatusChange({
              organizationNumber: ORG,
              pollingQueue: PORTAL_QUEUE,
            })
          }),
        ),
      confirm: (status: { readonly confirmationUrl?: string | undefined }) =>
        world.run(
          Effect.gen(function* () {
            return yield* (yield* PortalClient.PortalClient).confirm(status)
          }),
        ),
      known: (status: { signatureJobId: bigint; status: string }) =>
        ledger.portalHandled.get(status.signatureJobId)?.some((s) => s.status === status.status) ?? false,
    },
  ]
  const left: Array<{
    readonly flow: string
    readonly jobId: bigint
    readonly status: string
    readonly known: boolean
  }> = []
  for (const queue of queues) {
    for (;;) {
      const answer = await patiently(ledger, `${queue.flow} final poll`, queue.poll)
      if (answer._tag === "NoChanges") break
      const status = answer.status
      left.push({ flow: queue.flow, jobId: status.signatureJobId, status: status.status, known: queue.known(status) })
      await patiently(ledger, `${queue.flow} final confirm`, () => queue.confirm(status))
    }
    // The next queue's poll must not come before the permitted time, should the service count it per organization.
    await sleep(EMPTY_QUEUE_DELAY_MS + 500)
  }
  return left
}

/** Runs one phase (`count` direct and `portalCount` portal jobs, mixed) and checks every invariant. */
const phase = async (
  name: string,
  count: number,
  portalCount: number,
  seed: number,
  whileRunning?: () => () => void,
) => {
  const ledger = newLedger()
  const before = world.sim.counters()
  const createLogBefore = createRequestsLogged()
  const workers = [...startWorkers(ledger), ...startPortalWorkers(world, ledger)]
  const stopFaults = whileRunning?.()
  const started = performance.now()
  const outcomes: Array<Outcome> = []
  const portalOutcomes: Array<PortalOutcome> = []
  const tasks = interleave<() => Promise<void>>(
    plans(name, count, seed).map((plan) => async () => {
      outcomes.push(await runJob(ledger, plan))
    }),
    portalPlans(name, portalCount, seed).map((plan) => async () => {
      portalOutcomes.push(await runPortalJob(world, ledger, plan))
    }),
  )
  await pool(tasks, IN_FLIGHT, (task) => task())
  const polling = outcomes.filter((o) => o.plan.method === "POLLING")
  // Wait for the workers to hand every polling job's change, and every portal job's final change, to the handlers
  // (they confirm after the handler).
  const deadline = Date.now() + 120_000
  while (
    (polling.some((o) => !ledger.handled.has(o.jobId)) || portalOutcomes.some((o) => !portalSettled(ledger, o))) &&
    Date.now() < deadline
  )
    await sleep(100)
  stopFaults?.()
  const elapsed = performance.now() - started
  for (const worker of workers) await world.runtime.runPromise(Fiber.interrupt(worker))
  // Requests still in the simulator (a create held by injected latency) must land before counting.
  const settle = Date.now() + 15_000
  while (createRequestsLogged() - createLogBefore < ledger.createCalls && Date.now() < settle) await sleep(100)
  const left = await leftOnQueues(ledger)
  const after = world.sim.counters()
  const delta = Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, v - (before as unknown as Record<string, number>)[k]!]),
  ) as unknown as typeof after

  const summary = {
    phase: name,
    jobs: count,
    portalJobs: portalCount,
    seconds: Math.round(elapsed / 100) / 10,
    jobsPerSecond: Math.round(((count + portalCount) / elapsed) * 10_000) / 10,
    createCalls: ledger.createCalls,
    unknownOutcomes: ledger.unknownOutcomes,
    rateLimitedCreates: ledger.rateLimitedCreates,
    appRetries: ledger.appRetries,
    handlerCalls: [...ledger.handled.values()].reduce((n, s) => n + s.length, 0),
    portalHandlerCalls: [...ledger.portalHandled.values()].reduce((n, s) => n + s.length, 0),
    cancels: ledger.cancels,
    cancelsRefusedAsFinal: ledger.cancelsRefusedAsFinal,
    leftOnQueues: left.length,
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
  // Portal jobs too, each signer in order, in the sender's record (the polling handler's) and at the simulator.
  wrong.push(...portalProblems(world, ledger, portalOutcomes))
  expect(wrong).toEqual([])
  expect(outcomes.length).toBe(count)
  expect(portalOutcomes.length).toBe(portalCount)
  // No job id twice among the sender's jobs, of either flow.
  expect(new Set([...outcomes, ...portalOutcomes].map((o) => o.jobId)).size).toBe(count + portalCount)
  // Every planned cancellation went through, and every cancel of a final job was refused (409 JobCannotBeCancelled).
  const planned = portalOutcomes.map((o) => o.plan)
  expect(ledger.cancels).toBe(planned.filter((p) => p.action.startsWith("cancel")).length)
  expect(ledger.cancelsRefusedAsFinal).toBe(planned.filter((p) => p.cancelAfterFinal).length)
  // Every change confirmed: once the re-queue delay passed, nothing new was left on either queue (0 lost).
  expect(left.filter((l) => !l.known)).toEqual([])
  // Each change handled; more than once only when the service handed it out again (at-least-once, as documented):
  // the worker never re-handles on its own. A change is handed out again only after its confirmation failed or came
  // later than the re-queue delay (e.g. a confirm retried through a 503 burst), and the simulator counts each re-queue.
  // A portal job has several changes (one per signature, then the final one): a repeat is the same change twice.
  const repeats =
    [...ledger.handled.values()].reduce((n, s) => n + Math.max(0, s.length - 1), 0) +
    [...ledger.portalHandled.values()].reduce((n, s) => {
      const keys = s.map((c) => `${c.status} ${c.signatures.map((g) => `${g.status}@${g.since.getTime()}`).join(" ")}`)
      return n + keys.length - new Set(keys).size
    }, 0)
  expect(repeats).toBeLessThanOrEqual(delta.requeued)
  // Only jobs of this phase reach the handlers, only the polling ones, each flow on its own queue.
  expect([...ledger.handled.keys()].every((id) => polling.some((o) => o.jobId === id))).toBe(true)
  expect([...ledger.portalHandled.keys()].every((id) => portalOutcomes.some((o) => o.jobId === id))).toBe(true)
  // No duplicate creation: at most one request per create call reached the simulator (a request on a connection the
  // server had already closed never reaches it, and counts as an unknown outcome to the sender, conservatively), and
  // every creation beyond the sender's jobs is an unknown outcome. Both flows' creates count alike.
  const jobs = count + portalCount
  const createRequests = createRequestsLogged() - createLogBefore
  expect(createRequests).toBeLessThanOrEqual(ledger.createCalls)
  expect(createRequests).toBeGreaterThanOrEqual(jobs)
  expect(delta.creations).toBeGreaterThanOrEqual(jobs)
  expect(delta.creations - jobs).toBeLessThanOrEqual(ledger.unknownOutcomes)
  expect(ledger.createCalls).toBe(jobs + ledger.unknownOutcomes + ledger.rateLimitedCreates)
  // Never polled before the permitted time.
  expect(delta.pollsBeforePermittedTime).toBe(0)
  return { ledger, delta, summary, left }
}

describe("load and faults over mutual TLS", () => {
  it(`load: ${JOBS} direct jobs (half callback through the signing pages, half polled by two workers) and ${PORTAL_JOBS} two-signer portal jobs (polled by two workers on their own queue), ${IN_FLIGHT} in flight`, async () => {
    const { delta, ledger, left } = await phase("load", JOBS, PORTAL_JOBS, 1)
    // Without faults: exactly one creation per job, nothing unknown, nothing retried, nothing left unconfirmed.
    expect(delta.creations).toBe(JOBS + PORTAL_JOBS)
    expect(world.requests.filter((r) => r.route === "create").length).toBe(JOBS)
    expect(world.requests.filter((r) => r.route === "portal-create").length).toBe(PORTAL_JOBS)
    expect(ledger.unknownOutcomes).toBe(0)
    expect(delta.faults).toBe(0)
    expect(left).toEqual([])
    expect(delta.requeued).toBe(0)
    // Direct: each job's change; portal: at least each job's final change (one per signature before it, when polled
    // between the two).
    expect(delta.confirmations).toBeGreaterThanOrEqual(JOBS + PORTAL_JOBS)
  })

  it(`faults: ${FAULT_JOBS} direct and ${PORTAL_FAULT_JOBS} portal jobs while resets, timeouts, 5xx bursts, truncated and malformed bodies and a DoS block hit the API`, async () => {
    const random = prng(42)
    const kinds = [
      { kind: "reset" },
      { kind: "status", status: 503 },
      { kind: "status", status: 500 },
      { kind: "status", status: 502 },
      { kind: "truncate" },
      { kind: "malformed" },
    ] as const
    const routes = ["create", "status", "poll", "confirm", "portal-create", "portal-poll", "portal-confirm"] as const
    const { delta, ledger } = await phase("faults", FAULT_JOBS, PORTAL_FAULT_JOBS, 2, () => {
      // One DoS block on polling and one on creation, at once; latency beyond the client's 10 s timeout on create and
      // status, within it on polls (see the header); then a random fault every 50 ms, bursts of 503 on every route.
      world.sim.faults.inject({ route: "poll", kind: "dos" })
      world.sim.faults.inject({ route: "create", kind: "dos" })
      world.sim.faults.inject({ route: "create", kind: "latency", ms: 11_000, times: 2 })
      world.sim.faults.inject({ route: "status", kind: "latency", ms: 11_000, times: 2 })
      world.sim.faults.inject({ route: "poll", kind: "latency", ms: 1_500, times: 2 })
      // On the portal routes, at once: 503s and a truncated answer on polls, resets on confirmations, a lost create.
      world.sim.faults.inject({ route: "portal-poll", kind: "status", status: 503, times: 2 })
      world.sim.faults.inject({ route: "portal-poll", kind: "truncate", times: 1 })
      world.sim.faults.inject({ route: "portal-confirm", kind: "reset", times: 2 })
      world.sim.faults.inject({ route: "portal-create", kind: "truncate", times: 1 })
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
    // ... and on the portal routes (when the run has portal jobs).
    const hit = new Set(world.requests.flatMap((r) => r.flags.map((f) => `${r.route} ${f}`)))
    const portalFaults = [
      "portal-poll fault:status",
      "portal-poll fault:truncate",
      "portal-confirm fault:reset",
      "portal-create fault:truncate",
    ]
    for (const f of PORTAL_FAULT_JOBS > 0 ? portalFaults : []) expect(hit, f).toContain(f)
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
