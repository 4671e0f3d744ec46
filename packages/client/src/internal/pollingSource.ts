/**
 * What the polling worker needs from a flow, so that one worker serves direct and portal changes: poll the queue,
 * download what the handler asked for, confirm. A flow's client is adapted to this in a few lines.
 */
import type { DirectJob, DirectResponse, PortalResponse } from "@signering/protocol"
import { Effect } from "effect"
import type { ClientError } from "../ClientError.js"
import type * as DirectClient from "../DirectClient.js"
import type * as JobStatusOrder from "../JobStatusOrder.js"
import type * as PortalClient from "../PortalClient.js"
import { type Documents, type DownloadOptions, downloadDocuments, type SignerDocument } from "./documents.js"

type Signer = { readonly status: string; readonly since?: Date | undefined }

/**
 * A status change as the worker reads it: a job id, a job status, a confirmation URL, and the signers with their
 * `since` (direct: `signers`; portal: `signatures`), which order one job's changes.
 */
export interface Polled {
  readonly signatureJobId: bigint
  readonly status: string
  readonly reference?: string | undefined
  readonly confirmationUrl?: string | undefined
  readonly signers?: ReadonlyArray<Signer> | undefined
  readonly signatures?: ReadonlyArray<Signer> | undefined
}

/** The parts of a change that order it among its job's changes. */
export const comparable = (status: Polled): JobStatusOrder.Comparable => ({
  status: status.status,
  signers: status.signers ?? status.signatures ?? [],
})

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

/** The portal flow's client as a source: PAdES and each signature's XAdES, as the handler asked. */
export const portalSource = (client: PortalClient.Service): Source<PortalResponse.StatusChangeResponse> => ({
  flow: "portal",
  apiRoot: client.config.environment.apiRoot,
  defaultSender: client.config.sender,
  getStatusChange: (sender) => client.getStatusChange(sender),
  download: (status, options) =>
    Effect.gen(function* () {
      const pades =
        options.pades === true && status.padesUrl !== undefined
          ? yield* client.getPadesBytes(status.padesUrl)
          : undefined
      const xades: Array<SignerDocument> = []
      if (options.xades === true) {
        for (const signature of status.signatures) {
          if (signature.xadesUrl === undefined) continue
          xades.push({ signer: signerName(signature.signer), bytes: yield* client.getXadesBytes(signature.xadesUrl) })
        }
      }
      return { pades, xades }
    }),
  confirm: (status) => client.confirm(status),
  clockOffset: () => client.clockOffset(),
})

const signerName = (signer: unknown): string | undefined => {
  if (typeof signer === "string") return signer
  const value = (signer as { readonly value?: unknown } | undefined)?.value
  return typeof value === "string" ? value : undefined
}
