import { FetchTransport } from "@signering/fetch"
import { NodeTlsTransport } from "@signering/node-tls"
import { Effect, Layer } from "effect"
import { Agent, fetch } from "undici"
import { conformance } from "./support/conformance.js"

// The Node path of the fetch transport's README: undici's fetch with an Agent carrying the same TLS settings.
conformance("FetchTransport", ({ keystore, presentClientCertificate, environment }) =>
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
  ),
)
