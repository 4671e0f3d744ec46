/**
 * The lost final status of issue 14, as a test: two `Polling.run` workers on one queue, 12 POLLING jobs (six with two
 * signers), the simulator's worst-case confirmation model (a confirmation settles every delivered change of the job),
 * and faults: a truncated poll answer, two 503s on polls, two connection resets on confirmations, and a handler that
 * fails once on the final change of every other job.
 *
 * The truncated answer is aimed: before the workers start, the first signer of every two-signer job has signed, so
 * the first poll (the truncated one) takes the IN_PROGRESS change of job 0 off the queue and loses it. It stays
 * delivered until the re-queue delay, and comes back after job 0's COMPLETED change, whose handler failed. Before
 * the fix, that stale IN_PROGRESS was handed to the handler and confirmed, which settled COMPLETED: the job was left
 * IN_PROGRESS in the sender's records.
 *
 * Invariants: 0 lost (every job's final status reached a handler that succeeded), the handler never got a status older
 * than one it had already been given for the job, 0 polls before the permitted time, and nothing of the queue is left
 * over after one more re-queue delay.
 */
import { DirectClient, JobStatusOrder, Polling } from "@signering/client"
import type { DirectResponse } from "@signering/protocol"
import { Effect, Fiber, Metric } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { captureError } from "./support/secrets.js"
import { ORG, pdf, startWorld, type World } from "./support/world.js"

const QUEUE = "lost-final-status"
const REQUEUE_MS = 8000

let world: World
beforeAll(async () => {
  world = await startWorld({
    simulator: {
      unconfirmedRequeueDelayMs: REQUEUE_MS,
      emptyQueuePollDelayMs: 500,
      confirmationModel: "settles-job",
    },
    client: { retry: { times: 2, base: "1 second" } },
  })
})
afterAll(() => world?.close())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("polling: no lost or stale final status (issue 14)", () => {
  it("two workers, 12 jobs, faults, a failing handler, worst-case confirmations: nothing lost, nothing stale", async () => {
    const { sim } = world
    const jobs: Array<{ readonly id: bigint; readonly signers: ReadonlyArray<string> }> = []
    for (let i = 0; i < 12; i++) {
      const signers = i < 6 ? [`a-${i}`, `b-${i}`] : [`a-${i}`]
      const created = await world.run(
        Effect.gen(function* () {
          const client = yield* DirectClient.DirectClient
          return yield* client.create({
            title: "Contract",
            reference: `lost-final-${i}`,
            sender: { organizationNumber: ORG, pollingQueue: QUEUE },
            statusRetrievalMethod: "POLLING",
            signers: signers.map((customIdentifier) => ({ customIdentifier })),
            documents: [{ title: `Contract ${i}`, bytes: pdf() }],
            exitUrls: {
              completionUrl: "https://sender.example/done",
              rejectionUrl: "https://sender.example/rejected",
              errorUrl: "https://sender.example/error",
            },
          })
        }),
      )
      jobs.push({ id: created.signatureJobId, signers })
    }
    // The first signer of each two-signer job signs: job 0's IN_PROGRESS change is first on the queue.
    for (const job of jobs.slice(0, 6)) await sim.sign(job.id, job.signers[0]!)
    sim.faults.inject({ route: "poll", kind: "truncate" })

    const given = new Map<bigint, Array<DirectResponse.JobStatusResponse>>()
    const handled = new Map<bigint, DirectResponse.JobStatusResponse>()
    const failedOnce = new Set<bigint>()
    const handler = (change: Polling.Change) =>
      Effect.gen(function* () {
        const seen = given.get(change.jobId) ?? []
        seen.push(change.status)
        given.set(change.jobId, seen)
        const index = jobs.findIndex((j) => j.id === change.jobId)
        if (change.final && index % 2 === 0 && !failedOnce.has(change.jobId)) {
          failedOnce.add(change.jobId)
          return yield* Effect.fail("database unavailable")
        }
        handled.set(change.jobId, change.status)
      })
    const workers = [1, 2].map(() =>
      world.runtime.runFork(
        Polling.run({
          queue: QUEUE,
          backoff: { base: "2 seconds", cap: "5 seconds" },
          maxJitter: "100 millis",
          requeueDelay: `${REQUEUE_MS} millis`,
          handler,
          onError: (error) => Effect.sync(() => captureError("polling worker", error)),
        }),
      ),
    )
    try {
      // The first poll is truncated (job 0's IN_PROGRESS is lost in transit); then the second signers sign.
      const firstPoll = Date.now()
      while (!world.requests.some((r) => r.route === "poll" && r.flags.length > 0) && Date.now() - firstPoll < 10_000)
        await sleep(20)
      for (const job of jobs) await sim.sign(job.id, job.signers.at(-1)!)
      sim.faults.inject({ route: "poll", kind: "status", status: 503, times: 2 })
      sim.faults.inject({ route: "confirm", kind: "reset", times: 2 })

      const allFinal = () => jobs.every((j) => JobStatusOrder.isFinal(handled.get(j.id)?.status ?? "IN_PROGRESS"))
      const started = Date.now()
      while (!allFinal() && Date.now() - started < 90_000) await sleep(100)
      // One more re-queue delay and a little: a stale change would come back now, and a lost final status never.
      await sleep(2 * REQUEUE_MS + 1000)
    } finally {
      await Promise.all(workers.map((w) => world.runtime.runPromise(Fiber.interrupt(w))))
    }

    for (const job of jobs) {
      const simJob = sim.job(job.id)!
      // 0 lost: the handler succeeded on the job's final status.
      expect(handled.get(job.id)?.status, `job ${job.id}`).toBe(simJob.status)
      // Never older after newer: each status given is at least as new as every one given before.
      const statuses = given.get(job.id) ?? []
      for (let i = 1; i < statuses.length; i++)
        expect(JobStatusOrder.compare(statuses[i]!, statuses[i - 1]!), `job ${job.id} #${i}`).toBeGreaterThanOrEqual(0)
    }
    // The aimed scenario happened: job 0's final handler failed once, and the stale IN_PROGRESS came back.
    expect(failedOnce.has(jobs[0]!.id)).toBe(true)
    const stale = await world.runtime.runPromise(
      Metric.value(Metric.withAttributes(Polling.metrics.staleChanges, { organization: ORG, queue: QUEUE })),
    )
    expect((stale as { count: number }).count).toBeGreaterThanOrEqual(1)
    expect(sim.counters().pollsBeforePermittedTime).toBe(0)
  })
})
