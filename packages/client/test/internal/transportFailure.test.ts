import { createServer, type Server } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { type Agent, fetch as undiciFetch } from "undici"
import { ServerIdentityError } from "../../src/ClientError.js"
import { causeChain, classifyTransportFailure } from "../../src/internal/transportFailure.js"
import * as TransportFailure from "../../src/TransportFailure.js"

const env = { environment: "difitest", apiRoot: "https://api.difitest.signering.posten.no/api" }

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  )

/** Runs a GET through effect's fetch client (undici underneath) and returns what it failed with. */
const failureOf = (url: string, agent?: Agent) =>
  Effect.runPromise(
    HttpClient.get(url).pipe(
      Effect.flip,
      Effect.provide(FetchHttpClient.layer),
      Effect.provideService(FetchHttpClient.Fetch, ((input: string, init: RequestInit) =>
        undiciFetch(input, { ...(init as object), ...(agent === undefined ? {} : { dispatcher: agent }) })) as never),
    ),
  )

describe("classifyTransportFailure", () => {
  it("a refused connection is Connect (nothing was sent)", async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise((r) => server.close(r))
    const error = await failureOf(`http://127.0.0.1:${port}/x`)
    const classified = classifyTransportFailure(error, env)
    expect(classified.reason).toBe("Connect")
    expect(classified.code).toBe("ECONNREFUSED")
    expect(classified.hint).toContain("was not sent")
  })

  it("a connection the server drops after the request is ClosedEarly", async () => {
    const server = createServer((socket) => socket.once("data", () => socket.destroy()))
    const port = await listen(server)
    try {
      const error = await failureOf(`http://127.0.0.1:${port}/x`)
      const classified = classifyTransportFailure(error, env)
      expect(classified.reason).toBe("ClosedEarly")
      expect(["UND_ERR_SOCKET", "ECONNRESET"]).toContain(classified.code)
    } finally {
      server.close()
    }
  })

  it("a half-sent response body is ClosedEarly", async () => {
    const server = createServer((socket) =>
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhalf")
        setTimeout(() => socket.destroy(), 10)
      }),
    )
    const port = await listen(server)
    try {
      const error = await Effect.runPromise(
        HttpClient.get(`http://127.0.0.1:${port}/x`).pipe(
          Effect.flatMap((r) => r.text),
          Effect.flip,
          Effect.provide(FetchHttpClient.layer),
          Effect.provideService(FetchHttpClient.Fetch, undiciFetch as never),
        ),
      )
      expect(classifyTransportFailure(error, env).reason).toBe("ClosedEarly")
    } finally {
      server.close()
    }
  })

  it("a TLS client talking to a plain server is a TLS handshake failure", async () => {
    const server = createServer((socket) => socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n")))
    const port = await listen(server)
    try {
      const error = await failureOf(`https://127.0.0.1:${port}/x`)
      const classified = classifyTransportFailure(error, env)
      expect(classified.reason).toBe("TlsHandshake")
      expect(classified.code).toMatch(/^(ERR_SSL_|EPROTO)/)
    } finally {
      server.close()
    }
  })

  it("finds a ServerIdentityError anywhere in the cause chain", () => {
    const identity = new ServerIdentityError({
      reason: "OrganizationMismatch",
      expectedOrganizationNumber: "984661185",
      actualOrganizationNumber: "123456785",
      subject: "CN=someone",
    })
    const wrapped = new TypeError("fetch failed", { cause: Object.assign(new Error("socket"), { cause: identity }) })
    const classified = classifyTransportFailure({ _tag: "HttpClientError", reason: { cause: wrapped } }, env)
    expect(classified.reason).toBe("ServerIdentity")
    expect(classified.serverIdentity).toEqual({ expected: "984661185", actual: "123456785" })
    expect(classified.hint).toContain("wrong environment")
  })

  it("phrases hints for the environment: client certificate alerts and untrusted server chains", () => {
    const alert = Object.assign(new Error("alert certificate unknown"), {
      code: "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    })
    const prod = classifyTransportFailure(alert, { environment: "production", apiRoot: "https://x" })
    expect(prod.reason).toBe("TlsHandshake")
    expect(prod.hint).toContain("not test certificates")
    const test = classifyTransportFailure(alert, env)
    expect(test.hint).toContain("a production certificate does not work there")
    const chain = classifyTransportFailure(
      new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "SELF_SIGNED_CERT_IN_CHAIN" }) }),
      env,
    )
    expect(chain.reason).toBe("TlsHandshake")
    expect(chain.hint).toContain("trust anchors")
  })

  it("ETIMEDOUT counts as Connect only when it happened while connecting", () => {
    const onConnect = Object.assign(new Error("t"), { code: "ETIMEDOUT", syscall: "connect" })
    const later = Object.assign(new Error("t"), { code: "ETIMEDOUT", syscall: "read" })
    expect(classifyTransportFailure(onConnect, env).reason).toBe("Connect")
    expect(classifyTransportFailure(later, env).reason).toBe("ClosedEarly")
  })

  it("aborts; an adapter's library codes come from the adapter, as a TransportFailure in the cause chain", () => {
    expect(classifyTransportFailure(new DOMException("aborted", "AbortError"), env).reason).toBe("Aborted")
    const undiciTimeout = Object.assign(new Error("h"), { code: "UND_ERR_HEADERS_TIMEOUT" })
    // The client does not know undici's codes: unknown means "the connection broke", never "nothing was sent".
    expect(classifyTransportFailure(undiciTimeout, env).reason).toBe("ClosedEarly")
    const mapped = TransportFailure.fromCause(undiciTimeout, { timeout: ["UND_ERR_HEADERS_TIMEOUT"] })
    expect(mapped.reason).toBe("Timeout")
    const wrapped = { _tag: "HttpClientError", reason: { _tag: "TransportError", cause: mapped } }
    const classified = classifyTransportFailure(wrapped, env)
    expect(classified.reason).toBe("Timeout")
    expect(classified.code).toBe("UND_ERR_HEADERS_TIMEOUT")
  })

  it("unknown shapes are ClosedEarly (never taken for 'nothing was sent')", () => {
    expect(classifyTransportFailure("weird", env).reason).toBe("ClosedEarly")
    expect(classifyTransportFailure(undefined, env).reason).toBe("ClosedEarly")
  })

  it("walks cycles and AggregateErrors without looping", () => {
    const a: { cause?: unknown; code: string } = { code: "X" }
    a.cause = a
    expect(causeChain(a)).toHaveLength(1)
    const agg = new AggregateError([Object.assign(new Error("v6"), { code: "ECONNREFUSED" })], "connect")
    expect(classifyTransportFailure(agg, env).reason).toBe("Connect")
  })
})
