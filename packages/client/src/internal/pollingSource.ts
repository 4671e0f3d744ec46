/**
 * What the polling worker needs from a flow, so that one worker serves direct and portal changes: poll the queue,
 * download what the handler asked for, confirm. A flow's client is adapted to this in a few lines.
 */
import type { DirectJob, DirectResponse } from "@signering/protocol"
import type { Effect } from "effect"
import type { ClientError } from "../ClientError.js"
import type * as DirectClient from "../DirectClient.js"
import type * as JobStatusOrder from "../JobStatusOrder.js"
import { type Documents, type DownloadOptions, downloadDocuments } from "./documents.js"

/** A status change as the worker reads it: a job id, a job status, signers with `since`, a confirmation URL. */
export interface Polled extends JobStatusOrder.Comparable {
  readonly signatureJobId: bigint
  readonly reference?: string | undefined
  readonly confirmationUrl?: string | undefined
}

export type Answer<S> =
  | { readonly _tag: "NoChanges"; readonly nextPermittedPollTime: Date }
  | { readonly _tag: "StatusChange"; readonly status: S; readonly nextPermittedPollTime: Date }

export interface Source<S extends Polled> {
  readonly flow: "direct" | "portal"
  readonly apiRoot: string
  readonly defaultSender: DirectJob.Sender | undefined
  readonly getStatusChange: (sender: DirectJob.Sender) => Effect.Effect<Answer<S>, ClientError>
  readonly download: (status: S, options: DownloadOptions) => Effect.Effect<Documents, ClientError>
  readonly confirm: (status: S) => Effect.Effect<void, ClientError>
  /** The service's clock minus the local one (ms), when the client measured it from `Date` headers. */
  readonly clockOffset?: (() => Effect.Effect<number | undefined>) | undefined
}

/** The direct flow's client as a source. */
export const directSource = (client: DirectClient.Service): Source<DirectResponse.JobStatusResponse> => {
  // Older clients have no measured offset: the worker then relies on its floors alone.
  const clockOffset = (client as { readonly clockOffset?: () => Effect.Effect<number | undefined> }).clockOffset
  return {
    flow: "direct",
    apiRoot: client.config.environment.apiRoot,
    defaultSender: client.config.sender,
    getStatusChange: (sender) => client.getStatusChange(sender),
    download: (status, options) => downloadDocuments(client, status, options),
    confirm: (status) => client.confirm(status),
    clockOffset,
  }
}
