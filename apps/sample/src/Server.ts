/** Runs the app: the store, the HTTP server on the configured address, and the poller for POLLING jobs. */
import type { AddressInfo } from "node:net"
import { serve } from "@hono/node-server"
import * as App from "./App.js"
import type * as DeskLogin from "./DeskLogin.js"
import * as Poller from "./Poller.js"
import type { PortalSigningPort, SigningPort } from "./Signing.js"
import { Store } from "./Store.js"

export interface ServerOptions {
  readonly host: string
  readonly port: number
  readonly publicUrl?: string | undefined
  readonly databasePath: string
  readonly signing: SigningPort
  /** Poll for POLLING jobs' status changes (default true). */
  readonly poll?: boolean
  readonly log?: (line: string) => void
  /** The sender desk's login; without it the desk is closed. */
  readonly desk?: DeskLogin.DeskCredentials | undefined
  /** The portal flow: the portal desk, and a second polling worker on the portal queue. */
  readonly portal?: PortalSigningPort | undefined
}

export interface RunningServer {
  readonly url: string
  readonly store: Store
  /** Stops polling (finishing a change in progress), the HTTP server, the signing client and the database. */
  readonly close: () => Promise<void>
}

export const start = async (options: ServerOptions): Promise<RunningServer> => {
  const store = Store.open(options.databasePath)
  const log = options.log ?? (() => {})
  let handler: ((request: Request) => Response | Promise<Response>) | undefined
  const server = serve({
    fetch: (request) => (handler === undefined ? new Response("starting", { status: 503 }) : handler(request)),
    hostname: options.host,
    port: options.port,
  })
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve()
    server.once("listening", () => resolve())
    server.once("error", reject)
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  const url = (options.publicUrl ?? `http://${host}:${address.port}`).replace(/\/+$/, "")

  const poller =
    options.poll === false
      ? undefined
      : Poller.start({
          store,
          signing: options.signing,
          onError: (message) => log(`poller: ${message}`),
        })
  const portal = options.portal
  const portalPoller =
    options.poll === false || portal === undefined
      ? undefined
      : Poller.start({
          store,
          signing: portal,
          api: "portal",
          onError: (message) => log(`portal poller: ${message}`),
        })
  const app = App.make({
    store,
    signing: options.signing,
    publicUrl: url,
    log,
    desk: options.desk,
    portal,
    portalPoller: () => ({ ...Poller.state(store, "portal"), running: portalPoller !== undefined }),
    poller: () => ({ ...Poller.state(store), running: poller !== undefined }),
  })
  handler = (request) => app.fetch(request)

  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= (async () => {
      await Promise.all([poller?.stop(), portalPoller?.stop()])
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ("closeAllConnections" in server) server.closeAllConnections()
      })
      await options.signing.close()
      await portal?.close()
      store.close()
    })()
    return closed
  }
  return { url, store, close }
}
