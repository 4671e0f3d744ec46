/**
 * The portal flow's port on the real client: `@signering/client`'s `createPortalClient` over mutual TLS with
 * `@signering/node-tls`, with the same configuration as the direct flow (one enterprise certificate, one sender).
 * Portal changes go to their own queue name (`<queue>-portal`), so the direct and the portal worker never take each
 * other's changes; both are the library's one polling worker.
 */
import { type ClientError, createPortalClient, Polling, type PromisePortalClient } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import type { Keystore, PortalResponse } from "@signering/protocol"
import { Effect, Fiber, Redacted } from "effect"
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
    watch: (watch) => watchQueue(client, { apiRoot: environment.apiRoot, sender }, watch),
    close: () => client.close(),
  }
}

type PortalChange = PortalResponse.StatusChangeResponse & {
  readonly signers: PortalResponse.StatusChangeResponse["signatures"]
}

/** The client's rejections are its tagged `ClientError`s; the worker reports and retries them by their tag. */
const attempt = <A>(run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (error) => error as ClientError.ClientError })

/**
 * The portal queue on the library's polling worker (`Polling.runSource`, the same worker as the direct flow's):
 * it never polls before the permitted time, confirms a change only after the handler stored it, skips a stale
 * change and holds confirmations so none can settle an unhandled newer change, and finishes a change in progress on
 * stop. The Promise portal client is adapted to the worker's `Source` in a few lines.
 */
const watchQueue = (
  client: PromisePortalClient,
  source: { readonly apiRoot: string; readonly sender: { organizationNumber: string; pollingQueue: string } },
  options: WatchOptions,
): Watcher => {
  const portalSource: Polling.Source<PortalChange> = {
    flow: "portal",
    apiRoot: source.apiRoot,
    defaultSender: source.sender,
    getStatusChange: (sender) =>
      attempt(() => client.getStatusChange(sender)).pipe(
        Effect.map((answer) =>
          answer._tag === "StatusChange"
            ? { ...answer, status: { ...answer.status, signers: answer.status.signatures } }
            : answer,
        ),
      ),
    // The handler downloads the signed PDF itself (as for the direct flow), only for a change it stores.
    download: () => Effect.succeed({ pades: undefined, xades: [] }),
    confirm: (status) => attempt(() => client.confirm(status)),
    clockOffset: () => Effect.promise(() => client.clockOffset()),
  }
  const fiber = Effect.runFork(
    Polling.runSource(portalSource, {
      handler: (change) => attempt(() => options.handler(toStatus(change.status))),
      onError: (error) => Effect.sync(() => options.onError?.(error.message)),
    }),
  )
  let stopping: Promise<void> | undefined
  return {
    stop: () => {
      stopping ??= Effect.runPromise(Fiber.interrupt(fiber)).then(() => undefined)
      return stopping
    },
  }
}
