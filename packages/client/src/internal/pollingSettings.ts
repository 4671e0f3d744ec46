/**
 * The polling worker's options, their validation into `Settings`, its metrics and its error: what the loop
 * (`pollingLoop.ts`) is given before it runs. The metrics are defined here once; everything that counts or reads them
 * imports this module.
 */
import type { DirectJob } from "@signering/protocol"
import { ValidationError } from "@signering/protocol"
import { Data, Duration, type Effect, Metric, Option } from "effect"
import type { DownloadOptions, SignerDocument } from "./documents.js"
import { type Gate, gateFor, gateKey } from "./pollingGate.js"
import type { Polled, Source } from "./pollingSource.js"

/** What the handler gets: the status change and the documents `download` asked for. */
export interface Change<S = Polled> {
  readonly jobId: bigint
  readonly status: S
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
  /**
   * The longest wait a single answer may impose (`X-Next-permitted-poll-time`, a block). A later time is clamped to
   * it, logged as a warning and counted (`signering_polling_clamped_waits`). Default 15 minutes: the service's
   * longest documented wait is 10 minutes (after an empty queue, in production); the extra 5 minutes cover a clock
   * behind the service's. A wrong clamp costs one 429 (which the worker obeys); an obeyed `9999-12-31` never polls again.
   */
  readonly maxWait?: Duration.Input | undefined
  /**
   * The service's re-queue delay for unconfirmed changes (10 minutes, PROTOCOL.md §7). After a poll answer was lost in
   * transit, confirmations of `IN_PROGRESS` changes are held until a poll sent at least this long after (plus a tenth)
   * comes back empty (see the README: polling guarantees).
   */
  readonly requeueDelay?: Duration.Input | undefined
}

/** Options of the loop. */
export interface Options<S, E, R> extends CommonOptions {
  /** Acts on one change. Succeeds → the change is confirmed; fails or dies → not confirmed, reported, re-delivered. */
  readonly handler: (change: Change<S>) => Effect.Effect<void, E, R>
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
  readonly jobStatus?: string | undefined
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

/**
 * The worker's counters (Effect metrics), with `organization` and `queue` attributes. Read them with
 * `Metric.value(...)` or export them with your metrics layer.
 *
 * @example
 * ```ts
 * const handled = yield* Metric.value(Polling.metrics.changesHandled)
 * ```
 */
/** A counter of the worker's: each one only grows. */
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

export const metrics = {
  /** Changes whose handler succeeded. */
  changesHandled: counter("signering_polling_changes_handled", "Status changes whose handler succeeded"),
  /** Confirmations sent successfully. */
  confirmations: counter("signering_polling_confirmations", "Status changes confirmed"),
  /** Handler failures (each leaves its change unconfirmed). */
  handlerFailures: counter(
    "signering_polling_handler_failures",
    "Handlers that failed; their changes were not confirmed",
  ),
  /** Failed polls, downloads and confirmations (after the client's own retries), by `stage`. */
  failures: counter("signering_polling_failures", "Failed polls, downloads and confirmations"),
  /** 429 answers: too-eager polling and the DoSFilter block. */
  tooManyRequests: counter("signering_polling_429", "429 answers to polls (too early, or the DoSFilter block)"),
  /** Seconds spent waiting for a permitted poll time or a backoff. */
  sleptSeconds: counter("signering_polling_slept_seconds", "Seconds spent waiting before polls"),
  /** Changes older than one already handed to the handler: not handed over (see the README: polling guarantees). */
  staleChanges: counter(
    "signering_polling_stale_changes",
    "Status changes older than one already handed to the handler; skipped",
  ),
  /** Confirmations held back so as not to settle a newer change the handler has not handled. */
  heldConfirmations: counter(
    "signering_polling_held_confirmations",
    "Confirmations not sent (or deferred) because a newer change of the job may still be delivered",
  ),
  /** Waits imposed by an answer beyond `maxWait`, clamped to it. */
  clampedWaits: counter("signering_polling_clamped_waits", "Permitted poll times or blocks beyond maxWait, clamped"),
} as const

const ORG = /^[0-9]{9}$/
const DEFAULT_BACKOFF_BASE = Duration.seconds(1)
const DEFAULT_BACKOFF_CAP = Duration.minutes(5)
const DEFAULT_MAX_JITTER = Duration.seconds(5)
const DEFAULT_MAX_WAIT = Duration.minutes(15)
const DEFAULT_REQUEUE_DELAY = Duration.minutes(10)

const invalid = (path: string, rule: string, message: string) =>
  new ValidationError({ issues: [{ path, rule, message }] })

const resolveSender = (
  options: CommonOptions,
  defaultSender: DirectJob.Sender | undefined,
): DirectJob.Sender | ValidationError => {
  const given = options.sender
  const base = typeof given === "string" ? { organizationNumber: given } : (given ?? defaultSender)
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

export interface Settings {
  readonly sender: DirectJob.Sender
  readonly gate: Gate
  readonly download: DownloadOptions
  readonly backoffBaseMs: number
  readonly backoffCapMs: number
  readonly maxJitterMs: number
  readonly handlerTimeoutMs: number | undefined
  readonly maxWaitMs: number
  readonly requeueDelayMs: number
  readonly attributes: { readonly organization: string; readonly queue: string }
}

export const settingsOf = <S extends Polled>(options: CommonOptions, source: Source<S>): Settings | ValidationError => {
  const sender = resolveSender(options, source.defaultSender)
  if (sender instanceof ValidationError) return sender
  const backoffBaseMs = durationOption(options.backoff?.base, DEFAULT_BACKOFF_BASE, "backoff.base")
  if (backoffBaseMs instanceof ValidationError) return backoffBaseMs
  const backoffCapMs = durationOption(options.backoff?.cap, DEFAULT_BACKOFF_CAP, "backoff.cap")
  if (backoffCapMs instanceof ValidationError) return backoffCapMs
  const maxJitterMs = durationOption(options.maxJitter, DEFAULT_MAX_JITTER, "maxJitter")
  if (maxJitterMs instanceof ValidationError) return maxJitterMs
  const maxWaitMs = durationOption(options.maxWait, DEFAULT_MAX_WAIT, "maxWait")
  if (maxWaitMs instanceof ValidationError) return maxWaitMs
  const requeueDelayMs = durationOption(options.requeueDelay, DEFAULT_REQUEUE_DELAY, "requeueDelay")
  if (requeueDelayMs instanceof ValidationError) return requeueDelayMs
  const handlerTimeoutMs =
    options.handlerTimeout === undefined
      ? undefined
      : durationOption(options.handlerTimeout, DEFAULT_MAX_JITTER, "handlerTimeout")
  if (handlerTimeoutMs instanceof ValidationError) return handlerTimeoutMs
  if (handlerTimeoutMs !== undefined && handlerTimeoutMs <= 0)
    return invalid("handlerTimeout", "range", "must be longer than zero")
  if (backoffBaseMs <= 0) return invalid("backoff.base", "range", "must be longer than zero")
  if (backoffCapMs < backoffBaseMs) return invalid("backoff.cap", "range", "must not be shorter than backoff.base")
  if (maxWaitMs < 10_000) return invalid("maxWait", "range", "must be at least 10 seconds")
  if (requeueDelayMs < 0) return invalid("requeueDelay", "range", "must not be negative")
  return {
    sender,
    gate: gateFor(gateKey(source.apiRoot, sender.organizationNumber, sender.pollingQueue, source.flow)),
    download: options.download ?? {},
    backoffBaseMs,
    backoffCapMs,
    maxJitterMs,
    handlerTimeoutMs,
    maxWaitMs,
    requeueDelayMs,
    attributes: { organization: sender.organizationNumber, queue: sender.pollingQueue ?? "" },
  }
}

/** Adds to one of the worker's metrics for a queue (`organization`, `queue` and any extra attributes). */
export const count = (metric: Metric.Metric<number, unknown>, attributes: Record<string, string>, by = 1) =>
  Metric.update(Metric.withAttributes(metric, attributes), by)
