import { Buffer } from "node:buffer"
import { X509Certificate } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Environment } from "@signering/client"
import { Keystore } from "@signering/protocol"
import { Cause, ConfigProvider, Effect, Exit, Fiber, Layer, Redacted, Stream } from "effect"
import { HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import { Agent } from "undici"
import { afterAll, beforeAll } from "vitest"
import { NodeTlsTransport, ServerIdentity } from "../src/index.js"
import { makeTestPki } from "./support/TestPki.js"
import { closedPort, type Running, startConnectProxy, startHttps, startSilent } from "./support/TestServer.js"

const pki = makeTestPki("984661185")

const credentials = (issued = pki.client): NodeTlsTransport.ClientCredentials => ({
  certificateChainPem: issued.certificatePem,
  privateKeyPem: Redacted.make(issued.privateKeyPem),
})

const serverOptions = (server = pki.server): import("node:https").ServerOptions => ({
  key: server.privateKeyPem,
  cert: server.certificatePem,
  ca: [pki.ca.certificatePem],
  requestCert: true,
  rejectUnauthorized: true,
})

const ten = (n: number) => Buffer.alloc(n, 0x61)
const BIG = 10 * 1024 * 1024

const pending: Array<(request: IncomingMessage) => void> = []
const handler = (request: IncomingMessage, response: ServerResponse) => {
  const url = new URL(request.url ?? "/", "https://localhost")
  switch (url.pathname) {
    case "/echo": {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const body = Buffer.concat(chunks)
        response.setHeader("content-type", request.headers["content-type"] ?? "application/octet-stream")
        response.setHeader("x-method", request.method ?? "")
        response.setHeader("x-query", url.search)
        response.setHeader(
          "x-client",
          String((request.socket as import("node:tls").TLSSocket).getPeerCertificate().subject.CN),
        )
        response.end(body)
      })
      return
    }
    case "/big":
      response.setHeader("content-length", String(BIG))
      // Written in chunks so the client must stream, not receive one buffer.
      for (let offset = 0; offset < BIG; offset += 1024 * 1024) response.write(ten(1024 * 1024))
      response.end()
      return
    case "/hang":
      for (const waiter of pending.splice(0)) waiter(request)
      return
    case "/close-before-response":
      request.socket.destroy()
      return
    case "/close-mid-body":
      response.writeHead(200, { "content-length": "1000000" })
      response.write(ten(1000), () => request.socket.destroy())
      return
    default:
      response.statusCode = 404
      response.end("not found")
  }
}

let server: Running
// The real service speaks TLS 1.2 only; there the client certificate is checked inside the handshake.
let tls12: Running
beforeAll(async () => {
  server = await startHttps(serverOptions(), handler)
  tls12 = await startHttps({ ...serverOptions(), maxVersion: "TLSv1.2" }, handler)
})
afterAll(() => Promise.all([server.close(), tls12.close()]))

const transport = (options: Partial<NodeTlsTransport.Options> = {}) =>
  NodeTlsTransport.layer({
    keystore: credentials(),
    trustAnchors: pki.ca.certificatePem,
    serverOrganizationNumber: pki.serverOrganizationNumber,
    ...options,
  })

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) =>
    Exit.isFailure(exit) ? Effect.succeed(Cause.squash(exit.cause)) : Effect.die(new Error("expected a failure")),
  )

/** The undici/Node error kept in the cause chain of a transport failure. */
const transportCause = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(failureOf(effect), (error) => {
    expect(error).toBeInstanceOf(HttpClientError.HttpClientError)
    const reason = (error as HttpClientError.HttpClientError).reason
    expect(reason._tag).toBe("TransportError")
    // The adapter reports the port's TransportFailure; undici's (or Node's) error is its cause.
    const failure = (reason as HttpClientError.TransportError).cause as { _tag: string; cause: unknown }
    expect(failure._tag).toBe("TransportFailure")
    return failure.cause as Error & { code?: string }
  })

describe("NodeTlsTransport over mutual TLS", () => {
  it.live("sends bytes, headers and query parameters and reads the response", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const body = new TextEncoder().encode("<x>æøå</x>")
      const response = yield* client.execute(
        HttpClientRequest.post(`${server.url}/echo`, {
          urlParams: { status_query_token: "abc", polling_queue: "q" },
        }).pipe(HttpClientRequest.bodyUint8Array(body, "application/xml")),
      )
      expect(response.status).toBe(200)
      expect(response.headers["content-type"]).toBe("application/xml")
      expect(response.headers["x-query"]).toBe("?status_query_token=abc&polling_queue=q")
      expect(response.headers["x-client"]).toBe("Avsender AS")
      expect(yield* response.text).toBe("<x>æøå</x>")
    }).pipe(Effect.provide(transport())),
  )

  it.live("takes a protocol Keystore and an Environment directly", () =>
    Effect.gen(function* () {
      const keystore = yield* Keystore.fromPemEffect({
        certificates: pki.client.certificatePem,
        privateKey: Redacted.make(pki.client.privateKeyPem),
      })
      const environment = Environment.custom({
        apiRoot: server.url,
        serverOrganizationNumber: pki.serverOrganizationNumber,
        trustAnchors: [pki.ca.certificatePem],
      })
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`)).pipe(
        Effect.provide(NodeTlsTransport.layer({ keystore, environment })),
      )
      expect(response.headers["x-client"]).toBe("Avsender AS")
    }),
  )

  it.live("streams a request body it does not hold in memory", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const chunks = Stream.fromIterable([ten(1000), ten(2000), ten(3000)])
      const response = yield* client.execute(
        HttpClientRequest.post(`${server.url}/echo`).pipe(
          HttpClientRequest.bodyStream(chunks, { contentType: "application/octet-stream" }),
        ),
      )
      expect((yield* response.arrayBuffer).byteLength).toBe(6000)
    }).pipe(Effect.provide(transport())),
  )

  it.live("streams a 10 MB response body in chunks", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`${server.url}/big`)
      expect(response.headers["content-length"]).toBe(String(BIG))
      const sizes = yield* Stream.runCollect(Stream.map(response.stream, (chunk) => chunk.byteLength))
      expect(sizes.length).toBeGreaterThan(1)
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(BIG)
    }).pipe(Effect.provide(transport())),
  )

  it.live("stopping a streamed download early closes its connection instead of reading on", () =>
    Effect.gen(function* () {
      const local = yield* Effect.promise(() => startHttps(serverOptions(), handler))
      yield* Effect.addFinalizer(() => Effect.promise(local.close))
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`${local.url}/big`)
      const first = yield* Stream.runCollect(Stream.take(response.stream, 1))
      expect(first).toHaveLength(1)
      for (let i = 0; i < 300 && local.openSockets() > 0; i++) yield* Effect.sleep("10 millis")
      expect(local.openSockets()).toBe(0)
    }).pipe(Effect.provide(transport())),
  )

  it.live("keeps connections alive: many requests, one handshake per pooled connection", () =>
    Effect.gen(function* () {
      const local = yield* Effect.promise(() => startHttps(serverOptions(), handler))
      yield* Effect.addFinalizer(() => Effect.promise(local.close))
      const client = yield* HttpClient.HttpClient
      for (let i = 0; i < 20; i++) {
        const response = yield* client.get(`${local.url}/echo`)
        yield* response.text
      }
      expect(local.handshakes()).toBe(1)
    }).pipe(Effect.provide(transport({ connections: 1 }))),
  )

  it.live("closes the pool with the layer's scope", () =>
    Effect.gen(function* () {
      const local = yield* Effect.promise(() => startHttps(serverOptions(), handler))
      yield* Effect.addFinalizer(() => Effect.promise(local.close))
      yield* Effect.scoped(
        Effect.gen(function* () {
          const client = yield* HttpClient.HttpClient
          yield* Effect.flatMap(client.get(`${local.url}/echo`), (response) => response.text)
          expect(local.openSockets()).toBe(1)
        }).pipe(Effect.provide(transport())),
      )
      // The server sees the keep-alive socket go away once the scope closed the agent.
      for (let i = 0; i < 300 && local.openSockets() > 0; i++) yield* Effect.sleep("10 millis")
      expect(local.openSockets()).toBe(0)
    }),
  )

  it.live("interruption aborts the request (the server sees the socket close)", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const arrived = new Promise<IncomingMessage>((resolve) => pending.push(resolve))
      const fiber = yield* Effect.forkChild(client.get(`${server.url}/hang`))
      const request = yield* Effect.promise(() => arrived)
      const closed = new Promise<void>((resolve) => request.socket.once("close", () => resolve()))
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => closed)
      expect(request.socket.destroyed).toBe(true)
    }).pipe(Effect.provide(transport())),
  )

  it.live("a client timeout (Effect.timeout) ends a hanging request", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const error = yield* failureOf(client.get(`${server.url}/hang`).pipe(Effect.timeout("150 millis")))
      expect(Cause.isTimeoutError(error)).toBe(true)
    }).pipe(Effect.provide(transport())),
  )

  it.live("routes through an HTTP CONNECT proxy with mutual TLS end to end", () =>
    Effect.gen(function* () {
      const proxy = yield* Effect.promise(startConnectProxy)
      yield* Effect.addFinalizer(() => Effect.promise(proxy.close))
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`)).pipe(
        Effect.provide(transport({ proxy: { uri: proxy.url, token: Redacted.make("Basic dTpw") } })),
      )
      expect(response.headers["x-client"]).toBe("Avsender AS")
      expect(proxy.tunnels).toEqual([`127.0.0.1:${server.port}`])
      expect(proxy.authorizations).toEqual(["Basic dTpw"])
    }),
  )

  it.live("layerDispatcher uses a caller's dispatcher and leaves it open", () =>
    Effect.gen(function* () {
      const connect = yield* NodeTlsTransport.connectOptions({
        keystore: credentials(),
        trustAnchors: pki.ca.certificatePem,
        serverOrganizationNumber: pki.serverOrganizationNumber,
      })
      const agent = new Agent({ connect })
      yield* Effect.addFinalizer(() => Effect.promise(() => agent.close()))
      const get = Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`)).pipe(
        Effect.flatMap((response) => response.text),
        Effect.provide(NodeTlsTransport.layerDispatcher(agent)),
      )
      yield* get
      yield* get
      expect(agent.closed).toBe(false)
    }),
  )
})

describe("NodeTlsTransport failures keep the underlying cause", () => {
  it.live("refused connection", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(closedPort)
      const client = yield* HttpClient.HttpClient
      const cause = yield* transportCause(client.get(`https://127.0.0.1:${port}/`))
      expect(cause.code).toBe("ECONNREFUSED")
    }).pipe(Effect.provide(transport())),
  )

  it.live("connect timeout when the TLS handshake never completes", () =>
    Effect.gen(function* () {
      const silent = yield* Effect.promise(startSilent)
      yield* Effect.addFinalizer(() => Effect.promise(silent.close))
      const client = yield* HttpClient.HttpClient
      const started = Date.now()
      const cause = yield* transportCause(client.get(`https://127.0.0.1:${silent.port}/`))
      expect(cause.code).toBe("UND_ERR_CONNECT_TIMEOUT")
      expect(Date.now() - started).toBeLessThan(5000)
    }).pipe(Effect.provide(transport({ connectTimeout: "300 millis" }))),
  )

  it.live("server closes the connection before responding", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const cause = yield* transportCause(client.get(`${server.url}/close-before-response`))
      expect(cause.code).toBe("UND_ERR_SOCKET")
    }).pipe(Effect.provide(transport())),
  )

  it.live("server closes the connection in the middle of the body", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`${server.url}/close-mid-body`)
      const error = yield* failureOf(response.arrayBuffer)
      const reason = (error as HttpClientError.HttpClientError).reason
      expect(reason._tag).toBe("DecodeError")
      expect(((reason as HttpClientError.DecodeError).cause as { code?: string }).code).toBe("UND_ERR_SOCKET")
    }).pipe(Effect.provide(transport())),
  )

  const withoutClientCertificate = Effect.gen(function* () {
    const {
      key: _key,
      cert: _cert,
      ...connect
    } = yield* NodeTlsTransport.connectOptions({
      keystore: credentials(),
      trustAnchors: pki.ca.certificatePem,
    })
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => new Agent({ connect })),
      (agent) => Effect.promise(() => agent.destroy()),
    )
    return NodeTlsTransport.layerDispatcher(agent)
  })

  it.live("TLS 1.2 (as the real service): a missing client certificate ends in a handshake alert", () =>
    Effect.gen(function* () {
      const layer = yield* withoutClientCertificate
      const cause = yield* transportCause(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${tls12.url}/echo`)).pipe(Effect.provide(layer)),
      )
      expect(cause.code).toBe("ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
      expect(tls12.handshakes()).toBe(0)
    }),
  )

  it.live("TLS 1.2: a client certificate from another CA makes the server drop the handshake", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const cause = yield* transportCause(client.get(`${tls12.url}/echo`))
      // A Node server closes without an alert; a Java server sends one (unknown_ca / bad_certificate).
      expect(cause.code).toBe("ECONNRESET")
      expect(cause.message).toMatch(/before secure TLS connection was established/)
    }).pipe(Effect.provide(transport({ keystore: credentials(pki.foreignClient) }))),
  )

  it.live("TLS 1.3: a refused client certificate shows up as a close before any response byte", () =>
    Effect.gen(function* () {
      const layer = yield* withoutClientCertificate
      for (const provide of [
        Effect.provide(layer),
        Effect.provide(transport({ keystore: credentials(pki.foreignClient) })),
      ]) {
        const cause = yield* transportCause(
          provide(Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`))),
        )
        // TLS 1.3 finishes the client's side of the handshake before the server judges its certificate.
        expect(cause.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET|ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)$/)
        if (cause.code === "UND_ERR_SOCKET") {
          expect((cause as unknown as { socket: { bytesRead: number } }).socket.bytesRead).toBe(0)
        }
      }
    }),
  )

  it.live("rejects a server chain that does not lead to the trust anchors", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const cause = yield* transportCause(client.get(`${server.url}/echo`))
      expect(cause.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/)
    }).pipe(Effect.provide(transport({ trustAnchors: pki.foreignCa.certificatePem }))),
  )

  it.live("does not fall back to Node's public root store", () =>
    Effect.gen(function* () {
      // With only a foreign anchor configured, even a chain that Node's bundled roots
      // could verify must fail; here the chain is private, so this pins `ca` as exclusive.
      const connect = yield* NodeTlsTransport.connectOptions({
        keystore: credentials(),
        trustAnchors: pki.foreignCa.certificatePem,
      })
      expect(connect.ca).toEqual([new X509Certificate(pki.foreignCa.certificatePem).toString()])
      expect(connect.key).toContain("PRIVATE KEY")
      expect(`${JSON.stringify(connect)} ${inspect(connect)}`).not.toContain("PRIVATE KEY")
      expect(connect.rejectUnauthorized).toBe(true)
      expect(connect.minVersion).toBe("TLSv1.2")
    }),
  )

  it.live("rejects a server certificate of another organization", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const cause = yield* transportCause(client.get(`${server.url}/echo`))
      expect(cause).toBeInstanceOf(ServerIdentity.ServerIdentityError)
      expect(cause).toMatchObject({
        reason: "OrganizationMismatch",
        expectedOrganizationNumber: "111111111",
        actualOrganizationNumber: "984661185",
      })
    }).pipe(Effect.provide(transport({ serverOrganizationNumber: "111111111" }))),
  )

  it.live("refuses TLS versions below 1.2", () =>
    Effect.gen(function* () {
      const old = yield* Effect.promise(() =>
        startHttps(
          { ...serverOptions(), minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" },
          handler,
        ),
      )
      yield* Effect.addFinalizer(() => Effect.promise(old.close))
      const client = yield* HttpClient.HttpClient
      const cause = yield* transportCause(client.get(`${old.url}/echo`))
      expect(cause.code).toMatch(/ERR_SSL_(TLSV1_ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION_NUMBER)/)
      expect(old.handshakes()).toBe(0)
    }).pipe(Effect.provide(transport())),
  )
})

describe("NodeTlsTransport.layerConfig", () => {
  const withEnv = (env: Record<string, string>) =>
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))

  it.live("reads anchors, organization, pool size, timeout and proxy from the environment", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "anchors-"))
      writeFileSync(join(dir, "root.cer"), new X509Certificate(pki.ca.certificatePem).raw)
      const proxy = yield* Effect.promise(startConnectProxy)
      yield* Effect.addFinalizer(() => Effect.promise(proxy.close))
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`)).pipe(
        Effect.provide(NodeTlsTransport.layerConfig({ keystore: credentials() })),
        withEnv({
          SIGNERING_TRUST_ANCHORS: `${join(dir, "root.cer")}, ${dir}`,
          SIGNERING_SERVER_ORGANIZATION_NUMBER: pki.serverOrganizationNumber,
          SIGNERING_CONNECTIONS: "2",
          SIGNERING_CONNECT_TIMEOUT: "2 seconds",
          SIGNERING_PROXY: proxy.url,
        }),
      )
      expect(response.headers["x-client"]).toBe("Avsender AS")
      expect(proxy.tunnels).toHaveLength(1)
    }),
  )

  it.live("options win over the environment; a missing anchor setting is named", () =>
    Effect.gen(function* () {
      const wrongOrganization = yield* failureOf(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`)).pipe(
          Effect.provide(
            NodeTlsTransport.layerConfig({ keystore: credentials(), serverOrganizationNumber: "111111111" }),
          ),
          withEnv({
            SIGNERING_TRUST_ANCHORS: pki.ca.certificatePem,
            SIGNERING_SERVER_ORGANIZATION_NUMBER: "984661185",
          }),
        ),
      )
      const reason = (wrongOrganization as HttpClientError.HttpClientError).reason as HttpClientError.TransportError
      expect((reason.cause as { cause: unknown }).cause).toBeInstanceOf(ServerIdentity.ServerIdentityError)
      const missing = yield* Effect.flip(
        Effect.scoped(Layer.build(NodeTlsTransport.layerConfig({ keystore: credentials() }))).pipe(withEnv({})),
      )
      expect(missing).toBeInstanceOf(NodeTlsTransport.TransportConfigError)
      expect((missing as NodeTlsTransport.TransportConfigError).reason).toBe("MissingTrustAnchors")
    }),
  )
})

describe("NodeTlsTransport configuration errors", () => {
  const configFailure = (options: Partial<NodeTlsTransport.Options>) =>
    Effect.flip(Effect.scoped(Layer.build(transport(options))))

  it.live("missing trust anchors say what is missing and where to get them", () =>
    Effect.gen(function* () {
      for (const trustAnchors of [[], "", ["  "]] as const) {
        const error = yield* configFailure({ trustAnchors })
        expect(error).toBeInstanceOf(NodeTlsTransport.TransportConfigError)
        expect(error.reason).toBe("MissingTrustAnchors")
        expect(error.message).toMatch(/^trustAnchors: no trust anchors configured/)
        expect(error.message).toMatch(/Buypass and Commfides/)
      }
    }),
  )

  it.live("a path that does not exist, or a file without certificates, is named", () =>
    Effect.gen(function* () {
      const missing = yield* configFailure({ trustAnchors: [pki.ca.certificatePem, "/nonexistent/anchors.pem"] })
      expect(missing.reason).toBe("InvalidTrustAnchor")
      expect(missing.field).toBe("trustAnchors[1]")
      expect(missing.message).toContain("/nonexistent/anchors.pem")
      const dir = mkdtempSync(join(tmpdir(), "anchors-"))
      writeFileSync(join(dir, "junk.pem"), "hello")
      const junk = yield* configFailure({ trustAnchors: join(dir, "junk.pem") })
      expect(junk.detail).toMatch(/neither PEM nor a DER certificate/)
    }),
  )

  it.live("loads a directory of DER and PEM .cer files, as Digdir publishes them", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "anchors-"))
      writeFileSync(join(dir, "foreign.cer"), pki.foreignCa.certificatePem)
      writeFileSync(join(dir, "root.cer"), new X509Certificate(pki.ca.certificatePem).raw)
      writeFileSync(join(dir, "README.txt"), "not a certificate")
      const connect = yield* NodeTlsTransport.connectOptions({ keystore: credentials(), trustAnchors: dir })
      expect(connect.ca).toHaveLength(2)
      const status = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${server.url}/echo`)).pipe(
        Effect.map((response) => response.status),
        Effect.provide(transport({ trustAnchors: dir })),
      )
      expect(status).toBe(200)
    }),
  )

  it.live("a key that does not match the certificate is refused without echoing the key", () =>
    Effect.gen(function* () {
      const other = pki.ca.issue({ subject: [{ type: "2.5.4.3", value: "x" }], usage: "client" })
      const error = yield* configFailure({
        keystore: {
          certificateChainPem: pki.client.certificatePem,
          privateKeyPem: Redacted.make(other.privateKeyPem),
        },
      })
      expect(error.reason).toBe("InvalidClientCertificate")
      expect(error.message).toMatch(/does not belong to the first certificate/)
      const garbage = yield* configFailure({
        keystore: { certificateChainPem: pki.client.certificatePem, privateKeyPem: Redacted.make("SECRET-KEY") },
      })
      expect(garbage.field).toBe("keystore.privateKeyPem")
      expect(`${garbage.message} ${String(garbage)} ${JSON.stringify(garbage)}`).not.toContain("SECRET-KEY")
    }),
  )

  it.live("invalid numbers are named with their limits", () =>
    Effect.gen(function* () {
      expect((yield* configFailure({ serverOrganizationNumber: "98466118" })).message).toMatch(
        /^serverOrganizationNumber: must be a 9-digit/,
      )
      expect((yield* configFailure({ connections: 0 })).message).toMatch(/^connections: must be an integer from 1/)
      expect((yield* configFailure({ connectTimeout: 0 })).field).toBe("connectTimeout")
      expect((yield* configFailure({ proxy: "not a url" })).field).toBe("proxy")
    }),
  )
})
