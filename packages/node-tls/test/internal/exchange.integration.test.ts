// The lean lane (`Exchange`) over a real dispatcher with mutual TLS on loopback: bodies whole and streamed with
// backpressure, abort before and during the answer, a body given up, the failures as the port's `TransportFailure`,
// and the lane carried by `make`'s HttpClient only until it is transformed.
import { Buffer } from "node:buffer"
import type { IncomingMessage, ServerResponse } from "node:http"
import { DirectClient, Environment, Exchange } from "@signering/client"
import { Effect, Layer, Redacted } from "effect"
import { HttpClient } from "effect/http"
import type { Dispatcher } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NodeTlsTransport } from "../../src/index.js"
import * as LeanExchange from "../../src/internal/exchange.js"
import { makeTestPki } from "../support/TestPki.js"
import { closedPort, type Running, startHttps } from "../support/TestServer.js"

const pki = makeTestPki("984661185")
const BIG = 4 * 1024 * 1024
const seen: Array<IncomingMessage["headers"]> = []
const hanging: Array<ServerResponse> = []

const handler = (request: IncomingMessage, response: ServerResponse) => {
  seen.push(request.headers)
  const url = new URL(request.url ?? "/", "https://localhost")
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    switch (url.pathname) {
      case "/echo":
        response.setHeader("content-type", request.headers["content-type"] ?? "application/octet-stream")
        response.setHeader("x-method", request.method ?? "")
        response.setHeader("x-query", url.search)
        response.setHeader("x-twice", ["a", "b"])
        response.end(Buffer.concat(chunks))
        return
      case "/big":
        response.setHeader("content-length", String(BIG))
        for (let offset = 0; offset < BIG; offset += 256 * 1024) response.write(Buffer.alloc(256 * 1024, 0x61))
        response.end()
        return
      case "/small":
        response.setHeader("content-length", "5000")
        response.end(Buffer.alloc(5000, 0x62))
        return
      case "/hang":
        hanging.push(response)
        return
      case "/close-mid-body":
        response.writeHead(200, { "content-length": "1000000" })
        response.write(Buffer.alloc(1000), () => request.socket.destroy())
        return
      case "/poll":
        response.statusCode = 204
        response.end()
        return
      default:
        response.statusCode = 404
        response.end()
    }
  })
}

let server: Running
let dispatcher: Dispatcher
let close: () => Promise<void>
beforeAll(async () => {
  server = await startHttps(
    {
      key: pki.server.privateKeyPem,
      cert: pki.server.certificatePem,
      ca: [pki.ca.certificatePem],
      requestCert: true,
      rejectUnauthorized: true,
    },
    handler,
  )
  const { Agent } = await import("undici")
  const agent = new Agent({
    connect: {
      cert: pki.client.certificatePem,
      key: pki.client.privateKeyPem,
      ca: pki.ca.certificatePem,
      checkServerIdentity: () => undefined,
    },
    connections: 1,
  })
  dispatcher = agent
  close = () => agent.close()
})
afterAll(async () => {
  for (const response of hanging.splice(0)) response.destroy()
  await close()
  await server.close()
})

const exchange = () => LeanExchange.make(dispatcher)
const send = (path: string, init: Partial<Exchange.Request> = {}) =>
  exchange()({ method: "GET", url: `${server.url}${path}`, headers: {}, body: undefined, ...init })

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error as { _tag: string; reason: string }
  }
  throw new Error("expected a failure")
}

describe("the lean lane over undici's dispatcher", () => {
  it("sends method, query, headers and body, and gives status, headers (repeated ones joined) and the body", async () => {
    const body = new TextEncoder().encode("<xml/>")
    const response = await send("/echo?a=1&b=%20", {
      method: "POST",
      headers: { "content-type": "application/xml", accept: "application/xml" },
      body,
    }).response
    expect(response.status).toBe(200)
    expect(response.headers["x-method"]).toBe("POST")
    expect(response.headers["x-query"]).toBe("?a=1&b=%20")
    expect(response.headers["x-twice"]).toBe("a, b")
    expect(new TextDecoder().decode(await response.bytes())).toBe("<xml/>")
    expect(seen.at(-1)?.accept).toBe("application/xml")
  })

  it("streams a large body chunk by chunk, all of it, in order", async () => {
    const response = await send("/big").response
    let total = 0
    let chunks = 0
    for await (const chunk of response.chunks()) {
      total += chunk.length
      chunks++
      expect(chunk[0]).toBe(0x61)
      // A slow reader: the connection is paused meanwhile, and resumed.
      if (chunks % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect(total).toBe(BIG)
    expect(chunks).toBeGreaterThan(1)
  })

  it("reads a large body whole", async () => {
    const bytes = await send("/big").response.then((r) => r.bytes())
    expect(bytes.length).toBe(BIG)
  })

  it("abort before the answer rejects at once, and the connection serves the next request", async () => {
    const call = send("/hang")
    while (hanging.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    call.abort()
    const failure = await failureOf(call.response)
    expect(failure._tag).toBe("TransportFailure")
    expect(failure.reason).toBe("Aborted")
    const next = await send("/small").response
    expect((await next.bytes()).length).toBe(5000)
  })

  it("abort while the body is read rejects the reader", async () => {
    const call = send("/big")
    const response = await call.response
    const iterator = response.chunks()[Symbol.asyncIterator]()
    await iterator.next()
    call.abort()
    const failure = await failureOf(
      (async () => {
        for (;;) if ((await iterator.next()).done) return
      })(),
    )
    expect(failure.reason).toBe("Aborted")
  })

  it("a body given up: a small rest is read to keep the connection, a large one closes it", async () => {
    // A connection an earlier test aborted may still be closing: settle on a fresh one first.
    await new Promise((resolve) => setTimeout(resolve, 50))
    await (await send("/small").response).bytes()
    const before = server.handshakes()
    const small = await send("/small").response
    small.discard()
    await (await send("/small").response).bytes()
    expect(server.handshakes()).toBe(before)
    const big = await send("/big").response
    big.discard()
    await (await send("/small").response).bytes()
    expect(server.handshakes()).toBe(before + 1)
  })

  it("a body cut short and a refused connection are the port's failures", async () => {
    const response = await send("/close-mid-body").response
    const cut = await failureOf(response.bytes())
    expect(cut._tag).toBe("TransportFailure")
    expect(cut.reason).toBe("ClosedEarly")
    const port = await closedPort()
    const refused = await failureOf(
      exchange()({ method: "GET", url: `https://127.0.0.1:${port}/`, headers: {}, body: undefined }).response,
    )
    expect(refused.reason).toBe("Connect")
  })

  it("a URL it cannot parse is a TypeError (the client reports it as an invalid request)", async () => {
    const error = await failureOf(send("", { url: "not a url" }).response)
    expect(error).toBeInstanceOf(TypeError)
  })
})

describe("the lane on NodeTlsTransport's HttpClient", () => {
  it("is carried by make's HttpClient, and lost once that HttpClient is transformed", () => {
    const http = NodeTlsTransport.make(dispatcher)
    expect(Exchange.fromHttpClient(http)).toBeTypeOf("function")
    expect(Exchange.fromHttpClient(HttpClient.mapRequest(http, (r) => r))).toBeUndefined()
  })

  it("the client's requests take it, with trace headers only when propagateTraceHeaders is on", async () => {
    const poll = (propagateTraceHeaders: boolean) =>
      Effect.runPromise(
        DirectClient.make({
          environment: Environment.custom({ apiRoot: `${server.url}/api` }),
          sender: { organizationNumber: "123456785" },
          rateLimiter: false,
          propagateTraceHeaders,
        }).pipe(
          Effect.flatMap((client) => client.getStatusChange()),
          Effect.withSpan("caller"),
          Effect.provide(Layer.succeed(HttpClient.HttpClient)(NodeTlsTransport.make(dispatcher))),
        ),
      )
    seen.length = 0
    await poll(false).catch(() => undefined)
    expect(seen).toHaveLength(1)
    expect(seen[0]!.traceparent).toBeUndefined()
    expect(seen[0]!["user-agent"]).toMatch(/^signering-ts\//)
    await poll(true).catch(() => undefined)
    expect(seen).toHaveLength(2)
    expect(seen[1]!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
  })
})
