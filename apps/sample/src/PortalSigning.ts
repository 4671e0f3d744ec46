/**
 * The portal flow's port on the real client: `@signering/client`'s `createPortalClient` over mutual TLS with
 * `@signering/node-tls`, with the same configuration as the direct flow (one enterprise certificate, one sender).
 * Portal changes go to their own queue name (`<queue>-portal`), so the direct and the portal worker never take each
 * other's changes; both are the library's one polling worker.
 */
import {
  createPortalClient,
  type PromisePortalClient,
  type RateLimiter,
  startPortalPollingWorker,
} from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import type { Keystore, PortalResponse } from "@signering/protocol"
import { Redacted } from "effect"
import type { SigningConfig } from "./Config.js"
import { environmentOf, guard, loadKeystore } from "./DirectSigning.js"
import {
  type PortalCreatedJob,
  type PortalCreateInput,
  type PortalSigningPort,
  SigningError,
  type Status,
  type Watcher,
  type WatchOptions,
} from "./Signing.js"

/** A portal signature's signer as the app stores it: the PIN, or the e-mail/number a contact signer was given by. */
const signerOf = (signature: PortalResponse.Signature): string | undefined => {
  const signer = signature.signer
  if (signer._tag === "PersonalIdentificationNumber") return Redacted.value(signer.personalIdentificationNumber)
  return signer.email ?? signer.sms
}

export const toStatus = (change: PortalResponse.StatusChangeResponse): Status => ({
  signatureJobId: String(change.signatureJobId),
  reference: change.reference,
  status: change.status,
  signers: change.signatures.map((s) => ({ signer: signerOf(s), status: s.status, since: s.since })),
  padesUrl: change.padesUrl,
  cancellationUrl: change.cancellationUrl,
})

/** The queue of the app's portal jobs: its own, beside the direct flow's. */
export const portalQueueOf = (pollingQueue: string): string => `${pollingQueue}-portal`

export interface PortalSigningOptions {
  readonly config: SigningConfig
  readonly keystore?: Keystore.Keystore | undefined
  /** The client's pacing; left out, the process-wide default (see `DirectSigningOptions.rateLimiter`). */
  readonly rateLimiter?: RateLimiter.RateLimiter | false | undefined
}

export const make = async (options: PortalSigningOptions): Promise<PortalSigningPort> => {
  const { config } = options
  const keystore = options.keystore ?? (await loadKeystore(config.keystore))
  const organizationNumber = config.senderOrganizationNumber ?? keystore.organizationNumber
  if (organizationNumber === undefined)
    throw new SigningError(
      "Other",
      "The certificate names no organization number: set SIGNERING_SENDER_ORGANIZATION_NUMBER",
    )
  const sender = { organizationNumber, pollingQueue: portalQueueOf(config.pollingQueue) }
  const environment = environmentOf(config)
  const client: PromisePortalClient = createPortalClient({
    environment,
    sender,
    keystore,
    userAgentSuffix: "signering-sample",
    rateLimiter: options.rateLimiter,
    transport: NodeTlsTransport.layer({
      keystore,
      trustAnchors: config.trustAnchors,
      serverOrganizationNumber: config.serverOrganizationNumber,
    }),
  })

  return {
    create: (input: PortalCreateInput) =>
      guard("Create the portal job", async (): Promise<PortalCreatedJob> => {
        const created = await client.create({
          title: input.title,
          description: input.description,
          reference: input.reference,
          documents: [{ title: input.document.title, bytes: input.document.bytes, mediaType: "application/pdf" }],
          signers: input.signers.map((s) => ({
            personalIdentificationNumber: Redacted.make(s.pin),
            notifications: { email: s.email },
            order: s.order,
          })),
          sender,
        })
        return { signatureJobId: String(created.signatureJobId), cancellationUrl: created.cancellationUrl }
      }),
    cancel: (url) => guard("Cancel the portal job", () => client.cancel(url)),
    pades: (url) => guard("Download the signed PDF", () => client.getPadesBytes(url)),
    watch: (watch) => watchQueue(client, watch),
    close: () => client.close(),
  }
}

/**
 * The portal queue on the library's polling worker (`startPortalPollingWorker`, the same worker as the direct
 * flow's): it never polls before the permitted time, confirms a change only after the handler stored it, skips a
 * stale change and holds confirmations so none can settle an unhandled newer change, and finishes a change in
 * progress on stop. The handler downloads the signed PDF itself (as for the direct flow), only for a change it stores.
 */
const watchQueue = (client: PromisePortalClient, options: WatchOptions): Watcher => {
  const worker = startPortalPollingWorker(client, {
    handler: (change) => options.handler(toStatus(change.status)),
    onError: (error) => options.onError?.(error.message),
  })
  return { stop: () => worker.stop() }
}
