/**
 * The connection settings of the commands that talk to the service: the same `SIGNERING_*` variables the clients
 * read (through `DirectClient.config`), plus the keystore and trust anchors the clients leave to the application.
 * Flags override variables.
 */
import { readFile } from "node:fs/promises"
import { DirectClient, type Environment } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { Keystore } from "@signering/protocol"
import { ConfigProvider, Effect, Layer, Logger, Redacted, References } from "effect"
import type { HttpClient } from "effect/http"
import { CliFailure, ExitCode, type Io } from "./output.js"

/** Variables the command line reads besides the clients' own (`DirectClient.configNames`). */
export const variables = {
  keystore: "SIGNERING_KEYSTORE",
  passphrase: "SIGNERING_KEYSTORE_PASSPHRASE",
  passphraseFile: "SIGNERING_KEYSTORE_PASSPHRASE_FILE",
  trustAnchors: "SIGNERING_TRUST_ANCHORS",
} as const

/** Flags shared by every command that talks to the service. */
export interface ConnectionFlags {
  readonly environment?: string | undefined
  readonly apiRoot?: string | undefined
  readonly serverOrg?: string | undefined
  readonly sender?: string | undefined
  readonly queue?: string | undefined
  readonly keystore?: string | undefined
  readonly trustAnchors?: string | undefined
  readonly verbose?: boolean | undefined
}

export interface Connection {
  readonly environment: Environment.Environment
  readonly keystore: Keystore.Keystore
  readonly options: DirectClient.Options
  readonly sender: { readonly organizationNumber: string; readonly pollingQueue?: string | undefined }
  readonly transport: Layer.Layer<HttpClient.HttpClient, NodeTlsTransport.TransportConfigError>
  readonly client: Layer.Layer<DirectClient.DirectClient, unknown>
}

/** The passphrase of a PKCS#12 file, from the variable or from the file the `_FILE` variable names. */
export const passphraseOf = async (
  env: Io["env"],
): Promise<{ readonly value: Redacted.Redacted<string>; readonly source: string } | undefined> => {
  const direct = env[variables.passphrase]
  if (direct !== undefined) return { value: Redacted.make(direct), source: variables.passphrase }
  const file = env[variables.passphraseFile]
  if (file === undefined) return undefined
  try {
    // A passphrase file written by an editor ends in a newline that is not part of the passphrase.
    const text = (await readFile(file, "utf8")).replace(/\r?\n$/, "")
    return { value: Redacted.make(text), source: `${variables.passphraseFile} (${file})` }
  } catch (cause) {
    throw new CliFailure(
      ExitCode.Configuration,
      `${variables.passphraseFile}: ${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
    )
  }
}

const loadKeystore = async (io: Io, path: string | undefined): Promise<Keystore.Keystore> => {
  if (path === undefined || path === "") {
    throw new CliFailure(
      ExitCode.Configuration,
      `no enterprise certificate: set ${variables.keystore} to its PKCS#12 file (or pass --keystore) and ${variables.passphrase} to its passphrase`,
    )
  }
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (cause) {
    throw new CliFailure(
      ExitCode.Configuration,
      `keystore ${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
    )
  }
  const passphrase = await passphraseOf(io.env)
  const opened = Keystore.fromPkcs12(bytes, passphrase?.value ?? Redacted.make(""))
  if (opened._tag === "Success") return opened.success
  const error = opened.failure
  const message =
    error.reason === "WrongPassphrase"
      ? passphrase === undefined
        ? `keystore ${path} needs its passphrase: set ${variables.passphrase}`
        : `keystore ${path}: the passphrase from ${passphrase.source} does not open it`
      : `keystore ${path}: ${error.message}`
  throw new CliFailure(ExitCode.Configuration, message, "KeystoreError", error.reason)
}

/** Logs go to stderr (stdout holds results); `--verbose` shows informational lines such as skipped trust anchors. */
export const runtimeLayer = (io: Io, verbose: boolean | undefined) =>
  Layer.mergeAll(
    Logger.layer([
      Logger.make((options) => {
        const message = Array.isArray(options.message) ? options.message.join(" ") : String(options.message)
        io.stderr(`${options.logLevel.toLowerCase()}: ${message}\n`)
      }),
    ]),
    Layer.succeed(References.MinimumLogLevel, verbose === true ? "Info" : "Warn"),
  )

/** Resolves the connection settings, opens the keystore and describes the transport and client layers. */
export const connect = async (io: Io, flags: ConnectionFlags): Promise<Connection> => {
  const names = DirectClient.configNames
  const env: Record<string, string | undefined> = { ...io.env }
  const override = (name: string, value: string | undefined) => {
    if (value !== undefined) env[name] = value
  }
  override(names.environment, flags.environment)
  override(names.apiRoot, flags.apiRoot)
  override(names.serverOrganizationNumber, flags.serverOrg)
  override(names.senderOrganizationNumber, flags.sender)
  override(names.senderPollingQueue, flags.queue)
  // A custom API root alone means a custom environment (the simulator, a proxy).
  if (flags.apiRoot !== undefined && flags.environment === undefined) env[names.environment] = "custom"
  const options = await Effect.runPromise(
    Effect.gen(function* () {
      return yield* DirectClient.config
    }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))),
  ).catch((error: unknown) => {
    throw new CliFailure(ExitCode.Configuration, `configuration: ${(error as Error).message}`, "ConfigError")
  })
  const keystore = await loadKeystore(io, flags.keystore ?? env[variables.keystore])
  const organizationNumber = options.sender?.organizationNumber ?? keystore.organizationNumber
  if (organizationNumber === undefined) {
    throw new CliFailure(
      ExitCode.Configuration,
      `the certificate carries no organization number: set ${names.senderOrganizationNumber}`,
    )
  }
  const sender = { ...options.sender, organizationNumber }
  const anchors = flags.trustAnchors ?? env[variables.trustAnchors]
  const transport = NodeTlsTransport.layer({
    keystore,
    environment: options.environment,
    ...(anchors === undefined || anchors === ""
      ? {}
      : {
          trustAnchors: anchors
            .split(",")
            .map((path) => path.trim())
            .filter((path) => path !== ""),
        }),
  })
  const clientOptions: DirectClient.Options = { ...options, sender, keystore, userAgentSuffix: "signering-cli" }
  return {
    environment: options.environment,
    keystore,
    options: clientOptions,
    sender,
    transport,
    client: DirectClient.layer(clientOptions).pipe(Layer.provide(transport)),
  }
}
