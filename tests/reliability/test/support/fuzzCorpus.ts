/**
 * The fuzz corpus: real responses as the simulator sent them over mutual TLS (job, signer and status responses,
 * error bodies), from jobs of both status retrieval methods. The redirect and status query tokens met on the way are
 * registered as secrets, so the suite's scan looks for them in every decode error.
 */
import { DirectJob, DirectXml, DocumentBundle } from "@signering/protocol"
import { Effect, Redacted } from "effect"
import { Agent, request } from "undici"
import { expect } from "vitest"
import { secret } from "./secrets.js"
import { ORG, pdf, pins, startWorld, type World } from "./world.js"

export interface CorpusEntry {
  readonly message: string
  readonly xml: string
}

/** Starts a world (close it when done) and captures the corpus from its simulator. */
export const captureCorpus = async (): Promise<{
  readonly world: World
  readonly corpus: ReadonlyArray<CorpusEntry>
}> => {
  const world = await startWorld({ simulator: { emptyQueuePollDelayMs: 100 } })
  const corpus: Array<CorpusEntry> = []
  try {
    const { sim } = world
    const sender = sim.pki.sender(ORG)
    const agent = new Agent({
      connect: {
        key: sender.privateKeyPem,
        cert: sender.chainPem,
        ca: sim.pki.caCertificatePem,
        checkServerIdentity: () => undefined,
      },
    })
    const call = async (method: "GET" | "POST", url: string, body?: Uint8Array, contentType?: string) => {
      const res = await request(url, {
        method,
        dispatcher: agent,
        headers: { accept: "application/xml", ...(contentType === undefined ? {} : { "content-type": contentType }) },
        ...(body === undefined ? {} : { body }),
      })
      return { status: res.statusCode, text: await res.body.text() }
    }
    const signers = pins(3, 9_000)
    const create = async (method: "WAIT_FOR_CALLBACK" | "POLLING", count: number) => {
      const job = DirectJob.makeOrThrow({
        title: "Fuzz corpus",
        description: "Captured responses",
        reference: `fuzz-${method}-${count}`,
        sender: method === "POLLING" ? { organizationNumber: ORG, pollingQueue: "fuzz" } : { organizationNumber: ORG },
        documents: [{ title: "Contract", bytes: pdf() }],
        signers: [
          ...signers.slice(0, count - 1).map((pin) => ({ personalIdentificationNumber: Redacted.make(pin) })),
          { customIdentifier: "customer-1" },
        ],
        exitUrls: {
          completionUrl: "https://sender.example/done?x=1",
          rejectionUrl: "https://sender.example/rejected",
          errorUrl: "https://sender.example/error",
        },
        statusRetrievalMethod: method,
      })
      const bundle = await Effect.runPromise(DocumentBundle.make(job, world.keystore))
      const boundary = "fuzz-boundary-0123456789"
      const enc = new TextEncoder()
      const body = Buffer.concat([
        enc.encode(`--${boundary}\r\nContent-Type: application/xml\r\n\r\n${DirectXml.encodeJobRequest(job)}`),
        enc.encode(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`),
        bundle.bytes,
        enc.encode(`\r\n--${boundary}--\r\n`),
      ])
      const res = await call(
        "POST",
        `${sim.url}/${ORG}/direct/signature-jobs`,
        body,
        `multipart/mixed; boundary=${boundary}`,
      )
      expect(res.status).toBe(200)
      corpus.push({ message: "job-response", xml: res.text })
      const decoded = DirectXml.decodeJobResponse(res.text)
      if (decoded._tag !== "Success") throw new Error("the simulator's job response does not decode")
      return { decoded: decoded.success, job }
    }
    for (const [method, count] of [
      ["WAIT_FOR_CALLBACK", 1],
      ["WAIT_FOR_CALLBACK", 3],
      ["POLLING", 2],
    ] as const) {
      const { decoded } = await create(method, count)
      for (const s of decoded.signers) secret("redirect URL token", new URL(s.redirectUrl).pathname.split("/").pop()!)
      const updated = await call("POST", decoded.signers[0]!.href)
      corpus.push({ message: "signer-response", xml: updated.text })
      const wrong = await call("GET", `${decoded.statusUrl}?status_query_token=${"0".repeat(64)}`)
      corpus.push({ message: "error", xml: wrong.text })
      const who = count === 1 ? "customer-1" : signers[0]!
      const exit = await sim.sign(decoded.signatureJobId, who)
      const token = new URL(exit).searchParams.get("status_query_token")!
      secret("status query token", token)
      const partial = await call("GET", `${decoded.statusUrl}?status_query_token=${token}`)
      corpus.push({ message: "status-response", xml: partial.text })
      if (count > 1) {
        await sim.reject(decoded.signatureJobId, "customer-1")
        const final = await call("GET", `${decoded.statusUrl}?status_query_token=${token}`)
        corpus.push({ message: "status-response", xml: final.text })
      }
    }
    const polled = await call("GET", `${sim.url}/${ORG}/direct/signature-jobs?polling_queue=fuzz`)
    if (polled.status === 200) corpus.push({ message: "status-response", xml: polled.text })
    await agent.close()
  } catch (error) {
    // A corpus that could not be captured must not leave its simulator running.
    await world.close()
    throw error
  }
  return { world, corpus }
}
