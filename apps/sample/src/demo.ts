/**
 * The demo: starts the signering simulator (mutual-TLS API + signing portal) and the sample portal, configured
 * exactly as for the real service (API root, keystore file, trust anchors, server organization number), and prints
 * the URL to open. `--headless` runs the whole flow once with a cookie-carrying HTTP client instead and exits
 * 0 on success.
 *
 *   pnpm demo                 # open the printed URL; Ctrl-C stops
 *   pnpm demo --headless      # smoke test: direct flow (login, sign, status, PAdES, confirm), then the portal flow
 *   pnpm demo --port 4000     # the portal's port (default 3000; 0 = any free port)
 */
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { parseArgs } from "node:util"
import { Simulator } from "@signering/simulator"
import * as Config from "./Config.js"
import * as DirectSigning from "./DirectSigning.js"
import * as Headless from "./Headless.js"
import { pdfMentions } from "./PdfText.js"
import * as PortalSigning from "./PortalSigning.js"
import * as Server from "./Server.js"

const { values } = parseArgs({
  options: {
    headless: { type: "boolean", default: false },
    port: { type: "string" },
    database: { type: "string" },
    "poll-delay-ms": { type: "string", default: "2000" },
  },
})

const say = (line: string) => console.log(line)

const main = async (): Promise<number> => {
  const started = Date.now()
  const headless = values.headless === true
  const scratch = headless ? await mkdtemp(join(tmpdir(), "signering-demo-")) : undefined
  const dataDir = scratch ?? dirname(Config.defaultDatabasePath)
  say("Starting the signering simulator (mutual-TLS API and signing portal)…")
  const simulator = await Simulator.start({ emptyQueuePollDelayMs: Number(values["poll-delay-ms"]) })
  let server: Server.RunningServer | undefined
  try {
    // The simulator's sender certificate and CA go to files, so the app is configured exactly as it would be with
    // a real enterprise certificate: a PKCS#12 file, its passphrase, and trust anchor files.
    const files = await simulator.pki.writeTo(join(dataDir, "simulator-pki"))
    const sender = simulator.pki.senders[0]!
    const org = sender.organizationNumber
    const passphrase = (await readFile(files[`sender.${org}.pkcs12Passphrase`]!, "utf8")).trim()
    const env = {
      SIGNERING_ENVIRONMENT: "custom",
      SIGNERING_API_ROOT: simulator.url,
      SIGNERING_SERVER_ORGANIZATION_NUMBER: simulator.pki.server.organizationNumber,
      SIGNERING_KEYSTORE: files[`sender.${org}.pkcs12`]!,
      SIGNERING_KEYSTORE_PASSPHRASE: passphrase,
      SIGNERING_TRUST_ANCHORS: files.caCertificate!,
      SAMPLE_PORT: values.port ?? (headless ? "0" : "3000"),
      SAMPLE_DATABASE: values.database ?? join(dataDir, "sample.db"),
      // The sender desk's own login; a demo default, printed below. Set your own for anything but a demo.
      SAMPLE_DESK_USER: Config.defaultDeskUser,
      SAMPLE_DESK_PASSWORD: "demo-desk-password",
    }
    const config = Config.fromEnv(env)
    say(`  API root        ${simulator.url}`)
    say(`  signing portal  ${simulator.portalUrl}`)
    say("The sample portal's configuration (what you would set for the real service):")
    for (const [k, v] of Object.entries(env)) {
      if (k === "SAMPLE_DESK_PASSWORD") continue
      say(`  ${k}=${k.includes("PASSPHRASE") ? "********" : v}`)
    }
    say(`Sender desk login (demo default): user "${env.SAMPLE_DESK_USER}", password "${env.SAMPLE_DESK_PASSWORD}"`)

    const signing = await DirectSigning.make({ config: config.signing })
    const portal = await PortalSigning.make({ config: config.signing })
    server = await Server.start({
      host: config.host,
      port: config.port,
      databasePath: config.databasePath,
      signing,
      portal,
      desk: config.desk,
      log: headless ? () => {} : say,
    })

    if (!headless) {
      say("")
      say(`Open ${server.url} in your browser. Ctrl-C stops the demo.`)
      say(`  portal desk (portal flow, desk login above)  ${server.url}/portal-desk`)
      say(`  the signers' e-mails (the simulator's outbox)  ${simulator.portalUrl}/portal/outbox`)
      say("")
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve())
        process.once("SIGTERM", () => resolve())
      })
      say("Stopping…")
      return 0
    }

    say(`Sample portal at ${server.url}; running the signing flow headless:`)
    const result = await Headless.run({ appUrl: server.url, report: say, timeoutMs: 60_000 })
    const pdf = result.signedPdf
    if (pdf === undefined) throw new Headless.FlowError("No signed PDF")
    const customer = server.store.jobs({ limit: 1 })[0]?.signers[0]
    if (customer === undefined || !pdfMentions(pdf, customer.pin))
      throw new Headless.FlowError("The signed PDF's cover page does not name the signer")
    say("7. The signed PDF's cover page names the signer")

    say("The portal flow, headless:")
    await portalFlow(server, simulator, env.SAMPLE_DESK_PASSWORD)
    say(
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: signed, stored, confirmed, downloaded (direct and portal).`,
    )
    return 0
  } finally {
    await server?.close()
    await simulator.close()
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
  }
}

/**
 * The portal desk without a browser: the sender sends a contract to two signers in order; each opens the link in
 * their e-mail (the simulator's outbox), logs in to the signing portal and signs; the app's portal worker stores
 * each change, the signed PDF at the end.
 */
const portalFlow = async (server: Server.RunningServer, simulator: Simulator.Instance, deskPassword: string) => {
  const signal = AbortSignal.timeout(60_000)
  const confirmations = simulator.counters().confirmations
  const sender = new Headless.Browser({ signal })
  let page = await sender.request(new URL("/desk/login", server.url))
  page = await sender.submit(page, "Log in to the desk", { user: Config.defaultDeskUser, password: deskPassword })
  page = await sender.request(new URL("/portal-desk", server.url))
  say("8. Portal desk: send the contract to two signers, in order")
  await sender.submit(page, "Send for signing")
  const job = server.store.jobs({ flow: "PORTAL", limit: 1 })[0]
  if (job?.signatureJobId === undefined)
    throw new Headless.FlowError(`The portal job was not created: ${job?.lastError}`)
  for (const signer of job.signers) {
    const mail = simulator
      .outbox({ jobId: job.signatureJobId, signer: signer.pin })
      .find((n) => n.kind === "invitation" && n.link !== undefined)
    if (mail === undefined) throw new Headless.FlowError(`No e-mail for signer ${signer.position}`)
    say(
      `${8 + signer.position}. Signer ${signer.position} gets an e-mail at ${mail.to}, logs in to the portal and signs`,
    )
    const b = new Headless.Browser({ signal })
    page = await b.request(new URL(mail.link!))
    page = await b.submit(page, "Log in", { pin: signer.pin })
    page = await b.request(new URL(`/portal/jobs/${job.signatureJobId}`, mail.link!))
    page = await b.submit(page, "Sign")
    if (!page.text.includes('data-status="SIGNED"'))
      throw new Headless.FlowError("The portal did not take the signature")
  }
  for (;;) {
    const now = server.store.job(job.id)
    const confirmed = simulator.counters().confirmations - confirmations
    if (now?.status === "COMPLETED_SUCCESSFULLY" && now.hasSignedDocument && confirmed >= 2) break
    if (signal.aborted) throw new Headless.FlowError(`The portal job stayed ${now?.status}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  say("11. The app's portal worker stored both signatures and the signed PDF, then confirmed each change")
}

const deadline = values.headless
  ? setTimeout(() => {
      console.error("Headless demo: gave up after 120 s")
      process.exit(2)
    }, 120_000)
  : undefined
deadline?.unref()

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
    if ((error as { code?: unknown }).code === "EADDRINUSE")
      console.error("The port is taken: pass another one, e.g. --port 4000 (or --port 0 for any free port).")
    process.exit(1)
  },
)
