/**
 * A faithful local Posten signering service: the direct- and portal-flow API and the archive over mutual TLS, plus
 * the signer pages on a separate plain-HTTP listener, with an injectable clock, fault injection, a request log, an
 * outbox of notifications and controls for tests.
 *
 * @since 0.1.0
 */

import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import { getRequestListener } from "@hono/node-server"
import { Context, Data, Effect, Layer } from "effect"
import { makeApi } from "./internal/api/index.js"
import { type Clock, makeTestClock, systemClock, type TestClock } from "./internal/clock.js"
import { Engine, type Notification, type RegistryEntry } from "./internal/engine.js"
import type { FaultSpec } from "./internal/faults.js"
import type { Counters, RequestLogEntry } from "./internal/observe.js"
import { validateOptions } from "./internal/options.js"
import { type ConfirmationModel, canAct, type JobStatus, type Outcome, type SignerStatus } from "./internal/state.js"
import * as Pki from "./Pki.js"
import * as SignerPages from "./SignerPages.js"

export type { Clock, TestClock } from "./internal/clock.js"
export type { Notification, RegistryEntry } from "./internal/engine.js"
export type { FaultKind, FaultRoute, FaultSpec } from "./internal/faults.js"
export { minimalPdf } from "./internal/minimalPdf.js"
export type { Counters, RequestLogEntry } from "./internal/observe.js"
export type { ConfirmationModel, ContactInformation, JobStatus, SignerStatus } from "./internal/state.js"

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
   * Whether a job's status query tokens still work after its final status was confirmed (the token is spent). The
   * client documentation says a reused token gives `InvalidStatusQueryToken`; a replayed exit URL must not download
   * and confirm again. Default `"refused"` (`403 INVALID_STATUS_QUERY_TOKEN`); `"accepted"` keeps them working.
   */
  readonly statusQueryTokensAfterConfirmation?: "accepted" | "refused" | undefined
  /**
   * What a confirmation settles while another change of the same job is out (delivered, not confirmed). The sources
   * do not say. `"settles-job"` (default, the worst case): a confirmation settles every delivered change of the job,
   * so a change delivered but not handled never comes back. `"settles-change"`: a polled change's confirmation URL
   * names that change and settles only it.
   */
  readonly confirmationModel?: ConfirmationModel | undefined
  /** Organizations with long-term storage (a sender-portal setting): their signed documents are archived. */
  readonly longTermStorage?: ReadonlyArray<string> | undefined
  /**
   * The fake contact register (KRR) for `notifications-using-lookup`, per personal identification number: contact
   * data, or `"RESERVED"` / `"CONTACT_INFORMATION_MISSING"`. Numbers not listed get made-up contact data.
   */
  readonly contactRegister?: Readonly<Record<string, RegistryEntry>> | undefined
  /** Wrong security codes a contact-information signer may enter before being BLOCKED. Default 3. */
  readonly securityCodeAttempts?: number | undefined
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
  /** Portal jobs: the signer's order group. */
  readonly order?: number | undefined
  /** Portal jobs: when the signer's group became available, if it has. */
  readonly activatedAt?: Date | undefined
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
  readonly flow: "direct" | "portal"
  readonly signers: ReadonlyArray<SignerView>
  readonly documentsDeleted: boolean
  /** Portal jobs: the sender cancelled it. */
  readonly cancelled: boolean
  /** Set once the job's final status is confirmed, when its organization has long-term storage. */
  readonly archivedDocumentId: string | undefined
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
  /**
   * Signs as the signer of a job: the PIN or custom identifier; in a portal job the PIN or a contact signer's e-mail
   * address or mobile number exactly as given. Resolves to the exit URL with `status_query_token` (portal jobs: the
   * signer pages). Refuses (`SignerCannotAct`) a portal signer whose order group is not active yet.
   */
  readonly sign: (jobId: string | bigint, signer: string) => Promise<string>
  /** Rejects as the signer, like {@link Instance.sign}. Resolves to the rejection URL with `status_query_token`. */
  readonly reject: (jobId: string | bigint, signer: string) => Promise<string>
  /**
   * Notifications sent (e-mail and SMS with the signing link, security codes, cancellations), oldest first;
   * filtered by job and by signer (as `sign` names it).
   */
  readonly outbox: (filter?: {
    readonly jobId?: string | bigint
    readonly signer?: string
  }) => ReadonlyArray<Notification>
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
  readonly reason:
    | "InvalidOptions"
    | "Listen"
    | "Pki"
    | "UnknownJob"
    | "UnknownSigner"
    | "SignerCannotAct"
    | "SignerNotActive"
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
  validateOptions(options, invalid)
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
    statusQueryTokensAfterConfirmation: options.statusQueryTokensAfterConfirmation ?? "refused",
    confirmationModel: options.confirmationModel ?? "settles-job",
    registry: new Map(Object.entries(options.contactRegister ?? {})),
    longTermStorage: new Set(options.longTermStorage ?? []),
    securityCodeAttempts: options.securityCodeAttempts ?? 3,
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
  const portal = http.createServer(getRequestListener(SignerPages.make(engine).fetch))
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
    const record = job.signers.find(
      (s) =>
        s.value === signer ||
        (s.kind === "ContactInformation" &&
          (s.portal?.notifications?.email === signer || s.portal?.notifications?.sms === signer)),
    )
    if (record === undefined)
      throw new SimulatorError({ reason: "UnknownSigner", detail: `job ${jobId} has no such signer` })
    return { job, signer: record }
  }
  const actAs = (outcome: Outcome) => async (jobId: string | bigint, signer: string) => {
    const found = find(jobId, signer)
    if (outcome === "FAILED" && found.job.flow === "portal")
      throw new SimulatorError({
        reason: "SignerCannotAct",
        detail: "a portal job has no signing ceremony to fail: sign, reject, or cancel it",
      })
    engine.state.sweep()
    if (found.signer.status === "WAITING" && !canAct(found.job, found.signer))
      throw new SimulatorError({
        reason: "SignerNotActive",
        detail: `the signer's order group of portal job ${jobId} is not active yet`,
      })
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
    outbox: (filter = {}) =>
      engine.outbox.filter((n) => {
        if (filter.jobId !== undefined && n.jobId !== String(filter.jobId)) return false
        if (filter.signer === undefined) return true
        if (n.signer === filter.signer) return true
        const s = engine.state.jobs.get(n.jobId)?.signers.find((x) => x.value === n.signer)
        return s?.portal?.notifications?.email === filter.signer || s?.portal?.notifications?.sms === filter.signer
      }),
    job: (jobId) => {
      engine.state.sweep()
      const job = engine.state.jobs.get(String(jobId))
      if (job === undefined) return undefined
      const snapshot = engine.state.snapshot(job)
      return {
        id: job.id,
        organization: job.organization,
        status: snapshot.jobStatus,
        flow: job.flow,
        signers: job.signers.map((s) => ({
          signer: s.value,
          status: s.status,
          since: new Date(s.since),
          ...(s.portal === undefined
            ? {}
            : {
                order: s.portal.order,
                activatedAt: s.portal.activatedAt === undefined ? undefined : new Date(s.portal.activatedAt),
              }),
        })),
        documentsDeleted: job.documents === undefined,
        cancelled: job.portal?.cancelled === true,
        archivedDocumentId: engine.archivedDocumentId(job),
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
