/**
 * The portal and archive half of the conformance suite: every `PortalClient` and `ArchiveClient` operation over the
 * transport under test against the simulator, then the same through the Promise clients, which must offer exactly
 * the Effect services' operations.
 */
import {
  ArchiveClient,
  createArchiveClient,
  createPortalClient,
  DocumentsNotDeletable,
  Environment,
  JobCannotBeCancelled,
  NotCancellable,
  PortalClient,
  UnexpectedResponse,
} from "@signering/client"
import { DirectJob, Keystore, type PortalResponse } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Layer, References, Stream } from "effect"
import { HttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ORG_A, pdf, type TransportFactory } from "./conformance.js"

const PIN = ["010170123", "010170124", "010170125", "010170126", "010170127"]
  .map((nine) => DirectJob.completePersonalIdentificationNumber(nine))
  .find((pin) => pin !== undefined)!

const HOUR = 60 * 60 * 1000

const input = (reference: string, signers?: PortalClient.JobInput["signers"]): PortalClient.JobInput => ({
  title: "Conformance portal contract",
  nonsensitiveTitle: "Contract",
  reference,
  documents: [{ title: "Contract", bytes: pdf() }],
  signers: signers ?? [
    { personalIdentificationNumber: PIN, notifications: { email: "kari@example.com" }, order: 0 },
    { contactInformation: { sms: "+4799999999" }, order: 1 },
  ],
})

const pdfHead = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, 5))

/** Runs the portal and archive suite for one transport. */
export const portalConformance = (name: string, factory: TransportFactory) =>
  describe(`${name} portal and archive conformance`, () => {
    let sim: Simulator.Instance
    let keystore: Keystore.Keystore
    let environment: Environment.Environment
    let attempts = 0

    beforeAll(async () => {
      sim = await Simulator.start({
        emptyQueuePollDelayMs: 1,
        signingTimeLeniencyMs: 30 * 24 * HOUR,
        longTermStorage: [ORG_A],
      })
      const sender = sim.pki.sender(ORG_A)
      keystore = await Effect.runPromise(Keystore.fromPkcs12Effect(sender.pkcs12, sender.pkcs12Passphrase))
      environment = Environment.custom({
        apiRoot: sim.url,
        serverOrganizationNumber: sim.pki.server.organizationNumber,
        trustAnchors: [sim.pki.caCertificatePem],
      })
    })
    afterAll(() => sim.close())

    const transport = () =>
      Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          HttpClient.tapRequest(client, () => Effect.sync(() => void attempts++)),
        ),
      ).pipe(Layer.provide(factory({ keystore, presentClientCertificate: true, environment })))

    const options = (): PortalClient.Options => ({
      environment,
      keystore,
      sender: { organizationNumber: ORG_A },
      retry: { times: 2, base: "5 millis" },
      validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
      // About the transport, not pacing: no wait on the process-wide default limiter (see conformance.ts).
      rateLimiter: false,
    })

    const withPortal = <A, E>(f: (client: PortalClient.Service) => Effect.Effect<A, E>): Promise<A> =>
      Effect.runPromise(
        Effect.flatMap(PortalClient.PortalClient, f).pipe(
          Effect.provide(Layer.provide(PortalClient.layer(options()), transport())),
          Effect.provideService(References.MinimumLogLevel, "Error"),
        ),
      )
    const withArchive = <A, E>(f: (client: ArchiveClient.Service) => Effect.Effect<A, E>): Promise<A> =>
      Effect.runPromise(
        Effect.flatMap(ArchiveClient.ArchiveClient, f).pipe(
          Effect.provide(Layer.provide(ArchiveClient.layer(options()), transport())),
          Effect.provideService(References.MinimumLogLevel, "Error"),
        ),
      )

    /** The next change of `jobId`, confirming other jobs' changes on the way and honouring the permitted time. */
    const nextChange = (client: PortalClient.Service, jobId: bigint) =>
      Effect.gen(function* () {
        for (let i = 0; i < 50; i++) {
          const change = yield* client.getStatusChange()
          if (change._tag === "StatusChange") {
            if (change.status.signatureJobId === jobId) return change.status
            yield* client.confirm(change.status)
          } else {
            yield* Effect.sleep(Math.max(5, change.nextPermittedPollTime.getTime() - Date.now()))
          }
        }
        return yield* Effect.die(new Error(`no change for job ${jobId}`))
      })

    it("create → sign in order → changes → confirm → XAdES/PAdES streamed and collected → archive → whoami", async () => {
      const { jobId, archivedId } = await withPortal((client) =>
        Effect.gen(function* () {
          const job = yield* client.create(input("flow"))
          expect(job.cancellationUrl).toMatch(/^https:/)
          yield* Effect.promise(() => sim.sign(job.signatureJobId, PIN))
          const first = yield* nextChange(client, job.signatureJobId)
          expect(first.status).toBe("IN_PROGRESS")
          yield* client.confirm(first)
          yield* Effect.promise(() => sim.sign(job.signatureJobId, "+4799999999"))
          const done: PortalResponse.StatusChangeResponse = yield* nextChange(client, job.signatureJobId)
          expect(done.status).toBe("COMPLETED_SUCCESSFULLY")
          const pades = yield* client.getPades(done)
          const bytes = yield* Stream.mkUint8Array(pades.stream)
          expect(pdfHead(bytes)).toBe("%PDF-")
          expect(yield* client.getPadesBytes(done.padesUrl!)).toEqual(bytes)
          const signature = PortalClient.getSignatureFrom(done, "+4799999999")!
          const xades = yield* client.getXades(signature)
          expect(new TextDecoder().decode(yield* Stream.mkUint8Array(xades.stream))).toContain("Signature")
          expect(new TextDecoder().decode(yield* client.getXadesBytes(signature.xadesUrl!))).toContain("Signature")
          yield* client.confirm(done)
          const me = yield* client.whoami()
          expect(me.certificateOrganization).toContain(ORG_A)
          return { jobId: job.signatureJobId, archivedId: sim.job(job.signatureJobId)?.archivedDocumentId }
        }),
      )
      expect(archivedId).toBeDefined()
      await withArchive((archive) =>
        Effect.gen(function* () {
          const collected = yield* archive.getPadesBytes(archivedId!)
          expect(pdfHead(collected)).toBe("%PDF-")
          const streamed = yield* archive.getPades(archivedId!, { owner: ORG_A })
          expect(yield* Stream.mkUint8Array(streamed.stream)).toEqual(collected)
          const missing = yield* Effect.flip(archive.getPadesBytes(`missing-${jobId}`))
          expect(missing).toBeInstanceOf(UnexpectedResponse)
          expect((missing as UnexpectedResponse).status).toBe(404)
        }),
      )
    })

    it("cancel: from the create answer, 409 afterwards; refusals without a URL send nothing", async () => {
      await withPortal((client) =>
        Effect.gen(function* () {
          const job = yield* client.create(input("cancel"))
          yield* client.cancel(job)
          expect(sim.job(job.signatureJobId)?.cancelled).toBe(true)
          const again = yield* Effect.flip(client.cancel(job.cancellationUrl))
          expect(again).toBeInstanceOf(JobCannotBeCancelled)
          const change = yield* nextChange(client, job.signatureJobId)
          expect(change.cancellationUrl).toBeUndefined()
          yield* client.confirm(change)
          const before = attempts
          expect(yield* Effect.flip(client.cancel(change))).toBeInstanceOf(NotCancellable)
          expect(yield* Effect.flip(client.deleteDocuments({}))).toBeInstanceOf(DocumentsNotDeletable)
          expect(attempts).toBe(before)
        }),
      )
    })

    it("delete documents: refused before they are deletable, done a day after completion", async () => {
      await withPortal((client) =>
        Effect.gen(function* () {
          const job = yield* client.create(
            input("delete", [{ personalIdentificationNumber: PIN, notifications: { email: "a@example.com" } }]),
          )
          yield* Effect.promise(() => sim.sign(job.signatureJobId, PIN))
          const done = yield* nextChange(client, job.signatureJobId)
          const refused = yield* Effect.flip(client.deleteDocuments(done))
          expect(refused).toBeInstanceOf(DocumentsNotDeletable)
          expect((refused as DocumentsNotDeletable).reason).toBe("Refused")
          yield* client.confirm(done)
          sim.clock.advance(25 * HOUR)
          yield* client.deleteDocuments(done)
          expect(sim.job(job.signatureJobId)?.documentsDeleted).toBe(true)
        }),
      )
    })

    it("the Promise clients mirror the Effect services, operation for operation", async () => {
      const portal = createPortalClient({ ...options(), transport: transport(), logLevel: "None" })
      const archive = createArchiveClient({ ...options(), transport: transport(), logLevel: "None" })
      try {
        expect(Object.keys(portal).sort()).toEqual([...PortalClient.methods, "close"].sort())
        expect(Object.keys(archive).sort()).toEqual([...ArchiveClient.methods, "close"].sort())
        const job = await portal.create(
          input("promise", [{ personalIdentificationNumber: PIN, notifications: { email: "p@example.com" } }]),
        )
        await sim.sign(job.signatureJobId, PIN)
        let done: PortalResponse.StatusChangeResponse | undefined
        for (let i = 0; i < 50 && done === undefined; i++) {
          const change = await portal.getStatusChange()
          if (change._tag === "NoChanges") {
            await new Promise((r) => setTimeout(r, Math.max(5, change.nextPermittedPollTime.getTime() - Date.now())))
          } else if (change.status.signatureJobId === job.signatureJobId) done = change.status
          else await portal.confirm(change.status)
        }
        expect(done?.status).toBe("COMPLETED_SUCCESSFULLY")
        const download = await portal.getPades(done!)
        expect(download.stream).toBeInstanceOf(ReadableStream)
        const chunks: Array<Uint8Array> = []
        for await (const chunk of download.stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk)
        expect(pdfHead(chunks[0]!)).toBe("%PDF-")
        await portal.confirm(done!)
        const archivedId = sim.job(job.signatureJobId)?.archivedDocumentId
        expect(pdfHead(await archive.getPadesBytes(archivedId!))).toBe("%PDF-")
        await expect(portal.cancel(job)).rejects.toBeInstanceOf(JobCannotBeCancelled)
      } finally {
        await portal.close()
        await archive.close()
      }
      await expect(portal.getStatusChange()).rejects.toMatchObject({
        _tag: "ClientClosed",
        operation: "getStatusChange",
      })
    })
  })
