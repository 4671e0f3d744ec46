/**
 * The client's own CPU per create, without sockets: an in-memory HttpClient answers every request, and each variant
 * adds one layer of what \`create\` does (execute + text, XML decoding, timeout and retry, log and span, the whole
 * client). CPU time per operation, medians over rounds. Run: node --conditions=@signering/source --import tsx bench/overhead.ts
 */
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { DirectServerXml } from "@signering/protocol/server"
import { Pki } from "@signering/simulator"
import { Context, Duration, Effect, Layer, References, Schedule } from "effect"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import { jobMultipart } from "../src/internal/multipart.js"

const pki = await Pki.make()
const sender = pki.sender("123456785")
const keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
const pdf = new TextEncoder().encode(
  "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
)
const job = DirectJob.makeOrThrow({
  title: "t",
  documents: [{ title: "d", bytes: pdf }],
  signers: [{ customIdentifier: "s" }],
  sender: { organizationNumber: "123456785" },
  exitUrls: { completionUrl: "https://a.example/", rejectionUrl: "https://a.example/", errorUrl: "https://a.example/" },
})
const bundle = await Effect.runPromise(DocumentBundle.make(job, keystore))
const responseXml = DirectServerXml.encodeJobResponse({
  signatureJobId: 1n,
  statusUrl: "https://x.example/api/123456785/direct/signature-jobs/1/status",
  signers: [
    {
      href: "https://x.example/api/123456785/direct/signature-jobs/1/signers/1",
      signer: { _tag: "CustomIdentifier", value: "s" },
      redirectUrl: "https://p.example/#/redirect/abc",
    },
  ],
})
const fake = HttpClient.make((request) =>
  Effect.succeed(
    HttpClientResponse.fromWeb(
      request,
      new Response(responseXml, { status: 200, headers: { "content-type": "application/xml" } }),
    ),
  ),
)
const client = await Effect.runPromise(
  DirectClient.make({
    environment: Environment.custom({ apiRoot: "https://x.example/api" }),
    sender: { organizationNumber: "123456785" },
    rateLimiter: false, // the bench measures the request path, not the service's 10 requests/s limit
  }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient)(fake))),
)
const run = (e: Effect.Effect<unknown, unknown>) =>
  Effect.runPromise(e.pipe(Effect.provideService(References.MinimumLogLevel, "Error")))
const url = "https://x.example/api/123456785/direct/signature-jobs"
const req = () => {
  const mp = jobMultipart(DirectXml.encodeJobRequest(job), bundle.bytes)
  return HttpClientRequest.post(url).pipe(
    HttpClientRequest.bodyUint8Array(mp.body, mp.contentType),
    HttpClientRequest.setHeaders({ accept: "application/xml", "user-agent": "x" }),
  )
}
const A = () => fake.execute(req()).pipe(Effect.flatMap((r) => r.text))
const B = () => A().pipe(Effect.map((t) => DirectXml.decodeJobResponse(t)))
const C = () =>
  B().pipe(
    Effect.timeoutOrElse({ duration: Duration.seconds(30), orElse: () => Effect.fail(1) }),
    Effect.retry({
      schedule: Schedule.exponential("200 millis", 2).pipe(Schedule.jittered),
      times: 3,
      while: () => true,
    }),
  )
const D = () =>
  C().pipe(
    Effect.onExit(() => Effect.logDebug("x")),
    Effect.annotateLogs({ a: 1, b: 2, c: 3 }),
    Effect.withSpan("x", { attributes: { a: 1 } }, { captureStackTrace: false }),
  )
const variants: Record<string, () => Promise<unknown>> = {
  "A execute+text": () => run(A()),
  "B +decode": () => run(B()),
  "C +timeout+retry": () => run(C()),
  "D +log+span": () => run(D()),
  "client.create": () => run(client.create(job, { bundle: bundle.bytes })),
  "A no propagation": () => run(A().pipe(Effect.provideService(HttpClient.TracerPropagationEnabled, false))),
  "A tracer disabled": () => run(A().pipe(Effect.provideService(HttpClient.TracerDisabledWhen, () => true))),
  "fetch Response text only": () => new Response(responseXml).text(),
}
const totals: Record<string, number> = {}
for (let round = 0; round < 10; round++) {
  for (const [name, f] of Object.entries(variants)) {
    const t = process.cpuUsage()
    for (let i = 0; i < 500; i++) await f()
    const used = process.cpuUsage(t)
    if (round > 1) totals[name] = (totals[name] ?? 0) + (used.user + used.system) / 1000 / 500
  }
}
for (const [name, total] of Object.entries(totals)) console.log(name.padEnd(28), ((total / 8) * 1000).toFixed(1), "µs")
void Context
