// The Node path of the README: undici's fetch with a mutual-TLS Agent, against
// node:https servers on loopback that use the simulator's test PKI.
import { Buffer } from "node:buffer"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { ServerOptions } from "node:https"
import type { PeerCertificate, TLSSocket } from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import { ServerIdentityError } from "@signering/client"
import { Pki } from "@signering/simulator"
import { Cause, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import { Agent, fetch as undiciFetch } from "undici"
import { afterAll, beforeAll } from "vitest"
import { FetchTransport } from "../src/index.js"
import { closedPort, type Running, startHttps } from "./support/TestServer.js"

let pki: Pki.Pki
let server: Running
let tls12: Running
const pending: Array<(request: IncomingMessage) => void> = []
const BIG = 10 * 1024 * 1024

const handler = (request: IncomingMessage, response: ServerResponse) => {
  const url = new URL(request.url ?? "/", "https://localhost")
  switch (url.pathname) {
    case "/echo": {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        response.setHeader("content-type", request.headers["content-type"] ?? "application/octet-stream")
        response.setHeader("x-query", url.search)
        response.setHeader("x-client", String((request.socket as TLSSocket).getPeerCertificate().subject.CN))
        response.end(Buffer.concat(chunks))
      })
      return
    }
    case "/big":
      response.setHeader("content-length", String(BIG))
      for (let offset = 0; offset < BIG; offset += 1024 * 1024) response.write(Buffer.alloc(1024 * 1024, 0x62))
      response.end()
      return
    case "/redirect":
      response.writeHead(302, { location: "/echo" })
      response.end()
      return
    case "/hang":
      for (const waiter of pending.splice(0)) waiter(request)
      return
    case "/close-before-response":
      request.socket.destroy()
      return
    default:
      response.statusCode = 404
      response.end()
  }
}

beforeAll(async () => {
  pki = await Pki.make()
  const options: ServerOptions = {
    key: pki.server.privateKeyPem,
    cert: pki.server.chainPem,
    ca: [pki.caCertificatePem],
    requestCert: true,
    rejectUnauthorized: true,
  }
  server = await startHttps(options, handler)
  tls12 = await startHttps({ ...options, maxVersion: "TLSv1.2" }, handler)
})
afterAll(() => Promise.all([server.close(), tls12.close()]))

// What the README shows for Node without @signering/node-tls: the identity check by hand.
const organizationCheck = (expected: string) => (_host: string, certificate: PeerCertificate) => {
  const match = /^NTRNO-(\d{9})$/.exec(String(certificate.subject?.organizationIdentifier ?? ""))
  const actual = match?.[1]
  return actual === expected
    ? undefined
    : new ServerIdentityError({
        reason: actual === undefined ? "NoOrganizationNumber" : "OrganizationMismatch",
        expectedOrganizationNumber: expected,
        actualOrganizationNumber: actual,
        subject: String(certificate.subject?.CN ?? ""),
      })
}

const nodeTransport = (
  overrides: {
    client?: Pki.Credentials | null
    ca?: string
    organization?: string
    requestInit?: Record<string, unknown>
  } = {},
): Layer.Layer<HttpClient.HttpClient> =>
  Layer.unwrap(
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => {
          const client = overrides.client === undefined ? pki.sender("123456785") : overrides.client
          return new Agent({
            connect: {
              ...(client === null ? {} : { key: client.privateKeyPem, cert: client.chainPem }),
              ca: [overrides.ca ?? pki.caCertificatePem],
              rejectUnauthorized: true,
              minVersion: "TLSv1.2",
              checkServerIdentity: organizationCheck(overrides.organization ?? Pki.serverOrganizationNumber),
            },
          })
        }),
        (agent) => Effect.promise(() => agent.destroy()),
      ),
      (agent) =>
        FetchTransport.layer({ fetch: undiciFetch, requestInit: { ...overrides.requestInit, dispatcher: agent } }),
    ),
  )

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) =>
    Exit.isFailure(exit) ? Effect.succeed(Cause.squash(exit.cause)) : Effect.die(new Error("expected a failure")),
  )

/** fetch wraps the socket/TLS error: `TypeError("fetch failed", { cause })`. */
const fetchCause = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(failureOf(effect), (error) => {
    const reason = (error as HttpClientError.HttpClientError).reason
    expect(reason._tag).toBe("TransportError")
    // The adapter reports the port's TransportFailure; the runtime's error is its cause.
    const failure = (reason as HttpClientError.TransportError).cause as { _tag: string; cause: unknown }
    expect(failure._tag).toBe("TransportFailure")
    const outer = failure.cause as TypeError
    expect(outer).toBeInstanceOf(TypeError)
    return outer.cause as Error & { code?: string }
  })

const get = (path: string) => Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}${path}`))

describe("FetchTransport on Node (undici fetch with a mutual-TLS Agent)", () => {
  it.live("sends bytes and query parameters with the client certificate", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(
        HttpClientRequest.post(`${server.url}/echo`, { urlParams: { status_query_token: "t" } }).pipe(
          HttpClientRequest.bodyUint8Array(new TextEncoder().encode("<x/>"), "application/xml"),
        ),
      )
      expect(response.status).toBe(200)
      expect(response.headers["content-type"]).toBe("application/xml")
      expect(response.headers["x-query"]).toBe("?status_query_token=t")
      expect(response.headers["x-client"]).toMatch(/./)
      expect(yield* response.text).toBe("<x/>")
    }).pipe(Effect.provide(nodeTransport())),
  )

  it.live("streams request and response bodies (10 MB download)", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const upload = yield* client.execute(
        HttpClientRequest.post(`${server.url}/echo`).pipe(
          HttpClientRequest.bodyStream(Stream.fromIterable([Buffer.alloc(3000), Buffer.alloc(4000)]), {
            contentType: "application/octet-stream",
          }),
        ),
      )
      expect((yield* upload.arrayBuffer).byteLength).toBe(7000)
      const download = yield* client.get(`${server.url}/big`)
      const sizes = yield* Stream.runCollect(Stream.map(download.stream, (chunk) => chunk.byteLength))
      expect(sizes.length).toBeGreaterThan(1)
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(BIG)
    }).pipe(Effect.provide(nodeTransport())),
  )

  it.live("passes the other requestInit fields on (redirect: manual keeps a 302 for the client to see)", () =>
    Effect.gen(function* () {
      const followed = yield* get("/redirect").pipe(Effect.provide(nodeTransport()))
      expect(followed.status).toBe(200)
      const manual = yield* get("/redirect").pipe(
        Effect.provide(nodeTransport({ requestInit: { redirect: "manual" } })),
      )
      expect(manual.status).toBe(302)
      expect(manual.headers.location).toBe("/echo")
    }),
  )

  it.live("uses globalThis.fetch when no fetch is given", () =>
    Effect.gen(function* () {
      const agent = new Agent({
        connect: {
          key: pki.sender("123456785").privateKeyPem,
          cert: pki.sender("123456785").chainPem,
          ca: [pki.caCertificatePem],
          checkServerIdentity: organizationCheck(Pki.serverOrganizationNumber),
        },
      })
      const original = globalThis.fetch
      const calls: Array<string> = []
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          globalThis.fetch = ((input: string, init: object) => {
            calls.push(String(input))
            return undiciFetch(input, { ...init, dispatcher: agent })
          }) as unknown as typeof globalThis.fetch
        }),
        () =>
          Effect.promise(() => {
            globalThis.fetch = original
            return agent.destroy()
          }),
      )
      const response = yield* get("/echo").pipe(Effect.provide(FetchTransport.layer()))
      expect(response.status).toBe(200)
      expect(calls).toEqual([`${server.url}/echo`])
    }),
  )

  it.live("interruption aborts the fetch (the server sees the socket close)", () =>
    Effect.gen(function* () {
      const arrived = new Promise<IncomingMessage>((resolve) => pending.push(resolve))
      const fiber = yield* Effect.forkChild(get("/hang"))
      const request = yield* Effect.promise(() => arrived)
      const closed = new Promise<void>((resolve) => request.socket.once("close", () => resolve()))
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => closed)
      expect(request.socket.destroyed).toBe(true)
    }).pipe(Effect.provide(nodeTransport())),
  )
})

describe("FetchTransport failures keep the runtime's error as the cause", () => {
  it.live("refused connection", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(closedPort)
      const cause = yield* fetchCause(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`https://127.0.0.1:${port}/`)),
      )
      expect(cause.code).toBe("ECONNREFUSED")
    }).pipe(Effect.provide(nodeTransport())),
  )

  it.live("server closes before responding", () =>
    Effect.gen(function* () {
      const cause = yield* fetchCause(get("/close-before-response"))
      expect(cause.code).toBe("UND_ERR_SOCKET")
    }).pipe(Effect.provide(nodeTransport())),
  )

  it.live("server chain not under the trust anchors", () =>
    Effect.gen(function* () {
      const cause = yield* fetchCause(get("/echo"))
      expect(cause.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/)
    }).pipe(Effect.provide(nodeTransport({ ca: pki.foreign.caCertificatePem }))),
  )

  it.live("server certificate of another organization", () =>
    Effect.gen(function* () {
      const cause = yield* fetchCause(get("/echo"))
      expect(cause).toBeInstanceOf(ServerIdentityError)
      expect(cause).toMatchObject({ expectedOrganizationNumber: "111111111", actualOrganizationNumber: "984661185" })
    }).pipe(Effect.provide(nodeTransport({ organization: "111111111" }))),
  )

  it.live("TLS 1.2: missing client certificate ends in a handshake alert", () =>
    Effect.gen(function* () {
      const cause = yield* fetchCause(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${tls12.url}/echo`)),
      )
      expect(cause.code).toBe("ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
    }).pipe(Effect.provide(nodeTransport({ client: null }))),
  )

  it.live("TLS 1.2: client certificate from another CA is dropped in the handshake", () =>
    Effect.gen(function* () {
      const cause = yield* fetchCause(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${tls12.url}/echo`)),
      )
      expect(cause.code).toBe("ECONNRESET")
    }).pipe(Effect.provide(nodeTransport({ client: pki.foreign.sender }))),
  )
})
