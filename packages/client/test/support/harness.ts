/**
 * The client against the real simulator over mutual TLS. The transport is effect's `FetchHttpClient` with undici's
 * fetch and an undici `Agent` carrying the simulator's sender certificate (the client package cannot depend on
 * `@signering/node-tls` without a cycle). Every call through the transport is counted here, so tests can tell
 * attempts that never reached the server (refused connections) from those the simulator logged.
 */
import { DirectJob, Keystore } from "@signering/protocol"
import { Pki, Simulator } from "@signering/simulator"
import { Effect, Layer, References } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"
import { Agent, fetch as undiciFetch } from "undici"
import * as ArchiveClient from "../../src/ArchiveClient.js"
import * as DirectClient from "../../src/DirectClient.js"
import * as Environment from "../../src/Environment.js"
import * as PortalClient from "../../src/PortalClient.js"

export const ORG_A = "123456785"
export const ORG_B = "987654325"

let sharedPki: Promise<Pki.Pki> | undefined
/** One PKI per test file: key generation is the slow part of starting a simulator. */
export const pki = () => {
  sharedPki ??= Pki.make()
  return sharedPki
}

export interface Credentials {
  readonly chainPem: string
  readonly privateKeyPem: string
}

/** An undici agent presenting `credentials`, trusting `ca`, with host-name checks replaced by "accept" (the test CA is ours). */
export const agentFor = (credentials: Credentials | undefined, ca: string | ReadonlyArray<string>) =>
  new Agent({
    connect: {
      ...(credentials === undefined ? {} : { cert: credentials.chainPem, key: credentials.privateKeyPem }),
      ca: typeof ca === "string" ? ca : [...ca],
      checkServerIdentity: () => undefined,
    },
    keepAliveTimeout: 10_000,
  })

export interface Transport {
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  readonly calls: () => number
  readonly close: () => Promise<void>
}

/** effect's fetch client over undici with `agent`; counts every fetch call. */
export const transport = (agent: Agent): Transport => {
  let calls = 0
  const fetchImpl = ((input: string | URL, init?: RequestInit) => {
    calls++
    return undiciFetch(input, { ...(init as object), dispatcher: agent } as never)
  }) as unknown as typeof globalThis.fetch
  return {
    layer: FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch)(fetchImpl))),
    calls: () => calls,
    close: () => agent.close(),
  }
}

export interface Harness {
  readonly sim: Simulator.Instance
  readonly environment: Environment.Environment
  readonly keystore: Keystore.Keystore
  readonly transport: Transport
  /** The client for ORG_A with default options plus `options`. */
  readonly client: (options?: Partial<DirectClient.Options>) => Promise<DirectClient.Service>
  /** The portal client for ORG_A, same defaults. */
  readonly portal: (options?: Partial<PortalClient.Options>) => Promise<PortalClient.Service>
  /** The archive client for ORG_A, same defaults. */
  readonly archive: (options?: Partial<ArchiveClient.Options>) => Promise<ArchiveClient.Service>
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  readonly close: () => Promise<void>
}

export const start = async (options: Simulator.Options = {}): Promise<Harness> => {
  const sim = await Simulator.start({ pki: await pki(), ...options })
  const sender = sim.pki.sender(ORG_A)
  const keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
  const t = transport(agentFor(sender, sim.pki.caCertificatePem))
  const environment = Environment.custom({
    apiRoot: sim.url,
    serverOrganizationNumber: sim.pki.server.organizationNumber,
    trustAnchors: [sim.pki.caCertificatePem],
  })
  const defaults: DirectClient.Options = {
    environment,
    keystore,
    sender: { organizationNumber: ORG_A },
    retry: { times: 2, base: "5 millis" },
    validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
    // Tests count requests and provoke 429s themselves: no client-side pacing unless a test asks for it.
    rateLimiter: false,
  }
  return {
    sim,
    environment,
    keystore,
    transport: t,
    client: (overrides) =>
      Effect.runPromise(DirectClient.make({ ...defaults, ...overrides }).pipe(Effect.provide(t.layer))),
    portal: (overrides) =>
      Effect.runPromise(PortalClient.make({ ...defaults, ...overrides }).pipe(Effect.provide(t.layer))),
    archive: (overrides) =>
      Effect.runPromise(ArchiveClient.make({ ...defaults, ...overrides }).pipe(Effect.provide(t.layer))),
    // Expected failures log warnings; keep the test output for real problems.
    run: (effect) => Effect.runPromise(effect.pipe(Effect.provideService(References.MinimumLogLevel, "Error"))),
    close: async () => {
      await t.close()
      await sim.close()
    },
  }
}

/** A small valid PDF (the simulator's, shared by every suite). */
export const minimalPdf = Simulator.minimalPdf

/** A synthetic personal identification number with valid check digits. */
export const PIN = ["010170123", "010170124", "010170125", "010170126", "010170127"]
  .map((nine) => DirectJob.completePersonalIdentificationNumber(nine))
  .find((pin) => pin !== undefined)!

/** A job input for ORG_A: one PIN signer and one custom-identifier signer. */
export const jobInput = (overrides: Partial<DirectClient.JobInput> = {}): DirectClient.JobInput => ({
  title: "Employment contract",
  description: "Please sign",
  reference: "ref-1",
  documents: [{ title: "Contract", bytes: minimalPdf() }],
  signers: [{ personalIdentificationNumber: PIN }, { customIdentifier: "customer-42" }],
  exitUrls: {
    completionUrl: "https://sender.example/done",
    rejectionUrl: "https://sender.example/rejected",
    errorUrl: "https://sender.example/error",
  },
  ...overrides,
})

/** A loopback port nothing listens on (bound, then released). */
export const closedPort = async (): Promise<number> => {
  const { createServer } = await import("node:net")
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}
