/**
 * Job creations per second over keep-alive mutual TLS, with the simulator's full intake (multipart parsing, schema
 * validation of the request and manifest, unzip, XAdES verification, limits). Requests are prebuilt with the protocol
 * package's DocumentBundle.make, so the client side costs little; the simulator runs in its own process (as a server
 * would) with its clock frozen at build time, so every prebuilt SigningTime stays within ±5 s.
 *
 * Run: pnpm bench (in packages/simulator). Writes bench/RESULTS.md.
 */

import { type ChildProcess, fork } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { Effect } from "effect"
import { Agent, request } from "undici"
import { minimalPdf, multipart } from "../test/support/bundle.js"

const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8_000)
const WARMUP_MS = 2_000
const DISTINCT_REQUESTS = 32

/** A valid PDF padded with a comment to roughly `size` bytes (document size drives the digest and zip work). */
const pdfOfSize = (size: number): Uint8Array => {
  const base = new TextDecoder().decode(minimalPdf("Kontrakt"))
  const pad = Math.max(0, size - base.length)
  const filler = `%${"x".repeat(78)}\n`.repeat(Math.ceil(pad / 80)).slice(0, pad)
  return new TextEncoder().encode(base.replace("%PDF-1.4\n", `%PDF-1.4\n${filler}`))
}

interface Row {
  readonly label: string
  readonly concurrency: number
  readonly documentBytes: number
  readonly created: number
  readonly failed: number
  readonly seconds: number
  readonly perSecond: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  /** Simulator process CPU time (all threads) per creation: independent of other load on the machine. */
  readonly cpuMs: number
  /** Creations per xmllint run (how many requests' validations shared one libxml2 run). */
  readonly perRun: number
  readonly fallbacks: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

interface Server {
  readonly url: string
  readonly files: Record<string, string>
  readonly organizationNumber: string
  readonly child: ChildProcess
}

/** Starts the simulator in a child process, so the load generator does not share its event loop. */
const startServer = async (instant: number): Promise<Server> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sim-bench-"))
  const child = fork(fileURLToPath(new URL("./server.ts", import.meta.url)), [dir, String(instant)], {
    execArgv: [
      "--conditions=@signering/source",
      "--import",
      "tsx",
      // BENCH_PROFILE=<dir> writes a V8 CPU profile of the simulator process per scenario.
      ...(process.env["BENCH_PROFILE"] ? ["--cpu-prof", `--cpu-prof-dir=${process.env["BENCH_PROFILE"]}`] : []),
    ],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  })
  const line = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const nl = out.indexOf("\n")
      if (nl !== -1) resolve(out.slice(0, nl))
    })
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
  })
  return { ...(JSON.parse(line) as Omit<Server, "child">), child }
}

interface Sample {
  readonly creations: number
  readonly cpuMicros: number
  /** xmllint runs in the simulator (one validates every request that waited for it). */
  readonly xmllintRuns: number
  /** Batched runs whose output could not be split per request (re-run one by one). */
  readonly fallbacks: number
}

const sample = (server: Server) =>
  new Promise<Sample>((resolve) => {
    server.child.once("message", (m) => resolve(m as Sample))
    server.child.send("counters")
  })

/**
 * `distinctXml`: every request carries its own reference, so no two request XMLs are alike and the intake's schema
 * verdict cache never hits (libxml2 validates every request). Otherwise the 32 prebuilt requests repeat verbatim.
 */
const run = async (label: string, concurrency: number, documentBytes: number, distinctXml: boolean): Promise<Row> => {
  // Frozen simulator clock: every prebuilt SigningTime stays within the ±5 s window for the whole run.
  const instant = Date.now()
  const server = await startServer(instant)
  const sender = {
    organizationNumber: server.organizationNumber,
    chainPem: readFileSync(server.files[`sender.${server.organizationNumber}.chain`]!, "utf8"),
    privateKeyPem: readFileSync(server.files[`sender.${server.organizationNumber}.privateKey`]!, "utf8"),
  }
  const caPem = readFileSync(server.files["caCertificate"]!, "utf8")
  const keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
  const url = `${server.url}/${sender.organizationNumber}/direct/signature-jobs`
  const requests = await Promise.all(
    Array.from({ length: DISTINCT_REQUESTS }, async (_, i) => {
      const job = DirectJob.makeOrThrow(
        {
          title: `Arbeidsavtale ${i}`,
          description: "Les gjennom og signer.",
          reference: `bench-${i}`,
          documents: [{ title: "Kontrakt", bytes: pdfOfSize(documentBytes) }],
          signers: [{ customIdentifier: `kunde-${i}` }, { customIdentifier: `kunde-${i}-b` }],
          sender: { organizationNumber: sender.organizationNumber },
          exitUrls: {
            completionUrl: "https://sender.example/done",
            rejectionUrl: "https://sender.example/rejected",
            errorUrl: "https://sender.example/error",
          },
        },
        {},
      )
      const bundle = await Effect.runPromise(
        DocumentBundle.make(job, keystore, { signingTime: new Date(instant), timeZone: "Europe/Oslo" }),
      )
      return { xml: DirectXml.encodeJobRequest(job), reference: `<reference>bench-${i}</reference>`, zip: bundle.bytes }
    }),
  )
  const agent = new Agent({
    connections: concurrency,
    keepAliveTimeout: 30_000,
    connect: {
      key: sender.privateKeyPem,
      cert: sender.chainPem,
      ca: caPem,
      checkServerIdentity: () => undefined,
    },
  })
  const post = async (i: number) => {
    const prebuilt = requests[i % requests.length]!
    // The reference is outside the signed bundle, so changing it needs no new signature.
    const xml = distinctXml
      ? prebuilt.xml.replace(prebuilt.reference, `<reference>bench-${i}-${i % requests.length}</reference>`)
      : prebuilt.xml
    const r = multipart([
      { type: "application/xml", body: new TextEncoder().encode(xml) },
      { type: "application/octet-stream", body: prebuilt.zip },
    ])
    const res = await request(url, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": r.contentType, accept: "application/xml" },
      body: r.body,
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`create answered ${res.statusCode}: ${text.slice(0, 300)}`)
  }
  // Fail fast on a broken set-up rather than measuring error responses.
  await post(0)

  let counter = 0
  const phase = async (ms: number) => {
    const latencies: Array<number> = []
    let failed = 0
    const deadline = performance.now() + ms
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const started = performance.now()
          try {
            await post(counter++)
            latencies.push(performance.now() - started)
          } catch {
            failed++
          }
        }
      }),
    )
    return { latencies, failed }
  }
  await phase(WARMUP_MS)
  const before = await sample(server)
  const started = performance.now()
  const { latencies, failed } = await phase(DURATION_MS)
  const seconds = (performance.now() - started) / 1000
  const after = await sample(server)
  const created = after.creations - before.creations
  const cpuMsPerCreation = (after.cpuMicros - before.cpuMicros) / 1000 / Math.max(1, created)
  await agent.close()
  const exited = new Promise((resolve) => server.child.once("exit", resolve))
  server.child.kill("SIGTERM")
  await exited
  latencies.sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 10) / 10
  return {
    label,
    concurrency,
    documentBytes,
    created,
    failed,
    seconds: round(seconds),
    perSecond: round(created / seconds),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    cpuMs: Math.round(cpuMsPerCreation * 100) / 100,
    perRun: after.xmllintRuns === before.xmllintRuns ? 0 : round(created / (after.xmllintRuns - before.xmllintRuns)),
    fallbacks: after.fallbacks - before.fallbacks,
  }
}

const scenarios: ReadonlyArray<[string, number, number, boolean]> = [
  ["small document, every request distinct, concurrency 8", 8, 2_000, true],
  ["small document, every request distinct, concurrency 16", 16, 2_000, true],
  ["200 KB document, every request distinct, concurrency 8", 8, 200_000, true],
  ["small document, 32 requests repeated (schema verdicts cached), concurrency 8", 8, 2_000, false],
]
const loadBefore = os.loadavg()[0]!.toFixed(2)
const rows: Array<Row> = []
for (const [label, concurrency, bytes, distinct] of scenarios) {
  const row = await run(label, concurrency, bytes, distinct)
  rows.push(row)
  console.log(
    `${label}: ${row.perSecond} creations/s (${row.created} in ${row.seconds} s, ${row.failed} failed), ` +
      `latency p50 ${row.p50} ms, p95 ${row.p95} ms, p99 ${row.p99} ms, ` +
      `simulator CPU ${row.cpuMs} ms/creation (≈ ${Math.round(1000 / row.cpuMs)}/s per core), ` +
      `${row.perRun} creations per xmllint run, ${row.fallbacks} batch fallbacks`,
  )
}

const cpus = os.cpus()
/** A markdown table padded the way the repository's formatter (biome) writes it. */
const markdownTable = (header: ReadonlyArray<string>, body: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")
}
const table = markdownTable(
  [
    "Scenario",
    "Concurrency",
    "Document bytes",
    "Creations/s",
    "Created",
    "Failed",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "Simulator CPU ms/creation",
    "Creations/s per core",
    "Creations per xmllint run",
  ],
  rows.map((r) => [
    r.label,
    String(r.concurrency),
    String(r.documentBytes),
    `**${r.perSecond}**`,
    String(r.created),
    String(r.failed),
    String(r.p50),
    String(r.p95),
    String(r.p99),
    String(r.cpuMs),
    String(Math.round(1000 / r.cpuMs)),
    r.perRun === 0 ? "(cached)" : r.fallbacks > 0 ? `${r.perRun} (${r.fallbacks} fallbacks)` : String(r.perRun),
  ]),
)
const results = `# Simulator benchmark: job creations per second

Written by \`pnpm bench\` (bench/index.ts). Every request goes over keep-alive mutual TLS (undici Agent, one connection
per concurrent worker) and through the full intake: multipart parsing, schema validation of the request XML and
the manifest, unzip, XAdES verification of META-INF/signatures.xml (every digest, SignedProperties, RSA-SHA256,
signing certificate = TLS client certificate, SigningTime), limits. Requests are prebuilt with
\`DocumentBundle.make\` (${DISTINCT_REQUESTS} distinct bundles, reused round-robin, two signers each); in the "every
request distinct" rows each request also gets its own reference, so the intake's cache of schema verdicts never
hits and libxml2 validates every request, as it would for real traffic. Goal: ≥ 200 creations/s.

- Machine: ${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${os.platform()} ${os.release()}
- Date: ${new Date().toISOString()}; 1-minute load average before / after: ${loadBefore} / ${os.loadavg()[0]!.toFixed(2)}
  (other work on the machine competes for the same cores; compare runs only at similar load)
- "Simulator CPU ms/creation" is the simulator process's CPU time (all threads) per created job; "per core" is
  1000 divided by it. CPU per creation does not depend on other load; the throughput does (see "What limits it").
- Measured for ${DURATION_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up; the simulator runs in its own process, the load generator in another, on the same machine.

${table}
`
writeFileSync(new URL("./RESULTS.md", import.meta.url), `${results}${notes()}`)
console.log("wrote bench/RESULTS.md")

/** Hand-written analysis kept beside the numbers (bench/NOTES.md), appended when present. */
function notes(): string {
  const path = new URL("./NOTES.md", import.meta.url)
  return existsSync(path) ? `\n${readFileSync(path, "utf8")}` : ""
}
