/**
 * The signing port on the real client: `@signering/client`'s Promise API over mutual TLS with
 * `@signering/node-tls`. This is the only module of the app that knows the library.
 */
import { readFile } from "node:fs/promises"
import {
  createDirectClient,
  Environment,
  handleExitCallback,
  Polling,
  type PromiseDirectClient,
  type RateLimiter,
} from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { type DirectResponse, Keystore } from "@signering/protocol"
import { Redacted } from "effect"
import type { SigningConfig } from "./Config.js"
import {
  type CreatedJob,
  type CreateInput,
  SigningError,
  type SigningErrorKind,
  type SigningPort,
  type Status,
} from "./Signing.js"

/** Loads the enterprise certificate the configuration points at (PKCS#12, legacy ones included, or PEM). */
export const loadKeystore = async (source: SigningConfig["keystore"]): Promise<Keystore.Keystore> => {
  if (source._tag === "Pkcs12") {
    const bytes = await readFile(source.path)
    return Keystore.fromPkcs12OrThrow(new Uint8Array(bytes), source.passphrase)
  }
  const [certificates, privateKey] = await Promise.all([
    readFile(source.certificatesPath, "utf8"),
    readFile(source.privateKeyPath, "utf8"),
  ])
  return Keystore.fromPemOrThrow({ certificates, privateKey: Redacted.make(privateKey), passphrase: source.passphrase })
}

export const environmentOf = (config: SigningConfig): Environment.Environment => {
  if (config.environment === "custom") {
    return Environment.custom({
      apiRoot: config.apiRoot ?? "",
      serverOrganizationNumber: config.serverOrganizationNumber,
    })
  }
  const environment = Environment.fromName(config.environment)
  if (environment === undefined) throw new SigningError("Other", `Unknown environment ${config.environment}`)
  return { ...environment, serverOrganizationNumber: config.serverOrganizationNumber }
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
    ? (error as { _tag: string })._tag
    : undefined

/** The client's errors carry masked URLs and no secrets, so their messages can be shown; the kind drives the app. */
const toSigningError = (operation: string, error: unknown): SigningError => {
  const tag = tagOf(error)
  const kinds: Record<string, SigningErrorKind> = {
    InvalidStatusQueryToken: "InvalidStatusQueryToken",
    JobCannotBeCancelled: "JobCannotBeCancelled",
    SigningCeremonyNotCompleted: "SigningCeremonyNotCompleted",
    TooEagerPolling: "TooEagerPolling",
    RateLimited: "TooEagerPolling",
    TransportError: "Unavailable",
    ServerIdentityError: "Unavailable",
  }
  const kind = (tag === undefined ? undefined : kinds[tag]) ?? "Other"
  const e = error as { nextPermittedPollTime?: unknown; blockedUntil?: unknown; message?: unknown }
  const next =
    e.nextPermittedPollTime instanceof Date
      ? e.nextPermittedPollTime
      : e.blockedUntil instanceof Date
        ? e.blockedUntil
        : undefined
  const detail = typeof e.message === "string" && e.message !== "" ? e.message : (tag ?? "unknown error")
  return new SigningError(kind, `${operation}: ${detail}`, next, { cause: error })
}

export const guard = async <A>(operation: string, run: () => Promise<A>): Promise<A> => {
  try {
    return await run()
  } catch (error) {
    throw error instanceof SigningError ? error : toSigningError(operation, error)
  }
}

const toStatus = (status: DirectResponse.JobStatusResponse): Status => ({
  signatureJobId: String(status.signatureJobId),
  reference: status.reference,
  status: status.status,
  signers: status.signers.map((s) => ({ signer: s.signer, status: s.status, since: s.since })),
  padesUrl: status.padesUrl,
})

export interface DirectSigningOptions {
  readonly config: SigningConfig
  /** Overrides the keystore named in `config` (e.g. one loaded already). */
  readonly keystore?: Keystore.Keystore | undefined
  /**
   * The client's pacing; left out, the process-wide default (the service's 10 requests/s). The integration tests
   * pass `false`: they drive the app faster than a person would, and pacing has tests of its own.
   */
  readonly rateLimiter?: RateLimiter.RateLimiter | false | undefined
}

/** Builds the port: loads the keystore, the trust anchors and the transport, and checks the configuration. */
export const make = async (options: DirectSigningOptions): Promise<SigningPort> => {
  const { config } = options
  const keystore = options.keystore ?? (await loadKeystore(config.keystore))
  const organizationNumber = config.senderOrganizationNumber ?? keystore.organizationNumber
  if (organizationNumber === undefined)
    throw new SigningError(
      "Other",
      "The certificate names no organization number: set SIGNERING_SENDER_ORGANIZATION_NUMBER",
    )
  const client: PromiseDirectClient = createDirectClient({
    environment: environmentOf(config),
    sender: { organizationNumber },
    keystore,
    userAgentSuffix: "signering-sample",
    rateLimiter: options.rateLimiter,
    transport: NodeTlsTransport.layer({
      keystore,
      trustAnchors: config.trustAnchors,
      serverOrganizationNumber: config.serverOrganizationNumber,
    }),
  })
  const pollingSender = { organizationNumber, pollingQueue: config.pollingQueue }

  return {
    create: (input: CreateInput) =>
      guard("Create the signing job", async (): Promise<CreatedJob> => {
        const created = await client.create({
          title: input.title,
          description: input.description,
          reference: input.reference,
          documents: [{ title: input.document.title, bytes: input.document.bytes, mediaType: "application/pdf" }],
          signers: input.signers.map((s) => ({ personalIdentificationNumber: Redacted.make(s.pin) })),
          exitUrls: input.exitUrls,
          statusRetrievalMethod: input.flow,
          ...(input.flow === "POLLING" ? { sender: pollingSender } : {}),
        })
        return {
          signatureJobId: String(created.signatureJobId),
          statusUrl: created.statusUrl,
          signers: created.signers.map((s) => ({
            pin: s.signer._tag === "PersonalIdentificationNumber" ? s.signer.value : undefined,
            href: s.href,
            redirectUrl: s.redirectUrl,
          })),
        }
      }),
    newRedirectUrl: (href) =>
      guard("Get a new signing link", async () => (await client.requestNewRedirectUrl(href)).redirectUrl),
    handleReturn: ({ url, statusUrl, handler }) =>
      guard("Handle the return from signing", async () => {
        const handled = await handleExitCallback(client, {
          url,
          statusUrl,
          handler: (result) => handler(toStatus(result.status)),
        })
        return { status: toStatus(handled.status), confirmed: handled.confirmed }
      }),
    watch: ({ handler, onError }) =>
      // The library's polling worker: never polls before the permitted time (with jitter), backs off on failures,
      // confirms a change only after the handler resolved, and lets a change in progress finish on stop().
      Polling.startPollingWorker(client, {
        sender: pollingSender,
        handler: (change) => handler(toStatus(change.status)),
        onError: (error) => onError?.(error.message),
      }),
    pades: (url) => guard("Download the signed PDF", () => client.getPadesBytes(url)),
    close: () => client.close(),
  }
}
