// A small node:https server on 127.0.0.1, port 0, to pin down TLS behaviour
// without the simulator in the way.
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer as createHttpsServer, type ServerOptions } from "node:https"
import type { AddressInfo } from "node:net"
import { createServer as createNetServer, type Socket } from "node:net"
import type { TLSSocket } from "node:tls"

export interface Running {
  readonly url: string
  readonly port: number
  /** TLS sessions established (a keep-alive pool reuses them). */
  readonly handshakes: () => number
  /** Client certificate subjects seen, one per established session. */
  readonly clientSubjects: ReadonlyArray<string>
  /** Sockets currently open. */
  readonly openSockets: () => number
  readonly close: () => Promise<void>
}

export const startHttps = async (
  options: ServerOptions,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Running> => {
  const server = createHttpsServer(options, handler)
  let handshakes = 0
  const clientSubjects: Array<string> = []
  const sockets = new Set<Socket>()
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  server.on("secureConnection", (socket: TLSSocket) => {
    handshakes++
    const peer = socket.getPeerCertificate()
    clientSubjects.push(peer?.subject ? String(peer.subject.CN) : "")
  })
  // Handshake failures are expected in these tests.
  server.on("tlsClientError", () => {})
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    handshakes: () => handshakes,
    clientSubjects,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on: bind, read the port, close. */
export const closedPort = async (): Promise<number> => {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
