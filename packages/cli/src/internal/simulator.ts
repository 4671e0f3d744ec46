/**
 * `signering simulator`: the local simulator, with the `SIGNERING_*` lines that point this command (and an
 * application reading the same variables) at it. The passphrase is never printed: the line reads it from the file
 * the simulator wrote.
 */
import * as path from "node:path"
import { DirectClient } from "@signering/client"
import { CliFailure, ExitCode, type Io, print } from "./output.js"

export interface SimulatorFlags {
  readonly dir?: string | undefined
  readonly org?: ReadonlyArray<string> | undefined
  readonly port?: string | undefined
  readonly portalPort?: string | undefined
  readonly json?: boolean | undefined
}

const port = (name: string, value: string | undefined) => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new CliFailure(ExitCode.Usage, `--${name} must be a port number from 0 to 65535, got "${value}"`)
  }
  return n
}

const shellQuote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`)

export const simulator = async (io: Io, flags: SimulatorFlags): Promise<void> => {
  for (const org of flags.org ?? []) {
    if (!/^\d{9}$/.test(org))
      throw new CliFailure(ExitCode.Usage, `--org must be a 9-digit organization number, got "${org}"`)
  }
  const apiPort = port("port", flags.port)
  const portalPort = port("portal-port", flags.portalPort)
  // Loaded here only: the simulator brings its own dependencies (PDF signing, schema validation).
  const { Pki, Simulator } = await import("@signering/simulator")
  const organizations =
    flags.org === undefined || flags.org.length === 0
      ? Pki.defaultOrganizations.map((o) => ({ ...o }))
      : flags.org.map((organizationNumber) => ({ organizationNumber }))
  const pki = await Pki.make({ organizations })
  const sim = await Simulator.start({
    pki,
    organizations,
    ...(apiPort === undefined ? {} : { port: apiPort }),
    ...(portalPort === undefined ? {} : { portalPort }),
  })
  try {
    const dir = path.resolve(flags.dir ?? ".signering-simulator")
    const files = await pki.writeTo(dir)
    const names = DirectClient.configNames
    const senders = pki.senders.map((sender) => {
      const org = sender.organizationNumber
      return {
        organizationNumber: org,
        subjectStyle: sender.subjectStyle,
        pkcs12Encryption: sender.pkcs12Encryption,
        keystore: files[`sender.${org}.pkcs12`]!,
        passphraseFile: files[`sender.${org}.pkcs12Passphrase`]!,
      }
    })
    const first = senders[0]!
    const env: Record<string, string> = {
      [names.environment]: "custom",
      [names.apiRoot]: sim.url,
      [names.serverOrganizationNumber]: pki.server.organizationNumber,
      [names.senderOrganizationNumber]: first.organizationNumber,
      SIGNERING_KEYSTORE: first.keystore,
      SIGNERING_TRUST_ANCHORS: files["caCertificate"]!,
    }
    const exports = [
      ...Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
      `export SIGNERING_KEYSTORE_PASSPHRASE="$(cat ${shellQuote(first.passphraseFile)})"`,
    ]
    print(
      io,
      flags.json === true,
      {
        apiRoot: sim.url,
        portalUrl: sim.portalUrl,
        directory: dir,
        env: { ...env, SIGNERING_KEYSTORE_PASSPHRASE_FILE: first.passphraseFile },
        senders,
      },
      () => [
        "Signering simulator is running.",
        `  API root (mutual TLS): ${sim.url}`,
        `  Signing portal:        ${sim.portalUrl}`,
        `  Credentials in:        ${dir}`,
        "",
        "Paste into your shell to point signering (and applications reading SIGNERING_*) at it:",
        "",
        ...exports,
        "",
        ...senders
          .slice(1)
          .map(
            (s) =>
              `Other sender: ${s.organizationNumber} (${s.subjectStyle}, PKCS#12 ${s.pkcs12Encryption}): ${s.keystore}, passphrase in ${s.passphraseFile}`,
          ),
        "Press Ctrl+C to stop.",
      ],
    )
    await io.interrupted
  } finally {
    await sim.close()
  }
}
