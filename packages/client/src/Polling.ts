/**
 * A polling worker for direct jobs with `statusRetrievalMethod: "POLLING"`: keeps every job's status right without
 * losing a change, without polling before the service permits it, and without leaving work half-done on shutdown.
 *
 * How it behaves (PROTOCOL.md §7–§8):
 * - Polls the sender's queue. On a change it downloads what `download` asks for, calls your handler, and confirms
 *   **only after the handler succeeded**, then polls again at once (the service permits that after a change).
 * - On "no changes" it sleeps until `X-Next-permitted-poll-time` plus a little jitter (at least 1 s); on a 429 until
 *   the time the 429 gave, or the end of the `DoSFilter` block, plus a floor that starts at 1 s and doubles with each
 *   consecutive 429 (up to a minute), so that a clock ahead of the service's never makes it poll in a loop. Times are
 *   read with the client's measured clock offset when it has one. No single answer can make it wait longer than
 *   `maxWait` (15 minutes): a later time is clamped, logged as a warning and counted.
 * - Failed polls, downloads and confirmations back off exponentially (with a cap and jitter). A failed handler is
 *   reported and its change is not confirmed: the service hands it out again after its re-queue delay (10 minutes).
 *   Your handler therefore sees a change at least once: make it idempotent (e.g. keyed by job id and status).
 * - Interrupting the worker is graceful: a change in progress is downloaded, handled and confirmed; no new poll starts.
 * - Several workers on one queue are safe: the service hands each change to one poller. Workers in one process also
 *   take turns polling, so that none polls right after another's "no changes" answer, and hand the changes of one
 *   job to the handler in the queue's order.
 * - Out-of-order changes (a re-queued change arriving after a newer one): a change older than one already handed to
 *   the handler is **skipped**, never handed over as current (counted in `staleChanges`). Confirmations are sent so
 *   that they cannot settle a newer change the handler has not handled, even when a confirmation settles every
 *   delivered change of the job (the worst case the sources allow): see the README, "Polling guarantees". Across
 *   processes, keep the job's status with `JobStatusOrder` so that an older change never overwrites a newer one.
 * - Works for any flow: `run` polls the direct flow through `DirectClient`; `runSource` takes any client shaped as a
 *   {@link Source} (e.g. the portal flow's).
 *
 * @since 0.1.0
 */
import type { DirectResponse, PortalResponse } from "@signering/protocol"
import { ValidationError } from "@signering/protocol"
import { Cause, Deferred, Effect, Exit, Fiber } from "effect"
import * as DirectClient from "./DirectClient.js"
import { type ClientRuntime, clientRuntime } from "./internal/clientRuntime.js"
import { loop } from "./internal/pollingLoop.js"
import {
  type CommonOptions,
  type Options as LoopOptions,
  type PollingError,
  settingsOf,
} from "./internal/pollingSettings.js"
import { directSource, type Polled, type Source as PollingSource, portalSource } from "./internal/pollingSource.js"
import * as PortalClient from "./PortalClient.js"
import type { PromiseDirectClient, PromisePortalClient } from "./promise.js"

export type { DownloadOptions, SignerDocument } from "./internal/documents.js"
export { type CommonOptions, metrics, PollingError } from "./internal/pollingSettings.js"

/**
 * What the handler gets: the status change and the documents `download` asked for. `S` is the flow's status type
 * (the direct flow's `JobStatusResponse` by default).
 *
 * @example
 * ```ts
 * const handler = (change: Polling.Change) => Effect.log(change.jobId, change.status.status, change.final)
 * ```
 */
export type Change<S = DirectResponse.JobStatusResponse> = import("./internal/pollingSettings.js").Change<S>

/**
 * Options of {@link run}.
 *
 * @example
 * ```ts
 * const options: Polling.Options<never, never> = { handler: (change) => Effect.log(change.jobId) }
 * ```
 */
export interface Options<E, R> extends LoopOptions<DirectResponse.JobStatusResponse, E, R> {}

/**
 * What a flow's client must offer for the worker to poll it: poll, download, confirm (and optionally its measured
 * clock offset). The direct flow's is built by {@link run}; adapt another flow's client to run it with {@link runSource}.
 *
 * @example
 * ```ts
 * const source: Polling.Source<PortalStatus> = {
 *   flow: "portal", apiRoot, defaultSender,
 *   getStatusChange: (sender) => portal.getStatusChange(sender),
 *   download: (status) => Effect.succeed({ pades: undefined, xades: [] }),
 *   confirm: (status) => portal.confirm(status),
 * }
 * ```
 */
export type Source<S extends Polled> = PollingSource<S>

/**
 * A status change as the worker reads it (any flow): job id, job status, signers with `since`, confirmation URL.
 *
 * @example
 * ```ts
 * const polled: Polling.Polled = change.status
 * ```
 */
export type { Polled }

/**
 * Runs a polling worker over any flow's {@link Source} (see {@link run} for the behaviour).
 *
 * @example
 * ```ts
 * const worker = Polling.runSource(portalSource, { handler: (change) => store.save(change.status) })
 * ```
 */
export const runSource = <S extends Polled, E = never, R = never>(
  source: Source<S>,
  options: LoopOptions<S, E, R>,
): Effect.Effect<never, ValidationError, R> =>
  Effect.gen(function* () {
    const settings = settingsOf(options, source)
    if (settings instanceof ValidationError) return yield* Effect.fail(settings)
    const stop = yield* Deferred.make<void>()
    // Detached: the worker must outlive an interruption of this fiber long enough to finish its change. Forked and
    // watched without a gap, so no interruption can leave it running unobserved.
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const worker = yield* Effect.forkDetach(loop(source, settings, options, stop), { uninterruptible: false })
        yield* restore(Fiber.join(worker)).pipe(
          Effect.onInterrupt(() => Deferred.succeed(stop, undefined).pipe(Effect.andThen(Fiber.await(worker)))),
        )
        return yield* restore(Effect.never)
      }),
    )
  })

/**
 * Runs a polling worker until interrupted. Interruption is graceful: a change in progress is finished (downloaded,
 * handled, confirmed) and no new poll starts; the interruption completes after that. Fails only when the options are
 * invalid (`ValidationError`, before any request); every other failure is reported (log line, metric, `onError`) and
 * the worker carries on, backing off. Failures that retrying cannot cure (e.g. `BrokerNotAuthorized`, a wrong server
 * identity) are logged as errors, so that a person notices; the worker recovers by itself once they are fixed.
 *
 * Run several for more throughput: workers on the same queue in one process take turns polling and handle changes
 * concurrently.
 *
 * @example
 * ```ts
 * import { DirectClient, Polling } from "@signering/client"
 * import { Effect } from "effect"
 *
 * const worker = Polling.run({
 *   queue: "contracts",
 *   download: { pades: true },
 *   handler: (change) =>
 *     Effect.promise(() => db.saveStatus(change.jobId, change.status.status, change.pades)),
 *   onError: (error) => Effect.logError(error.message),
 * })
 * // Runs until interrupted, e.g. by the scope of your application layer:
 * const fiber = yield* Effect.forkScoped(worker)
 * ```
 */
export const run = <E = never, R = never>(
  options: Options<E, R>,
): Effect.Effect<never, ValidationError, DirectClient.DirectClient | R> =>
  Effect.gen(function* () {
    const client = yield* DirectClient.DirectClient
    return yield* runSource(directSource(client), options)
  })

/**
 * Runs a polling worker on the portal flow's queue (`PortalClient`), with the same behaviour and guarantees as
 * {@link run}: each change is a portal `StatusChangeResponse`; `download` fetches the PAdES and each signature's XAdES.
 *
 * @example
 * ```ts
 * import { Polling } from "@signering/client"
 *
 * const worker = Polling.runPortal({
 *   queue: "contracts",
 *   download: { pades: true },
 *   handler: (change) => Effect.promise(() => db.saveStatus(change.jobId, change.status.status, change.pades)),
 * })
 * ```
 */
export const runPortal = <E = never, R = never>(
  options: LoopOptions<PortalResponse.StatusChangeResponse, E, R>,
): Effect.Effect<never, ValidationError, PortalClient.PortalClient | R> =>
  Effect.gen(function* () {
    const client = yield* PortalClient.PortalClient
    return yield* runSource(portalSource(client), options)
  })

// ---------------------------------------------------------------------------------------------------------------
// Promise form
// ---------------------------------------------------------------------------------------------------------------

/** Options of {@link startPollingWorker} (and, with the portal's status type, {@link startPortalPollingWorker}). */
export interface PromiseOptions<S = DirectResponse.JobStatusResponse> extends CommonOptions {
  /** Acts on one change. Resolves → the change is confirmed; rejects or throws → not confirmed, re-delivered later. */
  readonly handler: (change: Change<S>) => Promise<void> | void
  /** Called with every failure the worker recovers from. */
  readonly onError?: ((error: PollingError) => void) | undefined
}

/** A running worker. */
export interface PollingWorker {
  /** Stops gracefully: a change in progress is handled and confirmed first; no new poll starts. */
  readonly stop: () => Promise<void>
  /** Settles when the worker ends: resolves after `stop()`, rejects with a `ValidationError` for invalid options. */
  readonly done: Promise<void>
}

// One Promise wrapper for every flow: the flow's Effect worker, run on the runtime of the client the caller has.
const startOn = <S, Flow extends "direct" | "portal">(
  runtime: ClientRuntime<Flow>,
  worker: (options: LoopOptions<S, unknown, never>) => Effect.Effect<never, ValidationError, ServiceOf<Flow>>,
  options: PromiseOptions<S>,
): PollingWorker => {
  const { handler, onError, ...common } = options
  const effect = worker({
    ...common,
    handler: (change) => Effect.tryPromise({ try: async () => handler(change), catch: (cause) => cause }),
    ...(onError === undefined
      ? {}
      : { onError: (error: PollingError) => Effect.sync(() => onError(error)).pipe(Effect.ignore) }),
  })
  const fiber = runtime.runFork(effect as Effect.Effect<never, ValidationError, never>)
  const done = runtime.runPromise(Fiber.await(fiber)).then((exit) => {
    if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) return
    throw Cause.squash(exit.cause)
  })
  // Nobody may await `done`; an unhandled rejection must not take the process down for an ignored promise.
  done.catch(() => undefined)
  let stopping: Promise<void> | undefined
  return {
    stop: () => {
      stopping ??= runtime.runPromise(Fiber.interrupt(fiber)).then(() => undefined)
      return stopping
    },
    done,
  }
}

type ServiceOf<Flow extends "direct" | "portal"> = Flow extends "direct"
  ? DirectClient.DirectClient
  : PortalClient.PortalClient

/**
 * Starts a polling worker on a Promise client (see {@link run} for the behaviour).
 *
 * @example
 * ```ts
 * import { createDirectClient, startPollingWorker } from "@signering/client"
 *
 * const client = createDirectClient({ environment, keystore, sender: { organizationNumber, pollingQueue: "contracts" }, transport })
 * const worker = startPollingWorker(client, {
 *   download: { pades: true },
 *   handler: async (change) => {
 *     await db.saveStatus(change.jobId, change.status.status, change.pades)
 *   },
 *   onError: (error) => console.error(error.message),
 * })
 * process.on("SIGTERM", async () => {
 *   await worker.stop()
 *   await client.close()
 * })
 * ```
 */
export const startPollingWorker = (client: PromiseDirectClient, options: PromiseOptions): PollingWorker =>
  startOn(clientRuntime(client, "direct"), run, options)

/**
 * Starts a polling worker on a Promise portal client: the portal flow's changes, with the same behaviour and
 * guarantees as {@link startPollingWorker} (see {@link runPortal}).
 *
 * @example
 * ```ts
 * import { createPortalClient, startPortalPollingWorker } from "@signering/client"
 *
 * const portal = createPortalClient({ keystore, sender: { organizationNumber, pollingQueue: "contracts" }, transport })
 * const worker = startPortalPollingWorker(portal, {
 *   download: { pades: true },
 *   handler: async (change) => {
 *     await db.saveStatus(change.jobId, change.status.status, change.pades)
 *   },
 * })
 * process.on("SIGTERM", () => worker.stop())
 * ```
 */
export const startPortalPollingWorker = (
  client: PromisePortalClient,
  options: PromiseOptions<PortalResponse.StatusChangeResponse>,
): PollingWorker => startOn(clientRuntime(client, "portal"), runPortal, options)
