/**
 * The app's configuration, from environment variables (twelve-factor). Pointing the app at the simulator or at the
 * real service differs only here: API root, server organization number, keystore and trust anchors.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Redacted } from "effect"

export type EnvironmentName = "production" | "difitest" | "difiqa" | "custom"

export type KeystoreSource =
  | { readonly _tag: "Pkcs12"; readonly path: string; readonly passphrase: Redacted.Redacted<string> }
  | {
      readonly _tag: "Pem"
      readonly certificatesPath: string
      readonly privateKeyPath: string
      readonly passphrase?: Redacted.Redacted<string> | undefined
    }

export interface SigningConfig {
  readonly environment: EnvironmentName
  /** Only for `custom`: the API root, e.g. the simulator's `https://127.0.0.1:PORT/api`. */
  readonly apiRoot?: string | undefined
  /** The organization number the server's certificate must carry (984661185 for the real service). */
  readonly serverOrganizationNumber: string
  /** The sender; defaults to the organization number in the keystore's certificate. */
  readonly senderOrganizationNumber?: string | undefined
  /** The app's own polling queue for POLLING jobs, so it never takes another application's changes. */
  readonly pollingQueue: string
  readonly keystore: KeystoreSource
  /** PEM files or directories with the CA certificates the server's chain must lead to. */
  readonly trustAnchors: ReadonlyArray<string>
}

export interface Config {
  readonly host: string
  readonly port: number
  /** Where browsers reach the app (exit URLs); defaults to `http://host:port`. */
  readonly publicUrl?: string | undefined
  readonly databasePath: string
  readonly signing: SigningConfig
  /** The sender desk's login (`SAMPLE_DESK_USER`, `SAMPLE_DESK_PASSWORD`); without a password the desk is closed. */
  readonly desk: { readonly user: string; readonly password: Redacted.Redacted<string> } | undefined
}

export const defaultDatabasePath = fileURLToPath(new URL("../.sample-data/sample.db", import.meta.url))
export const defaultPollingQueue = "signering-sample"
export const defaultDeskUser = "sender"
export const deskPasswordMinLength = 12
export const postenOrganizationNumber = "984661185"

export class ConfigError extends Error {
  override readonly name = "ConfigError"
}

const environments: ReadonlyArray<EnvironmentName> = ["production", "difitest", "difiqa", "custom"]

const readPassphrase = (name: string, path: string): string => {
  try {
    return readFileSync(path, "utf8").trim()
  } catch {
    throw new ConfigError(`${name} names a file that cannot be read`)
  }
}

/** Reads the configuration; a missing or malformed variable is a `ConfigError` naming it. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): Config => {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim()
    return v === undefined || v === "" ? undefined : v
  }
  const need = (name: string, why: string): string => {
    const v = get(name)
    if (v === undefined) throw new ConfigError(`${name} is not set: ${why}`)
    return v
  }
  const port = Number(get("SAMPLE_PORT") ?? "3000")
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError("SAMPLE_PORT must be a port number from 0 to 65535")
  const environment = (get("SIGNERING_ENVIRONMENT") ?? "difitest") as EnvironmentName
  if (!environments.includes(environment))
    throw new ConfigError(`SIGNERING_ENVIRONMENT must be one of ${environments.join(", ")}`)
  const apiRoot = get("SIGNERING_API_ROOT")
  if (environment === "custom" && apiRoot === undefined)
    throw new ConfigError("SIGNERING_API_ROOT is not set: a custom environment needs its API root")
  const serverOrg = get("SIGNERING_SERVER_ORGANIZATION_NUMBER") ?? postenOrganizationNumber
  if (!/^[0-9]{9}$/.test(serverOrg)) throw new ConfigError("SIGNERING_SERVER_ORGANIZATION_NUMBER must be 9 digits")
  const senderOrg = get("SIGNERING_SENDER_ORGANIZATION_NUMBER")
  if (senderOrg !== undefined && !/^[0-9]{9}$/.test(senderOrg))
    throw new ConfigError("SIGNERING_SENDER_ORGANIZATION_NUMBER must be 9 digits")
  const passphraseFile = get("SIGNERING_KEYSTORE_PASSPHRASE_FILE")
  // A file keeps the passphrase out of the environment (and is what the simulator's CLI writes).
  const passphrase =
    get("SIGNERING_KEYSTORE_PASSPHRASE") ??
    (passphraseFile === undefined ? undefined : readPassphrase("SIGNERING_KEYSTORE_PASSPHRASE_FILE", passphraseFile))
  const p12 = get("SIGNERING_KEYSTORE")
  let keystore: KeystoreSource
  if (p12 !== undefined) {
    if (passphrase === undefined)
      throw new ConfigError(
        "SIGNERING_KEYSTORE_PASSPHRASE is not set: the PKCS#12 file needs it (or SIGNERING_KEYSTORE_PASSPHRASE_FILE)",
      )
    keystore = { _tag: "Pkcs12", path: p12, passphrase: Redacted.make(passphrase) }
  } else {
    keystore = {
      _tag: "Pem",
      certificatesPath: need(
        "SIGNERING_CERTIFICATE",
        "set SIGNERING_KEYSTORE (PKCS#12) or SIGNERING_CERTIFICATE and SIGNERING_PRIVATE_KEY (PEM)",
      ),
      privateKeyPath: need("SIGNERING_PRIVATE_KEY", "the PEM certificate needs its private key"),
      passphrase: passphrase === undefined ? undefined : Redacted.make(passphrase),
    }
  }
  const trustAnchors = need(
    "SIGNERING_TRUST_ANCHORS",
    "list the CA certificate files (or directories) of the environment, separated by commas",
  )
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const host = get("SAMPLE_HOST") ?? "127.0.0.1"
  const deskPassword = get("SAMPLE_DESK_PASSWORD")
  if (deskPassword !== undefined && deskPassword.length < deskPasswordMinLength)
    throw new ConfigError(`SAMPLE_DESK_PASSWORD must be at least ${deskPasswordMinLength} characters`)
  return {
    host,
    port,
    publicUrl: get("SAMPLE_PUBLIC_URL"),
    databasePath: get("SAMPLE_DATABASE") ?? defaultDatabasePath,
    signing: {
      environment,
      apiRoot,
      serverOrganizationNumber: serverOrg,
      senderOrganizationNumber: senderOrg,
      pollingQueue: get("SIGNERING_POLLING_QUEUE") ?? defaultPollingQueue,
      keystore,
      trustAnchors,
    },
    desk:
      deskPassword === undefined
        ? undefined
        : { user: get("SAMPLE_DESK_USER") ?? defaultDeskUser, password: Redacted.make(deskPassword) },
  }
}
