/**
 * One conformance suite for every transport: the `DirectClient` over the transport under test, against the
 * simulator over mutual TLS on loopback. A transport is given as a factory, so each test can ask for the
 * configuration it needs (another keystore, another environment, no client certificate at all).
 */
import { randomBytes } from "node:crypto"
import {
  BrokerNotAuthorized,
  DirectClient,
  DocumentsNotDeletable,
  Environment,
  InvalidStatusQueryToken,
  RateLimited,
  SigningCeremonyNotCompleted,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "@signering/client"
import { DecodeError, DirectJob, Keystore } from "@signering/protocol"
import { Pki, Simulator } from "@signering/simulator"
import { Effect, Layer, References, Stream } from "effect"
import { HttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

export interface TransportInput {
  /** The sender's enterprise certificate. */
  readonly keystore: Keystore.Keystore
  /** `false`: connect without presenting any client certificate. */
  readonly presentClientCertificate: boolean
  /** API root, expected server organization number and trust anchors. */
  readonly environment: Environment.Environment
}

export type TransportFactory = (input: TransportInput) => Layer.Layer<HttpClient.HttpClient, unknown>

export const ORG_A = "123456785"
export const ORG_B = "987654325"

/** A valid PDF of about `size` bytes: the padding is random, so the zip cannot shrink it. */
export const pdf = (size = 0): Uint8Array => {
  const encoder = new TextEncoder()
  const content = "BT /F1 24 Tf 72 720 Td (Conformance) Tj ET"
  const objects: Array<Uint8Array> = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ].map((text) => encoder.encode(text))
  if (size > 0) {
    const padding = randomBytes(size)
    const head = encoder.encode(`<< /Length ${padding.length} >>\nstream\n`)
    const tail = encoder.encode("\nendstream")
    const object = new Uint8Array(head.length + padding.length + tail.length)
    object.set(head)
    object.set(padding, head.length)
    object.set(tail, head.length + padding.length)
    objects.push(object)
  }
  const parts: Array<Uint8Array> = [encoder.encode("%PDF-1.4\n")]
  let length = parts[0]!.length
  const offsets: Array<number> = []
  objects.forEach((object, index) => {
    offsets.push(length)
    for (const part of [encoder.encode(`${index + 1} 0 obj\n`), object, encoder.encode("\nendobj\n")]) {
      parts.push(part)
      length += part.length
    }
  })
  let trailer = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) trailer += `${String(offset).padStart(10, "0")} 00000 n \n`
  trailer += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`
  parts.push(encoder.encode(trailer))
  return Buffer.concat(parts)
}

const PIN = ["010170123", "010170124", "010170125", "010170126", "010170127"]
  .map((nine) => DirectJob.completePersonalIdentificationNumber(nine))
  .find((pin) => pin !== undefined)!

export const jobInput = (overrides: Partial<DirectClient.JobInput> = {}): DirectClient.JobInput => ({
  title: "Conformance contract",
  description: "Please sign",
  reference: "conformance",
  documents: [{ title: "Contract", bytes: pdf() }],
  signers: [{ personalIdentificationNumber: PIN }, { customIdentifier: "customer-1" }],
  exitUrls: {
    completionUrl: "https://sender.example/done",
    rejectionUrl: "https://sender.example/rejected",
    errorUrl: "https://sender.example/error",
  },
  ...overrides,
})

const tokenOf = (exitUrl: string) => new URL(exitUrl).searchParams.get("status_query_token")!

/** A valid organization number that no simulator configuration grants API access. */
const unknownOrganization = (() => {
  for (let n = 910_000_000; ; n++) if (Pki.isValidOrganizationNumber(String(n))) return String(n)
})()

const HOUR = 60 * 60 * 1000

/** Runs the suite for one transport. */
export const conformance = (name: string, factory: TransportFactory) =>
  describe(`${name} conformance`, () => {
    let sim: Simulator.Instance
    let keystore: Keystore.Keystore
    let environment: Environment.Environment

    beforeAll(async () => {
      // Deletion tests move the simulator's clock a day on; bundles signed "now" must still be accepted after that.
      // Status queries repeat after confirmation here (deletion a day later): tokens stay valid after it.
      sim = await Simulator.start({
        emptyQueuePollDelayMs: 60_000,
        signingTimeLeniencyMs: 30 * 24 * HOUR,
        statusQueryTokensAfterConfirmation: "accepted",
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

    /** Attempts that left the client through the transport, including those that never reached the server. */
    let attempts = 0
    const counted = (layer: Layer.Layer<HttpClient.HttpClient, unknown>) =>
      Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          HttpClient.tapRequest(client, () => Effect.sync(() => void attempts++)),
        ),
      ).pipe(Layer.provide(layer))

    interface Setup {
      readonly keystore?: Keystore.Keystore
      readonly presentClientCertificate?: boolean
      readonly environment?: Environment.Environment
      readonly client?: Partial<DirectClient.Options>
    }

    /** Runs `f` with a client built for `setup` (a fresh transport each time, closed afterwards). */
    const withClient = <A, E>(
      f: (client: DirectClient.Service) => Effect.Effect<A, E>,
      setup: Setup = {},
    ): Promise<A> => {
      const env = setup.environment ?? environment
      const transport = counted(
        factory({
          keystore: setup.keystore ?? keystore,
          presentClientCertificate: setup.presentClientCertificate ?? true,
          environment: env,
        }),
      )
      const client = DirectClient.layer({
        environment: env,
        keystore,
        sender: { organizationNumber: ORG_A },
        retry: { times: 2, base: "5 millis" },
        validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
        // The suite is about the transport, not pacing (RateLimiter.test.ts and the Redis limiter's tests are):
        // without this, every client of the file shares the process-wide default and waits its 10-per-second turn.
        rateLimiter: false,
        ...setup.client,
      })
      return Effect.runPromise(
        Effect.flatMap(DirectClient.DirectClient, f).pipe(
          Effect.provide(Layer.provide(client, transport)),
          // The client logs failures as warnings; here they are expected.
          Effect.provideService(References.MinimumLogLevel, "Error"),
        ),
      )
    }
    const failure = <A, E>(f: (client: DirectClient.Service) => Effect.Effect<A, E>, setup?: Setup) =>
      withClient((client) => Effect.flip(f(client)), setup)

    const routeCount = (route: string) => sim.requestLog().filter((entry) => entry.route === route).length
    /** The route's count once the simulator has answered `count` requests (and a moment more for strays). */
    const loggedEventually = async (route: string, count: number) => {
      for (let i = 0; i < 100 && routeCount(route) < count; i++) await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 100))
      return routeCount(route)
    }

    const signedJob = async (signer = "solo") => {
      const job = await withClient((client) => client.create(jobInput({ signers: [{ customIdentifier: signer }] })))
      const token = tokenOf(await sim.sign(job.signatureJobId, signer))
      return { job, token }
    }

    describe("every operation", () => {
      it("create → new redirect URL → sign → status → PAdES/XAdES → confirm → delete", async () => {
        await withClient((client) =>
          Effect.gen(function* () {
            const job = yield* client.create(jobInput())
            expect(job.signers).toHaveLength(2)
            const signer = job.signers.find((s) => s.signer.value === "customer-1")!
            const fresh = yield* client.requestNewRedirectUrl(signer)
            expect(fresh.redirectUrl).not.toBe(signer.redirectUrl)
            const again = yield* client.requestNewRedirectUrl(signer.href)
            expect(again.href).toBe(signer.href)

            yield* Effect.promise(() => sim.sign(job.signatureJobId, PIN))
            const token = tokenOf(yield* Effect.promise(() => sim.sign(job.signatureJobId, "customer-1")))
            const status = yield* client.getStatus(job.statusUrl!, token)
            expect(status.status).toBe("COMPLETED_SUCCESSFULLY")

            const pades = yield* client.getPades(status.padesUrl!)
            const bytes = yield* Stream.mkUint8Array(pades.stream)
            expect(pades.contentLength).toBe(bytes.length)
            expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-")
            expect(yield* client.getPadesBytes(status.padesUrl!)).toEqual(bytes)
            for (const entry of status.signers) {
              expect(new TextDecoder().decode(yield* client.getXadesBytes(entry.xadesUrl!))).toContain("Signature")
            }
            const xades = yield* client.getXades(status.xadesUrls[0]!)
            expect(xades.contentType).toContain("xml")
            yield* Stream.runDrain(xades.stream)

            const confirmations = sim.counters().confirmations
            yield* client.confirm(status)
            expect(sim.counters().confirmations).toBe(confirmations + 1)

            sim.clock.advance(25 * HOUR)
            const later = yield* client.getStatus(job.statusUrl!, token)
            yield* client.deleteDocuments(later)
            expect(sim.job(job.signatureJobId)?.documentsDeleted).toBe(true)
          }),
        )
      })

      it("polls a queue: the change, its confirmation, then no changes with the next permitted poll time", async () => {
        const sender = { organizationNumber: ORG_A, pollingQueue: `q-${name}` }
        await withClient((client) =>
          Effect.gen(function* () {
            const job = yield* client.create(
              jobInput({ sender, statusRetrievalMethod: "POLLING", signers: [{ customIdentifier: "p" }] }),
            )
            yield* Effect.promise(() => sim.reject(job.signatureJobId, "p"))
            const change = yield* client.getStatusChange(sender)
            expect(change._tag).toBe("StatusChange")
            if (change._tag !== "StatusChange") return
            expect(change.status.signatureJobId).toBe(job.signatureJobId)
            expect(change.status.status).toBe("FAILED")
            yield* client.confirm(change.status)
            const empty = yield* client.getStatusChange(sender)
            expect(empty._tag).toBe("NoChanges")
            expect(empty.nextPermittedPollTime.getTime()).toBeGreaterThan(Date.now() + 30_000)
          }),
        )
      })

      it("sends polling_queue with a status query, and skips requests that have nothing to act on", async () => {
        const { job, token } = await signedJob("queue")
        sim.resetObservations()
        await withClient((client) => client.getStatus(job.statusUrl!, token, "status-queue"))
        const logged = sim.requestLog().filter((entry) => entry.route === "status")
        expect(logged).toHaveLength(1)
        expect(logged[0]!.path).toContain("polling_queue=status-queue")
        expect(logged[0]!.path).not.toContain(token)

        const before = attempts
        await withClient((client) => client.confirm({}))
        const notAdvertised = await failure((client) => client.deleteDocuments({}))
        expect(notAdvertised).toBeInstanceOf(DocumentsNotDeletable)
        expect((notAdvertised as DocumentsNotDeletable).reason).toBe("NotAdvertised")
        expect(attempts).toBe(before)
      })

      it("creates a job from a 10 MB bundle and streams its PAdES", async () => {
        const big = pdf(DirectJob.limits.maxTotalDocumentBytes - 2_000)
        expect(big.length).toBeLessThanOrEqual(DirectJob.limits.maxTotalDocumentBytes)
        expect(big.length).toBeGreaterThan(10_000_000)
        const creations = sim.counters().creations
        await withClient((client) =>
          Effect.gen(function* () {
            const job = yield* client.create(
              jobInput({ documents: [{ title: "Big", bytes: big }], signers: [{ customIdentifier: "big" }] }),
            )
            expect(sim.counters().creations).toBe(creations + 1)
            const token = tokenOf(yield* Effect.promise(() => sim.sign(job.signatureJobId, "big")))
            const status = yield* client.getStatus(job.statusUrl!, token)
            const pades = yield* client.getPades(status.padesUrl!)
            const received = yield* Stream.runFold(
              pades.stream,
              () => 0,
              (total, chunk) => total + chunk.length,
            )
            // The simulator renders its own PAdES, so its size does not follow the input; the transport
            // tests stream 10 MB responses.
            expect(received).toBe(pades.contentLength)
            expect(received).toBeGreaterThan(0)
          }),
        )
      })
    })

    describe("slow, hanging and broken responses", () => {
      it("a slow answer within the timeout succeeds", async () => {
        const { job, token } = await signedJob("slow")
        sim.faults.inject({ route: "status", kind: "latency", ms: 300 })
        const status = await withClient((client) => client.getStatus(job.statusUrl!, token), {
          client: { timeouts: { api: "5 seconds" } },
        })
        expect(status.status).toBe("COMPLETED_SUCCESSFULLY")
      })

      // A hanging request is abandoned by the client but still answered by the simulator later; each test waits
      // for that late answer (the log entry is written then) so it cannot land in a later test's counts.
      const HANG_MS = 2_500

      it("a hanging answer ends in a Timeout, without a retry", async () => {
        const { job, token } = await signedJob("hang")
        sim.resetObservations()
        sim.faults.inject({ route: "status", kind: "latency", ms: HANG_MS })
        const error = await failure((client) => client.getStatus(job.statusUrl!, token), {
          client: { timeouts: { api: "800 millis" } },
        })
        // Had the client waited for the late answer, this would be a success.
        expect(error).toBeInstanceOf(TransportError)
        expect((error as TransportError).reason).toBe("Timeout")
        expect(await loggedEventually("status", 1)).toBe(1)
      })

      it("a hanging create ends in a Timeout and is sent once", async () => {
        sim.faults.inject({ route: "create", kind: "latency", ms: HANG_MS })
        const before = attempts
        const error = await failure((client) => client.create(jobInput()), {
          client: { timeouts: { api: "800 millis" } },
        })
        expect((error as TransportError).reason).toBe("Timeout")
        // Counted at the transport: the simulator may never log a create whose client left during the delay.
        expect(attempts - before).toBe(1)
        await new Promise((resolve) => setTimeout(resolve, HANG_MS))
        expect(attempts - before).toBe(1)
      })

      it("a download whose answer does not come ends in a Timeout", async () => {
        const { job, token } = await signedJob("stall")
        const status = await withClient((client) => client.getStatus(job.statusUrl!, token))
        sim.resetObservations()
        sim.faults.inject({ route: "pades", kind: "latency", ms: HANG_MS })
        const error = await failure((client) => client.getPadesBytes(status.padesUrl!), {
          client: { timeouts: { download: "800 millis" } },
        })
        expect((error as TransportError).reason).toBe("Timeout")
        expect(await loggedEventually("pades", 1)).toBe(1)
      })

      it("an early close is ClosedEarly; safe operations are retried through it, create is not", async () => {
        const { job, token } = await signedJob("close")
        sim.resetObservations()
        sim.faults.inject({ route: "status", kind: "reset" })
        const status = await withClient((client) => client.getStatus(job.statusUrl!, token))
        expect(status.status).toBe("COMPLETED_SUCCESSFULLY")
        expect(routeCount("status")).toBe(2)

        sim.faults.inject({ route: "pades", kind: "truncate" })
        const pades = await withClient((client) => client.getPadesBytes(status.padesUrl!))
        expect(new TextDecoder().decode(pades.subarray(0, 5))).toBe("%PDF-")
        expect(routeCount("pades")).toBe(2)

        sim.faults.inject({ route: "create", kind: "reset" })
        const error = await failure((client) => client.create(jobInput()))
        expect(error).toBeInstanceOf(TransportError)
        expect((error as TransportError).reason).toBe("ClosedEarly")
        expect(routeCount("create")).toBe(1)
        expect(sim.counters().creations).toBe(0)
      })
    })

    describe("TLS and identity", () => {
      it("without a client certificate the server refuses the connection", async () => {
        sim.resetObservations()
        const error = await failure((client) => client.getStatusChange(), { presentClientCertificate: false })
        expect(error).toBeInstanceOf(TransportError)
        // TLS 1.2 (the real service) refuses inside the handshake; TLS 1.3 (the simulator) right after it, which
        // only shows as a closed connection. Either way the hint points at the client certificate.
        expect(["TlsHandshake", "ClosedEarly"]).toContain((error as TransportError).reason)
        expect((error as TransportError).hint).toMatch(/client certificate/)
        expect(sim.requestLog()).toHaveLength(0)
      })

      it("a client certificate from another CA is refused", async () => {
        const foreign = await Effect.runPromise(
          Keystore.fromPkcs12Effect(sim.pki.foreign.sender.pkcs12, sim.pki.foreign.sender.pkcs12Passphrase),
        )
        sim.resetObservations()
        const error = await failure((client) => client.getStatusChange(), { keystore: foreign })
        expect(error).toBeInstanceOf(TransportError)
        // TLS 1.2 (the real service) refuses inside the handshake; TLS 1.3 (the simulator) right after it, which
        // only shows as a closed connection. Either way the hint points at the client certificate.
        expect(["TlsHandshake", "ClosedEarly"]).toContain((error as TransportError).reason)
        expect((error as TransportError).hint).toMatch(/client certificate/)
        expect(sim.requestLog()).toHaveLength(0)
      })

      it("a server chain outside the trust anchors is a TlsHandshake failure with a hint", async () => {
        const error = await failure((client) => client.getStatusChange(), {
          environment: Environment.custom({
            apiRoot: sim.url,
            serverOrganizationNumber: sim.pki.server.organizationNumber,
            trustAnchors: [sim.pki.foreign.caCertificatePem],
          }),
        })
        expect(error).toBeInstanceOf(TransportError)
        expect((error as TransportError).reason).toBe("TlsHandshake")
        expect((error as TransportError).hint).toMatch(/trust anchors/)
      })

      it("a server of another organization is a ServerIdentity failure naming both numbers", async () => {
        sim.resetObservations()
        const error = await failure((client) => client.getStatusChange(), {
          environment: Environment.custom({
            apiRoot: sim.url,
            serverOrganizationNumber: "974760673",
            trustAnchors: [sim.pki.caCertificatePem],
          }),
        })
        expect(error).toBeInstanceOf(TransportError)
        expect((error as TransportError).reason).toBe("ServerIdentity")
        expect((error as TransportError).serverIdentity).toEqual({
          expected: "974760673",
          actual: sim.pki.server.organizationNumber,
        })
        expect(sim.requestLog()).toHaveLength(0)
      })
    })

    describe("429", () => {
      it("polling too early is TooEagerPolling with the server's next permitted time", async () => {
        const sender = { organizationNumber: ORG_A, pollingQueue: `eager-${name}` }
        const error = await withClient((client) =>
          Effect.gen(function* () {
            const first = yield* client.getStatusChange(sender)
            expect(first._tag).toBe("NoChanges")
            const eager = yield* Effect.flip(client.getStatusChange(sender))
            expect(eager).toBeInstanceOf(TooEagerPolling)
            expect((eager as TooEagerPolling).nextPermittedPollTime.getTime()).toBe(
              first.nextPermittedPollTime.getTime(),
            )
            return eager as TooEagerPolling
          }),
        )
        expect(error.status).toBe(429)
      })

      it("a 429 without the poll-time header is RateLimited (DoSFilter, 30 s)", async () => {
        sim.faults.inject({ route: "poll", kind: "dos" })
        // Without retries: with them, a safe request waits the block out and tries again.
        const error = await failure(
          (client) => client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "dos" }),
          { client: { retry: false } },
        )
        expect(error).toBeInstanceOf(RateLimited)
        expect((error as RateLimited).status).toBe(429)
      })
    })

    describe("error codes map to typed errors", () => {
      it("BROKER_NOT_AUTHORIZED and NOT_AUTHORIZED", async () => {
        const broker = await failure((client) => client.create(jobInput({ sender: { organizationNumber: ORG_B } })))
        expect(broker).toBeInstanceOf(BrokerNotAuthorized)
        expect((broker as BrokerNotAuthorized).reason).toBe("BrokerNotAuthorized")
        expect((broker as BrokerNotAuthorized).errorCode).toBe("BROKER_NOT_AUTHORIZED")

        const outsider = sim.pki.issueClientCertificate({ organizationNumber: unknownOrganization })
        const outsiderKeystore = await Effect.runPromise(
          Keystore.fromPkcs12Effect(outsider.pkcs12, outsider.pkcs12Passphrase),
        )
        const denied = await failure((client) => client.getStatusChange({ organizationNumber: unknownOrganization }), {
          keystore: outsiderKeystore,
        })
        expect(denied).toBeInstanceOf(BrokerNotAuthorized)
        expect((denied as BrokerNotAuthorized).reason).toBe("NotAuthorized")
        expect((denied as BrokerNotAuthorized).errorCode).toBe("NOT_AUTHORIZED")
      })

      it("INVALID_STATUS_QUERY_TOKEN and SIGNING_CEREMONY_NOT_COMPLETED", async () => {
        const job = await withClient((client) => client.create(jobInput({ signers: [{ customIdentifier: "w" }] })))
        const wrong = await failure((client) => client.getStatus(job.statusUrl!, "not-the-token"))
        expect(wrong).toBeInstanceOf(InvalidStatusQueryToken)
        expect((wrong as InvalidStatusQueryToken).status).toBe(403)
        expect((wrong as InvalidStatusQueryToken).url).not.toContain("not-the-token")
        const waiting = await failure((client) =>
          client.getStatus(job.statusUrl!, sim.statusQueryToken(job.signatureJobId, "w")),
        )
        expect(waiting).toBeInstanceOf(SigningCeremonyNotCompleted)
        expect((waiting as SigningCeremonyNotCompleted).status).toBe(404)
      })

      it("any other error code (NOT_FOUND) is UnexpectedResponse carrying the server's code", async () => {
        const job = await withClient((client) => client.create(jobInput({ signers: [{ customIdentifier: "nf" }] })))
        const unknownSigner = job.signers[0]!.href.replace(/\/signers\/\d+$/, "/signers/99")
        const error = await failure((client) => client.requestNewRedirectUrl(unknownSigner))
        expect(error).toBeInstanceOf(UnexpectedResponse)
        expect(error).toMatchObject({ reason: "ErrorResponse", status: 404, errorCode: "NOT_FOUND" })
      })

      it("DOCUMENTS_NOT_DELETABLE, a 500 and a malformed body", async () => {
        const { job, token } = await signedJob("del")
        sim.clock.advance(25 * HOUR)
        const status = await withClient((client) => client.getStatus(job.statusUrl!, token))
        await withClient((client) => client.deleteDocuments(status))
        const again = await failure((client) => client.deleteDocuments(status.deleteDocumentsUrl!))
        expect(again).toBeInstanceOf(DocumentsNotDeletable)
        expect((again as DocumentsNotDeletable).errorCode).toBe("DOCUMENTS_NOT_DELETABLE")

        sim.faults.inject({ route: "status", kind: "status", status: 500 })
        const broken = await failure((client) => client.getStatus(job.statusUrl!, token))
        expect(broken).toBeInstanceOf(UnexpectedResponse)
        expect((broken as UnexpectedResponse).status).toBe(500)

        sim.faults.inject({ route: "status", kind: "malformed" })
        const malformed = await failure((client) => client.getStatus(job.statusUrl!, token))
        expect(malformed).toBeInstanceOf(DecodeError)
      })
    })

    describe("retries only where allowed", () => {
      it("create: not after a 503 or a reset, but when the connection was refused", async () => {
        sim.resetObservations()
        sim.faults.inject({ route: "create", kind: "status", status: 503 })
        const unavailable = await failure((client) => client.create(jobInput()))
        expect((unavailable as UnexpectedResponse).status).toBe(503)
        expect(routeCount("create")).toBe(1)

        const { createServer } = await import("node:net")
        const server = createServer()
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
        const port = (server.address() as { port: number }).port
        await new Promise((resolve) => server.close(resolve))
        const refusedEnvironment = Environment.custom({
          apiRoot: `https://127.0.0.1:${port}/api`,
          serverOrganizationNumber: sim.pki.server.organizationNumber,
          trustAnchors: [sim.pki.caCertificatePem],
        })
        const before = attempts
        const refused = await failure((client) => client.create(jobInput()), { environment: refusedEnvironment })
        expect((refused as TransportError).reason).toBe("Connect")
        expect(attempts - before).toBe(3)
      })

      it("requestNewRedirectUrl is not retried after a reset", async () => {
        const job = await withClient((client) => client.create(jobInput({ signers: [{ customIdentifier: "r" }] })))
        sim.resetObservations()
        sim.faults.inject({ route: "signer", kind: "reset" })
        const error = await failure((client) => client.requestNewRedirectUrl(job.signers[0]!))
        expect((error as TransportError).reason).toBe("ClosedEarly")
        expect(routeCount("signer")).toBe(1)
      })

      it("status, poll, downloads, confirm and delete are retried on 502/503/504", async () => {
        const { job, token } = await signedJob("retry")
        sim.resetObservations()
        sim.faults.inject({ route: "status", kind: "status", status: 503 })
        const status = await withClient((client) => client.getStatus(job.statusUrl!, token))
        expect(routeCount("status")).toBe(2)
        sim.faults.inject({ route: "poll", kind: "status", status: 502 })
        await withClient((client) => client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "retry" }))
        expect(routeCount("poll")).toBe(2)
        sim.faults.inject({ route: "xades", kind: "status", status: 504 })
        await withClient((client) => client.getXadesBytes(status.xadesUrls[0]!))
        expect(routeCount("xades")).toBe(2)
        sim.faults.inject({ route: "confirm", kind: "status", status: 503 })
        await withClient((client) => client.confirm(status))
        expect(routeCount("confirm")).toBe(2)
        sim.clock.advance(25 * HOUR)
        const deletable = await withClient((client) => client.getStatus(job.statusUrl!, token))
        sim.faults.inject({ route: "delete", kind: "status", status: 502 })
        await withClient((client) => client.deleteDocuments(deletable))
        expect(routeCount("delete")).toBe(2)
      })

      it("a 4xx is never retried", async () => {
        const job = await withClient((client) => client.create(jobInput({ signers: [{ customIdentifier: "x" }] })))
        sim.resetObservations()
        await failure((client) => client.getStatus(job.statusUrl!, "wrong"))
        expect(routeCount("status")).toBe(1)
      })
    })
  })
