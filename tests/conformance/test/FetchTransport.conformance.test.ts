import { FetchTransport } from "@signering/fetch"
import { NodeTlsTransport } from "@signering/node-tls"
import { Effect, Layer } from "effect"
import { Agent, fetch } from "undici"
import { conformance, type TransportFactory } from "./support/conformance.js"
import { portalConformance } from "./support/portalConformance.js"

// The Node path of the fetch transport's README: undici's fetch with an Agent carrying the same TLS settings.
const fetchTransport: TransportFactory = ({ keystore, presentClientCertificate, environment }) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const { key, cert, ...rest } = yield* NodeTlsTransport.connectOptions({ keystore, environment })
      const connect = presentClientCertificate ? { key, cert, ...rest } : rest
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Agent({ connect })),
        (agent) => Effect.promise(() => agent.destroy()),
      )
      return FetchTransport.layer({ fetch, requestInit: { dispatcher: agent } })
    }),
  )

conformance("FetchTransport", fetchTransport)
portalConformance("FetchTransport", fetchTransport)
