/**
 * `signering-simulator`: runs the simulator until interrupted and writes the client credentials to a directory.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { parseArgs } from "node:util"
import * as Pki from "./Pki.js"
import * as Simulator from "./Simulator.js"

const usage = `Usage: signering-simulator [options]

A local Posten signering service: the direct-flow API over mutual TLS and the signing portal pages.

Options:
  --host <address>            interface to listen on (default 127.0.0.1)
  --port <n>                  API port, mutual TLS (default 0 = any free port)
  --portal-port <n>           signing portal port, plain HTTP (default 0)
  --dir <path>                where to write the CA, sender certificates, keys and PKCS#12 files
                              (default ./.signering-simulator; keep it out of version control)
  --org <orgnr>               a sender organization with API access; repeat for more
                              (default ${Pki.defaultOrganizations.map((o) => o.organizationNumber).join(", ")})
  --broker <broker>=<org,...> let a broker organization act for others; repeat for more
  --empty-queue-delay <ms>    next permitted poll after an empty queue (default 10000; production 600000)
  --requeue-delay <ms>        unconfirmed polled changes come back after this (default 600000)
  --delete-delay <ms>         documents become deletable this long after the last signature (default 86400000)
  --rate-limit                enforce 10 requests/s per organization (429 + DoSFilter, 30 s block)
  --long-term-storage <orgnr> archive this organization's signed documents; repeat for more
  --confirmation-model <m>    settles-job (default: a confirmation settles every delivered change of the job)
                              or settles-change (only the change whose confirmation URL was used)
  --accept-spent-tokens       keep status query tokens working after the final status was confirmed
  --quiet                     do not print a line per request
  -h, --help                  show this help
`

const fail = (message: string): never => {
  process.stderr.write(`signering-simulator: ${message}\n\n${usage}`)
  process.exit(2)
}

const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number ≥ 0, got "${value}"`)
  return n
}

const main = async () => {
  let parsed: ReturnType<typeof parse>
  const parse = () =>
    parseArgs({
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "portal-port": { type: "string" },
        dir: { type: "string" },
        org: { type: "string", multiple: true },
        broker: { type: "string", multiple: true },
        "empty-queue-delay": { type: "string" },
        "requeue-delay": { type: "string" },
        "delete-delay": { type: "string" },
        "rate-limit": { type: "boolean" },
        "long-term-storage": { type: "string", multiple: true },
        "confirmation-model": { type: "string" },
        "accept-spent-tokens": { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    })
  try {
    parsed = parse()
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
  const v = parsed.values
  if (v.help) {
    process.stdout.write(usage)
    return
  }
  for (const org of v.org ?? [])
    if (!/^[0-9]{9}$/.test(org)) fail(`--org must be a 9-digit organization number, got "${org}"`)
  for (const org of v["long-term-storage"] ?? [])
    if (!/^[0-9]{9}$/.test(org)) fail(`--long-term-storage must be a 9-digit organization number, got "${org}"`)
  const model = v["confirmation-model"]
  if (model !== undefined && model !== "settles-job" && model !== "settles-change")
    fail(`--confirmation-model must be settles-job or settles-change, got "${model}"`)
  const brokers: Record<string, Array<string>> = {}
  for (const spec of v.broker ?? []) {
    const match = /^([0-9]{9})=([0-9]{9}(?:,[0-9]{9})*)$/.exec(spec)
    if (match === null) fail(`--broker must look like 123456789=987654321,111222333, got "${spec}"`)
    else brokers[match[1]!] = match[2]!.split(",")
  }
  const named = v.org ?? Pki.defaultOrganizations.map((o) => o.organizationNumber)
  // Without --org, the default senders keep their subject styles and PKCS#12 encryptions (one legacy RC2-40).
  const organizations = [...new Set([...named, ...Object.keys(brokers)])].map(
    (organizationNumber) =>
      Pki.defaultOrganizations.find((o) => v.org === undefined && o.organizationNumber === organizationNumber) ?? {
        organizationNumber,
      },
  )
  // Under `pnpm --filter … start` the process runs in the package; INIT_CWD is where the user typed the command.
  const dir = path.resolve(process.env["INIT_CWD"] ?? process.cwd(), v.dir ?? ".signering-simulator")

  const pki = await Pki.make({ organizations })
  const sim = await Simulator.start({
    pki,
    organizations,
    brokers,
    host: v.host,
    port: integer("port", v.port),
    portalPort: integer("portal-port", v["portal-port"]),
    emptyQueuePollDelayMs: integer("empty-queue-delay", v["empty-queue-delay"]),
    unconfirmedRequeueDelayMs: integer("requeue-delay", v["requeue-delay"]),
    deleteDocumentsDelayMs: integer("delete-delay", v["delete-delay"]),
    rateLimit: v["rate-limit"] === true,
    longTermStorage: v["long-term-storage"],
    confirmationModel: model as Simulator.ConfirmationModel | undefined,
    statusQueryTokensAfterConfirmation: v["accept-spent-tokens"] === true ? "accepted" : "refused",
    onRequest: v.quiet
      ? undefined
      : (e) =>
          process.stdout.write(
            `${e.at.toISOString()} ${e.listener.padEnd(6)} ${e.method.padEnd(6)} ${e.status} ${e.path} ${e.durationMs}ms${e.flags.length > 0 ? ` [${e.flags.join(", ")}]` : ""}\n`,
          ),
  })
  const files = await pki.writeTo(dir)

  const lines = [
    "Signering simulator is running.",
    "",
    `  API root (mutual TLS): ${sim.url}`,
    `  Signing portal:        ${sim.portalUrl}`,
    `  Outbox (e-mail, SMS):  ${sim.portalUrl}/portal/outbox`,
    `  Server certificate:    organization ${pki.server.organizationNumber}, not issued for a host name`,
    "",
    `  Trust this CA:         ${files["caCertificate"]}`,
  ]
  for (const s of pki.senders) {
    const org = s.organizationNumber
    lines.push(
      "",
      `  Sender ${org} (${s.subjectStyle}):`,
      `    PKCS#12:             ${files[`sender.${org}.pkcs12`]} (${s.pkcs12Encryption})`,
      `    PKCS#12 passphrase:  ${files[`sender.${org}.pkcs12Passphrase`]}`,
      `    certificate chain:   ${files[`sender.${org}.chain`]}`,
      `    private key:         ${files[`sender.${org}.privateKey`]}`,
      `    whoami:              curl --insecure --cert ${files[`sender.${org}.chain`]} --key ${files[`sender.${org}.privateKey`]} ${sim.url}/${org}`,
    )
  }
  lines.push("", "Press Ctrl+C to stop.", "")
  process.stdout.write(lines.join("\n"))

  const stop = () => {
    void sim.close().then(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`signering-simulator: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
