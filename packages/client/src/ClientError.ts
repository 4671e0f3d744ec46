/**
 * Every error the client produces, as tagged classes (`_tag` equals the class name) usable with
 * `instanceof`, `Effect.catchTag` and `switch (error._tag)`, in Effect code and in the Promise API alike.
 *
 * Each error raised by a request carries the context a person needs: the operation, the HTTP method,
 * the URL with its secrets masked (`status_query_token`, redirect tokens), the HTTP status and the
 * server's `error-code` / `error-message` / `error-type` when the server sent an `error` body.
 * None carries a request body, a personal identification number, a token or key material.
 *
 * @since 0.1.0
 */

import type { BundleError, DecodeError, KeystoreError, ValidationError } from "@signering/protocol"
import type { Duration } from "effect"
import { Data } from "effect"

export type { BundleError, DecodeError, KeystoreError, ValidationError } from "@signering/protocol"

/**
 * The operations of every client (`DirectClient`, `PortalClient`, `ArchiveClient`). Open: a new operation is a
 * new string, never a breaking change.
 *
 * @example
 * ```ts
 * if (error._tag === "TransportError" && error.operation === "create") checkBeforeRecreating()
 * ```
 */
export type Operation =
  | "create"
  | "requestNewRedirectUrl"
  | "getStatus"
  | "getStatusChange"
  | "confirm"
  | "cancel"
  | "getXades"
  | "getPades"
  | "deleteDocuments"
  | "whoami"
  | (string & {})

/**
 * Where a failure happened. Present on every error that concerns a request.
 *
 * @example
 * ```ts
 * console.error(`${error.operation} ${error.method} ${error.url} → ${error.status} ${error.errorCode ?? ""}`)
 * ```
 */
export interface RequestContext {
  readonly operation: Operation
  readonly method: string
  /** The request URL with `status_query_token` and redirect tokens masked. */
  readonly url: string
  /** HTTP status, when a response arrived. */
  readonly status?: number | undefined
  /** `error-code` from the server's `error` body, when present (e.g. `BROKER_NOT_AUTHORIZED`). */
  readonly errorCode?: string | undefined
  /** `error-message` from the server, with anything shaped like a personal identification number masked. */
  readonly errorMessage?: string | undefined
  /** `error-type` from the server (`CLIENT` in every known case). */
  readonly errorType?: string | undefined
}

const describe = (self: RequestContext, what: string): string => {
  const status = self.status === undefined ? "" : ` → ${self.status}`
  const server =
    self.errorCode === undefined
      ? ""
      : ` [${self.errorCode}${self.errorMessage === undefined ? "" : `: ${self.errorMessage}`}]`
  return `${what} (${self.operation}: ${self.method} ${self.url}${status})${server}`
}

/**
 * The certificate's organization may not act for the organization in the URL (`BROKER_NOT_AUTHORIZED`),
 * or the organization has no API access at all (`NOT_AUTHORIZED`).
 *
 * @example
 * ```ts
 * client.create(job).pipe(Effect.catchTag("BrokerNotAuthorized", (e) => Effect.logError(e.message)))
 * ```
 */
export class BrokerNotAuthorized extends Data.TaggedError("BrokerNotAuthorized")<
  RequestContext & { readonly reason: "BrokerNotAuthorized" | "NotAuthorized" }
> {
  override get message(): string {
    return describe(
      this,
      this.reason === "NotAuthorized"
        ? "The organization of your certificate has no access to the signing API: ask Posten (private organizations) or Digdir (public ones) for access"
        : "Your certificate's organization is not registered as a broker for this sender organization",
    )
  }
}

/**
 * The `status_query_token` was wrong, or not accepted for this job (403 `INVALID_STATUS_QUERY_TOKEN`).
 *
 * @example
 * ```ts
 * client.getStatus(statusUrl, token).pipe(Effect.catchTag("InvalidStatusQueryToken", () => Effect.succeed(null)))
 * ```
 */
export class InvalidStatusQueryToken extends Data.TaggedError("InvalidStatusQueryToken")<RequestContext> {
  override get message(): string {
    return describe(this, "The status query token is not valid for this job")
  }
}

/**
 * The status was asked for before the signer finished, rejected or failed (404 `SIGNING_CEREMONY_NOT_COMPLETED`).
 *
 * @example
 * ```ts
 * client.getStatus(statusUrl, token).pipe(Effect.catchTag("SigningCeremonyNotCompleted", () => retryLater))
 * ```
 */
export class SigningCeremonyNotCompleted extends Data.TaggedError("SigningCeremonyNotCompleted")<RequestContext> {
  override get message(): string {
    return describe(this, "The signing ceremony is not completed yet")
  }
}

/**
 * A poll came before the time the service permitted (429 with `X-Next-permitted-poll-time`).
 * `nextPermittedPollTime` is the new time the server gave; poll again no earlier than that.
 *
 * @example
 * ```ts
 * client.getStatusChange().pipe(
 *   Effect.catchTag("TooEagerPolling", (e) => Effect.sleep(e.nextPermittedPollTime.getTime() - Date.now())),
 * )
 * ```
 */
export class TooEagerPolling extends Data.TaggedError("TooEagerPolling")<
  RequestContext & { readonly nextPermittedPollTime: Date }
> {
  override get message(): string {
    return describe(this, `Polled too early: next poll permitted at ${this.nextPermittedPollTime.toISOString()}`)
  }
}

/**
 * The organization sent more than 10 requests per second and is blocked for 30 seconds
 * (429 without a poll-time header, usually with a `DoSFilter` header).
 *
 * @example
 * ```ts
 * Effect.catchTag("RateLimited", (e) => Effect.sleep(e.retryAfter))
 * ```
 */
export class RateLimited extends Data.TaggedError("RateLimited")<
  RequestContext & { readonly retryAfter: Duration.Duration; readonly blockedUntil: Date }
> {
  override get message(): string {
    return describe(this, `Rate limited by the service: blocked until ${this.blockedUntil.toISOString()}`)
  }
}

/**
 * The documents cannot be deleted: either the status had no `delete-documents-url` (`NotAdvertised`;
 * nothing was sent), or the service refused the deletion (`Refused`: not every signer signed, less than 24 h
 * since completion, or not yet forwarded to the signers' digital mailboxes).
 *
 * @example
 * ```ts
 * client.deleteDocuments(status).pipe(Effect.catchTag("DocumentsNotDeletable", () => Effect.void))
 * ```
 */
export class DocumentsNotDeletable extends Data.TaggedError("DocumentsNotDeletable")<
  RequestContext & { readonly reason: "NotAdvertised" | "Refused" }
> {
  override get message(): string {
    return describe(
      this,
      this.reason === "NotAdvertised"
        ? "The job's status has no delete-documents-url: documents are deletable only when every signer signed, at least 24 h after completion"
        : "The service refused to delete the documents (not every signer signed, less than 24 h since completion, or not yet delivered to the signers' mailboxes)",
    )
  }
}

/**
 * A response the client did not expect: an unknown status code, an `error` body with an unmapped code,
 * or a body that could not be read (`Body`), was larger than the client's limit (`TooLarge`, checked as the bytes
 * arrive) or came in a `Content-Encoding` the client did not ask for (`ContentEncoding`). 502/503/504 arrive here
 * after the retries for safe operations are spent.
 *
 * @example
 * ```ts
 * Effect.catchTag("UnexpectedResponse", (e) => Effect.logError(e.status, e.errorCode))
 * ```
 */
export class UnexpectedResponse extends Data.TaggedError("UnexpectedResponse")<
  RequestContext & {
    readonly reason: "Status" | "ErrorResponse" | "Body" | "InvalidRequest" | "TooLarge" | "ContentEncoding"
    readonly detail?: string
  }
> {
  override get message(): string {
    return describe(this, `Unexpected response (${this.reason})${this.detail === undefined ? "" : `: ${this.detail}`}`)
  }
}

/**
 * A portal job that can no longer be cancelled: the service answered 409 (already completed, failed or cancelled).
 *
 * @example
 * ```ts
 * client.cancel(job).pipe(Effect.catchTag("JobCannotBeCancelled", () => Effect.void))
 * ```
 */
export class JobCannotBeCancelled extends Data.TaggedError("JobCannotBeCancelled")<RequestContext> {
  override get message(): string {
    return describe(this, "The job can no longer be cancelled (it is completed, failed or already cancelled)")
  }
}

/**
 * `cancel` was given a status change without a `cancellation-url` (the job is final): nothing was sent.
 *
 * @example
 * ```ts
 * client.cancel(change.status).pipe(Effect.catchTag("NotCancellable", () => Effect.void))
 * ```
 */
export class NotCancellable extends Data.TaggedError("NotCancellable")<
  RequestContext & { readonly reason: "NotAdvertised" }
> {
  override get message(): string {
    return describe(this, "The job has no cancellation-url: it is final and cannot be cancelled")
  }
}

/**
 * A URL handed out by the service was not followed, and nothing was sent: it points to another origin than the
 * environment's API root (`Origin`; allow it with the `allowedOrigins` option if you trust it), or it is plain
 * http while the environment uses https (`Cleartext`).
 *
 * @example
 * ```ts
 * client.getPadesBytes(status).pipe(Effect.catchTag("RefusedUrl", (e) => Effect.logError(e.message)))
 * ```
 */
export class RefusedUrl extends Data.TaggedError("RefusedUrl")<
  RequestContext & { readonly reason: "Origin" | "Cleartext"; readonly detail: string }
> {
  override get message(): string {
    return describe(this, `Refused to follow the URL (${this.reason}): ${this.detail}`)
  }
}

/**
 * A call on a Promise client after its `close()`.
 *
 * @example
 * ```ts
 * try { await client.getStatusChange() } catch (e) { if (e instanceof ClientClosed) reopen() }
 * ```
 */
export class ClientClosed extends Data.TaggedError("ClientClosed")<{ readonly operation: string }> {
  override get message(): string {
    return `The client is closed: ${this.operation} was called after close()`
  }
}

/**
 * Why a request failed below HTTP.
 *
 * @example
 * ```ts
 * if (error._tag === "TransportError" && error.reason === "TlsHandshake") alertOps(error.hint)
 * ```
 */
export type TransportFailureReason =
  | "Connect"
  | "TlsHandshake"
  | "ServerIdentity"
  | "Timeout"
  | "Aborted"
  | "ClosedEarly"

/**
 * The request failed below HTTP. `reason` says where; `hint` says what a person can do about it
 * (wrong environment, test certificate in production, missing trust anchors, ...); `code` is the
 * underlying system/TLS/undici code (`ECONNREFUSED`, `SELF_SIGNED_CERT_IN_CHAIN`, `UND_ERR_SOCKET`, ...).
 *
 * @example
 * ```ts
 * Effect.catchTag("TransportError", (e) => Effect.logError(`${e.reason}: ${e.hint}`))
 * ```
 */
export class TransportError extends Data.TaggedError("TransportError")<
  RequestContext & {
    readonly reason: TransportFailureReason
    readonly hint: string
    readonly code?: string | undefined
    /** For `ServerIdentity`: the organization number the certificate had, and the one expected. */
    readonly serverIdentity?: { readonly expected: string; readonly actual?: string | undefined } | undefined
    readonly cause?: unknown
  }
> {
  override get message(): string {
    return `${describe(this, `Transport failure (${this.reason}${this.code === undefined ? "" : `, ${this.code}`})`)}: ${this.hint}`
  }
}

/**
 * Thrown by transports (e.g. `@signering/node-tls` from its `checkServerIdentity`) when the server's
 * certificate chains to a trusted anchor but belongs to another organization than the one expected
 * (984661185, Posten Bring AS, for the real service). The client finds it in the failure's `cause` chain
 * and reports a `TransportError` with reason `ServerIdentity`.
 *
 * @example
 * ```ts
 * checkServerIdentity: (_host, cert) =>
 *   orgOf(cert) === expected
 *     ? undefined
 *     : new ServerIdentityError({
 *         reason: "OrganizationMismatch",
 *         expectedOrganizationNumber: expected,
 *         actualOrganizationNumber: orgOf(cert),
 *         subject: cert.subject.CN ?? "",
 *       })
 * ```
 */
export class ServerIdentityError extends Data.TaggedError("ServerIdentityError")<{
  readonly reason: "OrganizationMismatch" | "NoOrganizationNumber"
  readonly expectedOrganizationNumber: string
  readonly actualOrganizationNumber: string | undefined
  /** The certificate subject, for the log; never secret. */
  readonly subject: string
}> {
  /** Node reads `code` into `socket.authorizationError`; generic handlers recognise it by this. */
  readonly code = "ERR_SIGNERING_SERVER_IDENTITY"
  override get message(): string {
    return this.reason === "OrganizationMismatch"
      ? `the server certificate belongs to organization ${this.actualOrganizationNumber}, expected ${this.expectedOrganizationNumber} (subject: ${this.subject})`
      : `the server certificate carries no organization number, expected ${this.expectedOrganizationNumber} (subject: ${this.subject})`
  }
}

/**
 * Union of every error the client produces (including the protocol errors it passes through).
 *
 * @example
 * ```ts
 * const describe = (e: ClientError.ClientError) => `${e._tag}: ${e.message}`
 * ```
 */
export type ClientError =
  | ValidationError
  | DecodeError
  | KeystoreError
  | BundleError
  | BrokerNotAuthorized
  | InvalidStatusQueryToken
  | SigningCeremonyNotCompleted
  | TooEagerPolling
  | RateLimited
  | DocumentsNotDeletable
  | JobCannotBeCancelled
  | NotCancellable
  | RefusedUrl
  | ClientClosed
  | UnexpectedResponse
  | TransportError

/**
 * Whether a failure is worth trying again later with backoff (for a caller's own loop, e.g. a polling worker):
 * the connection failed, broke or timed out, or the server answered 5xx. Not for 429s (`TooEagerPolling` and
 * `RateLimited` say exactly when to come back), nor for answers that will not change by retrying (tokens,
 * authorization, validation, decoding). Note that a `create` that failed this way may still have created the job.
 *
 * @example
 * ```ts
 * Effect.retry(client.getStatusChange(), { while: ClientError.isTransient, schedule: Schedule.exponential("1 second") })
 * ```
 */
export const isTransient = (error: unknown): boolean => {
  if (typeof error !== "object" || error === null) return false
  const e = error as { readonly _tag?: unknown; readonly reason?: unknown; readonly status?: unknown }
  if (e._tag === "TransportError") return e.reason === "Connect" || e.reason === "ClosedEarly" || e.reason === "Timeout"
  return e._tag === "UnexpectedResponse" && typeof e.status === "number" && e.status >= 500
}
