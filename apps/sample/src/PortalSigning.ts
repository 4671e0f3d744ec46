/**
 * The portal flow's port on the real client: `@signering/client`'s `createPortalClient` over mutual TLS with
 * `@signering/node-tls`, with the same configuration as the direct flow (one enterprise certificate, one sender).
 * Portal changes go to their own queue name (`<queue>-portal`), so the direct and the portal worker never take each
 * other's changes.
 */
import { createPortalClient, type PromisePortalClient } from "@signering/client"
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
  const client: PromisePortalClient = createPortalClient({
    environment: environmentOf(config),
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
    watch: (watch) => watchQueue(client, sender, watch),
    close: () => client.close(),
  }
}

/**
 * Takes the portal queue's changes one by one: the handler stores each, and only then is it confirmed; never polls
 * before the permitted time the service gave; backs off after a failure. Interim: the library's polling worker
 * serves the direct flow's Promise client; once it takes a portal client too, this becomes a call to it.
 */
const watchQueue = (
  client: PromisePortalClient,
  sender: { readonly organizationNumber: string; readonly pollingQueue: string },
  options: WatchOptions,
): Watcher => {
  let stopped = false
  let wake: (() => void) | undefined
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms))
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  const report = (error: unknown) =>
    options.onError?.(error instanceof Error ? error.message : "The portal queue could not be read")
  const loop = (async () => {
    let failures = 0
    while (!stopped) {
      let wait: number
      try {
        const answer = await client.getStatusChange(sender)
        if (answer._tag === "StatusChange") {
          try {
            await options.handler(toStatus(answer.status))
            await client.confirm(answer.status)
          } catch (error) {
            // Not confirmed: the service delivers it again after its re-queue delay.
            report(error)
          }
        }
        failures = 0
        wait = answer.nextPermittedPollTime.getTime() - Date.now()
      } catch (error) {
        report(error)
        failures++
        const next = (error as { nextPermittedPollTime?: unknown }).nextPermittedPollTime
        wait = Math.max(
          next instanceof Date ? next.getTime() - Date.now() : 0,
          Math.min(30_000, 500 * 2 ** Math.min(failures, 6)),
        )
      }
      if (!stopped) await sleep(wait)
    }
  })()
  return {
    stop: async () => {
      stopped = true
      wake?.()
      await loop
    },
  }
}
