/**
 * Strict intake seen from outside: create requests over mutual TLS, valid ones from both bundle builders accepted,
 * tampered ones refused with the answer the simulator documents.
 */

import { Readable } from "node:stream"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "@signering/protocol"
import { Effect } from "effect"
import { request } from "undici"
import { validationStats } from "../src/internal/intake/schema.js"
import { buildRequest, minimalPdf, multipart, requestXml } from "./support/bundle.js"
import { call, collectedXml, xmlText } from "./support/client.js"
import { schemaErrors } from "./support/schema.js"
import { type Harness, parseCreated, start } from "./support/setup.js"

let h: Harness
beforeAll(async () => {
  h = await start()
})
afterAll(() => h.close())

const refused = async (overrides: Parameters<Harness["spec"]>[0], status: number, code: string) => {
  const before = h.sim.counters()
  const r = await h.post(h.orgA, buildRequest(h.spec(overrides)))
  expect({ status: r.status, code: xmlText(r.text, "error-code") }).toEqual({ status, code })
  expect(xmlText(r.text, "error-type")).toBe("CLIENT")
  expect(h.sim.counters().creations).toBe(before.creations)
  expect(h.sim.counters().rejectedCreations).toBe(before.rejectedCreations + 1)
  return r
}

describe("intake", () => {
  it("accepts a bundle built by the protocol package's DocumentBundle.make", async () => {
    const sender = h.sim.pki.senders[0]!
    const job = DirectJob.makeOrThrow({
      title: "Ansettelseskontrakt",
      description: "Les og signer",
      documents: [
        { title: "Kontrakt", bytes: minimalPdf("Kontrakt") },
        { title: "Vedlegg æøå", bytes: minimalPdf("Vedlegg") },
      ],
      signers: [{ customIdentifier: "kunde-1" }, { customIdentifier: "kunde-2" }],
      sender: { organizationNumber: sender.organizationNumber, pollingQueue: "q1" },
      exitUrls: {
        completionUrl: "https://sender.example/ok",
        rejectionUrl: "https://sender.example/no",
        errorUrl: "https://sender.example/err",
      },
      statusRetrievalMethod: "POLLING",
    })
    const keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
    const bundle = await Effect.runPromise(
      DocumentBundle.make(job, keystore, { signingTime: new Date(h.sim.clock.now()), timeZone: "Europe/Oslo" }),
    )
    const r = await h.post(
      h.orgA,
      multipart([
        { type: "application/xml", body: new TextEncoder().encode(DirectXml.encodeJobRequest(job)) },
        { type: "application/octet-stream", body: bundle.bytes },
      ]),
    )
    expect(r.status).toBe(200)
    const created = parseCreated(r)
    expect(created.signers.map((s) => s.value)).toEqual(["kunde-1", "kunde-2"])
    // The decoded response is what the client would see.
    const decoded = DirectXml.decodeJobResponse(r.text)
    expect(decoded._tag).toBe("Success")
  })

  it("refuses a bundle whose document changed after signing", async () => {
    await refused({ tamper: "document-byte" }, 400, "INVALID_SIGNATURE")
  })

  it("refuses a bundle whose manifest changed after signing", async () => {
    await refused({ tamper: "manifest-byte" }, 400, "INVALID_SIGNATURE")
  })

  it("refuses a SigningTime more than 5 s off the simulator's clock, either way", async () => {
    await refused({ signingTime: new Date(h.sim.clock.now() - 60_000) }, 400, "SIGNING_TIME_OUT_OF_RANGE")
    await refused({ signingTime: new Date(h.sim.clock.now() + 60_000) }, 400, "SIGNING_TIME_OUT_OF_RANGE")
  })

  it("refuses a bundle signed with another certificate than the TLS client certificate", async () => {
    const other = h.sim.pki.senders[1]!
    await refused(
      { certificateChainPem: other.chainPem, privateKeyPem: other.privateKeyPem },
      400,
      "SIGNING_CERTIFICATE_MISMATCH",
    )
  })

  it("refuses a manifest whose sender is not the organization in the URL", async () => {
    await refused({ manifestSender: h.orgB }, 400, "SENDER_MISMATCH")
  })

  it("answers SCHEMA_VALIDATION_ERROR for a request XML that breaks the schema", async () => {
    const r = await refused(
      { requestXml: requestXml(h.spec({ reference: "x".repeat(51) })) },
      400,
      "SCHEMA_VALIDATION_ERROR",
    )
    expect(xmlText(r.text, "error-message")).toMatch(/^Xml-message was not in accordance to schema/)
  })

  it("answers SCHEMA_VALIDATION_ERROR for a manifest with eleven signers", async () => {
    const signers = Array.from({ length: 11 }, (_, i) => ({ id: `s${i}` }))
    await refused({ signers }, 400, "SCHEMA_VALIDATION_ERROR")
  })

  it("refuses a request that is not multipart", async () => {
    const r = await call(h.a, "POST", `${h.sim.url}/${h.orgA}/direct/signature-jobs`, {
      body: "<x/>",
      headers: { "content-type": "application/xml" },
    })
    expect(r.status).toBe(415)
  })

  // The portal create route reads and verifies through the same step: a refusal there is answered and counted alike.
  it("refuses a portal request that is not multipart, counted as a rejected creation", async () => {
    const before = h.sim.counters()
    const r = await call(h.a, "POST", `${h.sim.url}/${h.orgA}/portal/signature-jobs`, {
      body: "<x/>",
      headers: { "content-type": "application/xml" },
    })
    expect(r.status).toBe(415)
    expect(h.sim.counters()).toMatchObject({
      rejectedCreations: before.rejectedCreations + 1,
      creations: before.creations,
    })
  })

  it("refuses a request over the size cap with 413 while reading it", async () => {
    const r = await call(h.a, "POST", `${h.sim.url}/${h.orgA}/direct/signature-jobs`, {
      body: new Uint8Array(33 * 1024 * 1024),
      headers: { "content-type": "multipart/mixed; boundary=b" },
    })
    expect(r.status).toBe(413)
    expect(xmlText(r.text, "error-code")).toBe("REQUEST_TOO_LARGE")
  })

  it("answers concurrent creations whose validations share one xmllint run each with its own verdict", async () => {
    const before = { ...validationStats }
    // Bursts until one batched run happened (the first request of a burst runs alone, the others usually wait).
    for (let burst = 0; burst < 5 && validationStats.batchedRuns === before.batchedRuns; burst++) {
      const kinds = Array.from({ length: 12 }, (_, i) => ({
        i,
        kind: (["ok", "element", "manifest"] as const)[i % 3]!,
      }))
      const marker = (i: number) => `m${burst}x${i}y`
      const replies = await Promise.all(
        kinds.map(({ i, kind }) => {
          const spec = h.spec({ reference: marker(i) })
          return h.post(
            h.orgA,
            buildRequest(
              kind === "element"
                ? { ...spec, requestXml: requestXml(spec).replace("</exit-urls>", `</exit-urls><${marker(i)}/>`) }
                : kind === "manifest"
                  ? { ...spec, manifestSender: marker(i) }
                  : spec,
            ),
          )
        }),
      )
      for (const [n, r] of replies.entries()) {
        const { i, kind } = kinds[n]!
        if (kind === "ok") {
          expect(r.status).toBe(200)
          continue
        }
        expect({ status: r.status, code: xmlText(r.text, "error-code") }).toEqual({
          status: 400,
          code: "SCHEMA_VALIDATION_ERROR",
        })
        const message = xmlText(r.text, "error-message") ?? ""
        expect(message).toContain(marker(i))
        for (const other of kinds) if (other.i !== i) expect(message).not.toContain(marker(other.i))
      }
    }
    expect(validationStats.batchedRuns).toBeGreaterThan(before.batchedRuns)
    expect(validationStats.fallbacks).toBe(before.fallbacks)
  })

  it("refuses a chunked request (no Content-Length) with 413 once it passes the size cap while reading", async () => {
    const chunk = new Uint8Array(1024 * 1024)
    async function* body() {
      for (let i = 0; i < 34; i++) yield chunk
    }
    const before = h.sim.counters().rejectedCreations
    const res = await request(`${h.sim.url}/${h.orgA}/direct/signature-jobs`, {
      method: "POST",
      dispatcher: h.a,
      headers: { "content-type": "multipart/mixed; boundary=b", accept: "application/xml" },
      body: Readable.from(body()),
    })
    const text = await res.body.text()
    expect(res.statusCode).toBe(413)
    expect(xmlText(text, "error-code")).toBe("REQUEST_TOO_LARGE")
    expect(h.sim.counters().rejectedCreations).toBe(before + 1)
    // the connection still serves the next request
    expect((await call(h.a, "GET", `${h.sim.url}/${h.orgA}`)).status).toBe(200)
  })

  it("every XML response validates against the protocol schema files", async () => {
    expect(await schemaErrors(collectedXml)).toEqual([])
  })
})
