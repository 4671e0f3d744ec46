/**
 * One path of the client bench alone, for `node --cpu-prof`: N creates one at a time (BENCH_PROFILE_PATH=client|raw|http)
 * against the simulator in its own process, then prints the CPU time of this process per create. Run:
 * node --cpu-prof --conditions=@signering/source --import tsx bench/profile.ts
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { Effect, Layer, References } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Agent, request as undiciRequest } from "undici"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import { jobMultipart } from "../src/internal/multipart.js"
import * as RateLimiter from "../src/RateLimiter.js"
import { dispatcherHttpClient } from "./dispatcherHttpClient.js"

const ORG = "123456785"
const N = Number(process.env.BENCH_PROFILE_N ?? 3000)
const PATH = process.env.BENCH_PROFILE_PATH ?? "client"
const dir = mkdtempSync(join(tmpdir(), "signering-client-prof-"))
const child = spawn(
  process.execPath,
  ["--conditions=@signering/source", "--import", "tsx", new URL("./server.ts", import.meta.url).pathname, dir],
  { stdio: ["pipe", "pipe", "inherit"] },
)
const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve))
const { url: apiRoot, files } = JSON.parse(line) as { url: string; files: Record<string, string> }
const read = (key: string) => readFileSync(files[key]!, "utf8")
const sender = { chainPem: read(`sender.${ORG}.chain`), privateKeyPem: read(`sender.${ORG}.privateKey`) }
const ca = read("caCertificate")
const keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
const job = DirectJob.makeOrThrow({
  title: "Benchmark contract",
  documents: [{ title: "Contract", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") }],
  signers: [{ customIdentifier: "bench-signer" }],
  sender: { organizationNumber: ORG },
  exitUrls: {
    completionUrl: "https://sender.example/done",
    rejectionUrl: "https://sender.example/rejected",
    errorUrl: "https://sender.example/error",
  },
})
const bundle = (await Effect.runPromise(DocumentBundle.make(job, keystore))).bytes
const agent = new Agent({
  connect: { cert: sender.chainPem, key: sender.privateKeyPem, ca, checkServerIdentity: () => undefined },
})
const http = dispatcherHttpClient(agent)
const client = await Effect.runPromise(
  DirectClient.make({
    environment: Environment.custom({ apiRoot }),
    sender: { organizationNumber: ORG },
    // Pacing on with a limit never reached, as in bench/index.ts; BENCH_LIMITER=off switches it off.
    rateLimiter: process.env.BENCH_LIMITER === "off" ? false : RateLimiter.make({ requestsPerSecond: 5000 }),
  }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient)(http))),
)
const quiet = <A, E>(e: Effect.Effect<A, E>) =>
  Effect.runPromise(e.pipe(Effect.provideService(References.MinimumLogLevel, "Error")))
const url = `${apiRoot}/${ORG}/direct/signature-jobs`
const paths: Record<string, () => Promise<unknown>> = {
  client: () => quiet(client.create(job, { bundle })),
  raw: async () => {
    const body = jobMultipart(DirectXml.encodeJobRequest(job), bundle)
    const r = await undiciRequest(url, {
      dispatcher: agent,
      method: "POST",
      headers: { "content-type": body.contentType, accept: "application/xml" },
      body: body.body,
    })
    return DirectXml.decodeJobResponse(await r.body.text())
  },
  http: () => {
    const body = jobMultipart(DirectXml.encodeJobRequest(job), bundle)
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.setHeaders({ accept: "application/xml" }),
      HttpClientRequest.bodyUint8Array(body.body, body.contentType),
    )
    return quiet(
      http.execute(request).pipe(
        Effect.flatMap((r) => r.text),
        Effect.map(DirectXml.decodeJobResponse),
      ),
    )
  },
}
const task = paths[PATH]!
for (let i = 0; i < 200; i++) await task()
const before = process.cpuUsage()
for (let i = 0; i < N; i++) await task()
const used = process.cpuUsage(before)
console.log(PATH, (used.user + used.system) / N, "µs CPU per create")
await agent.close()
child.stdin!.end()
rmSync(dir, { recursive: true, force: true })
