import { NodeTlsTransport } from "@signering/node-tls"
import { Effect, Layer } from "effect"
import { Agent } from "undici"
import { conformance, type TransportFactory } from "./support/conformance.js"
import { portalConformance } from "./support/portalConformance.js"

const nodeTls: TransportFactory = ({ keystore, presentClientCertificate, environment }) => {
  if (presentClientCertificate) return NodeTlsTransport.layer({ keystore, environment })
  // The transport always presents the keystore; to test the server's refusal, drop it from the same settings.
  return Layer.unwrap(
    Effect.gen(function* () {
      const { key: _key, cert: _cert, ...connect } = yield* NodeTlsTransport.connectOptions({ keystore, environment })
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Agent({ connect })),
        (agent) => Effect.promise(() => agent.destroy()),
      )
      return NodeTlsTransport.layerDispatcher(agent)
    }),
  )
}

conformance("NodeTlsTransport", nodeTls)
portalConformance("NodeTlsTransport", nodeTls)
