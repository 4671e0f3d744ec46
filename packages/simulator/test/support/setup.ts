/**
 * A running simulator with mutual-TLS agents for its senders and helpers for the common steps of a test.
 */
import * as Pki from "../../src/Pki.js"
import * as Simulator from "../../src/Simulator.js"
import { type BuiltRequest, buildRequest, type RequestSpec } from "./bundle.js"
import { agentFor, attr, call, type Reply, xmlAll, xmlText } from "./client.js"

export const BROKER = "974760673"

let sharedPki: Promise<Pki.Pki> | undefined
/** One PKI per test file (key generation is the slow part of starting a simulator). */
export const pki = () => {
  sharedPki ??= Pki.make()
  return sharedPki
}

export interface Harness {
  readonly sim: Simulator.Instance
  readonly orgA: string
  readonly orgB: string
  readonly a: ReturnType<typeof agentFor>
  readonly b: ReturnType<typeof agentFor>
  readonly spec: (overrides?: Partial<RequestSpec>) => RequestSpec
  readonly create: (overrides?: Partial<RequestSpec>, org?: string) => Promise<Created>
  readonly post: (org: string, request: BuiltRequest, agent?: ReturnType<typeof agentFor>) => Promise<Reply>
  readonly close: () => Promise<void>
}

export interface Created {
  readonly reply: Reply
  readonly jobId: string
  readonly statusUrl: string
  readonly signers: ReadonlyArray<{ readonly value: string; readonly href: string; readonly redirectUrl: string }>
}

export const parseCreated = (reply: Reply): Created => ({
  reply,
  jobId: xmlText(reply.text, "signature-job-id") ?? "",
  statusUrl: xmlText(reply.text, "status-url") ?? "",
  signers: [
    ...reply.text.matchAll(
      /<signer href="([^"]*)"><([\w-]+)>([^<]*)<\/\2><redirect-url>([^<]*)<\/redirect-url><\/signer>/g,
    ),
  ].map((m) => ({ href: m[1]!.replace(/&amp;/g, "&"), value: m[3]!, redirectUrl: m[4]!.replace(/&amp;/g, "&") })),
})

export const start = async (options: Simulator.Options = {}): Promise<Harness> => {
  const shared = await pki()
  const sim = await Simulator.start({
    pki: shared,
    brokers: { [BROKER]: [shared.senders[0]!.organizationNumber] },
    ...options,
  })
  const [senderA, senderB] = [shared.senders[0]!, shared.senders[1]!]
  const a = agentFor(senderA, shared.caCertificatePem)
  const b = agentFor(senderB, shared.caCertificatePem)
  const spec = (overrides: Partial<RequestSpec> = {}): RequestSpec => ({
    organizationNumber: senderA.organizationNumber,
    certificateChainPem: senderA.chainPem,
    privateKeyPem: senderA.privateKeyPem,
    signingTime: new Date(sim.clock.now()),
    ...overrides,
  })
  const post = (org: string, request: BuiltRequest, agent = a) =>
    call(agent, "POST", `${sim.url}/${org}/direct/signature-jobs`, {
      body: request.body,
      headers: { "content-type": request.contentType },
    })
  return {
    sim,
    orgA: senderA.organizationNumber,
    orgB: senderB.organizationNumber,
    a,
    b,
    spec,
    post,
    create: async (overrides = {}, org = senderA.organizationNumber) => {
      const reply = await post(org, buildRequest(spec(overrides)))
      if (reply.status !== 200) throw new Error(`create failed: ${reply.status} ${reply.text}`)
      return parseCreated(reply)
    },
    close: async () => {
      await Promise.all([a.close(), b.close()])
      await sim.close()
    },
  }
}

export const statusOf = (xml: string) => ({
  job: xmlText(xml, "signature-job-status"),
  signers: xmlAll(xml, "status").map((s) => ({
    signer: attr(s.attrs, "signer"),
    since: attr(s.attrs, "since"),
    status: s.text,
  })),
  confirmationUrl: xmlText(xml, "confirmation-url"),
  deleteDocumentsUrl: xmlText(xml, "delete-documents-url"),
  xadesUrls: xmlAll(xml, "xades-url").map((x) => ({ signer: attr(x.attrs, "signer"), url: x.text })),
  padesUrl: xmlText(xml, "pades-url"),
})

export const tokenOf = (exitUrl: string) => new URL(exitUrl).searchParams.get("status_query_token") ?? ""
