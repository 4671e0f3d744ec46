/**
 * One simulator and the sender's clients (direct and portal, one connection pool) over mutual TLS
 * (`NodeTlsTransport`), as a sender runs them, with everything a person
 * could read captured for the secrets scan: the client's Effect log (every level), the simulator's request log and
 * the console.
 */
import { randomBytes } from "node:crypto"
import { DirectClient, Environment, PortalClient } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { DirectJob, Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Layer, Logger, ManagedRuntime, Redacted, References } from "effect"
import { capture, captureConsole, secret, secretPem } from "./secrets.js"

export const ORG = "123456785"

/** An environment variable as an integer of at least `min` (default 1), or the default. */
export const envInt = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === "") return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got "${raw}"`)
  return value
}

/** A small valid PDF (the simulator's); `padding` random bytes, shown as hex text, make each one distinct. */
export const pdf = (padding = 64): Uint8Array =>
  Simulator.minimalPdf(`Reliability ${randomBytes(padding).toString("hex")}`)

/** Distinct personal identification numbers with valid check digits (synthetic; each registered as a secret). */
export const pins = (count: number, seed = 0): Array<string> => {
  const out: Array<string> = []
  for (let n = seed; out.length < count; n++) {
    const day = 1 + (n % 28)
    const month = 1 + (Math.floor(n / 28) % 12)
    const individual = 100 + (Math.floor(n / 336) % 900)
    const nine = `${String(day).padStart(2, "0")}${String(month).padStart(2, "0")}70${individual}`
    const pin = DirectJob.completePersonalIdentificationNumber(nine)
    if (pin !== undefined) {
      secret("personal identification number", pin)
      out.push(pin)
    }
  }
  return out
}

export interface World {
  readonly sim: Simulator.Instance
  readonly keystore: Keystore.Keystore
  readonly environment: Environment.Environment
  readonly runtime: ManagedRuntime.ManagedRuntime<Clients, unknown>
  readonly run: <A, E>(effect: Effect.Effect<A, E, Clients>) => Promise<A>
  /** Every simulator request log entry (also kept for assertions: the simulator's own log is bounded). */
  readonly requests: Array<Simulator.RequestLogEntry>
  readonly close: () => Promise<void>
}

/** The services the world's runtime provides: both flows' clients, with the same options and transport. */
export type Clients = DirectClient.DirectClient | PortalClient.PortalClient

export interface WorldOptions {
  readonly simulator?: Simulator.Options
  readonly client?: Partial<DirectClient.Options>
  readonly connections?: number
}

/**
 * Starts the simulator and the clients for `ORG` (direct and portal, sharing one `NodeTlsTransport` pool and one
 * client-side pacing) over `NodeTlsTransport`; registers the PKI's secrets.
 */
export const startWorld = async (options: WorldOptions = {}): Promise<World> => {
  captureConsole()
  const requests: Array<Simulator.RequestLogEntry> = []
  const sim = await Simulator.start({
    ...options.simulator,
    onRequest: (entry) => {
      requests.push(entry)
      capture("simulator request log", JSON.stringify(entry))
    },
  })
  for (const sender of sim.pki.senders) {
    secretPem(`private key of ${sender.organizationNumber}`, sender.privateKeyPem)
    secret(`PKCS#12 passphrase of ${sender.organizationNumber}`, sender.pkcs12Passphrase)
  }
  secretPem("private key of the foreign sender", sim.pki.foreign.sender.privateKeyPem)
  secretPem("server private key", sim.pki.server.privateKeyPem)
  const sender = sim.pki.sender(ORG)
  const keystore = await Effect.runPromise(
    Keystore.fromPkcs12Effect(sender.pkcs12, Redacted.make(sender.pkcs12Passphrase)),
  )
  const environment = Environment.custom({
    apiRoot: sim.url,
    serverOrganizationNumber: sim.pki.server.organizationNumber,
    trustAnchors: [sim.pki.caCertificatePem],
  })
  const logger = Logger.make((entry) => capture("client log", Logger.formatLogFmt.log(entry)))
  const clientOptions = { environment, keystore, sender: { organizationNumber: ORG }, ...options.client }
  const layer = Layer.mergeAll(DirectClient.layer(clientOptions), PortalClient.layer(clientOptions)).pipe(
    Layer.provide(NodeTlsTransport.layer({ keystore, environment, connections: options.connections ?? 50 })),
    Layer.provideMerge(Logger.layer([logger])),
    Layer.provideMerge(Layer.succeed(References.MinimumLogLevel)("All")),
  )
  const runtime = ManagedRuntime.make(layer) as unknown as ManagedRuntime.ManagedRuntime<Clients, unknown>
  return {
    sim,
    keystore,
    environment,
    runtime,
    run: (effect) => runtime.runPromise(effect),
    requests,
    close: async () => {
      await runtime.dispose()
      await sim.close()
    },
  }
}
