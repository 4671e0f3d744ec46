/**
 * Downloads the documents a status points to, for the polling worker and the exit callback helper (any flow).
 */
import type { DirectResponse } from "@signering/protocol"
import { Effect } from "effect"
import type { ClientError } from "../ClientError.js"
import type * as DirectClient from "../DirectClient.js"

/** A signer's XAdES, downloaded for a handler. */
export interface SignerDocument {
  /** The `@signer` of the `xades-url` (a personal identification number or a custom identifier). */
  readonly signer: string | undefined
  readonly bytes: Uint8Array
}

/** Which documents to download before calling a handler. Default: none. */
export interface DownloadOptions {
  /** The job's signed PDF (when the status has a `pades-url`). */
  readonly pades?: boolean | undefined
  /** Each signer's XAdES (one per `xades-url`). */
  readonly xades?: boolean | undefined
}

export interface Documents {
  readonly pades: Uint8Array | undefined
  readonly xades: ReadonlyArray<SignerDocument>
}

/** PAdES first, then each XAdES, one after the other (a handful of requests; no need to open more connections). */
export const downloadDocuments = (
  client: DirectClient.Service,
  status: DirectResponse.JobStatusResponse,
  download: DownloadOptions,
): Effect.Effect<Documents, ClientError> =>
  Effect.gen(function* () {
    const pades =
      download.pades === true && status.padesUrl !== undefined
        ? yield* client.getPadesBytes(status.padesUrl)
        : undefined
    const xades: Array<SignerDocument> = []
    if (download.xades === true) {
      for (const entry of status.xadesUrls) {
        xades.push({ signer: entry.signer, bytes: yield* client.getXadesBytes(entry.url) })
      }
    }
    return { pades, xades }
  })
