/**
 * `create` throughput over keep-alive mutual TLS against the simulator: the client (effect's fetch HttpClient over
 * undici with the sender's certificate) versus raw undici posting the same prebuilt request bytes to the same
 * server with the same agent settings. Bundle building is excluded from both (the client gets the prebuilt bundle)
 * and measured separately. Writes bench/RESULTS.md.
 *
 * Run: pnpm bench   (BENCH_REQUESTS, BENCH_CONCURRENCY, BENCH_ROUNDS to change the workload)
 */
import { writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { type Pki, Simulator } from "@signering/simulator"
import { Effect, Layer, References } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { Agent, fetch as undiciFetch, request as undiciRequest } from "undici"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import { jobMultipart } from "../src/internal/multipart.js"
import { dispatcherHttpClient } from "./dispatcherHttpClient.js"

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const ORG = "123456785"

const minimalPdf = (pages: number): Uint8Array => {
  const body = "BT /F1 12 Tf 72 720 Td (Benchmark document) Tj ET"
  let out = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
  out += `2 0 obj\n<< /Type /Pages /Count ${pages} /Kids [${Array.from({ length: pages }, (_, i) => `${3 + i * 2} 0 R`).join(" ")}] >>\nendobj\n`
  for (let i = 0; i < pages; i++) {
    out += `${3 + i * 2} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${4 + i * 2} 0 R >>\nendobj\n`
    out += `${4 + i * 2} 0 obj\n<< /Length ${body.length} >>\nstream\n${body}\nendstream\nendobj\n`
  }
  return new TextEncoder().encode(`${out}trailer\n<< /Root 1 0 R >>\n%%EOF\n`)
}

const agentFor = (sender: Pki.SenderCredentials, ca: string) =>
  new Agent({
    connect: { cert: sender.chainPem, key: sender.privateKeyPem, ca, checkServerIdentity: () => undefined },
    connections: CONCURRENCY,
    keepAliveTimeout: 30_000,
  })

/** Runs `task` REQUESTS times with CONCURRENCY in flight; returns requests per second. */
const throughput = async (task: () => Promise<void>): Promise<number> => {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++
        await task()
      }
    }),
  )
  return REQUESTS / ((performance.now() - started) / 1000)
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const main = async () => {
  const sim = await Simulator.start({ signingTimeLeniencyMs: 24 * 60 * 60 * 1000, requestLogLimit: 100 })
  const sender = sim.pki.sender(ORG)
  const keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
  const job = DirectJob.makeOrThrow({
    title: "Benchmark contract",
    documents: [{ title: "Contract", bytes: minimalPdf(3) }],
    signers: [{ customIdentifier: "bench-signer" }],
    sender: { organizationNumber: ORG },
    exitUrls: {
      completionUrl: "https://sender.example/done",
      rejectionUrl: "https://sender.example/rejected",
      errorUrl: "https://sender.example/error",
    },
  })

  // Bundle building, reported separately (never part of the throughput runs).
  const bundleTimes: Array<number> = []
  let bundle: DocumentBundle.DocumentBundle | undefined
  for (let i = 0; i < 30; i++) {
    const t = performance.now()
    bundle = await Effect.runPromise(DocumentBundle.make(job, keystore))
    bundleTimes.push(performance.now() - t)
  }
  const bigJob = DirectJob.makeOrThrow({ ...job, documents: [{ title: "Big", bytes: minimalPdf(20_000) }] } as never)
  const bigStarted = performance.now()
  const bigBundle = await Effect.runPromise(DocumentBundle.make(bigJob, keystore))
  const bigMs = performance.now() - bigStarted
  const bundleBytes = bundle!.bytes
  const prebuilt = jobMultipart(DirectXml.encodeJobRequest(job), bundleBytes)
  const url = `${sim.url}/${ORG}/direct/signature-jobs`

  const environment = Environment.custom({
    apiRoot: sim.url,
    serverOrganizationNumber: sim.pki.server.organizationNumber,
  })
  const quiet = <A, E>(e: Effect.Effect<A, E>) =>
    Effect.runPromise(e.pipe(Effect.provideService(References.MinimumLogLevel, "Error")))
  const headers = { "content-type": prebuilt.contentType, accept: "application/xml" }
  const agents: Array<Agent> = []
  const newAgent = () => {
    const agent = agentFor(sender, sim.pki.caCertificatePem)
    agents.push(agent)
    return agent
  }
  const makeClient = (layer: Layer.Layer<HttpClient.HttpClient>) =>
    Effect.runPromise(
      DirectClient.make({ environment, sender: { organizationNumber: ORG } }).pipe(Effect.provide(layer)),
    )

  // Raw undici `request`: the same bytes, the same agent settings, undici's fastest API.
  const requestAgent = newAgent()
  const rawRequest = async () => {
    const response = await undiciRequest(url, {
      dispatcher: requestAgent,
      method: "POST",
      headers,
      body: prebuilt.body,
    })
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`raw: ${response.statusCode} ${text}`)
  }
  // The client over a dispatcher-based HttpClient (as with @signering/node-tls).
  const dispatcherClient = await makeClient(Layer.succeed(HttpClient.HttpClient)(dispatcherHttpClient(newAgent())))
  const viaDispatcher = async () => {
    await quiet(dispatcherClient.create(job, { bundle: bundleBytes }))
  }
  // Raw undici `fetch` with the same bytes, and the client over effect's FetchHttpClient with that fetch.
  const fetchAgent = newAgent()
  const rawFetch = async () => {
    const response = await undiciFetch(url, { dispatcher: fetchAgent, method: "POST", headers, body: prebuilt.body })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`raw fetch: ${response.status} ${text}`)
  }
  const clientFetchAgent = newAgent()
  const fetchImpl = ((input: string, init: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher: clientFetchAgent } as never)) as unknown as typeof fetch
  const fetchClient = await makeClient(
    FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch)(fetchImpl))),
  )
  const viaFetch = async () => {
    await quiet(fetchClient.create(job, { bundle: bundleBytes }))
  }

  const paths = { rawRequest, viaDispatcher, rawFetch, viaFetch }
  const runs: Record<keyof typeof paths, Array<number>> = {
    rawRequest: [],
    viaDispatcher: [],
    rawFetch: [],
    viaFetch: [],
  }
  // Warm up every path (TLS sessions, JIT), then interleave rounds so load from elsewhere hits all alike.
  for (let i = 0; i < 40; i++) for (const task of Object.values(paths)) await task()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, task] of Object.entries(paths)) runs[name as keyof typeof paths].push(await throughput(task))
  }
  await Promise.all(agents.map((a) => a.close()))
  await sim.close()

  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof paths,
    number
  >
  // Per-round ratios: each round runs the paths back to back, so load from elsewhere on this shared machine
  // mostly cancels out within a round; their median is the headline.
  const perRound = (a: keyof typeof paths, b: keyof typeof paths) => median(runs[a].map((x, i) => x / runs[b][i]!))
  const ratio = perRound("viaDispatcher", "rawRequest")
  const fetchRatio = perRound("viaFetch", "rawFetch")
  const fmt = (n: number) => n.toFixed(1)
  const row = (label: string, key: keyof typeof paths) =>
    `| ${label} | ${runs[key].map(fmt).join(", ")} | ${fmt(m[key])} |`
  const report = `# @signering/client benchmark

\`create\` over keep-alive mutual TLS against the simulator (same process, loopback), the client versus raw undici
posting the same prebuilt multipart bytes to the same server, each path with its own agent of the same settings
(${CONCURRENCY} connections). Bundle building is excluded from every path (the client gets the prebuilt bundle) and
reported below.

- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown"}, Node ${process.versions.node} (shared with other work)
- Workload: ${REQUESTS} creates per run, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds per path;
  job with one 3-page PDF, bundle ${bundleBytes.length} bytes, request ${prebuilt.body.length} bytes

| Path | Runs (creates/s) | Median (creates/s) |
|---|---|---|
${row("raw undici `request` (prebuilt bytes)", "rawRequest")}
${row("client `create(job, { bundle })` over a dispatcher HttpClient (the node-tls approach)", "viaDispatcher")}
${row("raw undici `fetch` (prebuilt bytes)", "rawFetch")}
${row("client `create(job, { bundle })` over effect's FetchHttpClient with undici fetch", "viaFetch")}

**Client / raw undici: ${ratio.toFixed(3)}×** (median of the per-round ratios; goal ≥ 0.9×: ${ratio >= 0.9 ? "met" : "NOT met"}).
Over fetch, client / raw fetch: ${fetchRatio.toFixed(3)}×. Per-round ratios client/raw:
${runs.viaDispatcher.map((x, i) => (x / runs.rawRequest[i]!).toFixed(2)).join(", ")}.

The client's per-request work on top of raw undici: encoding the request XML, building the multipart body (one copy
of the zip), effect's HttpClient (with its span and trace headers), the retry and timeout wrappers, its own span and
log line, and decoding the XML response. The server side (multipart parsing, schema and XAdES signature
verification, job creation) is the same for every path and runs in the same process.

## Bundle building (not part of the runs above)

| Bundle | Time |
|---|---|
| one 3-page PDF (${bundleBytes.length} bytes), median of ${bundleTimes.length} | ${median(bundleTimes).toFixed(2)} ms |
| one large PDF (${(bigJob.documents[0]!.bytes.length / 1e6).toFixed(1)} MB → bundle ${(bigBundle.bytes.length / 1e6).toFixed(1)} MB), once | ${bigMs.toFixed(0)} ms |
`
  writeFileSync(new URL("./RESULTS.md", import.meta.url), report)
  console.log(report)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
