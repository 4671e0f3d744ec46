/**
 * The direct flow and a portal job from Node 22 and 24, Bun and Deno, each in its own process, against the simulator
 * in another (see flows/signing.ts). Then, per working transport, the same client expecting another organization
 * number must refuse the server; and the transports that cannot check the organization number in a runtime must
 * refuse to start there.
 */
import * as path from "node:path"
import { describe, expect, inject, it } from "vitest"
import * as Flow from "../src/Flow.js"
import { versions } from "../src/Runtimes.js"

type Runtime = "node22" | "node24" | "bun" | "deno"

const binaries = inject("binaries")
const simulator = inject("simulator")
const sender = simulator.senders.find((s) => s.organizationNumber === "123456785") ?? simulator.senders[0]!

const env = (transport: string, extra: Record<string, string> = {}): Record<string, string> => ({
  SIGNERING_TRANSPORT: transport,
  SIGNERING_API_ROOT: simulator.apiRoot,
  SIGNERING_CA: simulator.caFile,
  SIGNERING_PKCS12: sender.pkcs12File,
  SIGNERING_PKCS12_PASSPHRASE: sender.passphraseFile,
  SIGNERING_SENDER: sender.organizationNumber,
  SIGNERING_PORTAL_URL: simulator.portalUrl,
  ...extra,
})

const runFlow = (runtime: Runtime, transport: string, extra?: Record<string, string>) =>
  Flow.run(Flow.command(runtime, binaries[runtime], "flows/signing.ts"), env(transport, extra))

const expectedRuntime: Record<Runtime, string> = {
  node22: `node ${versions.node22}`,
  node24: `node ${versions.node24}`,
  bun: `bun ${versions.bun}`,
  deno: `deno ${versions.deno}`,
}

// What CI proves works: the README's runtime table lists exactly these.
const working: ReadonlyArray<readonly [Runtime, string]> = [
  ["node22", "node-tls"],
  ["node22", "fetch-undici"],
  ["node24", "node-tls"],
  ["node24", "fetch-undici"],
  ["bun", "fetch-bun"],
  ["deno", "node-tls"],
  ["deno", "fetch-undici"],
]

describe.each(working)("%s with %s", (runtime, transport) => {
  it("runs the direct flow and a portal job: create, sign, status, PAdES, confirm", async () => {
    const outcome = await runFlow(runtime, transport)
    expect(outcome.ok, outcome.output).toBe(true)
    if (!outcome.ok) return
    expect(outcome.result).toMatchObject({
      runtime: expectedRuntime[runtime],
      transport,
      direct: {
        exitUrlBase: "https://sender.example/done",
        status: "COMPLETED_SUCCESSFULLY",
        signerStatuses: ["SIGNED"],
        padesHead: "%PDF-",
        confirmed: true,
      },
      portal: { signatures: ["SIGNED"], padesHead: "%PDF-", confirmed: true },
    })
    const result = outcome.result as { direct: { padesBytes: number }; portal: { statuses: Array<string> } }
    expect(result.direct.padesBytes).toBeGreaterThan(1000)
    expect(result.portal.statuses.at(-1)).toBe("COMPLETED_SUCCESSFULLY")
  })

  it("refuses the server when it expects another organization number", async () => {
    const outcome = await runFlow(runtime, transport, { SIGNERING_SERVER_ORGANIZATION_NUMBER: "123456785" })
    expect(outcome.ok, outcome.output).toBe(false)
    if (outcome.ok) return
    expect(outcome.failure, outcome.output).toMatchObject({ tag: "TransportError", reason: "ServerIdentity" })
  })
})

describe.each(working)("%s with %s, trust anchors", (runtime, transport) => {
  it("refuses a server whose chain does not lead to the trust anchors", async () => {
    // Another CA of the simulator's: the server's chain must not verify, whatever the runtime's default roots.
    const otherCa = path.join(path.dirname(simulator.caFile), "eid-ca.pem")
    const outcome = await runFlow(runtime, transport, { SIGNERING_CA: otherCa })
    expect(outcome.ok, outcome.output).toBe(false)
    if (outcome.ok) return
    expect(outcome.failure, outcome.output).toMatchObject({ tag: "TransportError", reason: "TlsHandshake" })
  })
})

describe("transports that cannot check the organization number refuse to start", () => {
  it("deno: FetchTransport.deno fails with ServerIdentityUnsupported before any request", async () => {
    const outcome = await runFlow("deno", "fetch-deno")
    expect(outcome.ok, outcome.output).toBe(false)
    if (outcome.ok) return
    expect(outcome.failure).toMatchObject({
      runtime: expectedRuntime.deno,
      tag: "TransportConfigError",
      reason: "ServerIdentityUnsupported",
      field: "runtime",
    })
  })

  it("bun: NodeTlsTransport fails with UnsupportedRuntime (Bun's built-in undici ignores the TLS options)", async () => {
    const outcome = await runFlow("bun", "node-tls")
    expect(outcome.ok, outcome.output).toBe(false)
    if (outcome.ok) return
    expect(outcome.failure).toMatchObject({
      runtime: expectedRuntime.bun,
      tag: "TransportConfigError",
      reason: "UnsupportedRuntime",
      field: "runtime",
    })
  })

  it("node 24: FetchTransport.bun outside Bun fails with UnsupportedRuntime", async () => {
    const outcome = await runFlow("node24", "fetch-bun")
    expect(outcome.ok, outcome.output).toBe(false)
    if (outcome.ok) return
    expect(outcome.failure).toMatchObject({ tag: "TransportConfigError", reason: "UnsupportedRuntime" })
  })
})
