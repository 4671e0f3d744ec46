/**
 * The signing flows, run by each runtime under test (Node 22/24, Bun, Deno) against the simulator in its own
 * process. Prints one `RESULT {json}` line; any failure prints `FAILURE {json}` and exits 1. Only erasable
 * TypeScript, so Node runs it by type stripping; the packages come from their built `dist`, the published form.
 *
 * - Direct flow: create (the client builds and signs the bundle), sign in the simulator's portal with its
 *   headless signer (plain HTTP, as a browser), status by the exit URL's token, PAdES download, confirm.
 * - Portal flow (when SIGNERING_PORTAL_URL is set): create a portal job on a queue of its own, the signer logs in
 *   to the simulated portal and signs, poll the queue until the job is final (confirming every change), download
 *   the PAdES.
 *
 * Input (environment): SIGNERING_TRANSPORT (node-tls | fetch-undici | fetch-bun | fetch-deno), SIGNERING_API_ROOT,
 * SIGNERING_CA (PEM file), SIGNERING_PKCS12 and SIGNERING_PKCS12_PASSPHRASE (files), SIGNERING_SENDER,
 * SIGNERING_PORTAL_URL, and optionally SIGNERING_SERVER_ORGANIZATION_NUMBER (default: the simulator's, 984661185).
 */
import { readFileSync } from "node:fs"
import { DirectClient, Environment, PortalClient } from "@signering/client"
import { DirectJob, Keystore } from "@signering/protocol"
import { Duration, Effect, Layer } from "effect"
import * as HeadlessSigner from "../../../packages/simulator/src/HeadlessSigner.ts"
import { minimalPdf } from "./pdf.ts"
import { runtimeName, transportLayer } from "./transports.ts"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set`)
  return value
}

const exitUrls = {
  completionUrl: "https://sender.example/done",
  rejectionUrl: "https://sender.example/rejected",
  errorUrl: "https://sender.example/error",
}

const direct = Effect.gen(function* () {
  const client = yield* DirectClient.DirectClient
  const job = yield* client.create({
    title: `Signed from ${runtimeName()}`,
    documents: [{ title: "Contract", bytes: minimalPdf() }],
    signers: [{ customIdentifier: "runtime-signer" }],
    exitUrls,
  })
  const exitUrl = yield* Effect.promise(() => HeadlessSigner.ceremony(job.signers[0]!.redirectUrl!, "Sign"))
  const token = new URL(exitUrl).searchParams.get("status_query_token")
  if (token === null) return yield* Effect.die(new Error("no status_query_token in the exit URL"))
  const status = yield* client.getStatus(job.statusUrl!, token)
  const pades = yield* client.getPadesBytes(status.padesUrl!)
  yield* client.confirm(status)
  return {
    signatureJobId: String(job.signatureJobId),
    exitUrlBase: exitUrl.split("?")[0],
    status: status.status,
    signerStatuses: status.signers.map((s) => s.status),
    padesBytes: pades.length,
    padesHead: new TextDecoder().decode(pades.subarray(0, 5)),
    confirmed: true,
  }
})

// A synthetic national identity number with valid check digits (the library refuses any other).
const pin = ["010170123", "010170124", "010170125", "010170126"]
  .map((nine) => DirectJob.completePersonalIdentificationNumber(nine))
  .find((p) => p !== undefined)!

const portal = (portalUrl: string, pollingQueue: string) =>
  Effect.gen(function* () {
    const client = yield* PortalClient.PortalClient
    const sender = { organizationNumber: env("SIGNERING_SENDER"), pollingQueue }
    const job = yield* client.create({
      sender,
      title: `Portal job from ${runtimeName()}`,
      documents: [{ title: "Contract", bytes: minimalPdf() }],
      signers: [{ personalIdentificationNumber: pin, notifications: { email: "kari@example.com" } }],
    })
    const jobId = String(job.signatureJobId)
    yield* Effect.promise(() =>
      HeadlessSigner.portalAsPerson({ portalUrl, personalIdentificationNumber: pin, jobId }, "Sign"),
    )
    const seen: Array<string> = []
    for (let polls = 0; polls < 40; polls++) {
      const change = yield* client.getStatusChange(sender)
      if (change._tag === "NoChanges") {
        yield* Effect.sleep(Duration.millis(Math.max(0, change.nextPermittedPollTime.getTime() - Date.now()) + 50))
        continue
      }
      yield* client.confirm(change.status)
      if (String(change.status.signatureJobId) !== jobId) continue
      seen.push(change.status.status)
      if (change.status.status === "IN_PROGRESS") continue
      const pades =
        change.status.padesUrl === undefined ? undefined : yield* client.getPadesBytes(change.status.padesUrl)
      return {
        signatureJobId: jobId,
        statuses: seen,
        signatures: change.status.signatures.map((s) => s.status),
        padesHead: pades === undefined ? undefined : new TextDecoder().decode(pades.subarray(0, 5)),
        confirmed: true,
      }
    }
    return yield* Effect.die(new Error(`portal job ${jobId} not final after 40 polls (seen: ${seen.join(", ")})`))
  })

const main = Effect.gen(function* () {
  const transport = env("SIGNERING_TRANSPORT")
  const keystore = yield* Keystore.fromPkcs12Effect(
    readFileSync(env("SIGNERING_PKCS12")),
    readFileSync(env("SIGNERING_PKCS12_PASSPHRASE"), "utf8").trim(),
  )
  const environment = Environment.custom({
    apiRoot: env("SIGNERING_API_ROOT"),
    trustAnchors: [readFileSync(env("SIGNERING_CA"), "utf8")],
    // Set to another number, the run must fail: proves the runtime checks the server's organization number.
    serverOrganizationNumber: process.env["SIGNERING_SERVER_ORGANIZATION_NUMBER"],
  })
  const options = { environment, keystore, sender: { organizationNumber: env("SIGNERING_SENDER") } }
  const Clients = Layer.mergeAll(DirectClient.layer(options), PortalClient.layer(options)).pipe(
    Layer.provide(transportLayer(transport, { keystore, environment })),
  )
  const portalUrl = process.env["SIGNERING_PORTAL_URL"]
  return yield* Effect.gen(function* () {
    const directResult = yield* direct
    const portalResult =
      portalUrl === undefined
        ? undefined
        : yield* portal(portalUrl, `rt-${runtimeName().replace(/\W+/g, "-")}-${transport}`.slice(0, 50))
    return { runtime: runtimeName(), transport, direct: directResult, portal: portalResult }
  }).pipe(Effect.provide(Clients))
})

Effect.runPromise(main).then(
  (result) => {
    console.log(`RESULT ${JSON.stringify(result)}`)
    process.exit(0)
  },
  (error: unknown) => {
    const e = error as { _tag?: string; reason?: string; field?: string; message?: string }
    console.log(
      `FAILURE ${JSON.stringify({ runtime: runtimeName(), tag: e?._tag, reason: e?.reason, field: e?.field, message: e?.message ?? String(error) })}`,
    )
    process.exit(1)
  },
)
