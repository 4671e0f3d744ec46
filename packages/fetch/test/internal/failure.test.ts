import { createServer, type Server } from "node:net"
import { Effect } from "effect"
import { HttpClient } from "effect/http"
import { fetch } from "undici"
import { describe, expect, it } from "vitest"
import * as FetchTransport from "../../src/FetchTransport.js"

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  )

const failureOf = (url: string) =>
  Effect.runPromise(
    HttpClient.get(url).pipe(Effect.flip, Effect.provide(FetchTransport.layer({ fetch: fetch as never }))),
  ).then((error) => (error as { reason: { cause: unknown } }).reason.cause)

describe("fetch failures leave the adapter as the port's TransportFailure", () => {
  it("a refused connection is Connect", async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise((r) => server.close(r))
    expect(await failureOf(`http://127.0.0.1:${port}/x`)).toMatchObject({
      _tag: "TransportFailure",
      reason: "Connect",
      code: "ECONNREFUSED",
    })
  })

  it("a connection dropped after the request is ClosedEarly, with the runtime's error kept as cause", async () => {
    const server = createServer((socket) => socket.once("data", () => socket.destroy()))
    const port = await listen(server)
    try {
      const failure = (await failureOf(`http://127.0.0.1:${port}/x`)) as { reason: string; cause: unknown }
      expect(failure.reason).toBe("ClosedEarly")
      expect(failure.cause).toBeInstanceOf(TypeError)
    } finally {
      server.close()
    }
  })
})
