/**
 * The transports under test, by name, each built the way the package READMEs tell a user to.
 */
import type { Environment } from "@signering/client"
import { FetchTransport } from "@signering/fetch"
import { NodeTlsTransport } from "@signering/node-tls"
import type { Keystore } from "@signering/protocol"
import { Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { Agent, fetch as undiciFetch } from "undici"

/** The runtime and its version, as the flows report it. */
export const runtimeName = (): string => {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } }
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`
  return `node ${process.versions.node}`
}

/** Every transport name a flow accepts. */
export type TransportName = "node-tls" | "fetch-undici" | "fetch-bun" | "fetch-deno"

/** The `HttpClient` layer for a transport name. */
export const transportLayer = (
  name: string,
  options: { readonly keystore: Keystore.Keystore; readonly environment: Environment.Environment },
): Layer.Layer<HttpClient.HttpClient, unknown> => {
  switch (name as TransportName) {
    case "node-tls":
      return NodeTlsTransport.layer(options)
    case "fetch-undici":
      // undici's own fetch with an Agent from the same undici, its TLS options from node-tls (fetch README, Node).
      return Layer.unwrap(
        Effect.gen(function* () {
          const connect = yield* NodeTlsTransport.connectOptions(options)
          const agent = yield* Effect.acquireRelease(
            Effect.sync(() => new Agent({ connect })),
            (a) => Effect.promise(() => a.close()),
          )
          return FetchTransport.layer({ fetch: undiciFetch, requestInit: { dispatcher: agent } })
        }),
      )
    case "fetch-bun":
      return FetchTransport.bun(options)
    case "fetch-deno":
      return FetchTransport.deno(options)
  }
  throw new Error(`unknown transport ${name}`)
}
