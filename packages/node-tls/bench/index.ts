/**
 * `create` over keep-alive mutual TLS against the simulator, three ways, each with its own pool of the same size
 * and the same TLS settings (`NodeTlsTransport.connectOptions`):
 *
 * - raw undici `request` posting prebuilt multipart bytes (the baseline),
 * - effect's `HttpClient` from `NodeTlsTransport.layer` posting the same bytes (the adapter's own cost),
 * - `DirectClient.create(job, { bundle })` over `NodeTlsTransport.layer` (the whole client, bundle prebuilt).
 *
 * Bundle building is excluded from all three. Writes bench/RESULTS.md.
 * Run: pnpm bench   (BENCH_REQUESTS, BENCH_CONCURRENCY, BENCH_ROUNDS change the workload)
 */
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { DirectClient, Environment, RateLimiter } from "@signering/client"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Layer, ManagedRuntime } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Agent, request } from "undici"
import { NodeTlsTransport } from "../src/index.js"

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const ORG = "123456785"

const pdf = (pages: number): Uint8Array => {
  const body = "BT /F1 12 Tf 72 720 Td (Benchmark document) Tj ET"
  let out = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
  out += `2 0 obj\n<< /Type /Pages /Count ${pages} /Kids [${Array.from({ length: pages }, (_, i) => `${3 + i * 2} 0 R`).join(" ")}] >>\nendobj\n`
  for (let i = 0; i < pages; i++) {
    out += `${3 + i * 2} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${4 + i * 2} 0 R >>\nendobj\n`
    out += `${4 + i * 2} 0 obj\n<< /Length ${body.length} >>\nstream\n${body}\nendstream\nendobj\n`
  }
  return new TextEncoder().encode(`${out}trailer\n<< /Root 1 0 R >>\n%%EOF\n`)
}

/** multipart/mixed as the service expects it: the XML part, then the zip. */
const multipart = (xml: string, zip: Uint8Array) => {
  const boundary = `bench-${randomBytes(12).toString("hex")}`
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/xml\r\n\r\n${xml}\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`,
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  return { body: Buffer.concat([head, zip, tail]), contentType: `multipart/mixed; boundary=${boundary}` }
}

const SEQUENTIAL_REQUESTS = Number(process.env.BENCH_SEQUENTIAL_REQUESTS ?? 100)

const throughput = async (
  task: () => Promise<void>,
  concurrency = CONCURRENCY,
  requests = REQUESTS,
): Promise<number> => {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++
        await task()
      }
    }),
  )
  return requests / ((performance.now() - started) / 1000)
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
  const environment = Environment.custom({
    apiRoot: sim.url,
    serverOrganizationNumber: sim.pki.server.organizationNumber,
    trustAnchors: [sim.pki.caCertificatePem],
  })
  const job = DirectJob.makeOrThrow({
    title: "Benchmark contract",
    documents: [{ title: "Contract", bytes: pdf(3) }],
    signers: [{ customIdentifier: "bench-signer" }],
    sender: { organizationNumber: ORG },
    exitUrls: {
      completionUrl: "https://sender.example/done",
      rejectionUrl: "https://sender.example/rejected",
      errorUrl: "https://sender.example/error",
    },
  })
  const bundleTimes: Array<number> = []
  let bundle: Uint8Array = new Uint8Array()
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    bundle = (await Effect.runPromise(DocumentBundle.make(job, keystore))).bytes
    bundleTimes.push(performance.now() - started)
  }
  const prebuilt = multipart(DirectXml.encodeJobRequest(job), bundle)
  const url = `${sim.url}/${ORG}/direct/signature-jobs`
  const headers = { "content-type": prebuilt.contentType, accept: "application/xml" }

  const connect = await Effect.runPromise(NodeTlsTransport.connectOptions({ keystore, environment }))
  const rawAgent = new Agent({ connect, connections: CONCURRENCY })
  const raw = async () => {
    const response = await request(url, { dispatcher: rawAgent, method: "POST", headers, body: prebuilt.body })
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`raw: ${response.statusCode} ${text}`)
  }

  const transport = () => NodeTlsTransport.layer({ keystore, environment, connections: CONCURRENCY })
  const httpRuntime = ManagedRuntime.make(transport())
  const httpRequest = HttpClientRequest.post(url).pipe(
    HttpClientRequest.setHeaders({ accept: "application/xml" }),
    HttpClientRequest.bodyUint8Array(prebuilt.body, prebuilt.contentType),
  )
  const adapter = () =>
    httpRuntime.runPromise(
      Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(httpRequest)).pipe(
        Effect.flatMap((response) =>
          Effect.flatMap(response.text, (text) =>
            response.status === 200 ? Effect.void : Effect.die(new Error(`adapter: ${response.status} ${text}`)),
          ),
        ),
      ),
    )

  const clientRuntime = ManagedRuntime.make(
    Layer.provide(
      // The default pacing with a limit this bench never reaches (the service's 10 requests/s would measure waits).
      DirectClient.layer({
        environment,
        sender: { organizationNumber: ORG },
        rateLimiter: RateLimiter.make({ requestsPerSecond: 5000 }),
      }),
      transport(),
    ),
  )
  // The service is looked up once, as an application holds its client; each create is run as an application runs an
  // effect (its success line is debug, below the default minimum level).
  const service = await clientRuntime.runPromise(DirectClient.DirectClient)
  const client = () => Effect.runPromise(Effect.asVoid(service.create(job, { bundle })))

  const paths = { raw, adapter, client }
  const runs: Record<keyof typeof paths, Array<number>> = { raw: [], adapter: [], client: [] }
  for (let i = 0; i < 40; i++) for (const task of Object.values(paths)) await task()
  // The order of the paths changes every round: a path that runs right after another one pays for caches that one
  // left cold (measured here up to 40 µs per create), so a fixed order would bias the comparison.
  const shuffled = () => Object.entries(paths).sort(() => Math.random() - 0.5)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, task] of shuffled()) runs[name as keyof typeof paths].push(await throughput(task))
  }
  // One create at a time: nothing overlaps the client's own work with the server's.
  const sequentialRuns: Record<keyof typeof paths, Array<number>> = { raw: [], adapter: [], client: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, task] of shuffled()) {
      sequentialRuns[name as keyof typeof paths].push(await throughput(task, 1, SEQUENTIAL_REQUESTS))
    }
  }
  await Promise.all([rawAgent.close(), httpRuntime.dispose(), clientRuntime.dispose()])
  await sim.close()

  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof paths,
    number
  >
  // Load from other work on the machine drifts between rounds; a ratio within one round (the paths run back to
  // back) is steadier than a ratio of medians.
  const ratio = (key: keyof typeof paths, of = runs) => median(of[key].map((value, round) => value / of.raw[round]!))
  const fmt = (n: number) => n.toFixed(1)
  const row = (label: string, key: keyof typeof paths) =>
    `| ${label} | ${runs[key].map(fmt).join(", ")} | ${fmt(m[key])} | ${ratio(key).toFixed(3)}× |`
  const seqRow = (label: string, key: keyof typeof paths) =>
    `| ${label} | ${sequentialRuns[key].map(fmt).join(", ")} | ${fmt(median(sequentialRuns[key]))} | ${ratio(key, sequentialRuns).toFixed(3)}× |`
  const report = `# @signering/node-tls benchmark

\`create\` over keep-alive mutual TLS against the simulator (same process, loopback). Each path has its own pool of
${CONCURRENCY} connections with the same TLS settings (\`NodeTlsTransport.connectOptions\`: client certificate, the
simulator's CA as the only anchor, the organization-number check). Bundle building is excluded from every path.

- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown"}, Node ${process.versions.node} (shared with other work)
- Workload: ${REQUESTS} creates per run, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds per path, the order of the paths
  shuffled every round;
  one 3-page PDF, bundle ${bundle.length} bytes, request ${prebuilt.body.length} bytes

| Path | Runs (creates/s) | Median | vs raw (median of per-round ratios) |
|---|---|---|---|
${row("raw undici `request`, prebuilt bytes (baseline)", "raw")}
${row("effect `HttpClient` from `NodeTlsTransport.layer`, same bytes", "adapter")}
${row("`DirectClient.create(job, { bundle })` over `NodeTlsTransport.layer`", "client")}

**Adapter / raw: ${ratio("adapter").toFixed(3)}×; client / raw: ${ratio("client").toFixed(3)}×** (goal ≥ 0.9×).

One create at a time (${SEQUENTIAL_REQUESTS} creates per run, ${ROUNDS} interleaved rounds per path):

| Path | Runs (creates/s) | Median | vs raw |
|---|---|---|---|
${seqRow("raw undici `request`, prebuilt bytes (baseline)", "raw")}
${seqRow("effect `HttpClient` from `NodeTlsTransport.layer`, same bytes", "adapter")}
${seqRow("`DirectClient.create(job, { bundle })` over `NodeTlsTransport.layer`", "client")}

**One at a time: adapter / raw ${ratio("adapter", sequentialRuns).toFixed(3)}×; client / raw, sequential: ${ratio("client", sequentialRuns).toFixed(3)}×** (goal ≥ 0.9×).

The server (multipart parsing, XSD and XAdES verification, job creation) runs in the same process on the same two
cores and dominates each request; what differs between the paths is the client-side work: effect's HttpClient
(span, trace headers), and for the client also XML encoding, the multipart body, retry/timeout wrappers, its own
span and log line, and decoding the response.

Bundle building (not part of the runs): median of ${bundleTimes.length}, ${median(bundleTimes).toFixed(2)} ms.
`
  writeFileSync(new URL("./RESULTS.md", import.meta.url), report)
  // Read by tooling/scripts/bench-report.mjs (keys as in its GOALS).
  const metrics = {
    createVsRawUndiciNodeTls: Number(ratio("client").toFixed(3)),
    createVsRawUndiciNodeTlsSequential: Number(ratio("client", sequentialRuns).toFixed(3)),
  }
  writeFileSync(
    new URL("./results.json", import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), metrics }, null, 2)}\n`,
  )
  console.log(report)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
