// Small node:https and node:net servers on 127.0.0.1, port 0, to pin down TLS
// behaviour without the simulator in the way.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createServer as createHttpsServer, type ServerOptions } from "node:https"
import type { AddressInfo } from "node:net"
import { createServer as createNetServer, connect as netConnect, type Socket } from "node:net"
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

/** A TCP server that accepts and then says nothing: a TLS handshake never completes. */
export const startSilent = async (): Promise<{ port: number; close: () => Promise<void> }> => {
  const sockets = new Set<Socket>()
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as AddressInfo).port,
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

/** An HTTP CONNECT proxy that tunnels bytes and records the targets it was asked for. */
export const startConnectProxy = async (): Promise<{
  url: string
  tunnels: Array<string>
  authorizations: Array<string | undefined>
  close: () => Promise<void>
}> => {
  const tunnels: Array<string> = []
  const authorizations: Array<string | undefined> = []
  const sockets = new Set<Socket>()
  const server = createHttpServer((_request, response) => {
    response.statusCode = 405
    response.end()
  })
  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(request.url ?? "")
    authorizations.push(request.headers["proxy-authorization"])
    const [host, port] = (request.url ?? "").split(":")
    const upstream = netConnect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on("error", () => {})
      socket.on("close", () => sockets.delete(socket))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
