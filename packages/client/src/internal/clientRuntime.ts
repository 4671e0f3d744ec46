/**
 * The runtime behind each Promise client, so that the Promise forms of the polling worker and the exit callback
 * helper run on the client the caller already has (its connection pool, its configuration) instead of a second one.
 * A WeakMap keeps the runtime off the client object's public shape.
 */
import { ValidationError } from "@signering/protocol"
import type { ManagedRuntime } from "effect"
import type * as DirectClient from "../DirectClient.js"

export type ClientRuntime = ManagedRuntime.ManagedRuntime<DirectClient.DirectClient, unknown>

const runtimes = new WeakMap<object, ClientRuntime>()

/** Called by `createDirectClient` for every client it makes. */
export const registerClientRuntime = (client: object, runtime: ClientRuntime): void => {
  runtimes.set(client, runtime)
}

/** The runtime of a client made by `createDirectClient`; a `ValidationError` (thrown) for anything else. */
export const clientRuntime = (client: object): ClientRuntime => {
  const runtime = runtimes.get(client)
  if (runtime === undefined) {
    throw new ValidationError({
      issues: [{ path: "client", rule: "type", message: "must be a client made by createDirectClient" }],
    })
  }
  return runtime
}
