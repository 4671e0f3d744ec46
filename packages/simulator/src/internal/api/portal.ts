/**
 * The portal-flow routes of PROTOCOL.md §2 (P1–P6) and the archive (A1).
 */
import type { Hono } from "hono"
import type { Engine } from "../engine.js"
import { verifyPortalCreateRequest } from "../intake/index.js"
import { portalJobResponse, portalStatusChange } from "../portalXml.js"
import {
  type C,
  devModeSign,
  documentRoutes,
  type Env,
  errorResponse,
  jobFinder,
  notFound,
  pollHandler,
  type Route,
  verifiedCreate,
  xml,
} from "./shared.js"

export const portalRoutes = (app: Hono<Env>, engine: Engine, route: Route) => {
  const { state, counters } = engine
  const jobOf = jobFinder(engine, "portal")

  app.post(
    "/api/:org/portal/signature-jobs",
    route("portal-create", async (c) => {
      const result = await verifiedCreate(c, engine, verifyPortalCreateRequest)
      if (result instanceof Response) return result
      const { request, manifest, documents } = result
      const job = state.createPortalJob(
        {
          organization: c.req.param("org") ?? "",
          reference: request.reference,
          pollingQueue: request.pollingQueue,
          title: manifest.title,
          nonsensitiveTitle: manifest.nonsensitiveTitle,
          description: manifest.description,
          documents,
          activationTime: manifest.activationTime?.getTime(),
          availableMs: manifest.availableSeconds * 1000,
          signers: manifest.signers.map((s) => ({
            personalIdentificationNumber: s.personalIdentificationNumber,
            order: s.order,
            notifications: s.notifications,
            lookup: s.lookup,
          })),
        },
        (pin) => engine.lookup(pin),
      )
      counters.creations++
      return xml(c, portalJobResponse(engine.urls, job))
    }),
  )

  app.get(
    "/api/:org/portal/signature-jobs",
    route(
      "portal-poll",
      pollHandler(engine, "portal", (job, change) => portalStatusChange(engine.urls, state, job, change)),
    ),
  )

  const confirm = (c: C, seq: number | undefined) => {
    const job = jobOf(c)
    if (job === undefined) return notFound(c, "Signature job")
    counters.confirmations++
    state.confirm(job, seq)
    return c.body(null, 200)
  }
  app.post(
    "/api/:org/portal/signature-jobs/:id/complete",
    route("portal-confirm", (c) => confirm(c, undefined)),
  )
  app.post(
    "/api/:org/portal/signature-jobs/:id/changes/:seq/complete",
    route("portal-confirm", (c) => confirm(c, Number(c.req.param("seq")))),
  )

  app.post(
    "/api/:org/portal/signature-jobs/:id/cancel",
    route("portal-cancel", (c) => {
      const job = jobOf(c)
      if (job === undefined) return notFound(c, "Signature job")
      if (!engine.cancel(job))
        return errorResponse(
          c,
          409,
          "SIGNATURE_JOB_NOT_CANCELLABLE",
          "The signature job cannot be cancelled: it is already completed",
        )
      return c.body(null, 200)
    }),
  )

  documentRoutes(app, engine, route, "portal")

  app.post(
    "/web/portal/signature-jobs/:id/devmodesign",
    route("devmode", (c) => devModeSign(c, engine, "portal")),
  )

  // A1: long-term storage. The owner is the organization in the path; the id is opaque; no Accept is required
  // (the Java client sends none).
  app.get(
    "/api/:org/archive/documents/:documentId/pades",
    route("archive", async (c) => {
      const stored = engine.archive.get(c.req.param("org") ?? "")?.get(c.req.param("documentId") ?? "")
      if (stored === undefined) return notFound(c, "Archived document")
      const pdf = await stored.pades
      return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { "Content-Type": "application/pdf" })
    }),
  )
}
