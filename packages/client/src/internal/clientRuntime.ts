/**
 * The runtime behind each Promise client, so that the Promise forms of the polling worker and the exit callback
 * helper run on the client the caller already has (its connection pool, its configuration) instead of a second one.
 * A WeakMap keeps the runtime off the client object's public shape.
 */
import { ValidationError } from "@signering/protocol"
import type { ManagedRuntime } from "effect"
import type * as DirectClient from "../DirectClient.js"
import type * as PortalClient from "../PortalClient.js"

interface Services {
  readonly direct: DirectClient.DirectClient
  readonly portal: PortalClient.PortalClient
}

export type Flow = keyof Services

export type ClientRuntime<F extends Flow = "direct"> = ManagedRuntime.ManagedRuntime<Services[F], unknown>

const runtimes = new WeakMap<object, { readonly flow: Flow; readonly runtime: ClientRuntime<Flow> }>()

const maker: Record<Flow, string> = { direct: "createDirectClient", portal: "createPortalClient" }

/** Called by `createDirectClient` and `createPortalClient` for every client they make. */
export const registerClientRuntime = <F extends Flow>(client: object, runtime: ClientRuntime<F>, flow: F): void => {
  runtimes.set(client, { flow, runtime: runtime as unknown as ClientRuntime<Flow> })
}

/** The runtime of a client made by `create<Flow>Client`; a `ValidationError` (thrown) for anything else. */
export const clientRuntime = <F extends Flow = "direct">(client: object, flow?: F): ClientRuntime<F> => {
  const wanted = flow ?? "direct"
  const entry = runtimes.get(client)
  if (entry === undefined || entry.flow !== wanted) {
    throw new ValidationError({
      issues: [{ path: "client", rule: "type", message: `must be a client made by ${maker[wanted]}` }],
    })
  }
  return entry.runtime as unknown as ClientRuntime<F>
}
