/**
 * `create` over keep-alive mutual TLS against the simulator through undici's `fetch`: raw `fetch` posting prebuilt
 * multipart bytes versus effect's `HttpClient` from `FetchTransport.layer` posting the same bytes with the same
 * fetch, each with its own `Agent` of the same settings. Shows what the adapter adds on top of fetch itself.
 * Writes bench/RESULTS.md.  Run: pnpm bench   (BENCH_REQUESTS, BENCH_CONCURRENCY, BENCH_ROUNDS)
 */
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, ManagedRuntime } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Agent, fetch } from "undici"
import { FetchTransport } from "../src/index.js"

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const ORG = "123456785"

const pdf = new TextEncoder().encode(
  "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Count 1 /Kids [3 0 R] >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
)

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
    documents: [{ title: "Contract", bytes: pdf }],
    signers: [{ customIdentifier: "bench-signer" }],
    sender: { organizationNumber: ORG },
    exitUrls: {
      completionUrl: "https://sender.example/done",
      rejectionUrl: "https://sender.example/rejected",
      errorUrl: "https://sender.example/error",
    },
  })
  const bundle = (await Effect.runPromise(DocumentBundle.make(job, keystore))).bytes
  const boundary = `bench-${randomBytes(12).toString("hex")}`
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Type: application/xml\r\n\r\n${DirectXml.encodeJobRequest(job)}\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    bundle,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  const contentType = `multipart/mixed; boundary=${boundary}`
  const url = `${sim.url}/${ORG}/direct/signature-jobs`
  const agent = () =>
    new Agent({
      connections: CONCURRENCY,
      connect: {
        key: sender.privateKeyPem,
        cert: sender.chainPem,
        ca: [sim.pki.caCertificatePem],
        minVersion: "TLSv1.2",
        // The simulator's certificate names no host; its organization is what counts (see @signering/node-tls).
        checkServerIdentity: () => undefined,
      },
    })

  const rawAgent = agent()
  const raw = async () => {
    const response = await fetch(url, {
      dispatcher: rawAgent,
      method: "POST",
      headers: { "content-type": contentType, accept: "application/xml" },
      body,
    })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`raw: ${response.status} ${text}`)
  }

  const adapterAgent = agent()
  const runtime = ManagedRuntime.make(FetchTransport.layer({ fetch, requestInit: { dispatcher: adapterAgent } }))
  const request = HttpClientRequest.post(url).pipe(
    HttpClientRequest.setHeaders({ accept: "application/xml" }),
    HttpClientRequest.bodyUint8Array(body, contentType),
  )
  const adapter = () =>
    runtime.runPromise(
      Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request)).pipe(
        Effect.flatMap((response) =>
          Effect.flatMap(response.text, (text) =>
            response.status === 200 ? Effect.void : Effect.die(new Error(`adapter: ${response.status} ${text}`)),
          ),
        ),
      ),
    )

  const paths = { raw, adapter }
  const runs: Record<keyof typeof paths, Array<number>> = { raw: [], adapter: [] }
  for (let i = 0; i < 40; i++) for (const task of Object.values(paths)) await task()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, task] of Object.entries(paths)) runs[name as keyof typeof paths].push(await throughput(task))
  }
  await Promise.all([rawAgent.close(), runtime.dispose().then(() => adapterAgent.close())])
  await sim.close()

  // A ratio within one round (the paths run back to back) is steadier under drifting load than a ratio of medians.
  const ratio = median(runs.adapter.map((value, round) => value / runs.raw[round]!))
  const fmt = (n: number) => n.toFixed(1)
  const row = (label: string, key: keyof typeof paths) =>
    `| ${label} | ${runs[key].map(fmt).join(", ")} | ${fmt(median(runs[key]))} |`
  const report = `# @signering/fetch benchmark

\`create\` over keep-alive mutual TLS against the simulator (same process, loopback) through undici's \`fetch\`, each
path with its own \`Agent\` of ${CONCURRENCY} connections and the same TLS settings. The request bytes are prebuilt.

- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown"}, Node ${process.versions.node} (shared with other work)
- Workload: ${REQUESTS} creates per run, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds; request ${body.length} bytes

| Path | Runs (creates/s) | Median |
|---|---|---|
${row("raw undici `fetch`", "raw")}
${row("effect `HttpClient` from `FetchTransport.layer` over the same fetch", "adapter")}

**Adapter / raw fetch: ${ratio.toFixed(3)}×** (median of per-round ratios).
`
  writeFileSync(new URL("./RESULTS.md", import.meta.url), report)
  console.log(report)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
