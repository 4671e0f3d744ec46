/**
 * Black-box tests of the API listener over real mutual TLS on loopback, with a plain undici client.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { PDFDocument } from "pdf-lib"
import { Agent, request } from "undici"
import * as Simulator from "../src/Simulator.js"
import { buildRequest } from "./support/bundle.js"
import { agentFor, call, collectedXml, xmlText } from "./support/client.js"
import { opensslCmsVerify, pdfSignatureParts } from "./support/pdfSignature.js"
import { schemaErrors } from "./support/schema.js"
import { BROKER, type Harness, start, statusOf, tokenOf } from "./support/setup.js"

const DAY = 24 * 3600 * 1000
let h: Harness

beforeAll(async () => {
  h = await start({ clock: Simulator.testClock() })
})
afterAll(() => h.close())

const errorCode = (xml: string) => xmlText(xml, "error-code")

describe("mutual TLS", () => {
  it("answers whoami for the certificate's own organization (SEID 2 and SEID 1 subjects)", async () => {
    const a = await call(h.a, "GET", `${h.sim.url}/${h.orgA}`)
    expect(a).toMatchObject({ status: 200, text: `You are ${h.orgA}` })
    const b = await call(h.b, "GET", `${h.sim.url}/${h.orgB}`)
    expect(b).toMatchObject({ status: 200, text: `You are ${h.orgB}` })
  })

  it("accepts the sender's PKCS#12 file as written for clients (AES-256 one, straight into Node's TLS)", async () => {
    const sender = h.sim.pki.senders.find((s) => s.pkcs12Encryption === "aes-256")!
    const agent = new Agent({
      connect: {
        pfx: Buffer.from(sender.pkcs12),
        passphrase: sender.pkcs12Passphrase,
        ca: h.sim.pki.caCertificatePem,
        checkServerIdentity: () => undefined,
      },
    })
    const r = await call(agent, "GET", `${h.sim.url}/${sender.organizationNumber}`)
    expect(r.text).toBe(`You are ${sender.organizationNumber}`)
    await agent.close()
  })

  it("refuses a connection without a client certificate at the TLS level", async () => {
    const agent = new Agent({ connect: { ca: h.sim.pki.caCertificatePem, checkServerIdentity: () => undefined } })
    await expect(request(`${h.sim.url}/${h.orgA}`, { dispatcher: agent }).then((r) => r.body.text())).rejects.toThrow()
    await agent.close()
  })

  it("refuses a client certificate from another CA", async () => {
    const agent = agentFor(h.sim.pki.foreign.sender, h.sim.pki.caCertificatePem)
    await expect(call(agent, "GET", `${h.sim.url}/${h.orgA}`)).rejects.toThrow()
    await agent.close()
  })

  it("refuses an expired client certificate", async () => {
    const expired = h.sim.pki.issueClientCertificate({
      organizationNumber: h.orgA,
      notBefore: new Date(Date.now() - 3 * DAY),
      notAfter: new Date(Date.now() - DAY),
    })
    const agent = agentFor(expired, h.sim.pki.caCertificatePem)
    await expect(call(agent, "GET", `${h.sim.url}/${h.orgA}`)).rejects.toThrow()
    await agent.close()
  })

  it("serves a server certificate for organization 984661185 that is not issued for the host name", async () => {
    const strict = new Agent({
      connect: {
        key: h.sim.pki.senders[0]!.privateKeyPem,
        cert: h.sim.pki.senders[0]!.chainPem,
        ca: h.sim.pki.caCertificatePem,
      },
    })
    await expect(call(strict, "GET", `${h.sim.url}/${h.orgA}`)).rejects.toThrow(/altnames|hostname|IP/i)
    await strict.close()
    expect(h.sim.pki.server.organizationNumber).toBe("984661185")
  })
})

describe("authorization", () => {
  it("lets a broker act for its client and says so", async () => {
    const broker = agentFor(
      h.sim.pki.issueClientCertificate({ organizationNumber: BROKER }),
      h.sim.pki.caCertificatePem,
    )
    const r = await call(broker, "GET", `${h.sim.url}/${h.orgA}`)
    expect(r).toMatchObject({ status: 200, text: `You are ${BROKER}, operating on behalf of ${h.orgA}` })
    const other = await call(broker, "GET", `${h.sim.url}/${h.orgB}/direct/signature-jobs`)
    expect(other.status).toBe(403)
    expect(errorCode(other.text)).toBe("BROKER_NOT_AUTHORIZED")
    await broker.close()
  })

  it("answers BROKER_NOT_AUTHORIZED when a sender uses another organization's URL", async () => {
    const r = await call(h.a, "GET", `${h.sim.url}/${h.orgB}/direct/signature-jobs`)
    expect(r.status).toBe(403)
    expect(errorCode(r.text)).toBe("BROKER_NOT_AUTHORIZED")
    expect(xmlText(r.text, "error-type")).toBe("CLIENT")
    expect(r.headers["content-type"]).toMatch(/^application\/xml/)
  })

  it("answers NOT_AUTHORIZED for a valid certificate of an organization without API access", async () => {
    const stranger = agentFor(
      h.sim.pki.issueClientCertificate({ organizationNumber: "916550146" }),
      h.sim.pki.caCertificatePem,
    )
    const r = await call(stranger, "GET", `${h.sim.url}/916550146`)
    expect(r.status).toBe(403)
    expect(errorCode(r.text)).toBe("NOT_AUTHORIZED")
    await stranger.close()
  })
})

describe("create", () => {
  it("answers with the job id, deprecated redirect-urls with @signer, status-url and signer hrefs", async () => {
    const created = await h.create({ signers: [{ pin: "01013300002" }, { id: "kunde-7" }], reference: "ref-1" })
    const xml = created.reply.text
    expect(created.jobId).toMatch(/^[0-9]+$/)
    expect(xmlText(xml, "reference")).toBe("ref-1")
    expect([...xml.matchAll(/<redirect-url signer="([^"]+)">/g)].map((m) => m[1])).toEqual(["01013300002", "kunde-7"])
    expect(created.statusUrl).toBe(`${h.sim.url}/${h.orgA}/direct/signature-jobs/${created.jobId}/status`)
    expect(created.signers.map((s) => s.href)).toEqual([
      `${h.sim.url}/${h.orgA}/direct/signature-jobs/${created.jobId}/signers/1`,
      `${h.sim.url}/${h.orgA}/direct/signature-jobs/${created.jobId}/signers/2`,
    ])
    expect(created.signers[0]!.redirectUrl.startsWith(h.sim.portalUrl)).toBe(true)
    expect(created.signers[0]!.redirectUrl).toMatch(/\/[0-9a-f]{64}$/)
    expect(h.sim.job(created.jobId)?.status).toBe("IN_PROGRESS")
  })

  it("tells the parts apart by media type (bundle part first works too)", async () => {
    const r = await h.post(h.orgA, buildRequest(h.spec({ bundleFirst: true })))
    expect(r.status).toBe(200)
  })

  it("lets a broker create a job for its client", async () => {
    const brokerCreds = h.sim.pki.issueClientCertificate({ organizationNumber: BROKER })
    const broker = agentFor(brokerCreds, h.sim.pki.caCertificatePem)
    const r = await h.post(
      h.orgA,
      buildRequest(h.spec({ certificateChainPem: brokerCreds.chainPem, privateKeyPem: brokerCreds.privateKeyPem })),
      broker,
    )
    expect(r.status).toBe(200)
    await broker.close()
  })
})

describe("status by token", () => {
  it("answers 403 INVALID_STATUS_QUERY_TOKEN for a wrong or missing token", async () => {
    const created = await h.create()
    for (const url of [`${created.statusUrl}?status_query_token=${"0".repeat(64)}`, created.statusUrl]) {
      const r = await call(h.a, "GET", url)
      expect(r.status).toBe(403)
      expect(errorCode(r.text)).toBe("INVALID_STATUS_QUERY_TOKEN")
    }
  })

  it("answers 404 SIGNING_CEREMONY_NOT_COMPLETED before the signer has finished", async () => {
    const created = await h.create()
    const token = h.sim.statusQueryToken(created.jobId, "01013300002")
    const r = await call(h.a, "GET", `${created.statusUrl}?status_query_token=${token}`)
    expect(r.status).toBe(404)
    expect(errorCode(r.text)).toBe("SIGNING_CEREMONY_NOT_COMPLETED")
  })

  it("shows the other signers WAITING after one signed, and accepts (but does not need) polling_queue", async () => {
    const created = await h.create({ signers: [{ id: "a-1" }, { id: "b-2" }] })
    const exit = await h.sim.sign(created.jobId, "a-1")
    expect(exit).toMatch(/^https:\/\/sender\.example\/done\?x=1&status_query_token=[0-9a-f]{64}$/)
    for (const suffix of ["", "&polling_queue=whatever"]) {
      const r = await call(h.a, "GET", `${created.statusUrl}?status_query_token=${tokenOf(exit)}${suffix}`)
      expect(r.status).toBe(200)
      const s = statusOf(r.text)
      expect(s.job).toBe("IN_PROGRESS")
      expect(s.signers.map((x) => [x.signer, x.status])).toEqual([
        ["a-1", "SIGNED"],
        ["b-2", "WAITING"],
      ])
      expect(s.signers.every((x) => /(Z|[+-]\d\d:\d\d)$/.test(x.since ?? ""))).toBe(true)
      expect(s.xadesUrls.map((x) => x.signer)).toEqual(["a-1"])
      expect(s.padesUrl).toBeDefined()
      expect(s.confirmationUrl).toBeUndefined()
    }
  })

  it("completes when all signed: confirmation-url, @signer on every status and xades-url, downloads work", async () => {
    const created = await h.create({ signers: [{ pin: "01013300002" }, { id: "kunde-9" }] })
    await h.sim.sign(created.jobId, "kunde-9")
    const exit = await h.sim.sign(created.jobId, "01013300002")
    const r = await call(h.a, "GET", `${created.statusUrl}?status_query_token=${tokenOf(exit)}`)
    const s = statusOf(r.text)
    expect(s.job).toBe("COMPLETED_SUCCESSFULLY")
    expect(s.signers.map((x) => x.status)).toEqual(["SIGNED", "SIGNED"])
    expect(s.xadesUrls.map((x) => x.signer).sort()).toEqual(["01013300002", "kunde-9"])
    expect(s.confirmationUrl).toBe(`${h.sim.url}/${h.orgA}/direct/signature-jobs/${created.jobId}/complete`)
    expect(s.deleteDocumentsUrl).toBeUndefined()
    // xades ids are opaque, not the signer index
    expect(s.xadesUrls.every((x) => !/\/xades\/[12]$/.test(x.url))).toBe(true)
    const xades = await call(h.a, "GET", s.xadesUrls[0]!.url)
    expect(xades.status).toBe(200)
    expect(xades.headers["content-type"]).toMatch(/^application\/xml/)
    expect(xades.text).toMatch(/^<\?xml[^>]*\?>\s*<ds:Signature /)
    expect(xades.text).toContain(`identifier="${s.xadesUrls[0]!.signer}"`)
    const pades = await call(h.a, "GET", s.padesUrl!, {
      headers: { accept: "application/octet-stream, application/xml" },
    })
    expect(pades.status).toBe(200)
    expect(pades.headers["content-type"]).toBe("application/pdf")
    expect(new TextDecoder().decode(pades.bytes.subarray(0, 5))).toBe("%PDF-")
    // A cover page, then the original document's page.
    expect((await PDFDocument.load(pades.bytes)).getPageCount()).toBeGreaterThanOrEqual(2)
    // Sealed by the simulated e-ID: openssl verifies the PDF signature against the e-ID CA, not the API's CA.
    expect(Buffer.from(pades.bytes).toString("latin1")).toContain("/SubFilter /adbe.pkcs7.detached")
    const { data, cms } = pdfSignatureParts(pades.bytes)
    expect(await opensslCmsVerify(cms, data, h.sim.pki.eidCaCertificatePem)).toBe(true)
    expect(await opensslCmsVerify(cms, data, h.sim.pki.caCertificatePem)).toBe(false)
    const tampered = Buffer.from(data)
    tampered[200] = tampered[200]! ^ 1
    expect(await opensslCmsVerify(cms, tampered, h.sim.pki.eidCaCertificatePem)).toBe(false)
    const confirm = await call(h.a, "POST", s.confirmationUrl!)
    expect(confirm.status).toBe(200)
    // downloads keep working after confirmation
    expect((await call(h.a, "GET", s.padesUrl!)).status).toBe(200)
  })

  it("ends the job on a rejection: the others become NOT_APPLICABLE, the job FAILED", async () => {
    const created = await h.create({ signers: [{ id: "x" }, { id: "y" }, { id: "z" }] })
    await h.sim.sign(created.jobId, "x")
    const exit = await h.sim.reject(created.jobId, "y")
    expect(exit).toMatch(/^https:\/\/sender\.example\/rejected\?status_query_token=/)
    const s = statusOf((await call(h.a, "GET", `${created.statusUrl}?status_query_token=${tokenOf(exit)}`)).text)
    expect(s.job).toBe("FAILED")
    expect(s.signers.map((x) => x.status)).toEqual(["SIGNED", "REJECTED", "NOT_APPLICABLE"])
    expect(s.confirmationUrl).toBeDefined()
    await expect(h.sim.sign(created.jobId, "z")).rejects.toMatchObject({
      _tag: "SimulatorError",
      reason: "SignerCannotAct",
    })
  })

  it("ends the job on an unexpected error and sends the signer to the error URL", async () => {
    const created = await h.create({ signers: [{ id: "x" }, { id: "y" }] })
    const exit = await h.sim.fail(created.jobId, "x")
    expect(exit).toMatch(/^https:\/\/sender\.example\/error\?status_query_token=/)
    expect(h.sim.job(created.jobId)).toMatchObject({
      status: "FAILED",
      signers: [{ status: "FAILED" }, { status: "NOT_APPLICABLE" }],
    })
  })

  it("expires a job after 30 days: waiting signers EXPIRED, job FAILED", async () => {
    const clock = Simulator.testClock()
    const local = await start({ clock })
    const created = await local.create({ signers: [{ id: "p" }, { id: "q" }] })
    await local.sim.sign(created.jobId, "p")
    clock.advance(30 * DAY - 1)
    expect(local.sim.job(created.jobId)?.status).toBe("IN_PROGRESS")
    clock.advance(1)
    expect(local.sim.job(created.jobId)).toMatchObject({
      status: "FAILED",
      signers: [{ status: "SIGNED" }, { status: "EXPIRED" }],
    })
    await local.close()
  })
})

describe("new redirect URL (signer href)", () => {
  it("accepts the XML body (with a bogus Content-Encoding: UTF-8) and an empty body; the old URL stops working", async () => {
    const created = await h.create()
    const signer = created.signers[0]!
    const withXml = await call(h.a, "POST", signer.href, {
      body: '<?xml version="1.0" encoding="UTF-8"?><direct-signer-update-request xmlns="http://signering.posten.no/schema/v1"><redirect-url/></direct-signer-update-request>',
      headers: { "content-type": "application/xml; charset=UTF-8", "content-encoding": "UTF-8" },
    })
    expect(withXml.status).toBe(200)
    expect(withXml.text).toContain(
      `<direct-signer-response xmlns="http://signering.posten.no/schema/v1" href="${signer.href}">`,
    )
    const url1 = xmlText(withXml.text, "redirect-url")!
    expect(url1).not.toBe(signer.redirectUrl)
    const empty = await call(h.a, "POST", signer.href)
    expect(empty.status).toBe(200)
    const url2 = xmlText(empty.text, "redirect-url")!
    expect(url2).not.toBe(url1)
    // Only the newest URL works, once.
    for (const old of [signer.redirectUrl, url1]) expect((await request(old)).statusCode).toBe(410)
    expect((await request(url2)).statusCode).toBe(302)
  })

  it("refuses a body that is not a direct-signer-update-request with SCHEMA_VALIDATION_ERROR", async () => {
    const created = await h.create()
    for (const [body, message] of [
      ["<hello/>", /^Xml-message was not in accordance to schema: Element 'hello'/],
      [
        '<direct-signer-update-request xmlns="http://signering.posten.no/schema/v1"><redirect-url>x</redirect-url></direct-signer-update-request>',
        /^Xml-message was not in accordance to schema: .*redirect-url/,
      ],
      [
        '<direct-signer-response xmlns="http://signering.posten.no/schema/v1" href="h"><signer-identifier>a</signer-identifier><redirect-url>u</redirect-url></direct-signer-response>',
        /root element must be direct-signer-update-request/,
      ],
    ] as const) {
      const r = await call(h.a, "POST", created.signers[0]!.href, {
        body,
        headers: { "content-type": "application/xml" },
      })
      expect(r.status).toBe(400)
      expect(errorCode(r.text)).toBe("SCHEMA_VALIDATION_ERROR")
      expect(xmlText(r.text, "error-message")).toMatch(message)
    }
  })

  it("answers 404 for an unknown signer or job, and for another organization's job", async () => {
    const created = await h.create()
    expect((await call(h.a, "POST", created.signers[0]!.href.replace(/\/1$/, "/9"))).status).toBe(404)
    expect((await call(h.a, "POST", created.signers[0]!.href.replace(created.jobId, "1"))).status).toBe(404)
    const foreignUrl = created.signers[0]!.href.replace(`/${h.orgA}/`, `/${h.orgB}/`)
    expect((await call(h.b, "POST", foreignUrl)).status).toBe(404)
  })
})

describe("confirm", () => {
  it("answers 200 for a job of the organization and 404 for an unknown one", async () => {
    const created = await h.create()
    const base = `${h.sim.url}/${h.orgA}/direct/signature-jobs`
    expect((await call(h.a, "POST", `${base}/${created.jobId}/complete`)).status).toBe(200)
    const unknown = await call(h.a, "POST", `${base}/1/complete`)
    expect(unknown.status).toBe(404)
    expect(errorCode(unknown.text)).toBe("NOT_FOUND")
  })
})

describe("delete documents", () => {
  it("is refused until every signer signed and 24 h passed, advertised only then, and removes the artefacts", async () => {
    const created = await h.create({ signers: [{ id: "d1" }, { id: "d2" }] })
    const deleteUrl = `${h.sim.url}/${h.orgA}/direct/signature-jobs/${created.jobId}/delete-documents`
    const refused = await call(h.a, "DELETE", deleteUrl)
    expect(refused.status).toBe(409)
    expect(errorCode(refused.text)).toBe("DOCUMENTS_NOT_DELETABLE")
    await h.sim.sign(created.jobId, "d1")
    const exit = await h.sim.sign(created.jobId, "d2")
    const statusUrl = `${created.statusUrl}?status_query_token=${tokenOf(exit)}`
    expect(statusOf((await call(h.a, "GET", statusUrl)).text).deleteDocumentsUrl).toBeUndefined()
    expect((await call(h.a, "DELETE", deleteUrl)).status).toBe(409)
    h.sim.clock.advance(DAY)
    const s = statusOf((await call(h.a, "GET", statusUrl)).text)
    expect(s.deleteDocumentsUrl).toBe(deleteUrl)
    expect((await call(h.a, "DELETE", deleteUrl)).status).toBe(200)
    expect(h.sim.job(created.jobId)?.documentsDeleted).toBe(true)
    const after = statusOf((await call(h.a, "GET", statusUrl)).text)
    expect(after.deleteDocumentsUrl).toBeUndefined()
    expect(after.padesUrl).toBeUndefined()
    expect((await call(h.a, "GET", s.padesUrl!)).status).toBe(404)
    expect((await call(h.a, "GET", s.xadesUrls[0]!.url)).status).toBe(404)
    expect((await call(h.a, "DELETE", deleteUrl)).status).toBe(409)
  })

  it("is refused for a failed job even after the delay", async () => {
    const created = await h.create()
    await h.sim.reject(created.jobId, "01013300002")
    h.sim.clock.advance(2 * DAY)
    const r = await call(
      h.a,
      "DELETE",
      `${h.sim.url}/${h.orgA}/direct/signature-jobs/${created.jobId}/delete-documents`,
    )
    expect(r.status).toBe(409)
  })
})

describe("dev-mode sign", () => {
  it("signs as the signer and answers with the exit URL; refuses a second time, unknown signers and other orgs", async () => {
    const created = await h.create({ signers: [{ id: "dev-1" }, { id: "dev-2" }] })
    const url = (signer: string) =>
      `${h.sim.url.replace(/\/api$/, "")}/web/signature-jobs/${created.jobId}/devmodesign?signer=${signer}`
    const r = await call(h.a, "POST", url("dev-1"))
    expect(r.status).toBe(200)
    expect(r.text).toMatch(/^https:\/\/sender\.example\/done\?x=1&status_query_token=/)
    expect(h.sim.job(created.jobId)?.signers[0]?.status).toBe("SIGNED")
    expect((await call(h.a, "POST", url("dev-1"))).status).toBe(409)
    expect((await call(h.a, "POST", url("nobody"))).status).toBe(404)
    expect((await call(h.b, "POST", url("dev-2"))).status).toBe(404)
  })
})

describe("rate limit", () => {
  it("answers 429 with a DoSFilter header past 10 requests/s and blocks the organization for 30 s", async () => {
    const clock = Simulator.testClock()
    const local = await start({ clock, rateLimit: true })
    const whoami = () => call(local.a, "GET", `${local.sim.url}/${local.orgA}`)
    for (let i = 0; i < 10; i++) expect((await whoami()).status).toBe(200)
    const limited = await whoami()
    expect(limited.status).toBe(429)
    expect(limited.headers.dosfilter).toBeDefined()
    expect(limited.headers["x-next-permitted-poll-time"]).toBeUndefined()
    // other organizations are not affected
    expect((await call(local.b, "GET", `${local.sim.url}/${local.orgB}`)).status).toBe(200)
    clock.advance(29_000)
    expect((await whoami()).status).toBe(429)
    clock.advance(1_000)
    expect((await whoami()).status).toBe(200)
    expect(local.sim.counters().rateLimited).toBe(2)
    await local.close()
  })
})

describe("request log", () => {
  it("records method, masked path, route, status and timing, never tokens or personal identification numbers", async () => {
    const created = await h.create({ signers: [{ pin: "01013300002" }] })
    const exit = await h.sim.sign(created.jobId, "01013300002")
    await call(h.a, "GET", `${created.statusUrl}?status_query_token=${tokenOf(exit)}`)
    await call(
      h.a,
      "POST",
      `${h.sim.url.replace(/\/api$/, "")}/web/signature-jobs/${created.jobId}/devmodesign?signer=01013300002`,
    )
    const log = h.sim.requestLog()
    const entry = log.find((e) => e.route === "status" && e.path.includes(created.jobId))!
    expect(entry).toMatchObject({ method: "GET", status: 200, certificateOrganization: h.orgA, listener: "api" })
    expect(entry.path).toContain("status_query_token=***")
    expect(entry.durationMs).toBeGreaterThanOrEqual(0)
    const text = JSON.stringify(log)
    expect(text).not.toContain(tokenOf(exit))
    expect(text).not.toContain("01013300002")
    expect(text).not.toContain(created.signers[0]!.redirectUrl.split("/").pop())
  })
})

describe("secrets", () => {
  it("logging or serializing the instance shows no key material", async () => {
    const { inspect } = await import("node:util")
    for (const text of [inspect(h.sim, { depth: 5 }), JSON.stringify(h.sim), String(h.sim)]) {
      expect(text).toContain(new URL(h.sim.url).port)
      expect(text).not.toMatch(/PRIVATE KEY|pkcs12Passphrase/)
    }
  })
})

describe("options", () => {
  it("refuses options that cannot work with a SimulatorError naming the option", async () => {
    const pki = h.sim.pki
    await expect(Simulator.start({ pki, port: 70000 })).rejects.toMatchObject({
      _tag: "SimulatorError",
      reason: "InvalidOptions",
      detail: expect.stringContaining("port must be an integer from 0 to 65535"),
    })
    await expect(Simulator.start({ pki, emptyQueuePollDelayMs: -1 })).rejects.toThrow(/emptyQueuePollDelayMs/)
    await expect(Simulator.start({ pki, brokers: { "12": ["123456785"] } })).rejects.toThrow(/brokers/)
    await expect(Simulator.start({ pki, rateLimit: { requestsPerSecond: 0, blockMs: 1 } })).rejects.toThrow(
      /requestsPerSecond/,
    )
  })

  it("reports a port in use as a Listen error", async () => {
    const port = Number(new URL(h.sim.url).port)
    await expect(Simulator.start({ pki: h.sim.pki, port })).rejects.toMatchObject({ reason: "Listen" })
  })
})

describe("Effect layer", () => {
  it.effect("layerTest starts a simulator with a frozen clock and closes it with the scope", () =>
    Effect.gen(function* () {
      const url = yield* Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* Simulator.Simulator
          const before = sim.clock.now()
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
          expect(sim.clock.now()).toBe(before)
          sim.clock.advance(1000)
          expect(sim.clock.now()).toBe(before + 1000)
          return sim.url
        }).pipe(Effect.provide(Simulator.layerTest({ pki: h.sim.pki }))),
      )
      const agent = agentFor(h.sim.pki.senders[0]!, h.sim.pki.caCertificatePem)
      const outcome = yield* Effect.promise(() =>
        call(agent, "GET", `${url}/${h.orgA}`).then(
          () => "open",
          () => "closed",
        ),
      )
      yield* Effect.promise(() => agent.close())
      expect(outcome).toBe("closed")
    }),
  )
})

describe("schema", () => {
  it("every XML response collected above validates against the protocol schema files", async () => {
    expect(collectedXml.length).toBeGreaterThan(20)
    expect(await schemaErrors(collectedXml)).toEqual([])
  })
})
