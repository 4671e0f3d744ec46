/**
 * A polling worker for direct jobs with `statusRetrievalMethod: "POLLING"`: keeps every job's status right without
 * losing a change, without polling before the service permits it, and without leaving work half-done on shutdown.
 *
 * How it behaves (PROTOCOL.md §7–§8):
 * - Polls the sender's queue. On a change it downloads what `download` asks for, calls your handler, and confirms
 *   **only after the handler succeeded**, then polls again at once (the service permits that after a change).
 * - On "no changes" it sleeps until `X-Next-permitted-poll-time` plus a little jitter; on a 429 until the time the 429
 *   gave, or 30 s for the `DoSFilter` block. It never polls before the permitted time it was given.
 * - Failed polls, downloads and confirmations back off exponentially (with a cap and jitter). A failed handler is
 *   reported and its change is not confirmed: the service hands it out again after its re-queue delay (10 minutes).
 *   Your handler therefore sees a change at least once: make it idempotent (e.g. keyed by job id and status).
 * - Interrupting the worker is graceful: a change in progress is downloaded, handled and confirmed; no new poll starts.
 * - Several workers on one queue are safe: the service hands each change to one poller. Workers in one process also
 *   take turns polling, so that none polls right after another's "no changes" answer, and hand the changes of one
 *   job to the handler in the queue's order. Across processes the order of one job's changes is not guaranteed:
 *   compare the signers' `since` times, and remember that a final status never changes again.
 *
 * @since 0.1.0
 */
import type { DirectJob, DirectResponse } from "@signering/protocol"
import { ValidationError } from "@signering/protocol"
import { Cause, Clock, Data, Deferred, Duration, Effect, Exit, Fiber, Metric, Option, Random, Semaphore } from "effect"
import { type ClientError, isTransient } from "./ClientError.js"
import * as DirectClient from "./DirectClient.js"
import { type DownloadOptions, downloadDocuments, type SignerDocument } from "./internal/pollingDownload.js"
import { backoffMillis, type Gate, gateFor, gateKey, jitterMillis, postpone } from "./internal/pollingGate.js"
import { clientRuntime } from "./internal/pollingRuntime.js"
import { maskServerText } from "./internal/redact.js"
import type { PromiseDirectClient } from "./promise.js"

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

export type { DownloadOptions, SignerDocument } from "./internal/pollingDownload.js"

/** What the handler gets: the status change and the documents `download` asked for. */
export interface Change {
  readonly jobId: bigint
  readonly status: DirectResponse.JobStatusResponse
  /** True when the job is `COMPLETED_SUCCESSFULLY` or `FAILED`: no further change will come for it. */
  readonly final: boolean
  /** The signed PDF, when `download.pades` is set and the status has a `pades-url`. */
  readonly pades: Uint8Array | undefined
  /** Each signer's XAdES, when `download.xades` is set (one per `xades-url`). */
  readonly xades: ReadonlyArray<SignerDocument>
}

/** Settings shared by the Effect and the Promise form. */
export interface CommonOptions {
  /** The sender whose queue is polled (an organization number alone means its default queue). Default: the client's. */
  readonly sender?: DirectJob.Sender | string | undefined
  /** The polling queue, overriding the sender's (`""` is the default queue). */
  readonly queue?: string | undefined
  readonly download?: DownloadOptions | undefined
  /** Backoff after a failed poll, download or confirmation: `base` doubles up to `cap`. Default 1 s up to 5 min. */
  readonly backoff?:
    | { readonly base?: Duration.Input | undefined; readonly cap?: Duration.Input | undefined }
    | undefined
  /** Most extra delay after a permitted poll time (at most a tenth of the wait is used). Default 5 s. */
  readonly maxJitter?: Duration.Input | undefined
  /**
   * Longest a handler may run; a handler that takes longer is interrupted and counts as failed (not confirmed).
   * Default: no limit. A stop waits for the handler in progress, so a limit also bounds how long a stop can take.
   */
  readonly handlerTimeout?: Duration.Input | undefined
}

/** Options of {@link run}. */
export interface Options<E, R> extends CommonOptions {
  /** Acts on one change. Succeeds → the change is confirmed; fails or dies → not confirmed, reported, re-delivered. */
  readonly handler: (change: Change) => Effect.Effect<void, E, R>
  /** Called with every failure the worker recovers from (default: only the log line). */
  readonly onError?: ((error: PollingError) => Effect.Effect<void>) | undefined
}

/**
 * A failure the worker recovered from, by stage: `Poll` (it backs off and polls again), `Download` and `Confirm`
 * (it backs off; the change comes back after the service's re-queue delay), `Handler` (the change is not confirmed and
 * comes back after the re-queue delay). `cause` is the underlying error (a `ClientError`, or whatever the handler
 * failed or threw with).
 *
 * @example
 * ```ts
 * Polling.run({ handler, onError: (e) => Effect.logError(e.message) })
 * ```
 */
export class PollingError extends Data.TaggedError("PollingError")<{
  readonly reason: "Poll" | "Download" | "Handler" | "Confirm"
  readonly jobId?: bigint | undefined
  readonly jobStatus?: DirectResponse.JobStatus | undefined
  readonly cause: unknown
}> {
  override get message(): string {
    const job = this.jobId === undefined ? "" : ` for job ${this.jobId} (${this.jobStatus})`
    const tag = (this.cause as { _tag?: unknown } | undefined)?._tag
    // The handler's error is the caller's and may carry anything; ours are masked and safe to quote.
    const detail =
      this.reason !== "Handler" && this.cause instanceof Error ? `: ${this.cause.message}` : tag ? ` (${tag})` : ""
    const what = {
      Poll: "Polling failed; backing off",
      Download: `Download failed${job}; not handled, the change comes back after the service's re-queue delay`,
      Handler: `Handler failed${job}; not confirmed, the change comes back after the service's re-queue delay`,
      Confirm: `Confirmation failed${job} after the handler succeeded; the change comes back after the service's re-queue delay`,
    }[this.reason]
    return `${what}${detail}`
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------------------------

/**
 * The worker's counters (Effect metrics), with `organization` and `queue` attributes. Read them with
 * `Metric.value(...)` or export them with your metrics layer.
 *
 * @example
 * ```ts
 * const handled = yield* Metric.value(Polling.metrics.changesHandled)
 * ```
 */
export const metrics = {
  /** Changes whose handler succeeded. */
  changesHandled: Metric.counter("signering_polling_changes_handled", {
    description: "Status changes whose handler succeeded",
    incremental: true,
  }),
  /** Confirmations sent successfully. */
  confirmations: Metric.counter("signering_polling_confirmations", {
    description: "Status changes confirmed",
    incremental: true,
  }),
  /** Handler failures (each leaves its change unconfirmed). */
  handlerFailures: Metric.counter("signering_polling_handler_failures", {
    description: "Handlers that failed; their changes were not confirmed",
    incremental: true,
  }),
  /** Failed polls, downloads and confirmations (after the client's own retries), by `stage`. */
  failures: Metric.counter("signering_polling_failures", {
    description: "Failed polls, downloads and confirmations",
    incremental: true,
  }),
  /** 429 answers: too-eager polling and the DoSFilter block. */
  tooManyRequests: Metric.counter("signering_polling_429", {
    description: "429 answers to polls (too early, or the DoSFilter block)",
    incremental: true,
  }),
  /** Seconds spent waiting for a permitted poll time or a backoff. */
  sleptSeconds: Metric.counter("signering_polling_slept_seconds", {
    description: "Seconds spent waiting before polls",
    incremental: true,
  }),
} as const

// ---------------------------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------------------------

const ORG = /^[0-9]{9}$/
const DEFAULT_BACKOFF_BASE = Duration.seconds(1)
const DEFAULT_BACKOFF_CAP = Duration.minutes(5)
const DEFAULT_MAX_JITTER = Duration.seconds(5)
/** Added per consecutive 429 to absorb a clock that runs behind the service's (1 s, 2 s, 4 s … up to 1 min). */
const SKEW_MARGIN_CAP_MS = 60_000

const invalid = (path: string, rule: string, message: string) =>
  new ValidationError({ issues: [{ path, rule, message }] })

const resolveSender = (
  options: CommonOptions,
  config: DirectClient.Service["config"],
): DirectJob.Sender | ValidationError => {
  const given = options.sender
  const base = typeof given === "string" ? { organizationNumber: given } : (given ?? config.sender)
  if (base === undefined) return invalid("sender", "required", "no sender given and the client has no default sender")
  if (!ORG.test(base.organizationNumber)) return invalid("sender.organizationNumber", "pattern", "must be 9 digits")
  const queue = options.queue ?? base.pollingQueue
  return queue === undefined || queue === ""
    ? { organizationNumber: base.organizationNumber }
    : { organizationNumber: base.organizationNumber, pollingQueue: queue }
}

const durationOption = (
  value: Duration.Input | undefined,
  fallback: Duration.Duration,
  path: string,
): number | ValidationError => {
  if (value === undefined) return Duration.toMillis(fallback)
  const parsed = Duration.fromInput(value)
  if (Option.isNone(parsed) || !Number.isFinite(Duration.toMillis(parsed.value)))
    return invalid(path, "duration", "must be a finite duration")
  return Duration.toMillis(parsed.value)
}

interface Settings {
  readonly sender: DirectJob.Sender
  readonly gate: Gate
  readonly download: DownloadOptions
  readonly backoffBaseMs: number
  readonly backoffCapMs: number
  readonly maxJitterMs: number
  readonly handlerTimeoutMs: number | undefined
  readonly attributes: { readonly organization: string; readonly queue: string }
}

const settingsOf = (options: CommonOptions, config: DirectClient.Service["config"]): Settings | ValidationError => {
  const sender = resolveSender(options, config)
  if (sender instanceof ValidationError) return sender
  const backoffBaseMs = durationOption(options.backoff?.base, DEFAULT_BACKOFF_BASE, "backoff.base")
  if (backoffBaseMs instanceof ValidationError) return backoffBaseMs
  const backoffCapMs = durationOption(options.backoff?.cap, DEFAULT_BACKOFF_CAP, "backoff.cap")
  if (backoffCapMs instanceof ValidationError) return backoffCapMs
  const maxJitterMs = durationOption(options.maxJitter, DEFAULT_MAX_JITTER, "maxJitter")
  if (maxJitterMs instanceof ValidationError) return maxJitterMs
  const handlerTimeoutMs =
    options.handlerTimeout === undefined
      ? undefined
      : durationOption(options.handlerTimeout, DEFAULT_MAX_JITTER, "handlerTimeout")
  if (handlerTimeoutMs instanceof ValidationError) return handlerTimeoutMs
  if (handlerTimeoutMs !== undefined && handlerTimeoutMs <= 0)
    return invalid("handlerTimeout", "range", "must be longer than zero")
  if (backoffBaseMs <= 0) return invalid("backoff.base", "range", "must be longer than zero")
  if (backoffCapMs < backoffBaseMs) return invalid("backoff.cap", "range", "must not be shorter than backoff.base")
  return {
    sender,
    gate: gateFor(gateKey(config.environment.apiRoot, sender.organizationNumber, sender.pollingQueue)),
    download: options.download ?? {},
    backoffBaseMs,
    backoffCapMs,
    maxJitterMs,
    handlerTimeoutMs,
    attributes: { organization: sender.organizationNumber, queue: sender.pollingQueue ?? "" },
  }
}

const count = (metric: Metric.Metric<number, unknown>, attributes: Record<string, string>, by = 1) =>
  Metric.update(Metric.withAttributes(metric, attributes), by)

/** Signer statuses without the signers (they may be personal identification numbers). */
const signerSummary = (status: DirectResponse.JobStatusResponse) => status.signers.map((s) => s.status).join(",")

type Stage = "Stopped" | "NoChange" | "Changed"

/** A change's place in its job's line (see `Gate.jobTurns`). */
interface Turn {
  readonly key: string
  readonly previous: Deferred.Deferred<void> | undefined
  readonly mine: Deferred.Deferred<void>
}

/**
 * One worker's loop. It is never interrupted from outside: `stop` asks it to finish (checked before every poll and
 * raced only with sleeps), so a change already taken from the queue is always downloaded, handled and confirmed
 * with every timeout of the client still working.
 */
const loop = <E, R>(
  client: DirectClient.Service,
  settings: Settings,
  options: Options<E, R>,
  stop: Deferred.Deferred<void>,
): Effect.Effect<void, never, R> => {
  const { gate, attributes } = settings

  const report = (error: PollingError) =>
    Effect.gen(function* () {
      const line = error.message
      // A failure that retrying will not cure (authorization, server identity, a body that cannot be decoded) needs a
      // person: it is logged as an error, though the worker keeps backing off and trying, to recover once it is fixed.
      const needsAttention = error.reason === "Handler" || !isTransient(error.cause)
      yield* needsAttention ? Effect.logError(line) : Effect.logWarning(line)
      if (options.onError !== undefined) yield* options.onError(error).pipe(Effect.catchCause(() => Effect.void))
    })

  const backOff = Effect.gen(function* () {
    gate.failures++
    const now = yield* Clock.currentTimeMillis
    const random = yield* Random.next
    postpone(gate, now + backoffMillis(gate.failures, settings.backoffBaseMs, settings.backoffCapMs, random))
  })

  /** Sleeps until `target` unless asked to stop first; true when it slept to the end. */
  const sleepUntil = (target: number) =>
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      let now = start
      while (now < target) {
        const stopped = yield* Effect.raceFirst(
          Effect.sleep(Duration.millis(target - now)).pipe(Effect.as(false)),
          Deferred.await(stop).pipe(Effect.as(true)),
        )
        now = yield* Clock.currentTimeMillis
        if (stopped) break
      }
      if (now > start) yield* count(metrics.sleptSeconds, attributes, (now - start) / 1000)
      return now >= target
    })

  /** Under the gate's permit: wait for the permitted time, then poll once. */
  const pollOnce: Effect.Effect<
    | { readonly _tag: "Stopped" }
    | {
        readonly _tag: "Answer"
        readonly answer: Exit.Exit<DirectClient.StatusChange, ClientError>
        readonly turn: Turn | undefined
      }
  > = Effect.gen(function* () {
    if (yield* Deferred.isDone(stop)) return { _tag: "Stopped" } as const
    const now = yield* Clock.currentTimeMillis
    const wait = gate.nextPermittedAt - now
    if (wait > 0) {
      const jitter = jitterMillis(wait, settings.maxJitterMs, yield* Random.next)
      const margin = gate.tooEager === 0 ? 0 : Math.min(SKEW_MARGIN_CAP_MS, 1000 * 2 ** Math.min(gate.tooEager - 1, 16))
      if (!(yield* sleepUntil(gate.nextPermittedAt + jitter + margin))) return { _tag: "Stopped" } as const
    }
    const answer = yield* Effect.exit(client.getStatusChange(settings.sender))
    let turn: Turn | undefined
    if (Exit.isSuccess(answer)) {
      gate.nextPermittedAt = answer.value.nextPermittedPollTime.getTime()
      gate.failures = 0
      gate.tooEager = 0
      if (answer.value._tag === "StatusChange") {
        // Taken in poll order, while no other worker can poll: the job's handlings run in the order of the queue.
        const key = String(answer.value.status.signatureJobId)
        turn = { key, previous: gate.jobTurns.get(key), mine: Deferred.makeUnsafe<void>() }
        gate.jobTurns.set(key, turn.mine)
      }
    } else {
      const error = Cause.findErrorOption(answer.cause)
      const e = Option.getOrUndefined(error)
      if (e?._tag === "TooEagerPolling") {
        gate.tooEager++
        gate.nextPermittedAt = e.nextPermittedPollTime.getTime()
        yield* count(metrics.tooManyRequests, { ...attributes, kind: "TooEagerPolling" })
      } else if (e?._tag === "RateLimited") {
        postpone(gate, e.blockedUntil.getTime())
        yield* count(metrics.tooManyRequests, { ...attributes, kind: "RateLimited" })
      } else {
        yield* backOff
      }
    }
    return { _tag: "Answer", answer, turn } as const
  })

  const handle = (status: DirectResponse.JobStatusResponse, turn: Turn | undefined) =>
    Effect.gen(function* () {
      if (turn?.previous !== undefined) yield* Deferred.await(turn.previous)
      const jobId = status.signatureJobId
      const context = { jobId, jobStatus: status.status }
      const line = (outcome: string) =>
        Effect.logInfo(`signering polling: job ${jobId} ${status.status} ${outcome}`).pipe(
          Effect.annotateLogs({
            jobId: String(jobId),
            jobStatus: status.status,
            signerStatuses: signerSummary(status),
            ...(status.reference === undefined ? {} : { reference: maskServerText(status.reference, 50) }),
            organization: attributes.organization,
            queue: attributes.queue,
          }),
        )

      const documents = yield* Effect.exit(downloadDocuments(client, status, settings.download))
      if (Exit.isFailure(documents)) {
        yield* count(metrics.failures, { ...attributes, stage: "Download" })
        yield* backOff
        yield* line("not handled: download failed")
        return yield* report(new PollingError({ reason: "Download", ...context, cause: Cause.squash(documents.cause) }))
      }
      const change: Change = {
        jobId,
        status,
        final: status.status !== "IN_PROGRESS",
        pades: documents.value.pades,
        xades: documents.value.xades,
      }
      const handler = Effect.suspend(() => options.handler(change))
      const handled = yield* Effect.exit(
        settings.handlerTimeoutMs === undefined
          ? handler
          : handler.pipe(Effect.timeout(Duration.millis(settings.handlerTimeoutMs))),
      )
      if (Exit.isFailure(handled)) {
        yield* count(metrics.handlerFailures, attributes)
        yield* line("not confirmed: handler failed")
        return yield* report(new PollingError({ reason: "Handler", ...context, cause: Cause.squash(handled.cause) }))
      }
      yield* count(metrics.changesHandled, attributes)
      const confirmed = yield* Effect.exit(client.confirm(status))
      if (Exit.isFailure(confirmed)) {
        yield* count(metrics.failures, { ...attributes, stage: "Confirm" })
        yield* backOff
        yield* line("handled, confirmation failed")
        return yield* report(new PollingError({ reason: "Confirm", ...context, cause: Cause.squash(confirmed.cause) }))
      }
      if (status.confirmationUrl !== undefined) yield* count(metrics.confirmations, attributes)
      yield* line(status.confirmationUrl === undefined ? "handled (nothing to confirm)" : "handled and confirmed")
    }).pipe(
      Effect.ensuring(
        Effect.suspend(() => {
          if (turn === undefined) return Effect.void
          if (gate.jobTurns.get(turn.key) === turn.mine) gate.jobTurns.delete(turn.key)
          return Deferred.succeed(turn.mine, undefined)
        }),
      ),
    )

  const iteration: Effect.Effect<Stage, never, R> = Effect.gen(function* () {
    // The permit is released when this scope closes, right after the poll; waiting for it gives way to `stop`.
    const polled = yield* Effect.scoped(
      Effect.gen(function* () {
        const acquired = yield* Effect.raceFirst(
          Semaphore.takeScoped(gate.semaphore, 1).pipe(Effect.as(true)),
          Deferred.await(stop).pipe(Effect.as(false)),
        )
        return acquired ? yield* pollOnce : ({ _tag: "Stopped" } as const)
      }),
    )
    if (polled._tag === "Stopped") return "Stopped"
    const answer = polled.answer
    if (Exit.isFailure(answer)) {
      const e = Option.getOrUndefined(Cause.findErrorOption(answer.cause))
      if (e?._tag !== "TooEagerPolling" && e?._tag !== "RateLimited") {
        yield* count(metrics.failures, { ...attributes, stage: "Poll" })
        yield* report(new PollingError({ reason: "Poll", cause: e ?? Cause.squash(answer.cause) }))
      }
      return "NoChange"
    }
    if (answer.value._tag === "NoChanges") return "NoChange"
    yield* handle(answer.value.status, polled.turn)
    return "Changed"
  })

  return Effect.gen(function* () {
    while (true) {
      const stage = yield* iteration
      if (stage === "Stopped") return
    }
  }).pipe(Effect.annotateLogs({ organization: attributes.organization, queue: attributes.queue }))
}

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
    const settings = settingsOf(options, client.config)
    if (settings instanceof ValidationError) return yield* Effect.fail(settings)
    const stop = yield* Deferred.make<void>()
    // Detached: the worker must outlive an interruption of this fiber long enough to finish its change. Forked and
    // watched without a gap, so no interruption can leave it running unobserved.
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const worker = yield* Effect.forkDetach(loop(client, settings, options, stop), { uninterruptible: false })
        yield* restore(Fiber.join(worker)).pipe(
          Effect.onInterrupt(() => Deferred.succeed(stop, undefined).pipe(Effect.andThen(Fiber.await(worker)))),
        )
        return yield* restore(Effect.never)
      }),
    )
  })

// ---------------------------------------------------------------------------------------------------------------
// Promise form
// ---------------------------------------------------------------------------------------------------------------

/** Options of {@link startPollingWorker}. */
export interface PromiseOptions extends CommonOptions {
  /** Acts on one change. Resolves → the change is confirmed; rejects or throws → not confirmed, re-delivered later. */
  readonly handler: (change: Change) => Promise<void> | void
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
export const startPollingWorker = (client: PromiseDirectClient, options: PromiseOptions): PollingWorker => {
  const runtime = clientRuntime(client)
  const { handler, onError, ...common } = options
  const effect = run({
    ...common,
    handler: (change) => Effect.tryPromise({ try: async () => handler(change), catch: (cause) => cause }),
    ...(onError === undefined
      ? {}
      : { onError: (error: PollingError) => Effect.sync(() => onError(error)).pipe(Effect.ignore) }),
  })
  const fiber = runtime.runFork(effect)
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
