/**
 * The direct flow, run by each runtime under test (Node 22/24, Bun, Deno) against the simulator in its own
 * process: create (the client builds and signs the bundle), sign in the simulator's portal over plain HTTP the
 * way a browser would, status by the exit URL's token, PAdES download, confirm. Prints one `RESULT {json}` line;
 * any failure prints `FAILURE {json}` and exits 1. Only erasable TypeScript, so Node runs it by type stripping;
 * the packages come from their built `dist`, the published form.
 *
 * Input (environment): SIGNERING_TRANSPORT (node-tls | fetch-undici | fetch-bun | fetch-deno), SIGNERING_API_ROOT,
 * SIGNERING_CA (PEM file), SIGNERING_PKCS12 and SIGNERING_PKCS12_PASSPHRASE (files), SIGNERING_SENDER, and optionally
 * SIGNERING_SERVER_ORGANIZATION_NUMBER (default: the simulator's, 984661185).
 */
import { readFileSync } from "node:fs"
import { DirectClient, Environment } from "@signering/client"
import { Keystore } from "@signering/protocol"
import { Effect, Layer } from "effect"
import { minimalPdf } from "./pdf.ts"
import { signInPortal } from "./portal.ts"
import { runtimeName, transportLayer } from "./transports.ts"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set`)
  return value
}

const main = Effect.gen(function* () {
  const transport = env("SIGNERING_TRANSPORT")
  const sender = env("SIGNERING_SENDER")
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
  const Client = DirectClient.layer({ environment, keystore, sender: { organizationNumber: sender } }).pipe(
    Layer.provide(transportLayer(transport, { keystore, environment })),
  )
  return yield* Effect.gen(function* () {
    const client = yield* DirectClient.DirectClient
    const job = yield* client.create({
      title: `Signed from ${runtimeName()}`,
      reference: `runtime-${transport}`,
      documents: [{ title: "Contract", bytes: minimalPdf() }],
      signers: [{ customIdentifier: "runtime-signer" }],
      exitUrls: {
        completionUrl: "https://sender.example/done",
        rejectionUrl: "https://sender.example/rejected",
        errorUrl: "https://sender.example/error",
      },
    })
    const exitUrl = yield* Effect.promise(() => signInPortal(job.signers[0]!.redirectUrl!))
    const token = new URL(exitUrl).searchParams.get("status_query_token")
    if (token === null) return yield* Effect.die(new Error(`no status_query_token in the exit URL ${exitUrl}`))
    const status = yield* client.getStatus(job.statusUrl!, token)
    const pades = yield* client.getPadesBytes(status.padesUrl!)
    yield* client.confirm(status)
    return {
      runtime: runtimeName(),
      transport,
      signatureJobId: String(job.signatureJobId),
      exitUrlBase: exitUrl.split("?")[0],
      status: status.status,
      signerStatuses: status.signers.map((s) => s.status),
      padesBytes: pades.length,
      padesHead: new TextDecoder().decode(pades.subarray(0, 5)),
      confirmed: true,
    }
  }).pipe(Effect.provide(Client))
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
