/**
 * The client against a hostile or broken server: a loopback mutual-TLS server with the simulator's server
 * certificate (so the client trusts it exactly as it trusts the simulator) that answers whatever each test needs.
 * Each test asserts what reached the server, so "nothing was sent" is checked, not assumed.
 */
import { createServer, type Server } from "node:https"
import { inspect } from "node:util"
import { DirectServerXml } from "@signering/protocol/server"
import { Effect, Fiber, Logger, Redacted, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RateLimited, RefusedUrl, TransportError, UnexpectedResponse } from "../src/ClientError.js"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import type * as RateLimiter from "../src/RateLimiter.js"
import { agentFor, closedPort, jobInput, ORG_A, pki, transport } from "./support/harness.js"

type Handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void

let server: Server
let root: string
let port: number
const seen: Array<string> = []
let handler: Handler = (_req, res) => res.end()

const TOKEN = "secret-status-token-0123456789"

const statusXml = (overrides: { padesUrl?: string } = {}) =>
  DirectServerXml.encodeJobStatusResponse({
    signatureJobId: 7n,
    status: "COMPLETED_SUCCESSFULLY",
    signers: [{ signer: "s1", status: "SIGNED", since: new Date("2026-01-01T10:00:00Z") }],
    xadesUrls: [],
    ...(overrides.padesUrl === undefined ? {} : { padesUrl: overrides.padesUrl }),
  })

let sharedTransport: ReturnType<typeof transport>
let environment: Environment.Environment

beforeAll(async () => {
  const p = await pki()
  server = createServer(
    { key: p.server.privateKeyPem, cert: p.server.chainPem, ca: p.caCertificatePem, requestCert: true },
    (req, res) => {
      seen.push(`${req.method} ${req.url}`)
      handler(req, res)
    },
  )
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as { port: number }).port
  root = `https://127.0.0.1:${port}/api`
  const sender = p.sender(ORG_A)
  sharedTransport = transport(agentFor(sender, p.caCertificatePem))
  environment = Environment.custom({
    apiRoot: root,
    serverOrganizationNumber: p.server.organizationNumber,
    trustAnchors: [p.caCertificatePem],
  })
})
afterAll(async () => {
  await sharedTransport.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const makeClient = (options: Partial<DirectClient.Options> = {}, t = sharedTransport) =>
  Effect.runPromise(
    DirectClient.make({
      environment,
      sender: { organizationNumber: ORG_A },
      retry: false,
      rateLimiter: false,
      ...options,
    }).pipe(Effect.provide(t.layer)),
  )

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect.pipe(Effect.provide(Logger.layer([]))))

const xml = (
  res: import("node:http").ServerResponse,
  body: string,
  status = 200,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "content-type": "application/xml", ...headers })
  res.end(body)
}

describe("follow-up URLs", () => {
  it("are used verbatim: parameters are appended, the service's query is not re-encoded; any 2xx is accepted", async () => {
    handler = (_req, res) => xml(res, statusXml(), 202)
    seen.length = 0
    const client = await makeClient()
    const status = await run(client.getStatus(`${root}/${ORG_A}/s?x=a%20b/c`, TOKEN, "q 1"))
    expect(status.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(seen).toEqual([`GET /api/${ORG_A}/s?x=a%20b/c&status_query_token=${TOKEN}&polling_queue=q%201`])
  })

  it("a plain http URL is refused (Cleartext) and an https URL on another origin (Origin), nothing sent", async () => {
    seen.length = 0
    const client = await makeClient()
    const cleartext = await run(Effect.flip(client.getPadesBytes(`http://127.0.0.1:${port}/api/${ORG_A}/pades`)))
    expect(cleartext).toBeInstanceOf(RefusedUrl)
    expect((cleartext as RefusedUrl).reason).toBe("Cleartext")
    const other = await run(
      Effect.flip(client.confirm({ confirmationUrl: `https://localhost:${port}/api/x/complete` })),
    )
    expect(other).toBeInstanceOf(RefusedUrl)
    expect((other as RefusedUrl).reason).toBe("Origin")
    expect(String(other)).toContain("allowedOrigins")
    expect(seen).toEqual([])
  })

  it("an origin allowed explicitly is followed; a failure there names that URL, not the API root", async () => {
    handler = (_req, res) => res.writeHead(200).end()
    seen.length = 0
    const client = await makeClient({ allowedOrigins: [`https://localhost:${port}`] })
    await run(client.confirm({ confirmationUrl: `https://localhost:${port}/api/x/complete` }))
    expect(seen).toEqual(["POST /api/x/complete"])
    const closed = await closedPort()
    const elsewhere = await makeClient({ allowedOrigins: [`https://127.0.0.1:${closed}`] })
    const error = await run(Effect.flip(elsewhere.confirm({ confirmationUrl: `https://127.0.0.1:${closed}/c` })))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).hint).toContain(`127.0.0.1:${closed}`)
    expect((error as TransportError).hint).not.toContain(root)
  })
})

describe("what the client reads", () => {
  it("a collected download over the cap fails TooLarge while the server is still sending", async () => {
    let ended = false
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/pdf" })
      const chunk = Buffer.alloc(64 * 1024, 1)
      let sent = 0
      const pump = () => {
        if (res.destroyed) return
        if (sent >= 64 * 1024 * 1024) {
          ended = true
          return res.end()
        }
        sent += chunk.length
        if (res.write(chunk)) setImmediate(pump)
        else res.once("drain", pump)
      }
      pump()
    }
    const client = await makeClient({ limits: { downloadBytes: 1024 * 1024 } })
    const error = await run(Effect.flip(client.getPadesBytes(`${root}/${ORG_A}/big/pades`)))
    expect(error).toBeInstanceOf(UnexpectedResponse)
    expect((error as UnexpectedResponse).reason).toBe("TooLarge")
    expect(ended).toBe(false)
  })

  it("an XML answer over the response cap fails TooLarge without waiting for its end", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/xml" })
      res.write(`<x>${"a".repeat(2 * 1024 * 1024)}`)
      // ...and never ends: the cap, not a timeout, must end the call.
    }
    const client = await makeClient({ limits: { responseBytes: 1024 * 1024 }, timeouts: { api: "20 seconds" } })
    const started = Date.now()
    const error = await run(Effect.flip(client.getStatusChange()))
    expect((error as UnexpectedResponse).reason).toBe("TooLarge")
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it("a Content-Encoding the client did not ask for is refused, not handed back as the document", async () => {
    handler = (req, res) => {
      expect(req.headers["accept-encoding"]).toBe("identity")
      res.writeHead(200, { "content-type": "application/pdf", "content-encoding": "gzip" })
      res.end(Buffer.from("1f8b0800000000000003cb48cdc9c95728cf2fca490100c2a99ae70c000000", "hex"))
    }
    const client = await makeClient()
    const error = await run(Effect.flip(client.getPadesBytes(`${root}/${ORG_A}/gz/pades`)))
    expect(error).toBeInstanceOf(UnexpectedResponse)
    expect((error as UnexpectedResponse).reason).toBe("ContentEncoding")
  })

  it("a streamed download that trickles forever ends at timeouts.downloadTotal", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/pdf" })
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write("x")), 20)
      res.on("close", () => clearInterval(timer))
    }
    const client = await makeClient({ timeouts: { download: "5 seconds", downloadTotal: "600 millis" } })
    const started = Date.now()
    const download = await run(client.getPades(`${root}/${ORG_A}/slow/pades`))
    const error = await run(Effect.flip(Stream.runDrain(download.stream)))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).reason).toBe("Timeout")
    expect((error as TransportError).hint).toContain("downloadTotal")
    expect(Date.now() - started).toBeLessThan(4_000)
  })

  it("a download stream never read is named when the pool runs out, and released after the download timeout", async () => {
    handler = (req, res) => {
      if (req.url!.includes("/pades")) {
        res.writeHead(200, { "content-type": "application/pdf" })
        res.write(Buffer.alloc(1024))
        return // never ends: the stream holds the connection until the client lets go
      }
      xml(res, statusXml(), 200)
    }
    const p = await pki()
    const { Agent } = await import("undici")
    const single = transport(
      new Agent({
        connect: {
          cert: p.sender(ORG_A).chainPem,
          key: p.sender(ORG_A).privateKeyPem,
          ca: p.caCertificatePem,
          checkServerIdentity: () => undefined,
        },
        connections: 1,
      }),
    )
    try {
      const client = await makeClient({ timeouts: { api: "300 millis", download: "1500 millis" } }, single)
      const abandoned = await run(client.getPades(`${root}/${ORG_A}/held/pades`))
      const blocked = await run(Effect.flip(client.getStatus(`${root}/${ORG_A}/s`, TOKEN)))
      expect(blocked).toBeInstanceOf(TransportError)
      expect((blocked as TransportError).hint).toContain("never read")
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      const status = await run(client.getStatus(`${root}/${ORG_A}/s`, TOKEN))
      expect(status.status).toBe("COMPLETED_SUCCESSFULLY")
      const late = await run(Effect.flip(Stream.runDrain(abandoned.stream)))
      expect((late as TransportError).reason).toBe("Aborted")
    } finally {
      await single.close()
    }
  })
})

describe("secrets in errors", () => {
  it("a server message echoing the token or a PIN in any spelling is masked everywhere the error prints", async () => {
    handler = (_req, res) =>
      xml(
        res,
        DirectServerXml.encodeError({
          errorCode: "SOMETHING",
          errorMessage: `bad token ${TOKEN} for 010170 12345, 01.01.70 12345 and 01017012345`,
          errorType: "CLIENT",
        }),
        400,
      )
    const client = await makeClient()
    const error = await run(Effect.flip(client.getStatus(`${root}/${ORG_A}/s`, Redacted.make(TOKEN))))
    expect(error).toBeInstanceOf(UnexpectedResponse)
    for (const printed of [
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      (error as UnexpectedResponse).errorMessage ?? "",
    ]) {
      expect(printed).not.toContain(TOKEN)
      expect(printed).not.toMatch(/010170|01\.01\.70/)
    }
    expect((error as UnexpectedResponse).errorMessage).toContain("bad token ***")
  })

  it("a transport failure with a token in the URL keeps it out of JSON.stringify and inspect", async () => {
    const closed = await closedPort()
    const client = await makeClient({ allowedOrigins: [`https://127.0.0.1:${closed}`] })
    const error = await run(Effect.flip(client.getStatus(`https://127.0.0.1:${closed}/s`, TOKEN)))
    expect(error).toBeInstanceOf(TransportError)
    for (const printed of [String(error), JSON.stringify(error), inspect(error, { depth: 20 })]) {
      expect(printed).not.toContain(TOKEN)
    }
  })
})

describe("clock and pacing", () => {
  it("measures the server's clock from Date, warns once when it is more than 2 s off", async () => {
    handler = (_req, res) => xml(res, statusXml(), 200, { date: new Date(Date.now() + 10_000).toUTCString() })
    const client = await makeClient()
    const warnings: Array<string> = []
    const capture = Logger.layer([
      Logger.make((entry) => {
        if (entry.logLevel === "Warn") warnings.push(String(entry.message))
      }),
    ])
    for (let i = 0; i < 3; i++) {
      await Effect.runPromise(client.getStatus(`${root}/${ORG_A}/s`, TOKEN).pipe(Effect.provide(capture)))
    }
    const offset = await run(client.clockOffset())
    expect(offset).toBeGreaterThan(8_000)
    expect(offset).toBeLessThan(12_000)
    expect(warnings.filter((w) => w.includes("clock"))).toHaveLength(1)
  })

  it("takes the rate limiter once per attempt, for the organization of the request", async () => {
    handler = (_req, res) => res.writeHead(204, { "x-next-permitted-poll-time": new Date().toISOString() }).end()
    const taken: Array<string> = []
    const limiter: RateLimiter.RateLimiter = { take: (org) => Effect.sync(() => void taken.push(org)) }
    const client = await makeClient({ rateLimiter: limiter })
    await run(client.getStatusChange("987654325"))
    await run(client.getStatusChange())
    handler = (_req, res) => res.writeHead(503).end()
    const retrying = await makeClient({ rateLimiter: limiter, retry: { times: 2, base: "1 millis" } })
    await run(Effect.flip(retrying.confirm({ confirmationUrl: `${root}/${ORG_A}/jobs/1/complete` })))
    expect(taken).toEqual(["987654325", ORG_A, ORG_A, ORG_A, ORG_A])
  })

  it("a 429 without a poll time is waited out on a safe request (until blockedUntil), never on create", async () => {
    let answered = 0
    handler = (req, res) => {
      req.resume()
      answered++
      if (answered === 1 || (req.method === "POST" && req.url!.endsWith("/signature-jobs"))) {
        return res.writeHead(429, { DoSFilter: "unavailable" }).end()
      }
      res.writeHead(200).end()
    }
    seen.length = 0
    const client = await makeClient({ retry: { times: 2, base: "1 millis" } })
    // The 30 s block passes on a test clock: the confirmation is sent again only after it.
    await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(client.confirm({ confirmationUrl: `${root}/${ORG_A}/jobs/1/complete` }))
        for (let i = 0; i < 50 && seen.length < 1; i++)
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
        yield* TestClock.adjust("29 seconds")
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 200)))
        expect(seen).toHaveLength(1)
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
        expect(seen).toHaveLength(2)
      }).pipe(Effect.provide(TestClock.layer()), Effect.provide(Logger.layer([]))),
    )
    seen.length = 0
    const create = await run(
      Effect.flip(
        client.create({ ...jobInput(), sender: { organizationNumber: ORG_A } }, { bundle: new Uint8Array([1]) }),
      ),
    )
    expect(create).toBeInstanceOf(RateLimited)
    expect(seen).toHaveLength(1)
  })
})
