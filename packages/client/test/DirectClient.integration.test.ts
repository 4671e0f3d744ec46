/**
 * Every direct-flow operation end to end against the simulator over mutual TLS: create → sign → status →
 * downloads → confirm → delete, the job-related error mappings, retry discipline for unsafe operations,
 * download timeouts, and redaction of tokens and personal identification numbers in errors, logs and spans.
 */
import { DecodeError, ValidationError } from "@signering/protocol"
import { Effect, Logger, Redacted, References, Stream, Tracer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  SigningCeremonyNotCompleted,
  TransportError,
  UnexpectedResponse,
} from "../src/ClientError.js"
import * as DirectClient from "../src/DirectClient.js"
import * as Environment from "../src/Environment.js"
import { closedPort, type Harness, jobInput, ORG_A, PIN, start } from "./support/harness.js"

let h: Harness
let client: DirectClient.Service

beforeAll(async () => {
  // Tests move the simulator's clock a day on (documents become deletable); bundles are signed with the real time.
  // Tokens stay valid after confirmation here: the flow queries the status again a day later.
  h = await start({
    emptyQueuePollDelayMs: 1_000,
    signingTimeLeniencyMs: 30 * 24 * 60 * 60 * 1000,
    statusQueryTokensAfterConfirmation: "accepted",
  })
  client = await h.client()
})
afterAll(() => h.close())

const tokenOf = (exitUrl: string) => new URL(exitUrl).searchParams.get("status_query_token")!
const routeCount = (route: string) => h.sim.requestLog().filter((e) => e.route === route).length

describe("the direct flow", () => {
  it("create → sign → status → PAdES/XAdES → confirm → delete", async () => {
    const job = await h.run(client.create(jobInput()))
    expect(job.signatureJobId).toBeTypeOf("bigint")
    expect(job.sender).toEqual({ organizationNumber: ORG_A })
    expect(job.reference).toBe("ref-1")
    expect(job.statusUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/123456785\/direct\/signature-jobs\/\d+\/status$/)
    expect(job.signers.map((s) => s.signer.value).sort()).toEqual([PIN, "customer-42"].sort())
    for (const s of job.signers) expect(s.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1/)

    // First signer signs: its token works, the job is still in progress.
    const exit1 = await h.sim.sign(job.signatureJobId, PIN)
    expect(exit1.startsWith("https://sender.example/done?status_query_token=")).toBe(true)
    const partial = await h.run(client.getStatus(job.statusUrl!, tokenOf(exit1)))
    expect(partial.status).toBe("IN_PROGRESS")
    expect(partial.signers.find((s) => s.signer === "customer-42")?.status).toBe("WAITING")

    // Second signer signs: completed, with every URL.
    const exit2 = await h.sim.sign(job.signatureJobId, "customer-42")
    const status = await h.run(client.getStatus(job.statusUrl!, Redacted.make(tokenOf(exit2))))
    expect(status.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(status.signers.map((s) => s.status)).toEqual(["SIGNED", "SIGNED"])
    expect(status.padesUrl).toBeDefined()
    expect(status.confirmationUrl).toBeDefined()
    expect(status.xadesUrls).toHaveLength(2)

    // PAdES as a stream with its length, and as bytes.
    const pades = await h.run(client.getPades(status.padesUrl!))
    const streamed = await h.run(Stream.mkUint8Array(pades.stream))
    expect(pades.contentLength).toBe(streamed.length)
    expect(new TextDecoder().decode(streamed.subarray(0, 5))).toBe("%PDF-")
    const padesBytes = await h.run(client.getPadesBytes(status.padesUrl!))
    expect(padesBytes).toEqual(streamed)

    // XAdES per signer, from the status entry or the URL list.
    for (const entry of status.signers) {
      const xades = await h.run(client.getXadesBytes(entry.xadesUrl!))
      expect(new TextDecoder().decode(xades)).toContain("Signature")
    }
    const xadesStream = await h.run(client.getXades(status.xadesUrls[0]!))
    expect(xadesStream.contentType).toContain("xml")

    // Confirm: one POST to the confirmation URL.
    const confirmations = h.sim.counters().confirmations
    await h.run(client.confirm(status))
    expect(h.sim.counters().confirmations).toBe(confirmations + 1)

    // Not deletable yet: the status has no delete URL, so nothing is sent.
    const before = h.transport.calls()
    const notYet = await h.run(Effect.flip(client.deleteDocuments(status)))
    expect(notYet).toBeInstanceOf(DocumentsNotDeletable)
    expect((notYet as DocumentsNotDeletable).reason).toBe("NotAdvertised")
    expect(h.transport.calls()).toBe(before)

    // 24 h later the status advertises the delete URL, and deleting works.
    h.sim.clock.advance(25 * 60 * 60 * 1000)
    const later = await h.run(client.getStatus(job.statusUrl!, tokenOf(exit2)))
    expect(later.deleteDocumentsUrl).toBeDefined()
    await h.run(client.deleteDocuments(later))
    expect(h.sim.job(job.signatureJobId)?.documentsDeleted).toBe(true)
  })

  it("requests a new redirect URL from the create response's signer and from the signer URL alone", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "solo" }] })))
    const signer = job.signers[0]!
    const fresh = await h.run(client.requestNewRedirectUrl(signer))
    expect(fresh.href).toBe(signer.href)
    expect(fresh.signer).toEqual({ _tag: "CustomIdentifier", value: "solo" })
    expect(fresh.redirectUrl).not.toBe(signer.redirectUrl)
    const again = await h.run(client.requestNewRedirectUrl(signer.href))
    expect(again.redirectUrl).not.toBe(fresh.redirectUrl)
  })

  it("a POLLING job on a named queue: the change arrives once, with the next permitted poll time", async () => {
    const sender = { organizationNumber: ORG_A, pollingQueue: "flow" }
    const job = await h.run(
      client.create(jobInput({ sender, statusRetrievalMethod: "POLLING", signers: [{ customIdentifier: "p1" }] })),
    )
    await h.sim.reject(job.signatureJobId, "p1")
    const change = await h.run(client.getStatusChange(sender))
    expect(change._tag).toBe("StatusChange")
    if (change._tag !== "StatusChange") return
    expect(change.status.signatureJobId).toBe(job.signatureJobId)
    expect(change.status.status).toBe("FAILED")
    expect(change.status.signers[0]?.status).toBe("REJECTED")
    // After a change the next poll is permitted at once (by the simulator's clock, which earlier tests moved on).
    expect(change.nextPermittedPollTime.getTime()).toBeLessThanOrEqual(h.sim.clock.now() + 1_000)
    await h.run(client.confirm(change.status))
    const empty = await h.run(client.getStatusChange(sender))
    expect(empty._tag).toBe("NoChanges")
  })

  it("uses the default sender, and the job's own sender when it has one", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "d1" }] })))
    expect(job.statusUrl).toContain(`/api/${ORG_A}/direct/`)
    const noDefault = await h.client({ sender: undefined })
    const error = await h.run(Effect.flip(noDefault.create(jobInput())))
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0]?.path).toBe("sender")
  })

  it("accepts an already validated job and a prebuilt bundle", async () => {
    const { DirectJob, DocumentBundle } = await import("@signering/protocol")
    const validated = DirectJob.makeOrThrow({
      ...jobInput({ signers: [{ customIdentifier: "pre" }] }),
      sender: { organizationNumber: ORG_A },
    })
    const bundle = await Effect.runPromise(DocumentBundle.make(validated, h.keystore))
    const noKeystore = await h.client({ keystore: undefined })
    const job = await h.run(noKeystore.create(validated, { bundle }))
    expect(job.signers[0]?.signer.value).toBe("pre")
    const missing = await h.run(Effect.flip(noKeystore.create(validated)))
    expect((missing as ValidationError).issues[0]?.path).toBe("keystore")
  })
})

describe("errors", () => {
  it("a wrong token is InvalidStatusQueryToken; a waiting signer's token is SigningCeremonyNotCompleted", async () => {
    const job = await h.run(client.create(jobInput()))
    const wrong = await h.run(Effect.flip(client.getStatus(job.statusUrl!, "not-the-token")))
    expect(wrong).toBeInstanceOf(InvalidStatusQueryToken)
    const e = wrong as InvalidStatusQueryToken
    expect(e.status).toBe(403)
    expect(e.errorCode).toBe("INVALID_STATUS_QUERY_TOKEN")
    expect(e.operation).toBe("getStatus")
    expect(e.method).toBe("GET")
    expect(e.url).toBe(`${job.statusUrl}?status_query_token=***`)
    const waitingToken = h.sim.statusQueryToken(job.signatureJobId, PIN)
    const waiting = await h.run(Effect.flip(client.getStatus(job.statusUrl!, waitingToken)))
    expect(waiting).toBeInstanceOf(SigningCeremonyNotCompleted)
    expect((waiting as SigningCeremonyNotCompleted).status).toBe(404)
  })

  it("invalid input is a ValidationError before any request", async () => {
    const calls = h.transport.calls()
    const error = await h.run(Effect.flip(client.create(jobInput({ title: "x".repeat(81), signers: [] }))))
    expect(error).toBeInstanceOf(ValidationError)
    const paths = (error as ValidationError).issues.map((i) => i.path)
    expect(paths).toContain("title")
    expect(paths).toContain("signers")
    expect(h.transport.calls()).toBe(calls)
  })

  it("a malformed body is a DecodeError; an unknown status is UnexpectedResponse", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "m1" }] })))
    const token = tokenOf(await h.sim.sign(job.signatureJobId, "m1"))
    h.sim.faults.inject({ route: "status", kind: "malformed" })
    const malformed = await h.run(Effect.flip(client.getStatus(job.statusUrl!, token)))
    expect(malformed).toBeInstanceOf(DecodeError)
    h.sim.faults.inject({ route: "status", kind: "status", status: 500 })
    const failed = await h.run(Effect.flip(client.getStatus(job.statusUrl!, token)))
    expect(failed).toBeInstanceOf(UnexpectedResponse)
    expect((failed as UnexpectedResponse).status).toBe(500)
  })

  it("a refused DELETE is DocumentsNotDeletable (Refused), with the server's code", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "del" }] })))
    const token = tokenOf(await h.sim.sign(job.signatureJobId, "del"))
    h.sim.clock.advance(25 * 60 * 60 * 1000)
    const status = await h.run(client.getStatus(job.statusUrl!, token))
    await h.run(client.deleteDocuments(status))
    const again = await h.run(Effect.flip(client.deleteDocuments(status.deleteDocumentsUrl!)))
    expect(again).toBeInstanceOf(DocumentsNotDeletable)
    expect((again as DocumentsNotDeletable).reason).toBe("Refused")
    expect((again as DocumentsNotDeletable).errorCode).toBe("DOCUMENTS_NOT_DELETABLE")
  })
})

describe("retries", () => {
  it("create is not retried after a reset or a 503 (its body may have reached the server)", async () => {
    h.sim.resetObservations()
    h.sim.faults.inject({ route: "create", kind: "reset" })
    const reset = await h.run(Effect.flip(client.create(jobInput())))
    expect(reset).toBeInstanceOf(TransportError)
    expect((reset as TransportError).reason).toBe("ClosedEarly")
    expect(routeCount("create")).toBe(1)
    h.sim.faults.inject({ route: "create", kind: "status", status: 503 })
    const unavailable = await h.run(Effect.flip(client.create(jobInput())))
    expect((unavailable as UnexpectedResponse).status).toBe(503)
    expect(routeCount("create")).toBe(2)
    expect(h.sim.counters().creations).toBe(0)
  })

  it("create is retried when the connection was refused (nothing was sent)", async () => {
    const apiRoot = `https://127.0.0.1:${await closedPort()}/api`
    const c = await h.client({ environment: Environment.custom({ apiRoot }) })
    const calls = h.transport.calls()
    const error = await h.run(Effect.flip(c.create(jobInput())))
    expect((error as TransportError).reason).toBe("Connect")
    expect(h.transport.calls() - calls).toBe(3)
  })

  it("a new redirect URL is not retried after a reset", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "r1" }] })))
    h.sim.resetObservations()
    h.sim.faults.inject({ route: "signer", kind: "reset" })
    const error = await h.run(Effect.flip(client.requestNewRedirectUrl(job.signers[0]!)))
    expect((error as TransportError).reason).toBe("ClosedEarly")
    expect(routeCount("signer")).toBe(1)
  })

  it("status, downloads, confirm and delete are retried on 502/503/504 and resets", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "s1" }] })))
    const token = tokenOf(await h.sim.sign(job.signatureJobId, "s1"))
    h.sim.resetObservations()
    h.sim.faults.inject({ route: "status", kind: "status", status: 503 })
    h.sim.faults.inject({ route: "status", kind: "reset" })
    const status = await h.run(client.getStatus(job.statusUrl!, token))
    expect(routeCount("status")).toBe(3)
    h.sim.faults.inject({ route: "pades", kind: "status", status: 502 })
    await h.run(client.getPadesBytes(status.padesUrl!))
    expect(routeCount("pades")).toBe(2)
    h.sim.faults.inject({ route: "xades", kind: "truncate" })
    const xades = await h.run(client.getXadesBytes(status.xadesUrls[0]!))
    expect(routeCount("xades")).toBe(2)
    expect(new TextDecoder().decode(xades)).toContain("Signature")
    // A streamed download is not retried mid-body: the cut surfaces as ClosedEarly on the stream.
    h.sim.faults.inject({ route: "xades", kind: "truncate" })
    const streamed = await h.run(client.getXades(status.xadesUrls[0]!))
    const cut = await h.run(Effect.flip(Stream.mkUint8Array(streamed.stream)))
    expect(cut).toBeInstanceOf(TransportError)
    expect((cut as TransportError).reason).toBe("ClosedEarly")
    h.sim.faults.inject({ route: "confirm", kind: "status", status: 504 })
    await h.run(client.confirm(status))
    expect(routeCount("confirm")).toBe(2)
    h.sim.clock.advance(25 * 60 * 60 * 1000)
    const deletable = await h.run(client.getStatus(job.statusUrl!, token))
    h.sim.faults.inject({ route: "delete", kind: "reset" })
    await h.run(client.deleteDocuments(deletable))
    expect(routeCount("delete")).toBe(2)
  })
})

describe("download timeouts", () => {
  it("a PAdES that does not start within the download timeout fails with Timeout", async () => {
    const job = await h.run(client.create(jobInput({ signers: [{ customIdentifier: "t1" }] })))
    const token = tokenOf(await h.sim.sign(job.signatureJobId, "t1"))
    const status = await h.run(client.getStatus(job.statusUrl!, token))
    const c = await h.client({ timeouts: { download: "200 millis" }, retry: false })
    h.sim.faults.inject({ route: "pades", kind: "latency", ms: 5_000 })
    const started = Date.now()
    const error = await h.run(Effect.flip(c.getPadesBytes(status.padesUrl!)))
    expect((error as TransportError).reason).toBe("Timeout")
    expect((error as TransportError).operation).toBe("getPades")
    expect(Date.now() - started).toBeLessThan(4_000)
  })
})

describe("redaction", () => {
  it("errors, logs and spans never contain status query tokens or personal identification numbers", async () => {
    const lines: Array<string> = []
    const spans: Array<Tracer.NativeSpan> = []
    const logger = Logger.make((options) => {
      lines.push(Logger.formatJson.log(options))
    })
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      },
    })
    const observed = <A, E>(effect: Effect.Effect<A, E>) =>
      h.run(
        effect.pipe(
          Effect.provide(Logger.layer([logger])),
          Effect.provideService(References.MinimumLogLevel, "Debug"),
          Effect.withTracer(tracer),
        ),
      )
    const job = await observed(client.create(jobInput()))
    const exit = await h.sim.sign(job.signatureJobId, PIN)
    const token = tokenOf(exit)
    await observed(client.getStatus(job.statusUrl!, token))
    const wrongToken = `${token}x`
    const error = await observed(Effect.flip(client.getStatus(job.statusUrl!, wrongToken)))
    const redirectToken = new URL(job.signers[0]!.redirectUrl).toString().split(/[#/=]/).at(-1)!

    // One line per operation, with the operation, method, masked URL and duration.
    expect(lines).toHaveLength(3)
    const parsed = lines.map((l) => JSON.parse(l) as { message: string; annotations: Record<string, unknown> })
    expect(parsed.map((l) => l.message)).toEqual([
      "signering create ok",
      "signering getStatus ok",
      "signering getStatus failed: InvalidStatusQueryToken",
    ])
    for (const l of parsed) {
      expect(l.annotations.method).toBeDefined()
      expect(l.annotations.url).toBeDefined()
      expect(l.annotations.durationMs).toBeTypeOf("number")
    }
    const spanText = JSON.stringify(
      spans.map((s) => ({ name: s.name, attributes: Object.fromEntries(s.attributes) })),
      (_k, v) => (typeof v === "bigint" ? String(v) : v),
    )
    expect(spans.map((s) => s.name)).toContain("DirectClient.getStatus")
    expect(spanText).toContain("status_query_token")
    // The client's span has the answer's status, and the calls without a tracer below made no spans here.
    const create = spans.find((s) => s.name === "DirectClient.create")
    expect(create?.attributes.get("http.response.status_code")).toBe(200)
    const before = spans.length
    await h.run(client.getStatus(job.statusUrl!, token))
    expect(spans).toHaveLength(before)
    const everything = [
      ...lines,
      spanText,
      String(error),
      (error as Error).message,
      JSON.stringify(error),
      (error as Error).stack ?? "",
    ].join("\n")
    for (const secret of [token, wrongToken, PIN, redirectToken]) expect(everything).not.toContain(secret)
  })
})

describe("configuration", () => {
  it("rejects an invalid API root and sender with a ValidationError naming the fields", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        DirectClient.make({
          environment: Environment.custom({ apiRoot: "ftp://x" }),
          sender: { organizationNumber: "1" },
          retry: { times: 99 },
        }).pipe(Effect.provide(h.transport.layer)),
      ),
    )
    expect(error._tag === "ValidationError" && error.issues.map((i) => i.path)).toEqual([
      "environment.apiRoot",
      "sender.organizationNumber",
      "retry.times",
    ])
  })

  it("rejects durations that are not finite and positive", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        DirectClient.make({
          environment: h.environment,
          timeouts: { api: "soon" as never, download: -5 },
          retry: { base: "1 eon" as never },
        }).pipe(Effect.provide(h.transport.layer)),
      ),
    )
    expect(error._tag === "ValidationError" && error.issues.map((i) => i.path)).toEqual([
      "timeouts.api",
      "timeouts.download",
      "retry.base",
    ])
  })

  it("rejects bad URL arguments and empty tokens before any request", async () => {
    const calls = h.transport.calls()
    const cases = [
      [client.getStatus("status", "token"), "statusUrl"],
      [client.getStatus(`${h.sim.url}/x/status`, "  "), "statusQueryToken"],
      [client.requestNewRedirectUrl("/signers/1"), "signer"],
      [client.confirm({ confirmationUrl: "javascript:alert(1)" }), "confirmationUrl"],
      [client.getPadesBytes("pades"), "url"],
      [client.getXades({ url: "" }), "url"],
      [client.deleteDocuments("file:///etc/passwd"), "deleteDocumentsUrl"],
    ] as const
    for (const [effect, path] of cases) {
      const error = await h.run(Effect.flip(effect as Effect.Effect<unknown, unknown>))
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues[0]?.path).toBe(path)
    }
    expect(h.transport.calls()).toBe(calls)
  })
})
