/**
 * What the app needs from the signing service, in the app's own words. The one implementation used by the app
 * (`src/DirectSigning.ts`) wraps `@signering/client`; keeping the app behind this small port means pages and the
 * poller read like the business they do, and the client can change without touching them.
 */

export type JobStatus = "IN_PROGRESS" | "COMPLETED_SUCCESSFULLY" | "FAILED"

export interface CreateInput {
  readonly flow: "WAIT_FOR_CALLBACK" | "POLLING"
  readonly title: string
  readonly description?: string | undefined
  /** The app's own reference (its job number): never personal data, the service shows it in e-mails. */
  readonly reference: string
  readonly document: { readonly title: string; readonly bytes: Uint8Array }
  readonly signers: ReadonlyArray<{ readonly pin: string }>
  readonly exitUrls: { readonly completionUrl: string; readonly rejectionUrl: string; readonly errorUrl: string }
}

export interface CreatedSigner {
  /** The PIN the service echoes for this signer. */
  readonly pin: string | undefined
  /** The signer URL: kept, to ask for a fresh redirect URL later. */
  readonly href: string
  /** One-time URL for the signer's browser. */
  readonly redirectUrl: string
}

export interface CreatedJob {
  readonly signatureJobId: string
  readonly statusUrl: string | undefined
  readonly signers: ReadonlyArray<CreatedSigner>
}

export interface Status {
  readonly signatureJobId: string
  /** The reference the app gave at create (`sample-<job number>`), when the service echoes it. */
  readonly reference?: string | undefined
  readonly status: JobStatus
  readonly signers: ReadonlyArray<{
    readonly signer?: string | undefined
    readonly status: string
    readonly since: Date
  }>
  readonly padesUrl: string | undefined
  /** Portal jobs: the cancellation URL while the job can be cancelled. */
  readonly cancellationUrl?: string | undefined
}

/** Failures the app handles differently; everything else is `Other`. The message never holds a token or a PIN. */
export type SigningErrorKind =
  | "InvalidStatusQueryToken"
  | "SigningCeremonyNotCompleted"
  | "TooEagerPolling"
  | "JobCannotBeCancelled"
  | "Unavailable"
  | "Other"

export class SigningError extends Error {
  override readonly name = "SigningError"
  constructor(
    readonly kind: SigningErrorKind,
    message: string,
    readonly nextPermittedPollTime?: Date | undefined,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options)
  }
}

/** A running watch over the app's polling queue. */
export interface Watcher {
  /** Stops gracefully: a change being handled is finished (and confirmed) first. */
  stop(): Promise<void>
}

export interface WatchOptions {
  /** Acts on one change. Resolving means "stored": only then is the change confirmed. Rejecting leaves it unconfirmed. */
  readonly handler: (status: Status) => Promise<void>
  /** Failures the watcher recovered from (a message without secrets). */
  readonly onError?: ((message: string) => void) | undefined
}

export interface SigningPort {
  create(input: CreateInput): Promise<CreatedJob>
  newRedirectUrl(signerHref: string): Promise<string>
  /**
   * The signer's browser came back to an exit URL (`url`, with its `status_query_token`): gets the status, runs
   * `handler`, and confirms only after the handler resolved. `confirmed` is false while the job is not final (the
   * service offers no confirmation yet).
   */
  handleReturn(input: {
    readonly url: string
    readonly statusUrl: string
    readonly handler: (status: Status) => Promise<void>
  }): Promise<{ readonly status: Status; readonly confirmed: boolean }>
  /** Takes the app's status changes from its polling queue, honouring the service's poll times, until stopped. */
  watch(options: WatchOptions): Watcher
  pades(url: string): Promise<Uint8Array>
  close(): Promise<void>
}

/** A portal job (issue 12 §4): the service notifies each signer by e-mail, in order; they sign in its portal. */
export interface PortalCreateInput {
  readonly title: string
  readonly description?: string | undefined
  /** The app's own reference (`sample-<job number>`); the service shows it to signers and echoes it in changes. */
  readonly reference: string
  readonly document: { readonly title: string; readonly bytes: Uint8Array }
  /** Signing order: 1 signs first; the next is notified when the previous has signed. */
  readonly signers: ReadonlyArray<{ readonly pin: string; readonly email: string; readonly order: number }>
}

export interface PortalCreatedJob {
  readonly signatureJobId: string
  readonly cancellationUrl: string | undefined
}

/** What the app needs from the portal flow. Its changes come as `Status` (signers by PIN) through `watch`. */
export interface PortalSigningPort {
  create(input: PortalCreateInput): Promise<PortalCreatedJob>
  /** Cancels an open job (`JobCannotBeCancelled` once it completed). */
  cancel(cancellationUrl: string): Promise<void>
  watch(options: WatchOptions): Watcher
  pades(url: string): Promise<Uint8Array>
  close(): Promise<void>
}
