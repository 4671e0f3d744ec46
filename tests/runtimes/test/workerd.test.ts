/**
 * `@signering/protocol` in workerd (the Cloudflare Workers runtime), bundled from its built `dist`: the worker
 * loads a keystore from PEM, validates a job, encodes the job request, builds and signs the ASiC-E bundle and
 * decodes an official job response. The bundle is then checked by the project's own verifier: Node creates the
 * job with exactly that bundle at the simulator (in its own process) over mutual TLS, and the simulator's intake
 * accepts a job only when the bundle's XAdES signature, its certificate and every document digest verify.
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { DirectClient, Environment } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { Keystore } from "@signering/protocol"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { minimalPdf } from "../flows/pdf.js"
import * as Workerd from "../src/Workerd.js"
import type { WorkerInput } from "../worker/worker.js"

const binaries = inject("binaries")
const simulator = inject("simulator")
const sender = simulator.senders.find((s) => s.organizationNumber === "123456785") ?? simulator.senders[0]!

let worker: Workerd.Running
beforeAll(async () => {
  worker = await Workerd.start(binaries.workerd)
})
afterAll(() => worker?.stop())

const pdf = minimalPdf()
const jobResponseXml = readFileSync(
  path.resolve(import.meta.dirname, "../../../packages/protocol/test/fixtures/direct/job-response.spec.xml"),
  "utf8",
)

const input: WorkerInput = {
  certificateChainPem: readFileSync(sender.chainFile, "utf8"),
  privateKeyPem: readFileSync(sender.privateKeyFile, "utf8"),
  job: {
    sender: sender.organizationNumber,
    title: "Signed at the edge",
    documentBase64: Buffer.from(pdf).toString("base64"),
    signer: "edge-signer",
  },
  jobResponseXml,
}

const call = async (override: Partial<WorkerInput> = {}) => {
  const response = await fetch(worker.url, { method: "POST", body: JSON.stringify({ ...input, ...override }) })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe("@signering/protocol in workerd", () => {
  it("loads the keystore, validates, encodes, builds and signs the bundle, and decodes a response", async () => {
    const { status, body } = await call()
    expect(status, JSON.stringify(body)).toBe(200)
    expect(body["runtime"]).toBe("Cloudflare-Workers")
    expect(body["keystoreOrganization"]).toBe(sender.organizationNumber)
    expect(body["brokenJob"]).toEqual({ tag: "ValidationError", paths: ["title"] })
    expect(body["jobRequestXml"]).toContain("<completion-url>https://sender.example/done</completion-url>")
    expect(body["manifestXml"]).toContain("<title>Signed at the edge</title>")
    expect(body["manifestXml"]).toContain(`<organization-number>${sender.organizationNumber}</organization-number>`)
    expect(body["decodedJobResponse"]).toEqual({
      signatureJobId: "1",
      signers: 2,
      statusUrl: "https://api.signering.posten.no/api/123456789/direct/signature-jobs/1/status",
    })
    const bundle = Buffer.from(String(body["bundleBase64"]), "base64")
    expect(bundle.subarray(0, 4).toString("latin1")).toBe("PK\u0003\u0004")
    expect(bundle.toString("latin1")).toContain("META-INF/signatures.xml")
  })

  it("signs a bundle the simulator's verifier accepts: Node creates the job with it over mutual TLS", async () => {
    const { body } = await call()
    const created = await Effect.runPromise(createWithBundle(String(body["bundleBase64"])))
    expect(created.signatureJobId).toBeTypeOf("bigint")
    expect(created.signers).toHaveLength(1)
  })

  it("the verifier is real: a bundle the worker signed with another sender's certificate is refused", async () => {
    const other = simulator.senders.find((s) => s.organizationNumber !== sender.organizationNumber)!
    const { body } = await call({
      certificateChainPem: readFileSync(other.chainFile, "utf8"),
      privateKeyPem: readFileSync(other.privateKeyFile, "utf8"),
    })
    expect(body["keystoreOrganization"]).toBe(other.organizationNumber)
    const refused = await Effect.runPromise(Effect.flip(createWithBundle(String(body["bundleBase64"]))))
    expect(refused._tag).toBe("UnexpectedResponse")
    expect(refused.message).toContain("SIGNING_CERTIFICATE_MISMATCH")
    expect(JSON.stringify(refused)).not.toContain("PRIVATE KEY")
  })
})

const createWithBundle = (bundleBase64: string) => {
  const bundle = new Uint8Array(Buffer.from(bundleBase64, "base64"))
  const keystore = Keystore.fromPkcs12OrThrow(
    readFileSync(sender.pkcs12File),
    readFileSync(sender.passphraseFile, "utf8").trim(),
  )
  const environment = Environment.custom({
    apiRoot: simulator.apiRoot,
    trustAnchors: [readFileSync(simulator.caFile, "utf8")],
  })
  return Effect.gen(function* () {
    const client = yield* DirectClient.DirectClient
    return yield* client.create(
      {
        title: input.job.title,
        documents: [{ title: "Contract", bytes: pdf }],
        signers: [{ customIdentifier: input.job.signer }],
        exitUrls: {
          completionUrl: "https://sender.example/done",
          rejectionUrl: "https://sender.example/rejected",
          errorUrl: "https://sender.example/error",
        },
      },
      { bundle },
    )
  }).pipe(
    Effect.provide(
      DirectClient.layer({ environment, keystore, sender: { organizationNumber: sender.organizationNumber } }).pipe(
        Layer.provide(NodeTlsTransport.layer({ keystore, environment })),
      ),
    ),
  )
}
