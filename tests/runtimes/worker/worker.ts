/**
 * A module worker for workerd (the Cloudflare Workers runtime) that uses `@signering/protocol` the way an edge
 * deployment can: no mutual TLS, no I/O of its own, only the pure protocol. POST a JSON body with a keystore in
 * PEM, a job and a server answer; it loads the keystore, validates the job (and a broken copy of it), encodes the
 * job request and manifest, builds and signs the ASiC-E bundle, and decodes the answer. Bundled with esbuild.
 */
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { Effect, Result } from "effect"

/** The request body. */
export interface WorkerInput {
  readonly certificateChainPem: string
  readonly privateKeyPem: string
  readonly job: {
    readonly sender: string
    readonly title: string
    readonly documentBase64: string
    readonly signer: string
  }
  readonly jobResponseXml: string
}

const bytesOf = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))

const base64Of = (bytes: Uint8Array): string => {
  let binary = ""
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

const jobInput = (input: WorkerInput["job"]): DirectJob.DirectJobInput => ({
  sender: { organizationNumber: input.sender },
  title: input.title,
  documents: [{ title: "Contract", bytes: bytesOf(input.documentBase64) }],
  signers: [{ customIdentifier: input.signer }],
  exitUrls: {
    completionUrl: "https://sender.example/done",
    rejectionUrl: "https://sender.example/rejected",
    errorUrl: "https://sender.example/error",
  },
})

const handle = async (input: WorkerInput) => {
  const keystore = Keystore.fromPem({ certificates: input.certificateChainPem, privateKey: input.privateKeyPem })
  if (Result.isFailure(keystore)) return { error: `keystore: ${keystore.failure.message}` }
  const valid = jobInput(input.job)
  const broken = DirectJob.make({ ...valid, title: "" })
  const job = DirectJob.makeOrThrow(valid)
  const bundle = await Effect.runPromise(DocumentBundle.make(job, keystore.success))
  const decoded = DirectXml.decodeJobResponse(input.jobResponseXml)
  return {
    runtime: navigator.userAgent,
    keystoreOrganization: keystore.success.organizationNumber,
    brokenJob: Result.isFailure(broken)
      ? { tag: broken.failure._tag, paths: broken.failure.issues.map((i) => i.path) }
      : "accepted",
    jobRequestXml: DirectXml.encodeJobRequest(job),
    manifestXml: DirectXml.encodeManifest(job),
    bundleBase64: base64Of(bundle.bytes),
    decodedJobResponse: Result.isSuccess(decoded)
      ? {
          signatureJobId: String(decoded.success.signatureJobId),
          signers: decoded.success.signers.length,
          statusUrl: decoded.success.statusUrl,
        }
      : { error: decoded.failure.message },
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("POST a WorkerInput", { status: 405 })
    try {
      return Response.json(await handle((await request.json()) as WorkerInput))
    } catch (error) {
      return Response.json(
        { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
        { status: 500 },
      )
    }
  },
}
