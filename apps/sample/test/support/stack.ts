/** A real simulator and a real sample portal on loopback port 0, wired through the real client over mutual TLS. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Redacted } from "effect"
import * as DirectSigning from "../../src/DirectSigning.js"
import * as PortalSigning from "../../src/PortalSigning.js"
import * as Server from "../../src/Server.js"

export interface Stack {
  readonly simulator: Simulator.Instance
  readonly server: Server.RunningServer
  readonly url: string
  readonly databasePath: string
  /** Every line the portal logged. */
  readonly logs: Array<string>
  /** Stops the portal and starts it again on the same database (the simulator keeps running). */
  readonly restart: () => Promise<Stack>
  readonly close: () => Promise<void>
}

/** The sender desk's login in the tests. */
export const desk = { user: "sender", password: "test-desk-password" } as const

export const start = async (options: { readonly emptyQueuePollDelayMs?: number } = {}): Promise<Stack> => {
  const simulator = await Simulator.start({ emptyQueuePollDelayMs: options.emptyQueuePollDelayMs ?? 300 })
  const dir = mkdtempSync(join(tmpdir(), "sample-it-"))
  const databasePath = join(dir, "sample.db")
  const sender = simulator.pki.senders[0]!
  // The sender certificate as the app reads it in production: a PKCS#12 file with its passphrase.
  const keystore = Keystore.fromPkcs12OrThrow(sender.pkcs12, sender.pkcs12Passphrase)
  const logs: Array<string> = []
  const config = {
    environment: "custom",
    apiRoot: simulator.url,
    serverOrganizationNumber: simulator.pki.server.organizationNumber,
    pollingQueue: "signering-sample",
    trustAnchors: [simulator.pki.caCertificatePem],
    keystore: { _tag: "Pem", certificatesPath: "unused", privateKeyPath: "unused" },
  } as const
  const launch = async (): Promise<Server.RunningServer> =>
    Server.start({
      host: "127.0.0.1",
      port: 0,
      databasePath,
      log: (line) => logs.push(line),
      desk: { user: desk.user, password: Redacted.make(desk.password) },
      // The tests drive the app faster than a person would; pacing is not what they are about.
      signing: await DirectSigning.make({ keystore, config, rateLimiter: false }),
      portal: await PortalSigning.make({ keystore, config, rateLimiter: false }),
    })
  const make = (server: Server.RunningServer): Stack => ({
    simulator,
    server,
    url: server.url,
    databasePath,
    logs,
    restart: async () => {
      await server.close()
      return make(await launch())
    },
    close: async () => {
      await server.close()
      await simulator.close()
      rmSync(dir, { recursive: true, force: true })
    },
  })
  return make(await launch())
}
