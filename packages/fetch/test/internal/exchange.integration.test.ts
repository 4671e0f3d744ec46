// The lean lane (`Exchange`) over undici's fetch with a mutual-TLS Agent on loopback: what it sends and reads,
// bodies streamed, abort, the failures as the port's `TransportFailure`, and `layer` attaching it.
import { Buffer } from "node:buffer"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Exchange } from "@signering/client"
import { Pki } from "@signering/simulator"
import { Effect } from "effect"
import { HttpClient } from "effect/http"
import { Agent, fetch as undiciFetch } from "undici"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FetchTransport } from "../../src/index.js"
import * as LeanExchange from "../../src/internal/exchange.js"
import { closedPort, type Running, startHttps } from "../support/TestServer.js"

const BIG = 4 * 1024 * 1024
const hanging: Array<ServerResponse> = []
const handler = (request: IncomingMessage, response: ServerResponse) => {
  const url = new URL(request.url ?? "/", "https://localhost")
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    if (url.pathname === "/echo") {
      response.setHeader("content-type", request.headers["content-type"] ?? "application/octet-stream")
      response.setHeader("x-method", request.method ?? "")
      response.setHeader("x-accept", request.headers.accept ?? "")
      response.end(Buffer.concat(chunks))
    } else if (url.pathname === "/big") {
      response.setHeader("content-length", String(BIG))
      for (let offset = 0; offset < BIG; offset += 256 * 1024) response.write(Buffer.alloc(256 * 1024, 0x62))
      response.end()
    } else if (url.pathname === "/hang") hanging.push(response)
    else {
      response.statusCode = 404
      response.end()
    }
  })
}

let pki: Pki.Pki
let server: Running
let agent: Agent
beforeAll(async () => {
  pki = await Pki.make()
  server = await startHttps(
    {
      key: pki.server.privateKeyPem,
      cert: pki.server.chainPem,
      ca: [pki.caCertificatePem],
      requestCert: true,
      rejectUnauthorized: true,
    },
    handler,
  )
  const client = pki.sender("123456785")
  agent = new Agent({
    connect: {
      key: client.privateKeyPem,
      cert: client.chainPem,
      ca: [pki.caCertificatePem],
      checkServerIdentity: () => undefined,
    },
  })
})
afterAll(async () => {
  for (const response of hanging.splice(0)) response.destroy()
  await agent.close()
  await server.close()
})

const fetchVia = (input: string, init?: object) => undiciFetch(input, { ...init, dispatcher: agent } as never)
const send = (path: string, init: Partial<Exchange.Request> = {}) =>
  LeanExchange.make(fetchVia, {})({ method: "GET", url: `${server.url}${path}`, headers: {}, body: undefined, ...init })

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error as { _tag: string; reason: string }
  }
  throw new Error("expected a failure")
}

describe("the lean lane over fetch", () => {
  it("sends method, headers and body, and gives status, headers and the body", async () => {
    const response = await send("/echo", {
      method: "POST",
      headers: { "content-type": "application/xml", accept: "application/xml" },
      body: new TextEncoder().encode("<xml/>"),
    }).response
    expect(response.status).toBe(200)
    expect(response.headers["x-method"]).toBe("POST")
    expect(response.headers["x-accept"]).toBe("application/xml")
    expect(new TextDecoder().decode(await response.bytes())).toBe("<xml/>")
  })

  it("streams a large body chunk by chunk, all of it", async () => {
    const response = await send("/big").response
    let total = 0
    for await (const chunk of response.chunks()) total += chunk.length
    expect(total).toBe(BIG)
  })

  it("abort before the answer rejects with the port's Aborted failure", async () => {
    const call = send("/hang")
    while (hanging.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    call.abort()
    const failure = await failureOf(call.response)
    expect(failure._tag).toBe("TransportFailure")
    expect(failure.reason).toBe("Aborted")
  })

  it("a refused connection is the port's Connect failure", async () => {
    const port = await closedPort()
    const failure = await failureOf(
      LeanExchange.make(
        fetchVia,
        {},
      )({ method: "GET", url: `https://127.0.0.1:${port}/`, headers: {}, body: undefined }).response,
    )
    expect(failure.reason).toBe("Connect")
  })

  it("is attached by FetchTransport.layer, over the fetch and RequestInit it was given", async () => {
    const seen: Array<unknown> = []
    const http = await Effect.runPromise(
      HttpClient.HttpClient.pipe(
        Effect.provide(
          FetchTransport.layer({
            fetch: (input: string | URL, init?: object) => {
              seen.push((init as { redirect?: unknown }).redirect)
              return fetchVia(String(input), init)
            },
            requestInit: { redirect: "manual" },
          }),
        ),
      ),
    )
    const lane = Exchange.fromHttpClient(http)
    expect(lane).toBeTypeOf("function")
    const response = await lane!({ method: "GET", url: `${server.url}/echo`, headers: {}, body: undefined }).response
    expect(response.status).toBe(200)
    expect(seen).toEqual(["manual"])
  })
})
