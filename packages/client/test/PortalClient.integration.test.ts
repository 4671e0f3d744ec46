/**
 * The portal and archive clients against the simulator over mutual TLS: every operation, the typed refusals that
 * send nothing, and the archive after the final change is confirmed.
 */
import { type PortalResponse, ValidationError } from "@signering/protocol"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ArchiveClient from "../src/ArchiveClient.js"
import { DocumentsNotDeletable, JobCannotBeCancelled, NotCancellable, UnexpectedResponse } from "../src/ClientError.js"
import * as PortalClient from "../src/PortalClient.js"
import { type Harness, minimalPdf, ORG_A, ORG_B, PIN, start } from "./support/harness.js"

let h: Harness
let client: PortalClient.Service

beforeAll(async () => {
  h = await start({
    emptyQueuePollDelayMs: 1,
    signingTimeLeniencyMs: 30 * 24 * 60 * 60 * 1000,
    longTermStorage: [ORG_A],
  })
  client = await h.portal()
})
afterAll(() => h.close())

const input = (overrides: Partial<PortalClient.JobInput> = {}): PortalClient.JobInput => ({
  title: "Rental contract",
  nonsensitiveTitle: "Contract",
  reference: "portal-ref-1",
  documents: [{ title: "Contract", bytes: minimalPdf("Portal") }],
  signers: [
    { personalIdentificationNumber: PIN, notifications: { email: "kari@example.com" }, order: 0 },
    { contactInformation: { email: "ola@example.com" }, order: 1 },
  ],
  ...overrides,
})

/** Polls until a change for `jobId` arrives (confirming others' changes on the way), honouring the permitted time. */
const nextChange = async (jobId: bigint): Promise<PortalResponse.StatusChangeResponse> => {
  for (let i = 0; i < 50; i++) {
    const change = await h.run(client.getStatusChange())
    if (change._tag === "StatusChange") {
      if (change.status.signatureJobId === jobId) return change.status
      await h.run(client.confirm(change.status))
    } else {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(5, change.nextPermittedPollTime.getTime() - Date.now())),
      )
    }
  }
  throw new Error(`no change for job ${jobId}`)
}

describe("PortalClient", () => {
  it("create → signers sign in order → changes → confirm → XAdES/PAdES → archive", async () => {
    const job = await h.run(client.create(input()))
    expect(job.signatureJobId).toBeTypeOf("bigint")
    expect(job.reference).toBe("portal-ref-1")
    expect(job.sender).toEqual({ organizationNumber: ORG_A })
    expect(job.cancellationUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//)

    await h.sim.sign(job.signatureJobId, PIN)
    const first = await nextChange(job.signatureJobId)
    expect(first.status).toBe("IN_PROGRESS")
    const kari = PortalClient.getSignatureFrom(first, PIN)
    expect(kari?.status).toBe("SIGNED")
    expect(PortalClient.getSignatureFrom(first, "ola@example.com")?.status).toBe("WAITING")
    await h.run(client.confirm(first))

    await h.sim.sign(job.signatureJobId, "ola@example.com")
    const done = await nextChange(job.signatureJobId)
    expect(done.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(done.cancellationUrl).toBeUndefined()
    expect(PortalClient.isPadesAvailable(done)).toBe(true)

    const pades = await h.run(client.getPadesBytes(done))
    expect(new TextDecoder().decode(pades.subarray(0, 5))).toBe("%PDF-")
    const streamed = await h.run(
      client.getPades(done.padesUrl!).pipe(Effect.flatMap((d) => Stream.mkUint8Array(d.stream))),
    )
    expect(streamed).toEqual(pades)
    const xades = await h.run(client.getXadesBytes(PortalClient.getSignatureFrom(done, "ola@example.com")!))
    expect(new TextDecoder().decode(xades)).toContain("Signature")

    await h.run(client.confirm(done))
    const archivedId = h.sim.job(job.signatureJobId)?.archivedDocumentId
    expect(archivedId).toBeDefined()

    // The archive: owner in the path, the id as one path segment.
    const archive = await h.archive()
    const archived = await h.run(archive.getPadesBytes(archivedId!))
    expect(new TextDecoder().decode(archived.subarray(0, 5))).toBe("%PDF-")
    const stream = await h.run(archive.getPades(archivedId!, { owner: ORG_A }))
    expect((await h.run(Stream.mkUint8Array(stream.stream))).length).toBe(archived.length)
    const log = h.sim.requestLog().filter((e) => e.path.includes("/archive/documents/"))
    expect(log.at(-1)?.path).toContain(`/api/${ORG_A}/archive/documents/`)
  })

  it("cancels from the create answer; cancelling again is JobCannotBeCancelled (409)", async () => {
    const job = await h.run(client.create(input({ reference: "to-cancel" })))
    await h.run(client.cancel(job))
    expect(h.sim.job(job.signatureJobId)?.cancelled).toBe(true)
    const again = await h.run(Effect.flip(client.cancel(job.cancellationUrl)))
    expect(again).toBeInstanceOf(JobCannotBeCancelled)
    expect((again as JobCannotBeCancelled).status).toBe(409)
    const change = await nextChange(job.signatureJobId)
    expect(change.status).toBe("FAILED")
    await h.run(client.confirm(change))
  })

  it("refuses locally, sending nothing: no cancellation URL, no delete URL, bad input", async () => {
    const calls = h.transport.calls()
    const notCancellable = await h.run(Effect.flip(client.cancel({ cancellationUrl: undefined })))
    expect(notCancellable).toBeInstanceOf(NotCancellable)
    const notDeletable = await h.run(Effect.flip(client.deleteDocuments({})))
    expect(notDeletable).toBeInstanceOf(DocumentsNotDeletable)
    expect((notDeletable as DocumentsNotDeletable).reason).toBe("NotAdvertised")
    // Plain JavaScript misuse: typed errors, not TypeErrors.
    const misuse = [
      client.deleteDocuments(undefined as never),
      client.cancel(42 as never),
      client.getPadesBytes(null as never),
      client.create(undefined as never),
      client.create(input({ title: "" })),
    ]
    for (const effect of misuse) {
      const error = await h.run(Effect.flip(effect as Effect.Effect<unknown, unknown>))
      expect(error).toBeInstanceOf(ValidationError)
    }
    expect(h.transport.calls()).toBe(calls)
  })

  it("deletes documents when the service advertises it, DocumentsNotDeletable when it refuses", async () => {
    const job = await h.run(
      client.create(input({ signers: [{ personalIdentificationNumber: PIN, notifications: { sms: "+4799999999" } }] })),
    )
    await h.sim.sign(job.signatureJobId, PIN)
    const done = await nextChange(job.signatureJobId)
    expect(done.status).toBe("COMPLETED_SUCCESSFULLY")
    // The final change carries the delete URL; before the documents are deletable the service refuses (409).
    expect(done.deleteDocumentsUrl).toBeDefined()
    const refused = await h.run(Effect.flip(client.deleteDocuments(done)))
    expect(refused).toBeInstanceOf(DocumentsNotDeletable)
    expect((refused as DocumentsNotDeletable).reason).toBe("Refused")
    await h.run(client.confirm(done))
  })

  it("the method lists the Promise clients are built from name every operation of the services", async () => {
    const functions = (service: object) =>
      Object.entries(service)
        .filter(([, v]) => typeof v === "function")
        .map(([k]) => k)
        .sort()
    expect([...PortalClient.methods].sort()).toEqual(functions(client))
    expect([...ArchiveClient.methods].sort()).toEqual(functions(await h.archive()))
  })

  it("whoami parses the service's answer; an unknown archive id is a typed error", async () => {
    const me = await h.run(client.whoami())
    expect(me.text).toMatch(/^You are /)
    expect(me.certificateOrganization).toContain(ORG_A)
    const archive = await h.archive()
    const missing = await h.run(Effect.flip(archive.getPadesBytes("no such/document")))
    expect(missing).toBeInstanceOf(UnexpectedResponse)
    expect((missing as UnexpectedResponse).status).toBe(404)
    expect((missing as UnexpectedResponse).url).toContain("/archive/documents/no%20such%2Fdocument/pades")
    const noOwner = await h.run(Effect.flip((await h.archive({ sender: undefined })).getPadesBytes("x")))
    expect(noOwner).toBeInstanceOf(ValidationError)
    const otherOwner = await h.run(Effect.flip(archive.getPadesBytes("x", { owner: ORG_B })))
    expect(otherOwner._tag).not.toBe("ValidationError")
  })
})
