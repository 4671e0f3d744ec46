import { createServer, type Server } from "node:net"
import { Effect } from "effect"
import { HttpClient } from "effect/http"
import { Agent } from "undici"
import { describe, expect, it } from "vitest"
import { toTransportFailure } from "../../src/internal/failure.js"
import * as NodeTlsTransport from "../../src/NodeTlsTransport.js"

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  )

/** What a GET through the transport failed with: effect's HttpClientError, whose cause is the port's failure. */
const failureOf = async (url: string) => {
  const agent = new Agent()
  try {
    const error = await Effect.runPromise(
      HttpClient.get(url).pipe(Effect.flip, Effect.provideService(HttpClient.HttpClient, NodeTlsTransport.make(agent))),
    )
    return (error as { reason: { cause: unknown } }).reason.cause
  } finally {
    await agent.close()
  }
}

describe("undici failures leave the adapter as the port's TransportFailure", () => {
  it("a refused connection is Connect with the system code", async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise((r) => server.close(r))
    const failure = await failureOf(`http://127.0.0.1:${port}/x`)
    expect(failure).toMatchObject({ _tag: "TransportFailure", reason: "Connect", code: "ECONNREFUSED" })
  })

  it("a connection dropped after the request is ClosedEarly", async () => {
    const server = createServer((socket) => socket.once("data", () => socket.destroy()))
    const port = await listen(server)
    try {
      const failure = await failureOf(`http://127.0.0.1:${port}/x`)
      expect(failure).toMatchObject({ _tag: "TransportFailure", reason: "ClosedEarly" })
    } finally {
      server.close()
    }
  })

  it("undici's own codes map by meaning: connect timeouts prove nothing was sent", () => {
    const code = (c: string) => toTransportFailure(Object.assign(new Error(c), { code: c }))
    expect(code("UND_ERR_CONNECT_TIMEOUT").reason).toBe("Connect")
    expect(code("UND_ERR_HEADERS_TIMEOUT").reason).toBe("Timeout")
    expect(code("UND_ERR_SOCKET").reason).toBe("ClosedEarly")
    expect(code("UND_ERR_ABORTED").reason).toBe("Aborted")
    expect(code("UND_ERR_SOCKET").cause).toBeInstanceOf(Error)
  })
})
