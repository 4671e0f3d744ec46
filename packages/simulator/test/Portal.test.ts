/**
 * The portal flow over mutual TLS with raw requests: intake, signing order, availability on the test clock, cancel,
 * contact signers and the outbox, the fake contact register, and the signer pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as HeadlessSigner from "../src/HeadlessSigner.js"
import * as Simulator from "../src/Simulator.js"
import { buildRequest } from "./support/bundle.js"
import { call, collectedXml, xmlText } from "./support/client.js"
import {
  buildPortalRequest,
  createPortal,
  nextChange,
  pollPortal,
  portalManifestXml,
  portalRequestXml,
  postPortal,
} from "./support/portal.js"
import { schemaErrors } from "./support/schema.js"
import { type Harness, start } from "./support/setup.js"

const HOUR = 3_600_000
const KARI = "01013300002"
const OLA = "02038512345"
const RESERVED = "03058512345"
const MISSING = "04068512345"

let h: Harness
beforeAll(async () => {
  h = await start({
    clock: Simulator.testClock(new Date("2026-03-02T10:00:00Z")),
    emptyQueuePollDelayMs: 0,
    contactRegister: {
      [KARI]: { email: "kari@krr.example", sms: "+4799999999" },
      [RESERVED]: "RESERVED",
      [MISSING]: "CONTACT_INFORMATION_MISSING",
    },
  })
})
afterAll(() => h.close())

/** Empties the portal queue, confirming whatever is in it, so each test reads its own changes. */
const drain = async () => {
  for (;;) {
    const r = await pollPortal(h)
    if (r.status !== 200) return
    await call(h.a, "POST", xmlText(r.text, "confirmation-url")!)
  }
}

const errorCode = (text: string) => xmlText(text, "error-code")

describe("portal create", () => {
  it("answers the job id and a cancellation URL", async () => {
    const reply = await postPortal(h, buildPortalRequest(h, { reference: "ref-1" }))
    expect(reply.status).toBe(200)
    expect(reply.headers["content-type"]).toMatch(/^application\/xml/)
    const id = xmlText(reply.text, "signature-job-id")!
    expect(xmlText(reply.text, "reference")).toBe("ref-1")
    expect(xmlText(reply.text, "cancellation-url")).toBe(`${h.sim.url}/${h.orgA}/portal/signature-jobs/${id}/cancel`)
    expect(h.sim.job(id)?.flow).toBe("portal")
    await drain()
  })

  it("accepts the deprecated single-document manifest (title and non-sensitive title on the document)", async () => {
    const manifest = portalManifestXml({}, h.orgA).replace(
      /<title>[^<]*<\/title><documents><document ([^>]*)><title>[^<]*<\/title><\/document><\/documents>/,
      "<document $1><title>Gammel avtale</title><nonsensitive-title>Avtale</nonsensitive-title></document>",
    )
    expect(manifest).toContain("<document href=")
    expect(manifest).not.toContain("<documents>")
    const reply = await postPortal(h, buildRequest(h.spec({ requestXml: portalRequestXml({}), manifestXml: manifest })))
    expect(reply.status).toBe(200)
    const jobId = xmlText(reply.text, "signature-job-id")!
    expect(h.sim.outbox({ jobId })[0]?.text).toContain('"Avtale"')
    await drain()
  })

  it("refuses a manifest that breaks the schema, naming the problem", async () => {
    const manifest = portalManifestXml({}, h.orgA).replace("<signers>", "<signers><bogus/>")
    const reply = await postPortal(h, buildRequest(h.spec({ requestXml: portalRequestXml({}), manifestXml: manifest })))
    expect(reply.status).toBe(400)
    expect(errorCode(reply.text)).toBe("SCHEMA_VALIDATION_ERROR")
    expect(xmlText(reply.text, "error-message")).toMatch(/^Xml-message was not in accordance to schema: /)
    // libxml2's words: the manifest went through the protocol package's portal.xsd.
    expect(xmlText(reply.text, "error-message")).toContain("bogus': This element is not expected")
  })

  it("refuses available-seconds over 90 days, an order over 9, OTHER with lookup, and a tampered bundle", async () => {
    const over = await postPortal(h, buildPortalRequest(h, { availableSeconds: 7_776_001 }))
    expect([over.status, errorCode(over.text)]).toEqual([400, "SCHEMA_VALIDATION_ERROR"])
    const order = await postPortal(h, buildPortalRequest(h, { signers: [{ pin: KARI, order: 10 }] }))
    expect([order.status, errorCode(order.text)]).toEqual([400, "SCHEMA_VALIDATION_ERROR"])
    const other = await postPortal(
      h,
      buildPortalRequest(h, { signers: [{ pin: KARI, lookup: {}, onBehalfOf: "OTHER" }] }),
    )
    expect([other.status, errorCode(other.text)]).toEqual([400, "INVALID_SIGNER"])
    const tampered = await postPortal(
      h,
      buildRequest(
        h.spec({
          requestXml: portalRequestXml({}),
          manifestXml: portalManifestXml({}, h.orgA),
          tamper: "document-byte",
        }),
      ),
    )
    expect([tampered.status, errorCode(tampered.text)]).toEqual([400, "INVALID_SIGNATURE"])
    const duplicate = await postPortal(
      h,
      buildPortalRequest(h, {
        signers: [{ contact: { email: "a@example.com" } }, { contact: { email: "a@example.com" } }],
      }),
    )
    expect([duplicate.status, errorCode(duplicate.text)]).toEqual([400, "DUPLICATE_SIGNER"])
  })

  it("is a route of its own for fault injection", async () => {
    h.sim.faults.inject({ route: "portal-poll", kind: "status", status: 503 })
    expect((await pollPortal(h)).status).toBe(503)
    expect((await call(h.a, "GET", `${h.sim.url}/${h.orgA}/direct/signature-jobs`)).status).not.toBe(503)
    expect(h.sim.requestLog().at(-2)?.route).toBe("portal-poll")
  })
})

describe("signing order", () => {
  it("activates and notifies the next group only when the whole group before has signed", async () => {
    await drain()
    const { jobId } = await createPortal(h, {
      nonsensitiveTitle: "Kontrakt",
      signers: [
        { pin: KARI, order: 0, email: "kari@example.com" },
        { contact: { email: "per@example.com", sms: "+4791234567" }, order: 0 },
        { pin: OLA, order: 1, sms: "+4790000000" },
      ],
    })
    const invited = () =>
      h.sim
        .outbox({ jobId })
        .filter((n) => n.kind === "invitation")
        .map((n) => n.to)
    expect(invited().sort()).toEqual(["+4791234567", "kari@example.com", "per@example.com"])
    const kari = h.sim.outbox({ jobId, signer: KARI })[0]!
    expect(kari.text).toContain("Kontrakt")
    expect(kari.text).not.toContain("Kjøpekontrakt")
    expect(kari.link).toBe(`${h.sim.portalUrl}/portal/login`)
    expect(h.sim.outbox({ jobId, signer: "+4791234567" }).some((n) => n.kind === "security-code")).toBe(true)

    await expect(h.sim.sign(jobId, OLA)).rejects.toMatchObject({ _tag: "SimulatorError", reason: "SignerNotActive" })
    h.sim.clock.advance(1000)
    await h.sim.sign(jobId, KARI)
    const first = await nextChange(h)
    expect(first.status).toBe("IN_PROGRESS")
    expect(first.cancellationUrl).toBe(`${h.sim.url}/${h.orgA}/portal/signature-jobs/${jobId}/cancel`)
    expect(first.deleteDocumentsUrl).toBeUndefined()
    expect(first.signatures.map((s) => [s.pin ?? s.email, s.status])).toEqual([
      [KARI, "SIGNED"],
      ["per@example.com", "WAITING"],
      [OLA, "WAITING"],
    ])
    expect(first.signatures[1]!.sms).toBe("+4791234567")
    expect(first.signatures[0]!.xadesUrl).toMatch(/\/portal\/signature-jobs\/\d+\/xades\/\d+$/)
    expect(new Date(first.signatures[0]!.since!).getTime()).toBe(h.sim.clock.now())
    expect(invited()).toHaveLength(3)
    await expect(h.sim.sign(jobId, OLA)).rejects.toMatchObject({ reason: "SignerNotActive" })

    // A contact signer is named by its mobile number as given, too.
    await h.sim.sign(jobId, "+4791234567")
    expect(invited()).toContain("+4790000000")
    expect(h.sim.job(jobId)?.signers[2]?.activatedAt?.getTime()).toBe(h.sim.clock.now())
    await nextChange(h)
    await h.sim.sign(jobId, OLA)
    const last = await nextChange(h)
    expect(last.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(last.cancellationUrl).toBeUndefined()
    expect(last.deleteDocumentsUrl).toBe(`${h.sim.url}/${h.orgA}/portal/signature-jobs/${jobId}/delete-documents`)
    expect(last.padesUrl).toBe(`${h.sim.url}/${h.orgA}/portal/signature-jobs/${jobId}/pades`)
    const pades = await call(h.a, "GET", last.padesUrl!)
    expect(pades.status).toBe(200)
    expect(new TextDecoder().decode(pades.bytes.slice(0, 5))).toBe("%PDF-")
    const xades = await call(h.a, "GET", last.signatures[2]!.xadesUrl!)
    expect(xades.text).toContain("SignedProperties")
    // Documents go only after the waiting time: refused now, allowed 24 h later.
    const early = await call(h.a, "DELETE", last.deleteDocumentsUrl!)
    expect([early.status, errorCode(early.text)]).toEqual([409, "DOCUMENTS_NOT_DELETABLE"])
    expect((await call(h.a, "POST", last.confirmationUrl!)).status).toBe(200)
    h.sim.clock.advance(24 * HOUR)
    expect((await call(h.a, "DELETE", last.deleteDocumentsUrl!)).status).toBe(200)
    expect(h.sim.job(jobId)?.documentsDeleted).toBe(true)
  })

  it("a rejection ends the job for everyone, including groups never activated", async () => {
    await drain()
    const { jobId } = await createPortal(h, {
      signers: [
        { pin: KARI, order: 0 },
        { pin: OLA, order: 1 },
      ],
    })
    await h.sim.reject(jobId, KARI)
    const change = await nextChange(h)
    expect(change.status).toBe("FAILED")
    expect(change.signatures.map((s) => s.status)).toEqual(["REJECTED", "NOT_APPLICABLE"])
    expect(change.cancellationUrl).toBeUndefined()
    expect(change.deleteDocumentsUrl).toBeUndefined()
    await expect(h.sim.sign(jobId, OLA)).rejects.toMatchObject({ reason: "SignerCannotAct" })
  })
})

describe("dev-mode sign and the test controls", () => {
  it("signs a portal signer through the dev-mode hook only once its group is active; sim.fail is refused", async () => {
    await drain()
    const { jobId } = await createPortal(h, {
      signers: [
        { contact: { sms: "+4740000001" }, order: 0 },
        { pin: OLA, order: 1 },
      ],
    })
    const hook = (signer: string) =>
      call(
        h.a,
        "POST",
        `${new URL(h.sim.url).origin}/web/portal/signature-jobs/${jobId}/devmodesign?signer=${encodeURIComponent(signer)}`,
      )
    const early = await hook(OLA)
    expect([early.status, errorCode(early.text)]).toEqual([409, "SIGNER_NOT_ACTIVE"])
    expect((await hook("+4740000001")).status).toBe(200)
    expect(h.sim.job(jobId)?.signers[0]?.status).toBe("SIGNED")
    await expect(h.sim.fail(jobId, OLA)).rejects.toMatchObject({ reason: "SignerCannotAct" })
    expect((await hook(OLA)).status).toBe(200)
    expect(h.sim.job(jobId)?.status).toBe("COMPLETED_SUCCESSFULLY")
    await drain()
  })
})

describe("availability on the simulator clock", () => {
  it("is not visible before the activation time, then expires per group", async () => {
    await drain()
    const activation = new Date(h.sim.clock.now() + 2 * HOUR)
    const { jobId } = await createPortal(h, {
      activationTime: activation.toISOString(),
      availableSeconds: 3600,
      signers: [
        { pin: KARI, order: 0 },
        { pin: OLA, order: 1 },
      ],
    })
    expect(h.sim.outbox({ jobId })).toEqual([])
    await expect(h.sim.sign(jobId, KARI)).rejects.toMatchObject({ reason: "SignerNotActive" })
    h.sim.clock.advance(2 * HOUR)
    expect(h.sim.job(jobId)?.signers[0]?.activatedAt?.getTime()).toBe(activation.getTime())
    expect(h.sim.outbox({ jobId, signer: KARI })).toHaveLength(1)
    // Each group gets the full time from its own activation.
    h.sim.clock.advance(HOUR - 1000)
    await h.sim.sign(jobId, KARI)
    await nextChange(h)
    h.sim.clock.advance(HOUR - 1)
    expect(h.sim.job(jobId)?.status).toBe("IN_PROGRESS")
    h.sim.clock.advance(1)
    const expired = await nextChange(h)
    expect(expired.status).toBe("FAILED")
    expect(expired.signatures.map((s) => s.status)).toEqual(["SIGNED", "EXPIRED"])
    expect(new Date(expired.signatures[1]!.since!).getTime()).toBe(h.sim.clock.now())
  })

  it("expires the signers of groups never activated too", async () => {
    await drain()
    const { jobId } = await createPortal(h, {
      availableSeconds: 60,
      signers: [
        { pin: KARI, order: 0 },
        { pin: OLA, order: 5 },
      ],
    })
    h.sim.clock.advance(60_000)
    const change = await nextChange(h)
    expect(change.jobId).toBe(jobId)
    expect(change.signatures.map((s) => s.status)).toEqual(["EXPIRED", "EXPIRED"])
  })
})

describe("cancel", () => {
  it("cancels every signer who has not signed, queues a change, and answers 409 once the job is final", async () => {
    await drain()
    const { jobId, cancellationUrl } = await createPortal(h, {
      signers: [{ pin: KARI }, { contact: { email: "per@example.com" } }],
    })
    await h.sim.sign(jobId, KARI)
    await nextChange(h)
    const cancelled = await call(h.a, "POST", cancellationUrl)
    expect(cancelled.status).toBe(200)
    expect(h.sim.job(jobId)).toMatchObject({ cancelled: true, status: "FAILED" })
    const change = await nextChange(h)
    expect(change.signatures.map((s) => s.status)).toEqual(["SIGNED", "CANCELLED"])
    expect(change.cancellationUrl).toBeUndefined()
    expect(h.sim.outbox({ jobId, signer: "per@example.com" }).map((n) => n.kind)).toContain("cancellation")
    const again = await call(h.a, "POST", cancellationUrl)
    expect(again.status).toBe(409)
    expect(again.headers["content-type"]).toMatch(/^application\/xml/)
    expect(errorCode(again.text)).toBe("SIGNATURE_JOB_NOT_CANCELLABLE")
  })

  it("is refused for another organization's job", async () => {
    const { jobId } = await createPortal(h)
    const reply = await call(h.b, "POST", `${h.sim.url}/${h.orgB}/portal/signature-jobs/${jobId}/cancel`)
    expect(reply.status).toBe(404)
    expect(h.sim.job(jobId)?.cancelled).toBe(false)
    await call(h.a, "POST", `${h.sim.url}/${h.orgA}/portal/signature-jobs/${jobId}/cancel`)
    await drain()
  })
})

describe("contact-information signers and the outbox", () => {
  it("sign through the pages with the link and the security code from the outbox", async () => {
    await drain()
    const { jobId } = await createPortal(h, { signers: [{ contact: { email: "eva@example.com" } }] })
    const sent = h.sim.outbox({ jobId, signer: "eva@example.com" })
    const link = sent.find((n) => n.kind === "invitation")!.link!
    const securityCode = sent.find((n) => n.kind === "security-code")!.securityCode!
    expect(sent.find((n) => n.kind === "security-code")?.channel).toBe("email")
    const page = await HeadlessSigner.portalByInvitation({ link, securityCode }, "Sign")
    expect(page.text).toContain('data-status="SIGNED"')
    const change = await nextChange(h)
    expect(change.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(change.signatures[0]).toMatchObject({ email: "eva@example.com", status: "SIGNED" })
  })

  it("are BLOCKED after too many wrong security codes, which ends the job", async () => {
    await drain()
    const { jobId } = await createPortal(h, { signers: [{ contact: { sms: "+4741111111" } }, { pin: KARI }] })
    const link = h.sim.outbox({ jobId, signer: "+4741111111" }).find((n) => n.kind === "invitation")!.link!
    const browser = new HeadlessSigner.Browser()
    let page = await browser.request(new URL(link))
    expect(page.status).toBe(200)
    for (const expected of [401, 401, 403]) {
      page = await browser.submit(page, "Continue", { code: "not-the-code" })
      expect(page.status).toBe(expected)
    }
    expect(h.sim.job(jobId)?.signers.map((s) => s.status)).toEqual(["BLOCKED", "NOT_APPLICABLE"])
    const change = await nextChange(h)
    expect(change.status).toBe("FAILED")
    expect(change.signatures[0]).toMatchObject({ sms: "+4741111111", status: "BLOCKED" })
    expect((await browser.request(new URL(link))).status).toBe(410)
  })

  it("shows the outbox on the pages", async () => {
    const res = await fetch(`${h.sim.portalUrl}/portal/outbox`)
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(text).toContain("eva@example.com")
    expect(text).toContain("/portal/invitation/")
  })
})

describe("signers found in the contact register (notifications-using-lookup)", () => {
  it("are notified at the contact data the register holds", async () => {
    await drain()
    const { jobId } = await createPortal(h, { signers: [{ pin: KARI, lookup: { sms: true } }] })
    expect(
      h.sim
        .outbox({ jobId })
        .map((n) => n.to)
        .sort(),
    ).toEqual(["+4799999999", "kari@krr.example"])
    await HeadlessSigner.portalAsPerson(
      { portalUrl: h.sim.portalUrl, personalIdentificationNumber: KARI, jobId },
      "Reject",
    )
    expect((await nextChange(h)).signatures[0]?.status).toBe("REJECTED")
  })

  it("end the job as RESERVED or CONTACT_INFORMATION_MISSING", async () => {
    await drain()
    for (const [pin, status] of [
      [RESERVED, "RESERVED"],
      [MISSING, "CONTACT_INFORMATION_MISSING"],
    ] as const) {
      const { jobId } = await createPortal(h, { signers: [{ pin, lookup: {} }, { pin: OLA }] })
      const change = await nextChange(h)
      expect(change.jobId).toBe(jobId)
      expect(change.status).toBe("FAILED")
      expect(change.signatures.map((s) => s.status)).toEqual([status, "NOT_APPLICABLE"])
      expect(h.sim.outbox({ jobId })).toEqual([])
      await call(h.a, "POST", change.confirmationUrl!)
    }
  })
})

describe("the signer pages", () => {
  it("show a person only the jobs whose group is active", async () => {
    await drain()
    const { jobId } = await createPortal(h, {
      title: "Sameieavtale",
      signers: [
        { pin: KARI, order: 0 },
        { pin: OLA, order: 1 },
      ],
    })
    const ola = new HeadlessSigner.Browser()
    const login = await ola.request(new URL("/portal/login", h.sim.portalUrl))
    let list = await ola.submit(login, "Log in", { pin: OLA })
    expect(list.text).not.toContain("Sameieavtale")
    expect((await ola.request(new URL(`/portal/jobs/${jobId}`, h.sim.portalUrl))).status).toBe(404)
    await HeadlessSigner.portalAsPerson({ portalUrl: h.sim.portalUrl, personalIdentificationNumber: KARI, jobId })
    list = await ola.request(new URL("/portal", h.sim.portalUrl))
    expect(list.text).toContain("Sameieavtale")
    const job = await ola.request(new URL(`/portal/jobs/${jobId}`, h.sim.portalUrl))
    expect(HeadlessSigner.forms(job).map((f) => f.button)).toEqual(["Sign", "Reject"])
    expect(job.text).not.toContain("<script")
    await drain()
  })
})

describe("the shared API machinery on portal routes", () => {
  it("re-queues an unconfirmed portal change and applies the rate limit", async () => {
    const own = await start({
      clock: Simulator.testClock(new Date("2026-03-02T10:00:00Z")),
      emptyQueuePollDelayMs: 5_000,
      unconfirmedRequeueDelayMs: 60_000,
      rateLimit: { requestsPerSecond: 4, blockMs: 30_000 },
    })
    try {
      const { jobId } = await createPortal(own)
      await own.sim.sign(jobId, KARI)
      const delivered = await pollPortal(own)
      expect(delivered.status).toBe(200)
      const empty = await pollPortal(own)
      expect(empty.status).toBe(204)
      expect(String(empty.headers["x-next-permitted-poll-time"])).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d$/)
      own.sim.clock.advance(60_000)
      const again = await pollPortal(own)
      expect(again.status).toBe(200)
      expect(xmlText(again.text, "signature-job-id")).toBe(jobId)
      expect(own.sim.counters().requeued).toBe(1)
      // With `again`, four requests in this second (the limit): the fifth, a portal poll, trips the block.
      for (let i = 0; i < 3; i++) expect((await call(own.a, "GET", `${own.sim.url}/${own.orgA}`)).status).toBe(200)
      const blocked = await pollPortal(own)
      expect(blocked.status).toBe(429)
      expect(blocked.headers.dosfilter).toBe("unavailable")
      expect(own.sim.counters().rateLimited).toBe(1)
    } finally {
      await own.close()
    }
  })
})

describe("every portal answer", () => {
  it("validates against the protocol package's portal.xsd", async () => {
    const portal = collectedXml.filter((d) => /^<\?xml[^>]*\?><(portal-|error )/.test(d.xml))
    expect(portal.filter((d) => d.xml.includes("<portal-signature-job-status-change-response")).length).toBeGreaterThan(
      10,
    )
    expect(await schemaErrors(portal, "portal.xsd")).toEqual([])
  })
})
