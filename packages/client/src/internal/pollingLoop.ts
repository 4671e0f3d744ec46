/**
 * The polling worker's loop, over any flow's `Source`: poll under the queue's gate, hand each change to the handler
 * in its job's line, confirm only when no unhandled change of the job can be settled by it (see `pollingJobs.ts`),
 * and never poll before the permitted time nor faster than the floors after a 429. Its options, settings, metrics and
 * error live in `pollingSettings.ts`.
 */

import { Cause, Clock, Deferred, Duration, Effect, Exit, Option, Random, Semaphore } from "effect"
import { type ClientError, isTransient } from "../ClientError.js"
import * as JobStatusOrder from "../JobStatusOrder.js"
import { backoffMillis, jitterMillis, postpone } from "./pollingGate.js"
import { handled, isStale, type Line, mayConfirm, notHandled, type Track } from "./pollingJobs.js"
import { OnPollRetry } from "./pollingRetries.js"
import { type Change, count, metrics, type Options, PollingError, type Settings } from "./pollingSettings.js"
import { type Answer, comparable, type Polled, type Source } from "./pollingSource.js"
import { maskServerText } from "./redact.js"

/** The floor after a 429, doubling with consecutive 429s up to a minute: a clock ahead cannot make a hot loop. */
const TOO_MANY_FLOOR_MS = 1000
const TOO_MANY_FLOOR_CAP_MS = 60_000
/** The floor after "no changes", whatever the header says (a header already past by the local clock). */
const EMPTY_FLOOR_MS = 1000
/** Held confirmations kept at most; the rest come back after the re-queue delay. */
const MAX_DEFERRED = 10_000

/** Signer statuses without the signers (they may be personal identification numbers). */
const signerSummary = (status: Polled) =>
  comparable(status)
    .signers.map((s) => s.status)
    .join(",")

/** A held confirmation's identity: its URL (a re-delivery of the change, or a per-job URL, replaces the entry). */
const heldId = (status: Polled) =>
  status.confirmationUrl ?? `${status.signatureJobId}\u0000${status.status}\u0000${signerSummary(status)}`

/**
 * Whether a failed poll may have taken a change off the queue that never reached us: the request may have reached the
 * service and no complete answer came back. A refused connection or an answer with a 5xx status took nothing.
 */
const mayHaveLostAnswer = (error: unknown): boolean => {
  const e = error as { readonly _tag?: unknown; readonly reason?: unknown; readonly status?: unknown } | undefined
  if (e?._tag === "TransportError") return e.reason !== "Connect" && e.reason !== "ServerIdentity"
  if (e?._tag === "UnexpectedResponse") return typeof e.status !== "number" || e.status < 500
  return e?._tag === "DecodeError"
}

type Stage = "Stopped" | "NoChange" | "Changed"

/** A change the line leaves to confirm; `stale` ones were not handed to the handler. */
interface Pending<S> {
  readonly status: S
  readonly stale: boolean
}

/** A change's place in its job's line. */
interface Turn {
  readonly key: string
  readonly line: Line<unknown, Deferred.Deferred<void>>
  readonly previous: Deferred.Deferred<void> | undefined
  readonly mine: Deferred.Deferred<void>
}

/**
 * One worker's loop. It is never interrupted from outside: `stop` asks it to finish (checked before every poll and
 * raced only with sleeps), so a change already taken from the queue is always downloaded, handled and confirmed
 * with every timeout of the client still working.
 */
export const loop = <S extends Polled, E, R>(
  source: Source<S>,
  settings: Settings,
  options: Options<S, E, R>,
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

  /** The service's time as a local time (with the client's measured offset), clamped to `maxWait` from now. */
  const localTime = (serverTime: Date, now: number, what: string, mayBeAhead = true) =>
    Effect.gen(function* () {
      let local = serverTime.getTime()
      // A time already past by our clock means our clock is ahead (or the answer is old): the measured offset then
      // says how far ahead. It is used only to wait longer: `Date` has whole seconds, so an offset that would make
      // us poll earlier than the header could be a second wrong and earn a 429.
      if (mayBeAhead && local <= now && source.clockOffset !== undefined) {
        const offset = yield* source.clockOffset()
        if (offset !== undefined && offset < 0) local -= offset
      }
      if (!(local <= now + settings.maxWaitMs)) {
        yield* count(metrics.clampedWaits, attributes)
        yield* Effect.logWarning(
          `signering polling: ${what} ${Number.isNaN(serverTime.getTime()) ? "(invalid)" : serverTime.toISOString()} is more than ${Math.round(settings.maxWaitMs / 1000)} s away; waiting ${Math.round(settings.maxWaitMs / 1000)} s instead`,
        )
        return now + settings.maxWaitMs
      }
      return local
    })

  /** The floor after a 429: 1 s, doubling with each consecutive 429, up to a minute. */
  const tooManyFloor = () => Math.min(TOO_MANY_FLOOR_CAP_MS, TOO_MANY_FLOOR_MS * 2 ** Math.min(gate.tooMany - 1, 16))

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

  /** Under the gate's permit: wait for the permitted time, then poll once (polls and confirmations never overlap). */
  const pollOnce: Effect.Effect<
    | { readonly _tag: "Stopped" }
    | {
        readonly _tag: "Answer"
        readonly answer: Exit.Exit<Answer<S>, ClientError>
        readonly turn: Turn | undefined
      }
  > = Effect.gen(function* () {
    if (yield* Deferred.isDone(stop)) return { _tag: "Stopped" } as const
    const before = yield* Clock.currentTimeMillis
    const wait = gate.nextPermittedAt - before
    if (wait > 0) {
      const jitter = jitterMillis(wait, settings.maxJitterMs, yield* Random.next)
      if (!(yield* sleepUntil(gate.nextPermittedAt + jitter))) return { _tag: "Stopped" } as const
    }
    return yield* Semaphore.withPermit(
      gate.exchange,
      Effect.gen(function* () {
        // An attempt cut short and retried may have taken a change off the queue, though the poll then succeeded.
        let lostOnRetry = false
        const started = yield* Clock.currentTimeMillis
        const answer = yield* Effect.exit(
          source.getStatusChange(settings.sender).pipe(
            Effect.provideService(OnPollRetry, (error) => {
              if (mayHaveLostAnswer(error)) lostOnRetry = true
            }),
          ),
        )
        const now = yield* Clock.currentTimeMillis
        // Counted from the answer, not the lost attempt: the hold ends later, never too early.
        if (lostOnRetry) suspectLostAnswer(now)
        let turn: Turn | undefined
        if (Exit.isSuccess(answer)) {
          // After a change the service permits the next poll at once: a time in the past is expected there.
          const changed = answer.value._tag === "StatusChange"
          const permitted = yield* localTime(
            answer.value.nextPermittedPollTime,
            now,
            "next permitted poll time",
            !changed,
          )
          // A "no changes" whose permitted time is already past by our clock waits the floor: no hot loop.
          gate.nextPermittedAt =
            answer.value._tag === "NoChanges" && permitted <= now ? now + EMPTY_FLOOR_MS : permitted
          gate.failures = 0
          gate.tooEager = 0
          gate.tooMany = 0
          // The service puts a due change back on the queue when the queue is polled: an empty answer to a poll sent
          // after the lost change was due means it was delivered again (to us, or to another process), never that a
          // confirmation can still settle it unseen. A change in the answer proves nothing (the lost one may be next).
          if (answer.value._tag === "NoChanges" && gate.suspectUntil !== 0 && started >= gate.suspectUntil)
            gate.suspectUntil = 0
          if (answer.value._tag === "StatusChange") {
            // Taken in poll order, while no other worker can poll: the job's handlings run in the order of the queue.
            const key = String(answer.value.status.signatureJobId)
            let line = gate.lines.get(key)
            if (line === undefined) {
              line = { tail: undefined, members: 0, pending: [] }
              gate.lines.set(key, line)
            }
            turn = { key, line, previous: line.tail, mine: Deferred.makeUnsafe<void>() }
            line.tail = turn.mine
            line.members++
          }
        } else {
          const e = Option.getOrUndefined(Cause.findErrorOption(answer.cause))
          if (e?._tag === "TooEagerPolling") {
            gate.tooEager++
            gate.tooMany++
            // Even a permitted time already past by our clock (a clock ahead) waits the floor: no hot loop.
            const permitted = yield* localTime(e.nextPermittedPollTime, now, "next permitted poll time")
            gate.nextPermittedAt = Math.max(permitted, now) + tooManyFloor()
            yield* count(metrics.tooManyRequests, { ...attributes, kind: "TooEagerPolling" })
          } else if (e?._tag === "RateLimited") {
            gate.tooMany++
            const until = yield* localTime(e.blockedUntil, now, "rate limit block until")
            postpone(gate, Math.max(until, now + tooManyFloor()))
            yield* count(metrics.tooManyRequests, { ...attributes, kind: "RateLimited" })
          } else {
            if (mayHaveLostAnswer(e ?? Cause.squash(answer.cause))) suspectLostAnswer(now)
            yield* backOff
          }
        }
        return { _tag: "Answer", answer, turn } as const
      }),
    )
  })

  /**
   * A poll answer may have been lost at `now`: confirmations of `IN_PROGRESS` changes are held until a poll sent after
   * the change it carried was due again (the re-queue delay plus a tenth of it, up to 30 s, for the clocks) comes back
   * empty. Not the time alone: the change is still delivered, and settled by a confirmation, until the queue is polled
   * (production's empty queue can wait 10 minutes for that poll).
   */
  const suspectLostAnswer = (now: number) => {
    const margin = Math.min(30_000, settings.requeueDelayMs / 10)
    gate.suspectUntil = Math.max(gate.suspectUntil, now + settings.requeueDelayMs + margin)
  }

  /** One log line per change and outcome, with the job id and statuses (never the signers: they may be PINs). */
  const logChange = (status: S, outcome: string) =>
    Effect.logInfo(`signering polling: job ${status.signatureJobId} ${status.status} ${outcome}`).pipe(
      Effect.annotateLogs({
        jobId: String(status.signatureJobId),
        jobStatus: status.status,
        signerStatuses: signerSummary(status),
        ...(status.reference === undefined ? {} : { reference: maskServerText(status.reference, 50) }),
        organization: attributes.organization,
        queue: attributes.queue,
      }),
    )

  /** Sends one confirmation; true when it went through. */
  const confirmOne = (status: S) =>
    Effect.gen(function* () {
      const confirmed = yield* Effect.exit(source.confirm(status))
      if (Exit.isFailure(confirmed)) {
        yield* count(metrics.failures, { ...attributes, stage: "Confirm" })
        yield* backOff
        yield* report(
          new PollingError({
            reason: "Confirm",
            jobId: status.signatureJobId,
            jobStatus: status.status,
            cause: Cause.squash(confirmed.cause),
          }),
        )
        return false
      }
      if (status.confirmationUrl !== undefined) yield* count(metrics.confirmations, attributes)
      return true
    })

  /**
   * Confirms what a job's line leaves, newest first (under the worst case the first settles them all; under the
   * kinder reading each needs its own). Nothing while a change of the job is outstanding; an `IN_PROGRESS` change
   * waits while a lost poll answer may still be delivered. Runs under `gate.exchange`: no poll can deliver a change
   * of the job between the decision and the confirmation.
   */
  const flush = (track: Track<S>, pending: ReadonlyArray<Pending<S>>) =>
    Effect.gen(function* () {
      if (pending.length === 0) return
      const what = (p: Pending<S>) => (p.stale ? "(stale)" : "handled")
      if (!mayConfirm(track)) {
        yield* count(metrics.heldConfirmations, attributes, pending.length)
        for (const p of pending)
          if (!p.stale) yield* logChange(p.status, "handled; not confirmed while a newer change is unhandled")
        return
      }
      const ordered = [...pending].sort((a, b) => JobStatusOrder.compare(comparable(b.status), comparable(a.status)))
      for (const p of ordered) {
        const status = p.status
        if (!JobStatusOrder.isFinal(status.status) && gate.suspectUntil !== 0) {
          yield* count(metrics.heldConfirmations, attributes)
          const id = heldId(status)
          if (gate.deferred.has(id) || gate.deferred.size < MAX_DEFERRED) gate.deferred.set(id, status)
          yield* logChange(status, `${what(p)}; confirmation deferred while a lost poll answer may be delivered`)
          continue
        }
        const ok = yield* confirmOne(status)
        if (ok && track.handled?.status === status) track.confirmed = true
        yield* logChange(
          status,
          !ok
            ? `${what(p)}, confirmation failed`
            : status.confirmationUrl === undefined
              ? `${what(p)} (nothing to confirm)`
              : `${what(p)} and confirmed`,
        )
      }
    })

  /**
   * Sends the held confirmations once no lost answer can still be delivered (jobs without a line now). Decided under
   * the exchange: no poll is out, so none can have lost an answer since the suspicion was cleared.
   */
  const flushDeferred = Effect.gen(function* () {
    if (gate.deferred.size === 0 || gate.suspectUntil !== 0) return
    yield* Semaphore.withPermit(
      gate.exchange,
      Effect.gen(function* () {
        if (gate.suspectUntil !== 0) return
        const due = [...gate.deferred.values()] as Array<S>
        gate.deferred.clear()
        for (const status of due) {
          const key = String(status.signatureJobId)
          const track = gate.tracks.get(key) as Track<S>
          // A job with a line in progress confirms for itself; an outstanding change forbids it (both come back).
          if (gate.lines.has(key) || !mayConfirm(track)) continue
          const ok = yield* confirmOne(status)
          if (ok && track.handled?.status === status) track.confirmed = true
        }
      }),
    )
  })

  const handleChange = (status: S, turn: Turn) =>
    Effect.gen(function* () {
      if (turn.previous !== undefined) yield* Deferred.await(turn.previous)
      const jobId = status.signatureJobId
      const context = { jobId, jobStatus: status.status }
      const line = (outcome: string) => logChange(status, outcome)
      const pending = turn.line.pending as Array<Pending<S>>
      const track = gate.tracks.get(turn.key) as Track<S>
      const key = JobStatusOrder.key(comparable(status))

      if (isStale(track, key)) {
        // Older than a status the handler already got: never handed over as current. Confirmed with the line, when
        // that cannot settle an unhandled newer change; the handled newer change is confirmed again with it.
        yield* count(metrics.staleChanges, attributes)
        yield* line("skipped: older than a status already handed to the handler")
        pending.push({ status, stale: true })
        const newer = track.handled?.status
        if (newer !== undefined && !track.confirmed && !pending.some((p) => p.status === newer))
          pending.push({ status: newer, stale: false })
        return
      }

      const documents = yield* Effect.exit(source.download(status, settings.download))
      if (Exit.isFailure(documents)) {
        notHandled(track, key, false)
        pending.length = 0
        yield* count(metrics.failures, { ...attributes, stage: "Download" })
        yield* backOff
        yield* line("not handled: download failed")
        return yield* report(new PollingError({ reason: "Download", ...context, cause: Cause.squash(documents.cause) }))
      }
      const change: Change<S> = {
        jobId,
        status,
        final: JobStatusOrder.isFinal(status.status),
        pades: documents.value.pades,
        xades: documents.value.xades,
      }
      const handler = Effect.suspend(() => options.handler(change))
      const outcome = yield* Effect.exit(
        settings.handlerTimeoutMs === undefined
          ? handler
          : handler.pipe(Effect.timeout(Duration.millis(settings.handlerTimeoutMs))),
      )
      if (Exit.isFailure(outcome)) {
        notHandled(track, key, true)
        pending.length = 0
        yield* count(metrics.handlerFailures, attributes)
        yield* line("not confirmed: handler failed")
        return yield* report(new PollingError({ reason: "Handler", ...context, cause: Cause.squash(outcome.cause) }))
      }
      handled(track, key, status)
      pending.push({ status, stale: false })
      yield* count(metrics.changesHandled, attributes)
    })

  /** Leaving the line: the last one out confirms for the line, under the exchange lock (see `flush`). */
  const leave = (turn: Turn) =>
    Semaphore.withPermit(
      gate.exchange,
      Effect.suspend(() => {
        turn.line.members--
        if (turn.line.members > 0) return Effect.void
        if (gate.lines.get(turn.key) === turn.line) gate.lines.delete(turn.key)
        const pending = turn.line.pending.splice(0, turn.line.pending.length) as Array<Pending<S>>
        return flush(gate.tracks.get(turn.key) as Track<S>, pending)
      }),
    )

  // Not a finalizer: confirmations keep the client's timeouts (a finalizer is uninterruptible). The loop itself is
  // never interrupted from outside, and the handling's exit is taken, so the line is always left.
  const handle = (status: S, turn: Turn) =>
    Effect.exit(handleChange(status, turn)).pipe(
      Effect.andThen(leave(turn)),
      Effect.ensuring(Deferred.succeed(turn.mine, undefined)),
    )

  const iteration: Effect.Effect<Stage, never, R> = Effect.gen(function* () {
    yield* flushDeferred
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
    if (answer.value._tag === "NoChanges" || polled.turn === undefined) return "NoChange"
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
