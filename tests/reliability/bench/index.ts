/**
 * `pnpm bench`: the polling worker's throughput against the rate the service permits.
 *
 * 1. Full queue: `BENCH_POLLING_JOBS` (default 300) POLLING jobs are signed before two `Polling.run` workers start;
 *    the time until every change was handled and confirmed gives changes per second. After a change the service
 *    permits the next poll at once, so here the permitted rate is bounded only by the service's rate limit.
 * 2. Empty queue: the two workers poll an empty queue for `BENCH_POLLING_IDLE_SECONDS` (default 10) with a 250 ms
 *    empty-queue delay: the permitted rate is one poll per delay; the worker should come close to it (no wasted
 *    time) and never exceed it (the simulator counts polls before the permitted time).
 * 3. Full queue under the real rate limit (10 requests/s per organization, 429 `DoSFilter`, 30 s block), measured
 *    for at most 45 s: changes per second, and how many requests the limit refused.
 *
 * Writes bench/RESULTS.md and bench/results.json (read by tooling/scripts/bench-report.mjs).
 */
import { writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import { DirectClient, Polling } from "@signering/client"
import { Effect, Fiber, Redacted } from "effect"
import { ORG, pdf, pins, startWorld } from "../test/support/world.js"

const JOBS = Number(process.env.BENCH_POLLING_JOBS ?? 300)
const IDLE_SECONDS = Number(process.env.BENCH_POLLING_IDLE_SECONDS ?? 10)
const QUEUE = "bench"
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const scenario = async (name: string, options: { emptyQueueDelayMs: number; jobs: number; rateLimit?: boolean }) => {
  const world = await startWorld({
    simulator: {
      emptyQueuePollDelayMs: options.emptyQueueDelayMs,
      signingTimeLeniencyMs: 600_000,
      ...(options.rateLimit ? { rateLimit: { requestsPerSecond: 10, blockMs: 30_000 } } : {}),
    },
    client: { retry: { times: 3, base: "1 second" } },
    connections: 8,
  })
  try {
    const people = pins(Math.max(1, options.jobs), 50_000)
    const createLimitFree = !options.rateLimit
    // Creating jobs under the rate limit would itself be limited: create them on a simulator without it? No: the
    // limit is per organization and counts creates too, so they are created slowly before the measurement.
    for (let i = 0; i < options.jobs; i++) {
      const created = await world.run(
        Effect.gen(function* () {
          const client = yield* DirectClient.DirectClient
          return yield* client.create({
            title: `Polling bench ${i}`,
            documents: [{ title: "Contract", bytes: pdf() }],
            signers: [{ personalIdentificationNumber: Redacted.make(people[i]!) }],
            exitUrls: {
              completionUrl: "https://sender.example/done",
              rejectionUrl: "https://sender.example/rejected",
              errorUrl: "https://sender.example/error",
            },
            statusRetrievalMethod: "POLLING",
            sender: { organizationNumber: ORG, pollingQueue: QUEUE },
          })
        }),
      )
      await world.sim.sign(created.signatureJobId, people[i]!)
      if (!createLimitFree) await sleep(120)
    }
    if (options.rateLimit) await sleep(1_500)
    world.sim.resetObservations()
    let handled = 0
    const started = performance.now()
    let finished = 0
    const workers = [1, 2].map(() =>
      world.runtime.runFork(
        Polling.run({
          queue: QUEUE,
          backoff: { base: "1 second", cap: "5 seconds" },
          maxJitter: "50 millis",
          handler: () =>
            Effect.sync(() => {
              handled++
              if (handled === options.jobs) finished = performance.now()
            }),
        }),
      ),
    )
    // The rate-limited run is cut at 45 s: long enough to include the first 30 s block and what follows.
    const deadline = Date.now() + (options.jobs === 0 ? IDLE_SECONDS * 1000 : options.rateLimit ? 45_000 : 300_000)
    while (Date.now() < deadline && (options.jobs === 0 || handled < options.jobs))
      await sleep(options.jobs === 0 ? 250 : 20)
    const elapsed = ((options.jobs === 0 ? performance.now() : finished || performance.now()) - started) / 1000
    for (const worker of workers) await world.runtime.runPromise(Fiber.interrupt(worker))
    const counters = world.sim.counters()
    return {
      name,
      jobs: options.jobs,
      handled,
      seconds: Math.round(elapsed * 100) / 100,
      changesPerSecond: options.jobs === 0 ? 0 : Math.round((handled / elapsed) * 10) / 10,
      polls: counters.polls,
      pollsEmpty: counters.pollsEmpty,
      pollsBeforePermittedTime: counters.pollsBeforePermittedTime,
      rateLimited: counters.rateLimited,
      permittedPolls: options.jobs === 0 ? Math.floor((elapsed * 1000) / options.emptyQueueDelayMs) + 1 : undefined,
      emptyQueueDelayMs: options.emptyQueueDelayMs,
    }
  } finally {
    await world.close()
  }
}

const load = loadavg()[0]!.toFixed(2)
const full = await scenario("full queue", { emptyQueueDelayMs: 1_000, jobs: JOBS })
process.stdout.write(`${JSON.stringify(full)}\n`)
const idle = await scenario("empty queue", { emptyQueueDelayMs: 250, jobs: 0 })
process.stdout.write(`${JSON.stringify(idle)}\n`)
const limited = await scenario("full queue, rate limit 10 requests/s", {
  emptyQueueDelayMs: 1_000,
  jobs: Math.min(JOBS, 60),
  rateLimit: true,
})
process.stdout.write(`${JSON.stringify(limited)}\n`)

const idleRatio = idle.polls / (idle.permittedPolls ?? 1)
const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverageAtStart: Number(load),
  },
  metrics: {
    pollingChangesPerSecond: full.changesPerSecond,
    pollingIdlePollsVsPermitted: Math.round(idleRatio * 1000) / 1000,
    pollingPollsBeforePermittedTime:
      full.pollsBeforePermittedTime + idle.pollsBeforePermittedTime + limited.pollsBeforePermittedTime,
    pollingChangesPerSecondRateLimited: limited.changesPerSecond,
    pollingPermittedChangesPerSecondRateLimited: 5,
    pollingRateLimitedRequests: limited.rateLimited,
  },
  scenarios: [full, idle, limited],
}
const dir = fileURLToPath(new URL(".", import.meta.url))
writeFileSync(`${dir}results.json`, `${JSON.stringify(results, null, 2)}\n`)

const row = (s: typeof full) =>
  `| ${s.name} | ${s.jobs} | ${s.handled} | ${s.seconds} | ${s.jobs === 0 ? "–" : `**${s.changesPerSecond}**`} | ${s.polls} | ${s.pollsEmpty} | ${s.permittedPolls ?? "–"} | ${s.pollsBeforePermittedTime} | ${s.rateLimited} |`
writeFileSync(
  `${dir}RESULTS.md`,
  `# Polling worker benchmark

Written by \`pnpm bench\` (tests/reliability/bench/index.ts): two \`Polling.run\` workers of \`@signering/client\` on one
queue, over mutual TLS (\`NodeTlsTransport\`) against the simulator in the same process; the handler only counts.

- Date: ${results.date}; ${results.machine.cores} × ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}
- 1-minute load average at the start: ${load} (the machine is shared)

| Scenario | Jobs | Handled | Seconds | Changes/s | Polls | Empty polls | Permitted polls | Polls before permitted time | Refused by rate limit |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row(full)}
${row(idle)}
${row(limited)}

- **Full queue**: ${full.changesPerSecond} changes/s (poll, handler, confirm per change). After a change the service
  permits the next poll at once, so nothing but the round trips limits this.
- **Empty queue**: ${idle.polls} polls in ${idle.seconds} s with a ${idle.emptyQueueDelayMs} ms empty-queue delay, where at
  most ${idle.permittedPolls} were permitted: ${(idleRatio * 100).toFixed(0)} % of the permitted rate, ${idle.pollsBeforePermittedTime} before
  the permitted time. The gap to 100 % is the jitter each worker adds to spread out, plus one round trip per poll.
- **Rate limit** (10 requests/s per organization and a 30 s block, as the real DoSFilter; run cut at 45 s):
  ${limited.changesPerSecond} changes/s, ${limited.rateLimited} requests refused with 429. Each change costs two requests (poll,
  confirm), so the limit permits 5 changes/s per organization. The worker does not pace itself below the limit: it
  runs into the block and then waits 30 s, which costs far more than pacing would (a token bucket of 10 requests/s
  shared by the workers of an organization would hold ~5 changes/s). Never polling early is kept either way.
`,
)
