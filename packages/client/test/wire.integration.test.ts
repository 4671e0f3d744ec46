/**
 * What goes on the wire, seen by a plain loopback HTTP server: methods, URLs, Accept and User-Agent headers, the
 * multipart layout of create and the body of a redirect-URL request. (Over TLS the simulator sees the same
 * requests; it does not log headers.)
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import { DirectServerXml } from "@signering/protocol/server"
import { Effect, Layer, Redacted, Stream } from "effect"
import { FetchHttpClient } from "effect/http"
import { fetch as undiciFetch } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TransportError } from "../src/ClientError.js"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import { VERSION } from "../src/internal/userAgent.js"
import { jobInput, ORG_A } from "./support/harness.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: Buffer
}

let server: Server
let root: string
const seen: Array<Seen> = []

const statusXml = (base: string) =>
  DirectServerXml.encodeJobStatusResponse({
    signatureJobId: 7n,
    status: "COMPLETED_SUCCESSFULLY",
    signers: [{ signer: "s1", status: "SIGNED", since: new Date("2026-01-01T10:00:00Z") }],
    confirmationUrl: `${base}/jobs/7/complete`,
    deleteDocumentsUrl: `${base}/jobs/7/delete-documents`,
    xadesUrls: [{ signer: "s1", url: `${base}/jobs/7/xades/1` }],
    padesUrl: `${base}/jobs/7/pades`,
  })

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) })
      const base = `${root}/${ORG_A}/direct`
      const path = req.url!.split("?")[0]!
      const xml = (body: string, status = 200, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/xml", ...headers })
        res.end(body)
      }
      if (req.method === "POST" && path.endsWith("/direct/signature-jobs")) {
        return xml(
          DirectServerXml.encodeJobResponse({
            signatureJobId: 7n,
            statusUrl: `${base}/jobs/7/status`,
            signers: [
              {
                href: `${base}/jobs/7/signers/1`,
                signer: { _tag: "CustomIdentifier", value: "s1" },
                redirectUrl: "https://p.example/#/redirect/t",
              },
            ],
          }),
        )
      }
      if (req.method === "GET" && path.endsWith("/direct/signature-jobs")) {
        res.writeHead(204, { "x-next-permitted-poll-time": "2030-01-01T00:00:00+01:00" })
        return res.end()
      }
      if (path.endsWith("/signers/1")) {
        return xml(
          DirectServerXml.encodeSignerResponse({
            href: `${base}/jobs/7/signers/1`,
            signer: { _tag: "CustomIdentifier", value: "s1" },
            redirectUrl: "https://p.example/#/redirect/u",
          }),
        )
      }
      if (path.endsWith("/status")) return xml(statusXml(base))
      if (path.endsWith("/stalled/pades")) {
        // Headers and a first chunk, then silence: a download that stalls mid-body.
        res.writeHead(200, { "content-type": "application/pdf", "content-length": "1000" })
        res.write("%PDF-1.7\n")
        return
      }
      if (path.endsWith("/pades")) {
        res.writeHead(200, { "content-type": "application/pdf", "content-length": "9" })
        return res.end("%PDF-1.7\n")
      }
      if (path.includes("/xades/")) return xml("<XAdESSignatures/>")
      res.writeHead(200)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  root = `http://127.0.0.1:${(server.address() as { port: number }).port}/api`
})
afterAll(
  () =>
    new Promise((resolve) => {
      server.close(resolve)
      server.closeAllConnections()
    }),
)

const transport = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch)(undiciFetch as never)))

describe("requests on the wire", () => {
  it("every operation sends the documented method, URL and headers", async () => {
    const client = await Effect.runPromise(
      DirectClient.make({
        environment: Environment.custom({ apiRoot: root }),
        sender: { organizationNumber: ORG_A, pollingQueue: "queue 1" },
        userAgentSuffix: "acme-portal/2.0",
      }).pipe(Effect.provide(transport)),
    )
    seen.length = 0
    const { DirectJob } = await import("@signering/protocol")
    const job = DirectJob.makeOrThrow({
      ...jobInput({ signers: [{ customIdentifier: "s1" }] }),
      sender: { organizationNumber: ORG_A },
    })
    const zip = new Uint8Array([80, 75, 3, 4, 1, 2, 3])
    const created = await Effect.runPromise(client.create(job, { bundle: zip }))
    await Effect.runPromise(client.requestNewRedirectUrl(created.signers[0]!))
    const status = await Effect.runPromise(client.getStatus(created.statusUrl!, Redacted.make("tok"), "queue 1"))
    const change = await Effect.runPromise(client.getStatusChange())
    expect(change).toEqual({ _tag: "NoChanges", nextPermittedPollTime: new Date("2029-12-31T23:00:00Z") })
    await Effect.runPromise(client.getPadesBytes(status.padesUrl!))
    await Effect.runPromise(client.getXadesBytes(status.xadesUrls[0]!))
    await Effect.runPromise(client.confirm(status))
    await Effect.runPromise(client.deleteDocuments(status))

    const ua = `signering-ts/${VERSION} (node/${process.versions.node}) acme-portal/2.0`
    const rows = seen.map((s) => [s.method, s.url, s.headers.accept, s.headers["user-agent"]])
    expect(rows).toEqual([
      ["POST", `/api/${ORG_A}/direct/signature-jobs`, "application/xml", ua],
      ["POST", `/api/${ORG_A}/direct/jobs/7/signers/1`, "application/xml", ua],
      [
        "GET",
        `/api/${ORG_A}/direct/jobs/7/status?status_query_token=tok&polling_queue=queue%201`,
        "application/xml",
        ua,
      ],
      ["GET", `/api/${ORG_A}/direct/signature-jobs?polling_queue=queue%201`, "application/xml", ua],
      ["GET", `/api/${ORG_A}/direct/jobs/7/pades`, "application/octet-stream, application/xml", ua],
      ["GET", `/api/${ORG_A}/direct/jobs/7/xades/1`, "application/xml", ua],
      ["POST", `/api/${ORG_A}/direct/jobs/7/complete`, "application/xml", ua],
      ["DELETE", `/api/${ORG_A}/direct/jobs/7/delete-documents`, "application/xml", ua],
    ])

    // Span ids stay local unless the caller opts in to sharing them with the service.
    for (const s of seen) expect(Object.keys(s.headers)).not.toEqual(expect.arrayContaining(["traceparent"]))
    for (const s of seen) expect(s.headers.b3).toBeUndefined()

    // create: multipart/mixed, the request XML first, then the zip, no part names.
    const create = seen[0]!
    const boundary = /^multipart\/mixed; boundary=(.+)$/.exec(create.headers["content-type"]!)?.[1]
    expect(boundary).toBeDefined()
    const text = create.body.toString("latin1")
    const parts = text.split(`--${boundary}`).slice(1, -1)
    expect(parts).toHaveLength(2)
    expect(parts[0]).toMatch(/^\r\nContent-Type: application\/xml\r\n\r\n<\?xml[\s\S]*<direct-signature-job-request/)
    expect(parts[1]!.startsWith("\r\nContent-Type: application/octet-stream\r\n\r\n")).toBe(true)
    expect(text).not.toMatch(/Content-Disposition|name=/i)
    const zipStart = create.body.indexOf(Buffer.from([80, 75, 3, 4]))
    expect([...create.body.subarray(zipStart, zipStart + zip.length)]).toEqual([...zip])

    // The redirect-URL request carries the signer update request, as the Java client sends it.
    const update = seen[1]!
    expect(update.headers["content-type"]).toContain("application/xml")
    expect(update.body.toString("utf8")).toContain("<redirect-url/>")
    // Confirm and delete carry no body.
    expect(seen[6]!.body.length).toBe(0)
    expect(seen[7]!.body.length).toBe(0)
  })
})

describe("download timeouts", () => {
  it("a download that stalls mid-body fails with Timeout, streamed or collected", async () => {
    const client = await Effect.runPromise(
      DirectClient.make({
        environment: Environment.custom({ apiRoot: root }),
        timeouts: { download: "300 millis" },
        retry: false,
      }).pipe(Effect.provide(transport)),
    )
    const url = `${root}/${ORG_A}/direct/jobs/7/stalled/pades`
    const started = Date.now()
    const download = await Effect.runPromise(client.getPades(url))
    expect(download.contentLength).toBe(1000)
    const streamed = await Effect.runPromise(Effect.flip(Stream.mkUint8Array(download.stream)))
    expect(streamed).toBeInstanceOf(TransportError)
    expect((streamed as TransportError).reason).toBe("Timeout")
    const collected = await Effect.runPromise(Effect.flip(client.getPadesBytes(url)))
    expect((collected as TransportError).reason).toBe("Timeout")
    expect((collected as TransportError).operation).toBe("getPades")
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
