/**
 * The exit callback of a direct job with `statusRetrievalMethod: "WAIT_FOR_CALLBACK"` (the default): the signer's
 * browser comes back to your completion, rejection or error URL with `status_query_token` appended. This helper
 * takes that URL and the job's status URL, gets the status, downloads what you ask for, hands the result to your
 * handler and confirms **only after the handler succeeded** (PROTOCOL.md §6, §8).
 *
 * Outcomes:
 * - the signer finished (signed, rejected or failed): the handler gets the status; when the job is final
 *   (`COMPLETED_SUCCESSFULLY` or `FAILED`) the status has a confirmation URL and the helper confirms after the
 *   handler. With several signers, a signer who finished while others have not gives `final: false`: the handler
 *   still runs (e.g. to show "waiting for the others"), and nothing is confirmed, because the service only offers a
 *   confirmation once the job is final.
 * - `InvalidStatusQueryToken` (403 from the service): a wrong token, a token of another job, or a token the service no
 *   longer accepts (for example after the job was confirmed and removed). Treat a refresh of the exit page that ends
 *   here as "probably handled already" and look up your own record.
 * - `SigningCeremonyNotCompleted` (404 from the service): the signer has not finished yet.
 * - `ExitCallbackError`: `MissingToken` (the URL has no `status_query_token`), `InvalidUrl`, `NotFinished` (the
 *   service answered with a status in which no signer has finished: nothing is handled), `ConfirmFailed` (the handler
 *   succeeded but confirming failed; `status` lets you retry with `DirectClient.confirm`).
 *
 * The token never appears in logs, errors or spans: it is read into a `Redacted` at once.
 *
 * @since 0.1.0
 */
import { type DirectResponse, ValidationError } from "@signering/protocol"
import { Cause, Data, Effect, Exit, Fiber, Redacted } from "effect"
import type { ClientError } from "./ClientError.js"
import * as DirectClient from "./DirectClient.js"
import { clientRuntime } from "./internal/clientRuntime.js"
import { type DownloadOptions, downloadDocuments, type SignerDocument } from "./internal/documents.js"
import type { PromiseDirectClient } from "./promise.js"

export type { DownloadOptions, SignerDocument } from "./internal/documents.js"

/** What the handler gets. */
export interface Result {
  readonly jobId: bigint
  readonly status: DirectResponse.JobStatusResponse
  /** True when the job is `COMPLETED_SUCCESSFULLY` or `FAILED`. */
  readonly final: boolean
  /** The signed PDF, when `download.pades` is set and the status has a `pades-url`. */
  readonly pades: Uint8Array | undefined
  /** Each signer's XAdES, when `download.xades` is set. */
  readonly xades: ReadonlyArray<SignerDocument>
}

/** What {@link handle} returns: the result the handler got, and whether the status was confirmed. */
export interface Handled extends Result {
  /** True when a confirmation was sent (the job is final); false when the status had no confirmation URL. */
  readonly confirmed: boolean
}

/** Options of {@link handle}. */
export interface Options<E, R> {
  /** The URL the signer's browser came back to (absolute, or a path with its query), with `status_query_token`. */
  readonly url: string | URL
  /** The job's `status-url` from the create response (persist it with the job). */
  readonly statusUrl: string
  /** The job's polling queue, when it has one (the service may want it on the status request). */
  readonly pollingQueue?: string | undefined
  readonly download?: DownloadOptions | undefined
  /** Acts on the status. Succeeds → the status is confirmed (when final); fails → nothing is confirmed. */
  readonly handler: (result: Result) => Effect.Effect<void, E, R>
}

/**
 * A problem of the exit callback itself (the service's answers arrive as the client's errors).
 *
 * @example
 * ```ts
 * ExitCallback.handle(options).pipe(
 *   Effect.catchTag("ExitCallbackError", (e) => (e.reason === "MissingToken" ? badRequest : Effect.fail(e))),
 * )
 * ```
 */
export class ExitCallbackError extends Data.TaggedError("ExitCallbackError")<{
  readonly reason: "MissingToken" | "InvalidUrl" | "NotFinished" | "ConfirmFailed"
  /** For `NotFinished` and `ConfirmFailed`: the status the service gave. */
  readonly status?: DirectResponse.JobStatusResponse | undefined
  /** For `ConfirmFailed`: why confirming failed. */
  readonly cause?: unknown
}> {
  override get message(): string {
    const job = this.status?.signatureJobId
    const detail = this.cause instanceof Error ? `: ${this.cause.message}` : ""
    return {
      MissingToken:
        "The exit URL has no status_query_token parameter: it is not a URL the signing service sent the signer back to",
      InvalidUrl: "The exit URL is not a valid URL",
      NotFinished: `The status of job ${job} shows no signer who has finished: nothing was handled`,
      ConfirmFailed: `The handler succeeded but confirming job ${job} failed; confirm it again later${detail}`,
    }[this.reason]
  }
}

const WAITING = "WAITING"

/**
 * Reads `status_query_token` from an exit URL, as a `Redacted`. Accepts an absolute URL or a path with its query
 * (what a web framework gives as the request URL).
 *
 * @example
 * ```ts
 * const token = ExitCallback.statusQueryToken(request.url) // Redacted<string> | ExitCallbackError
 * ```
 */
export const statusQueryToken = (url: string | URL): Redacted.Redacted<string> | ExitCallbackError => {
  let parsed: URL
  try {
    parsed = typeof url === "string" ? new URL(url, "http://exit.invalid") : url
  } catch {
    return new ExitCallbackError({ reason: "InvalidUrl" })
  }
  const token = parsed.searchParams.get("status_query_token")
  if (token === null || token.trim() === "") return new ExitCallbackError({ reason: "MissingToken" })
  return Redacted.make(token)
}

/**
 * Handles the signer's return to an exit URL: status → downloads → handler → confirm (only after the handler).
 *
 * @example
 * ```ts
 * import { ExitCallback } from "@signering/client"
 * import { Effect } from "effect"
 *
 * // In your completion/rejection/error route:
 * const outcome = ExitCallback.handle({
 *   url: request.url,
 *   statusUrl: job.statusUrl,
 *   download: { pades: true },
 *   handler: (result) => Effect.promise(() => db.saveStatus(result.jobId, result.status.status, result.pades)),
 * }).pipe(
 *   Effect.map((handled) => (handled.final ? "Thank you" : "Waiting for the other signers")),
 *   Effect.catchTag("InvalidStatusQueryToken", () => Effect.succeed("This link was already used")),
 *   Effect.catchTag("SigningCeremonyNotCompleted", () => Effect.succeed("Signing is not finished")),
 * )
 * ```
 */
export const handle = <E = never, R = never>(
  options: Options<E, R>,
): Effect.Effect<Handled, ExitCallbackError | ClientError | E, DirectClient.DirectClient | R> =>
  Effect.gen(function* () {
    const token = statusQueryToken(options.url)
    if (token instanceof ExitCallbackError) return yield* Effect.fail(token)
    if (typeof options.statusUrl !== "string" || options.statusUrl === "") {
      return yield* Effect.fail(
        new ValidationError({
          issues: [{ path: "statusUrl", rule: "required", message: "the job's status URL from the create response" }],
        }),
      )
    }
    const client = yield* DirectClient.DirectClient
    const status =
      options.pollingQueue === undefined || options.pollingQueue === ""
        ? yield* client.getStatus(options.statusUrl, token)
        : yield* client.getStatus(options.statusUrl, token, options.pollingQueue)
    if (status.signers.length > 0 && status.signers.every((s) => s.status === WAITING)) {
      return yield* Effect.fail(new ExitCallbackError({ reason: "NotFinished", status }))
    }
    const documents = yield* downloadDocuments(client, status, options.download ?? {})
    const result: Result = {
      jobId: status.signatureJobId,
      status,
      final: status.status !== "IN_PROGRESS",
      pades: documents.pades,
      xades: documents.xades,
    }
    yield* Effect.suspend(() => options.handler(result))
    const confirmed = yield* Effect.exit(client.confirm(status))
    if (Exit.isFailure(confirmed)) {
      return yield* Effect.fail(
        new ExitCallbackError({ reason: "ConfirmFailed", status, cause: Cause.squash(confirmed.cause) }),
      )
    }
    yield* Effect.logInfo(
      `signering exit callback: job ${status.signatureJobId} ${status.status} handled${status.confirmationUrl === undefined ? "" : " and confirmed"}`,
    ).pipe(
      Effect.annotateLogs({
        jobId: String(status.signatureJobId),
        jobStatus: status.status,
        signerStatuses: status.signers.map((s) => s.status).join(","),
      }),
    )
    return { ...result, confirmed: status.confirmationUrl !== undefined }
  })

/** Wraps what a Promise handler rejected with, to unwrap it again at the end. */
class HandlerRejected extends Data.TaggedError("HandlerRejected")<{ readonly cause: unknown }> {}

/** Options of {@link handleExitCallback}: as {@link Options}, with a Promise handler. */
export interface PromiseOptions extends Omit<Options<never, never>, "handler"> {
  /** Acts on the status. Resolves → confirmed (when final); rejects or throws → nothing is confirmed. */
  readonly handler: (result: Result) => Promise<void> | void
}

/**
 * The Promise form of {@link handle}, on a client from `createDirectClient`. Rejects with the same tagged errors
 * (`InvalidStatusQueryToken`, `SigningCeremonyNotCompleted`, `ExitCallbackError`, ...), or with what the handler
 * threw.
 *
 * @example
 * ```ts
 * import { createDirectClient, handleExitCallback, InvalidStatusQueryToken } from "@signering/client"
 *
 * app.get("/signing/done", async (req, res) => {
 *   try {
 *     const handled = await handleExitCallback(client, {
 *       url: req.url,
 *       statusUrl: await db.statusUrlOf(req.query.order),
 *       handler: async (result) => db.saveStatus(result.jobId, result.status.status),
 *     })
 *     res.send(handled.final ? "Thank you" : "Waiting for the other signers")
 *   } catch (e) {
 *     if (e instanceof InvalidStatusQueryToken) res.send("This link was already used")
 *     else throw e
 *   }
 * })
 * ```
 */
export const handleExitCallback = async (client: PromiseDirectClient, options: PromiseOptions): Promise<Handled> => {
  const runtime = clientRuntime(client)
  const { handler, ...rest } = options
  const fiber = runtime.runFork(
    handle({
      ...rest,
      handler: (result) =>
        Effect.tryPromise({ try: async () => handler(result), catch: (cause) => new HandlerRejected({ cause }) }),
    }),
  )
  const exit = await runtime.runPromise(Fiber.await(fiber))
  if (Exit.isSuccess(exit)) return exit.value
  const error = Cause.squash(exit.cause)
  // The caller's own rejection comes back as itself, not wrapped.
  throw error instanceof HandlerRejected ? error.cause : error
}
