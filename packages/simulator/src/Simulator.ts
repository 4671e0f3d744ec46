/**
 * A faithful local Posten signering service: the direct-flow API over mutual TLS, plus the signing portal pages on a
 * separate plain-HTTP listener, with an injectable clock, fault injection, a request log and controls for tests.
 *
 * @since 0.1.0
 */

import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import { getRequestListener } from "@hono/node-server"
import { Context, Data, Effect, Layer } from "effect"
import { makeApi } from "./internal/api.js"
import { type Clock, makeTestClock, systemClock, type TestClock } from "./internal/clock.js"
import { Engine } from "./internal/engine.js"
import type { FaultSpec } from "./internal/faults.js"
import type { Counters, RequestLogEntry } from "./internal/observe.js"
import type { JobStatus, Outcome, SignerStatus } from "./internal/state.js"
import * as Pki from "./Pki.js"
import * as SigningPortal from "./SigningPortal.js"

export type { Clock, TestClock } from "./internal/clock.js"
export type { FaultKind, FaultRoute, FaultSpec } from "./internal/faults.js"
export type { Counters, RequestLogEntry } from "./internal/observe.js"

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/**
 * Options for {@link start}. Every delay defaults to the real service's value except the empty-queue poll delay,
 * which defaults to the test environment's (10 s rather than production's 10 min).
 *
 * @since 0.1.0
 */
export interface Options {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** API (mutual TLS) port. Default 0 (any free port). */
  readonly port?: number | undefined
  /** Portal (plain HTTP) port. Default 0. */
  readonly portalPort?: number | undefined
  /** Sender organizations with API access; each gets a certificate. Default: {@link Pki.defaultOrganizations}. */
  readonly organizations?: Pki.MakeOptions["organizations"]
  /** Broker organization number → organization numbers it may act for (else `BROKER_NOT_AUTHORIZED`). */
  readonly brokers?: Readonly<Record<string, ReadonlyArray<string>>> | undefined
  /** Reuse a PKI (saves key generation across many simulators in one test run). Must cover `organizations`. */
  readonly pki?: Pki.Pki | undefined
  /** Source of "now". Default the system clock. The simulator's own `clock` can still be moved on top of it. */
  readonly clock?: Clock | undefined
  /** After a 204 the next poll is permitted this much later. Default 10 s (production: 10 min). */
  readonly emptyQueuePollDelayMs?: number | undefined
  /** A polled change that is not confirmed goes back to its queue after this. Default 10 min. */
  readonly unconfirmedRequeueDelayMs?: number | undefined
  /** Documents become deletable this long after the last signature. Default 24 h. */
  readonly deleteDocumentsDelayMs?: number | undefined
  /** Lifetime of a direct job. Default 30 days. */
  readonly jobLifetimeMs?: number | undefined
  /** Tolerance of `SigningTime` in the bundle signature, either way. Default 5 s. */
  readonly signingTimeLeniencyMs?: number | undefined
  /** Per-organization rate limit: `true` for the real 10 requests/s with a 30 s block. Default off. */
  readonly rateLimit?: boolean | { readonly requestsPerSecond: number; readonly blockMs: number } | undefined
  /**
   * Whether a job's status query tokens still work after its final status was confirmed. The sources do not say;
   * `"refused"` answers them with `403 INVALID_STATUS_QUERY_TOKEN` (a refreshed exit page, a replayed URL), to test
   * how a sender copes with that. Default `"accepted"`.
   */
  readonly statusQueryTokensAfterConfirmation?: "accepted" | "refused" | undefined
  /** How many requests the log keeps. Default 1000. */
  readonly requestLogLimit?: number | undefined
  /** Called with every request log entry as it is recorded (secrets already masked). */
  readonly onRequest?: ((entry: RequestLogEntry) => void) | undefined
}

/**
 * A signer's status as the simulator sees it (for assertions).
 *
 * @since 0.1.0
 */
export interface SignerView {
  readonly signer: string
  readonly status: SignerStatus
  readonly since: Date
}

/**
 * A job as the simulator sees it (for assertions). Never includes tokens.
 *
 * @since 0.1.0
 */
export interface JobView {
  readonly id: string
  readonly organization: string
  readonly status: JobStatus
  readonly signers: ReadonlyArray<SignerView>
  readonly documentsDeleted: boolean
}

/**
 * A running simulator.
 *
 * @since 0.1.0
 */
export interface Instance {
  /** API root, e.g. `https://127.0.0.1:40123/api`. Paths are `<url>/<org>/direct/signature-jobs…`. */
  readonly url: string
  /** Signing portal root (plain HTTP, no client certificate), e.g. `http://127.0.0.1:40124`. */
  readonly portalUrl: string
  readonly pki: Pki.Pki
  /** The simulator's clock: moving it expires jobs, re-queues unconfirmed changes and opens deletion. */
  readonly clock: TestClock
  readonly faults: {
    /** Makes the next `times` requests of a route misbehave. */
    readonly inject: (spec: FaultSpec) => void
    readonly pending: () => ReadonlyArray<FaultSpec & { readonly remaining: number }>
    readonly clear: () => void
  }
  /** Requests so far (most recent last), secrets masked. */
  readonly requestLog: () => ReadonlyArray<RequestLogEntry>
  /** A snapshot of the counters. */
  readonly counters: () => Counters
  /** Resets the request log and the counters. */
  readonly resetObservations: () => void
  /** Signs as the signer (PIN or custom identifier) of a job. Resolves to the exit URL with `status_query_token`. */
  readonly sign: (jobId: string | bigint, signer: string) => Promise<string>
  /** Rejects as the signer. Resolves to the rejection URL with `status_query_token`. */
  readonly reject: (jobId: string | bigint, signer: string) => Promise<string>
  /** Simulates an unexpected error in the signer's ceremony. Resolves to the error URL with `status_query_token`. */
  readonly fail: (jobId: string | bigint, signer: string) => Promise<string>
  /** The job as the simulator sees it, or undefined. */
  readonly job: (jobId: string | bigint) => JobView | undefined
  /**
   * The status query token a signer will be (or was) redirected with. Only for tests of the status endpoint (e.g. the
   * 404 before the ceremony ends); a real sender only ever gets it through the exit URL.
   */
  readonly statusQueryToken: (jobId: string | bigint, signer: string) => string
  /** Stops both listeners and drops every open connection. */
  readonly close: () => Promise<void>
}

/**
 * The simulator could not start or was used wrongly.
 *
 * @since 0.1.0
 */
export class SimulatorError extends Data.TaggedError("SimulatorError")<{
  readonly reason: "InvalidOptions" | "Listen" | "Pki" | "UnknownJob" | "UnknownSigner" | "SignerCannotAct"
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Simulator (${this.reason}): ${this.detail}`
  }
}

/** A clock the simulator can move on top of any base clock (an offset), so every instance is controllable. */
const controllable = (base: Clock): TestClock => {
  let offset = 0
  return {
    now: () => base.now() + offset,
    advance: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError("advance(ms): ms must be a finite number ≥ 0")
      offset += ms
    },
    set: (instant) => {
      offset = (typeof instant === "number" ? instant : instant.getTime()) - base.now()
    },
  }
}

/**
 * A clock frozen at `start` that moves only with `advance`/`set`: pass it as `clock` for fully deterministic tests.
 *
 * @example
 * ```ts
 * import { Simulator } from "@signering/simulator"
 * const clock = Simulator.testClock(new Date("2026-01-01T12:00:00Z"))
 * const sim = await Simulator.start({ clock })
 * clock.advance(31 * 24 * 3600 * 1000) // every job created before is now expired
 * await sim.close()
 * ```
 *
 * @since 0.1.0
 */
export const testClock = (start?: Date | number): TestClock => makeTestClock(start)

const invalid = (detail: string): never => {
  throw new SimulatorError({ reason: "InvalidOptions", detail })
}

/** Refuses options that cannot work, naming the option and the limit. */
const validateOptions = (options: Options) => {
  for (const name of ["port", "portalPort"] as const) {
    const v = options[name]
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535))
      invalid(`${name} must be an integer from 0 to 65535, got ${v}`)
  }
  for (const name of [
    "emptyQueuePollDelayMs",
    "unconfirmedRequeueDelayMs",
    "deleteDocumentsDelayMs",
    "jobLifetimeMs",
    "signingTimeLeniencyMs",
  ] as const) {
    const v = options[name]
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) invalid(`${name} must be a finite number ≥ 0, got ${v}`)
  }
  if (
    options.requestLogLimit !== undefined &&
    (!Number.isInteger(options.requestLogLimit) || options.requestLogLimit < 0)
  )
    invalid(`requestLogLimit must be an integer ≥ 0, got ${options.requestLogLimit}`)
  if (typeof options.rateLimit === "object") {
    const { requestsPerSecond, blockMs } = options.rateLimit
    if (!Number.isInteger(requestsPerSecond) || requestsPerSecond < 1)
      invalid(`rateLimit.requestsPerSecond must be an integer ≥ 1, got ${requestsPerSecond}`)
    if (!Number.isFinite(blockMs) || blockMs < 0)
      invalid(`rateLimit.blockMs must be a finite number ≥ 0, got ${blockMs}`)
  }
  for (const [broker, orgs] of Object.entries(options.brokers ?? {})) {
    if (!/^[0-9]{9}$/.test(broker)) invalid(`brokers: "${broker}" is not a 9-digit organization number`)
    for (const org of orgs)
      if (!/^[0-9]{9}$/.test(org)) invalid(`brokers["${broker}"]: "${org}" is not a 9-digit organization number`)
  }
}

const listen = (server: http.Server, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

const closeServer = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host)

/**
 * Starts the simulator: generates a PKI (unless given one), opens the mutual-TLS API listener and the portal listener.
 *
 * @example
 * ```ts
 * import { Simulator } from "@signering/simulator"
 * import { Agent, request } from "undici"
 *
 * const sim = await Simulator.start()
 * const sender = sim.pki.senders[0]!
 * const dispatcher = new Agent({
 *   connect: { key: sender.privateKeyPem, cert: sender.chainPem, ca: sim.pki.caCertificatePem, checkServerIdentity: () => undefined },
 * })
 * const res = await request(`${sim.url}/${sender.organizationNumber}`, { dispatcher })
 * console.log(await res.body.text()) // "You are 123456785"
 * await sim.close()
 * ```
 *
 * @since 0.1.0
 */
export const start = async (options: Options = {}): Promise<Instance> => {
  validateOptions(options)
  const host = options.host ?? "127.0.0.1"
  let pki: Pki.Pki
  try {
    pki = options.pki ?? (await Pki.make({ organizations: options.organizations }))
  } catch (cause) {
    throw new SimulatorError({ reason: "Pki", detail: "could not generate the test PKI", cause })
  }
  const organizations = new Set(
    (options.organizations ?? pki.senders).map((o) => o.organizationNumber).concat(Object.keys(options.brokers ?? {})),
  )
  const brokers = new Map(Object.entries(options.brokers ?? {}).map(([broker, orgs]) => [broker, new Set(orgs)]))
  const clock = controllable(options.clock ?? systemClock)
  const rateLimit =
    options.rateLimit === true
      ? { requestsPerSecond: 10, blockMs: 30_000 }
      : options.rateLimit === false || options.rateLimit === undefined
        ? undefined
        : options.rateLimit
  const engine = new Engine({
    clock,
    pki,
    organizations,
    brokers,
    rateLimit,
    jobLifetimeMs: options.jobLifetimeMs ?? 30 * DAY,
    emptyQueuePollDelayMs: options.emptyQueuePollDelayMs ?? 10_000,
    unconfirmedRequeueDelayMs: options.unconfirmedRequeueDelayMs ?? 10 * MINUTE,
    deleteDocumentsDelayMs: options.deleteDocumentsDelayMs ?? DAY,
    signingTimeLeniencyMs: options.signingTimeLeniencyMs ?? 5_000,
    statusQueryTokensAfterConfirmation: options.statusQueryTokensAfterConfirmation ?? "accepted",
    requestLogLimit: options.requestLogLimit ?? 1000,
    onRequest: options.onRequest,
  })

  const api = https.createServer(
    {
      key: pki.server.privateKeyPem,
      cert: pki.server.chainPem,
      ca: pki.caCertificatePem,
      // Like the real service: a client certificate is required and verified at the handshake.
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
    },
    getRequestListener(makeApi(engine).fetch),
  )
  const portal = http.createServer(getRequestListener(SigningPortal.make(engine).fetch))
  let apiPort: number
  let portalPort: number
  try {
    apiPort = await listen(api, options.port ?? 0, host)
    portalPort = await listen(portal, options.portalPort ?? 0, host)
  } catch (cause) {
    await Promise.all([closeServer(api), closeServer(portal)])
    throw new SimulatorError({ reason: "Listen", detail: `could not listen on ${host}`, cause })
  }
  engine.urls = { api: `https://${urlHost(host)}:${apiPort}/api`, portal: `http://${urlHost(host)}:${portalPort}` }

  const find = (jobId: string | bigint, signer: string) => {
    const job = engine.state.jobs.get(String(jobId))
    if (job === undefined) throw new SimulatorError({ reason: "UnknownJob", detail: `no job ${jobId}` })
    const record = job.signers.find((s) => s.value === signer)
    if (record === undefined)
      throw new SimulatorError({ reason: "UnknownSigner", detail: `job ${jobId} has no such signer` })
    return { job, signer: record }
  }
  const actAs = (outcome: Outcome) => async (jobId: string | bigint, signer: string) => {
    const found = find(jobId, signer)
    const exit = await engine.act(found.job, found.signer, outcome)
    if (exit === undefined)
      throw new SimulatorError({
        reason: "SignerCannotAct",
        detail: `the signer's status is ${found.signer.status} and the job is no longer open to it`,
      })
    return exit
  }

  let closing: Promise<void> | undefined
  // Logging the instance must not print the PKI's private keys and passphrases.
  const summary = () => ({ url: engine.urls.api, portalUrl: engine.urls.portal })
  const instance: Instance = {
    url: engine.urls.api,
    portalUrl: engine.urls.portal,
    pki,
    clock,
    faults: {
      inject: (spec) => engine.faults.inject(spec),
      pending: () => engine.faults.pending(),
      clear: () => engine.faults.clear(),
    },
    requestLog: () => engine.log.all(),
    counters: () => ({ ...engine.counters }),
    resetObservations: () => {
      engine.log.clear()
      for (const key of Object.keys(engine.counters) as Array<keyof Counters>) engine.counters[key] = 0
    },
    sign: actAs("SIGNED"),
    reject: actAs("REJECTED"),
    fail: actAs("FAILED"),
    job: (jobId) => {
      engine.state.sweep()
      const job = engine.state.jobs.get(String(jobId))
      if (job === undefined) return undefined
      const snapshot = engine.state.snapshot(job)
      return {
        id: job.id,
        organization: job.organization,
        status: snapshot.jobStatus,
        signers: snapshot.signers.map((s) => ({ signer: s.value, status: s.status, since: new Date(s.since) })),
        documentsDeleted: job.documents === undefined,
      }
    },
    statusQueryToken: (jobId, signer) => find(jobId, signer).signer.statusQueryToken,
    close: () => {
      closing ??= Promise.all([closeServer(api), closeServer(portal)]).then(() => undefined)
      return closing
    },
  }
  Object.defineProperties(instance, {
    [Symbol.for("nodejs.util.inspect.custom")]: { value: () => `Simulator ${JSON.stringify(summary())}` },
    toJSON: { value: summary },
    toString: { value: () => `Simulator(${engine.urls.api})` },
  })
  return instance
}

/**
 * The running simulator as an Effect service.
 *
 * @since 0.1.0
 */
export class Simulator extends Context.Service<Simulator, Instance>()("@signering/simulator/Simulator") {}

/**
 * A layer that starts the simulator and closes it with its scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Simulator } from "@signering/simulator"
 *
 * const program = Effect.gen(function* () {
 *   const sim = yield* Simulator.Simulator
 *   return sim.url
 * })
 * Effect.runPromise(Effect.provide(program, Simulator.layer()))
 * ```
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Simulator, SimulatorError> =>
  Layer.effect(
    Simulator,
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => start(options),
        catch: (cause) =>
          cause instanceof SimulatorError
            ? cause
            : new SimulatorError({ reason: "Listen", detail: "could not start", cause }),
      }),
      (sim) => Effect.promise(() => sim.close()),
    ),
  )

/**
 * Like {@link layer}, for tests: a frozen clock (move it with `sim.clock.advance`) and a 1 s empty-queue delay,
 * unless the options say otherwise.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Simulator } from "@signering/simulator"
 *
 * const program = Effect.gen(function* () {
 *   const sim = yield* Simulator.Simulator
 *   sim.clock.advance(60_000)
 * })
 * Effect.runPromise(Effect.provide(program, Simulator.layerTest()))
 * ```
 *
 * @since 0.1.0
 */
export const layerTest = (options: Options = {}): Layer.Layer<Simulator, SimulatorError> =>
  layer({ clock: makeTestClock(), emptyQueuePollDelayMs: 1_000, ...options })
