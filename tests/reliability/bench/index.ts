/**
 * `pnpm bench`: the polling worker's throughput against the rate the service permits.
 *
 * 1. Full queue: `BENCH_POLLING_JOBS` (default 300) POLLING jobs are signed before two `Polling.run` workers start;
 *    the time until every change was handled and confirmed gives changes per second. After a change the service
 *    permits the next poll at once, so here the permitted rate is bounded only by the service's rate limit.
 * 2. Empty queue: the two workers poll an empty queue for `BENCH_POLLING_IDLE_SECONDS` (default 10) with a 250 ms
 *    empty-queue delay: the permitted rate is one poll per delay; the worker should come close to it (no wasted
 *    time) and never exceed it (the simulator counts polls before the permitted time).
 * 3. Pacing under the real rate limit (10 requests/s per organization, 429 `DoSFilter`, 30 s block): 40 concurrent
 *    creates (all must succeed), then two workers drain the 40 changes: changes per second and how many requests the
 *    limit refused (goal: ≥ 4 changes/s, 0 refused). The client paces with its process-wide limiter.
 * 5. Two sender processes (`bench/redisWorker.ts`), each one worker paced through Redis (`@signering/redis-limiter`),
 *    drain the same 40 changes under the real rate limit: changes per second summed, requests refused.
 * 4. What pacing costs below the limit: creates per second with a limiter that is never reached vs `rateLimiter:
 *    false`, interleaved rounds on two simulators, plus the cost of one `take` measured alone.
 *
 * Writes bench/RESULTS.md and bench/results.json (read by tooling/scripts/bench-report.mjs).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { DirectClient, Polling, RateLimiter } from "@signering/client"
import { Effect, Fiber, Redacted } from "effect"
import { startRedis } from "../../../packages/redis-limiter/test/support/redis.js"
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
    // These two measure the worker against what the service permits, not pacing (scenarios 3 and 4 do).
    client: { retry: { times: 3, base: "1 second" }, rateLimiter: false },
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

const jobInput = (i: number, pin: string) => ({
  title: `Pacing bench ${i}`,
  documents: [{ title: "Contract", bytes: pdf() }],
  signers: [{ personalIdentificationNumber: Redacted.make(pin) }],
  exitUrls: {
    completionUrl: "https://sender.example/done",
    rejectionUrl: "https://sender.example/rejected",
    errorUrl: "https://sender.example/error",
  },
  statusRetrievalMethod: "POLLING" as const,
  sender: { organizationNumber: ORG, pollingQueue: QUEUE },
})

/** Scenario 3: 40 concurrent creates, then the full queue drained by two workers, under the real rate limit. */
const pacing = async () => {
  const jobs = 40
  const world = await startWorld({
    simulator: {
      emptyQueuePollDelayMs: 1_000,
      signingTimeLeniencyMs: 600_000,
      rateLimit: { requestsPerSecond: 10, blockMs: 30_000 },
    },
    client: { retry: { times: 3, base: "1 second" } },
    connections: 8,
  })
  try {
    const people = pins(jobs, 70_000)
    const createStarted = performance.now()
    const created = await world.run(
      Effect.forEach(
        people,
        (pin, i) =>
          Effect.gen(function* () {
            const client = yield* DirectClient.DirectClient
            return yield* client.create(jobInput(i, pin))
          }).pipe(Effect.result),
        { concurrency: "unbounded" },
      ),
    )
    const createSeconds = (performance.now() - createStarted) / 1000
    const succeeded = created.filter((r) => r._tag === "Success")
    const createRefused = world.sim.counters().rateLimited
    for (const [i, r] of created.entries())
      if (r._tag === "Success") await world.sim.sign(r.success.signatureJobId, people[i]!)
    let handled = 0
    let finished = 0
    const before = world.sim.counters()
    const started = performance.now()
    const workers = [1, 2].map(() =>
      world.runtime.runFork(
        Polling.run({
          queue: QUEUE,
          backoff: { base: "1 second", cap: "5 seconds" },
          maxJitter: "50 millis",
          handler: () =>
            Effect.sync(() => {
              handled++
              if (handled === succeeded.length) finished = performance.now()
            }),
        }),
      ),
    )
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && handled < succeeded.length) await sleep(20)
    const elapsed = ((finished || performance.now()) - started) / 1000
    for (const worker of workers) await world.runtime.runPromise(Fiber.interrupt(worker))
    const after = world.sim.counters()
    return {
      name: "pacing: 40 concurrent creates, then the queue drained, rate limit 10 requests/s",
      jobs,
      creates: succeeded.length,
      createSeconds: Math.round(createSeconds * 100) / 100,
      createRefused,
      handled,
      seconds: Math.round(elapsed * 100) / 100,
      changesPerSecond: Math.round((handled / elapsed) * 100) / 100,
      polls: after.polls - before.polls,
      pollsEmpty: after.pollsEmpty - before.pollsEmpty,
      pollsBeforePermittedTime: after.pollsBeforePermittedTime,
      rateLimited: after.rateLimited,
      permittedPolls: undefined,
      emptyQueueDelayMs: 1_000,
    }
  } finally {
    await world.close()
  }
}

/** Scenario 4: creates per second with a limiter never reached vs none; and one take measured alone. */
const pacingOverhead = async () => {
  const ROUNDS = Number(process.env.BENCH_PACING_ROUNDS ?? 4)
  const PER_ROUND = Number(process.env.BENCH_PACING_CREATES ?? 150)
  const unreached = RateLimiter.make({ requestsPerSecond: 100_000 })
  const worlds = {
    paced: await startWorld({ client: { rateLimiter: unreached }, connections: 8 }),
    unpaced: await startWorld({ client: { rateLimiter: false }, connections: 8 }),
  }
  const people = pins(PER_ROUND, 90_000)
  const round = async (world: Awaited<ReturnType<typeof startWorld>>) => {
    const started = performance.now()
    await world.run(
      Effect.forEach(
        people,
        (pin, i) =>
          Effect.gen(function* () {
            const client = yield* DirectClient.DirectClient
            return yield* client.create(jobInput(i, pin))
          }),
        { concurrency: 8, discard: true },
      ),
    )
    return PER_ROUND / ((performance.now() - started) / 1000)
  }
  try {
    await round(worlds.paced) // warm-up of both
    await round(worlds.unpaced)
    const paced: Array<number> = []
    const unpaced: Array<number> = []
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating which goes first, so that drift in the machine's load hits both alike.
      if (r % 2 === 0) {
        paced.push(await round(worlds.paced))
        unpaced.push(await round(worlds.unpaced))
      } else {
        unpaced.push(await round(worlds.unpaced))
        paced.push(await round(worlds.paced))
      }
    }
    const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    // One turn alone, on an organization whose window never fills: the pacing work added to every request. `around`
    // is what the client uses (by answers); `take` (by departures) for comparison.
    const N = 90_000 // below the 100 000 a window holds: no turn waits
    const micros = (effect: Effect.Effect<unknown>) => {
      const t0 = performance.now()
      for (let i = 0; i < N; i++) Effect.runSync(effect)
      return ((performance.now() - t0) * 1000) / N
    }
    const aroundMicros = micros(unreached.around!("111111111", Effect.void))
    const takeMicros = micros(unreached.take("222222222"))
    const pacedMedian = median(paced)
    const unpacedMedian = median(unpaced)
    return {
      name: "pacing overhead below the limit (creates/s, concurrency 8)",
      rounds: ROUNDS,
      perRound: PER_ROUND,
      // As text: results.json stays in the formatter's shape (it prints short arrays on one line).
      paced: paced.map((x) => Math.round(x)).join(", "),
      unpaced: unpaced.map((x) => Math.round(x)).join(", "),
      pacedMedian: Math.round(pacedMedian * 10) / 10,
      unpacedMedian: Math.round(unpacedMedian * 10) / 10,
      ratio: Math.round((pacedMedian / unpacedMedian) * 1000) / 1000,
      aroundMicros: Math.round(aroundMicros * 100) / 100,
      takeMicros: Math.round(takeMicros * 100) / 100,
      // The process's time per create at the unpaced throughput is 1 / throughput: the turn's share of it.
      costShareOfCreatePercent: Math.round((aroundMicros / 1e6) * unpacedMedian * 100 * 1000) / 1000,
    }
  } finally {
    await worlds.paced.close()
    await worlds.unpaced.close()
  }
}

/** Scenario 5: two sender processes paced through Redis drain 40 changes under the real rate limit. */
const twoProcesses = async () => {
  const jobs = 40
  const redis = await startRedis()
  const world = await startWorld({
    simulator: {
      emptyQueuePollDelayMs: 1_000,
      signingTimeLeniencyMs: 600_000,
      rateLimit: { requestsPerSecond: 10, blockMs: 30_000 },
    },
    client: { retry: { times: 3, base: "1 second" } },
    connections: 8,
  })
  const children: Array<ReturnType<typeof spawn>> = []
  try {
    const people = pins(jobs, 110_000)
    const created = await world.run(
      Effect.forEach(
        people,
        (pin, i) =>
          Effect.gen(function* () {
            const client = yield* DirectClient.DirectClient
            return yield* client.create(jobInput(i, pin))
          }),
        { concurrency: "unbounded" },
      ),
    )
    for (const [i, job] of created.entries()) await world.sim.sign(job.signatureJobId, people[i]!)
    const files = await world.sim.pki.writeTo(mkdtempSync(path.join(tmpdir(), "signering-bench-redis-")))
    const before = world.sim.counters()
    const start = world.requests.length
    const keyPrefix = `signering:bench:${process.pid}:`
    for (let n = 0; n < 2; n++) {
      const child = spawn(
        process.execPath,
        [
          "--conditions=@signering/source",
          "--import",
          "tsx",
          fileURLToPath(new URL("redisWorker.ts", import.meta.url)),
        ],
        {
          env: {
            ...process.env,
            SIGNERING_API_ROOT: world.sim.url,
            SIGNERING_CA: files["caCertificate"]!,
            SIGNERING_PKCS12: files[`sender.${ORG}.pkcs12`]!,
            SIGNERING_PKCS12_PASSPHRASE: files[`sender.${ORG}.pkcs12Passphrase`]!,
            SIGNERING_SENDER: ORG,
            SIGNERING_QUEUE: QUEUE,
            SIGNERING_REDIS_URL: redis.url,
            SIGNERING_REDIS_PREFIX: keyPrefix,
          },
          stdio: ["ignore", "inherit", "inherit"],
        },
      )
      children.push(child)
    }
    const confirms = () => world.requests.slice(start).filter((r) => r.route === "confirm" && r.status === 200)
    const deadline = Date.now() + 120_000
    while (Date.now() < deadline && confirms().length < jobs) await sleep(50)
    // From the first poll of either process to the last confirmation: process start-up is not counted.
    const firstPoll = world.requests.slice(start).find((r) => r.route === "poll")
    const done = confirms()
    const elapsed =
      firstPoll === undefined || done.length === 0
        ? Number.NaN
        : (done.at(-1)!.at.getTime() - firstPoll.at.getTime()) / 1000
    const after = world.sim.counters()
    return {
      name: "pacing: two processes paced through Redis drain 40 changes, rate limit 10 requests/s",
      jobs,
      handled: done.length,
      seconds: Math.round(elapsed * 100) / 100,
      changesPerSecond: Math.round((done.length / elapsed) * 100) / 100,
      polls: after.polls - before.polls,
      pollsEmpty: after.pollsEmpty - before.pollsEmpty,
      pollsBeforePermittedTime: after.pollsBeforePermittedTime,
      rateLimited: after.rateLimited - before.rateLimited,
      permittedPolls: undefined,
      emptyQueueDelayMs: 1_000,
    }
  } finally {
    for (const child of children) child.kill("SIGKILL")
    await world.close()
    await redis.stop()
  }
}

const load = loadavg()[0]!.toFixed(2)
const full = await scenario("full queue", { emptyQueueDelayMs: 1_000, jobs: JOBS })
process.stdout.write(`${JSON.stringify(full)}\n`)
const idle = await scenario("empty queue", { emptyQueueDelayMs: 250, jobs: 0 })
process.stdout.write(`${JSON.stringify(idle)}\n`)
const limited = await pacing()
process.stdout.write(`${JSON.stringify(limited)}\n`)
const redisPaced = await twoProcesses()
process.stdout.write(`${JSON.stringify(redisPaced)}\n`)
const overhead = await pacingOverhead()
process.stdout.write(`${JSON.stringify(overhead)}\n`)

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
    pacingCreatesSucceeded: limited.creates,
    pacingCreatesRefused: limited.createRefused,
    pacingCreateThroughputRatio: overhead.ratio,
    pacingAroundMicros: overhead.aroundMicros,
    pacingCostShareOfCreatePercent: overhead.costShareOfCreatePercent,
    pacingRedisTwoProcessesChangesPerSecond: redisPaced.changesPerSecond,
    pacingRedisTwoProcessesRateLimited: redisPaced.rateLimited,
  },
  scenarios: [full, idle, limited, redisPaced, overhead],
}
const dir = fileURLToPath(new URL(".", import.meta.url))
writeFileSync(`${dir}results.json`, `${JSON.stringify(results, null, 2)}\n`)

const row = (s: Omit<typeof full, "handled"> & { readonly handled: number }) =>
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
${row(redisPaced)}

- **Full queue**: ${full.changesPerSecond} changes/s (poll, handler, confirm per change). After a change the service
  permits the next poll at once, so nothing but the round trips limits this.
- **Empty queue**: ${idle.polls} polls in ${idle.seconds} s with a ${idle.emptyQueueDelayMs} ms empty-queue delay, where at
  most ${idle.permittedPolls} were permitted: ${(idleRatio * 100).toFixed(0)} % of the permitted rate, ${idle.pollsBeforePermittedTime} before
  the permitted time. The gap to 100 % is the jitter each worker adds to spread out, plus one round trip per poll.
- **Pacing under the rate limit** (10 requests/s per organization and a 30 s block, as the real DoSFilter): 40
  concurrent creates: ${limited.creates} of 40 succeeded in ${limited.createSeconds} s, ${limited.createRefused} refused with 429.
  Then two workers drained the ${limited.handled} changes at **${limited.changesPerSecond} changes/s**, ${limited.rateLimited} requests refused in all.
  Each change costs two requests (poll, confirm); the client's process-wide limiter lets at most 10 requests start in
  any 1.2 s (8.3/s: the 200 ms margin covers delays between the limiter and the service), so at most ~4.2 changes/s.
- **Two processes paced through Redis** (\`@signering/redis-limiter\`, one worker each, same limit): ${redisPaced.handled}
  changes in ${redisPaced.seconds} s from the first poll to the last confirmation: **${redisPaced.changesPerSecond} changes/s** summed,
  ${redisPaced.rateLimited} requests refused.
- **Pacing below the limit**: creates per second at concurrency 8 with a limiter that is never reached vs
  \`rateLimiter: false\`, ${overhead.rounds} interleaved rounds of ${overhead.perRound}: paced ${overhead.paced} (median ${overhead.pacedMedian}),
  unpaced ${overhead.unpaced} (median ${overhead.unpacedMedian}): ratio ${overhead.ratio}, within the rounds' own spread
  on this shared machine. Measured alone, one turn costs ${overhead.aroundMicros} µs (\`around\`, what the client uses;
  \`take\` ${overhead.takeMicros} µs): **${overhead.costShareOfCreatePercent} %** of the process's time per create at that throughput.
`,
)
