/**
 * The direct-flow routes of PROTOCOL.md §2 (D1–D8), whoami and the dev-mode sign hook.
 */

import { DirectServerXml } from "@signering/protocol/server"
import type { Hono } from "hono"
import type { Engine } from "../engine.js"
import { verifyCreateRequest } from "../intake/index.js"
import { validateDirect } from "../intake/schema.js"
import { jobResponse, signerResponse, statusResponse } from "../responses.js"
import {
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

export const directRoutes = (app: Hono<Env>, engine: Engine, route: Route) => {
  const { state, counters } = engine

  const jobOf = jobFinder(engine, "direct")

  app.post(
    "/api/:org/direct/signature-jobs",
    route("create", async (c) => {
      const result = await verifiedCreate(c, engine, verifyCreateRequest)
      if (result instanceof Response) return result
      const { request, manifest } = result
      const job = state.createJob({
        organization: c.req.param("org") ?? "",
        reference: request.reference,
        exitUrls: request.exitUrls,
        statusRetrievalMethod: request.statusRetrievalMethod,
        pollingQueue: request.pollingQueue,
        title: manifest.title,
        description: manifest.description,
        documents: manifest.documents,
        signers: manifest.signers.map((s) =>
          s.personalIdentificationNumber !== undefined
            ? { kind: "PersonalIdentificationNumber" as const, value: s.personalIdentificationNumber }
            : { kind: "CustomIdentifier" as const, value: s.customIdentifier ?? "" },
        ),
      })
      counters.creations++
      return xml(c, DirectServerXml.encodeJobResponse(jobResponse(engine.urls, job)))
    }),
  )

  app.get(
    "/api/:org/direct/signature-jobs",
    route(
      "poll",
      pollHandler(engine, "direct", (job, change) =>
        DirectServerXml.encodeJobStatusResponse(statusResponse(engine.urls, state, job, change)),
      ),
    ),
  )

  app.get(
    "/api/:org/direct/signature-jobs/:id/status",
    route("status", (c) => {
      const job = jobOf(c)
      const token = c.req.query("status_query_token")
      const signer = job?.signers.find((s) => token !== undefined && token !== "" && s.statusQueryToken === token)
      if (job === undefined || signer === undefined)
        return errorResponse(c, 403, "INVALID_STATUS_QUERY_TOKEN", "The status query token is not valid for this job")
      if (signer.status === "WAITING")
        return errorResponse(c, 404, "SIGNING_CEREMONY_NOT_COMPLETED", "The signing ceremony is not completed")
      return xml(c, DirectServerXml.encodeJobStatusResponse(statusResponse(engine.urls, state, job)))
    }),
  )

  app.post(
    "/api/:org/direct/signature-jobs/:id/signers/:n",
    route("signer", async (c) => {
      const job = jobOf(c)
      const signer = job?.signers.find((s) => String(s.index) === c.req.param("n"))
      if (job === undefined || signer === undefined) return notFound(c, "Signer")
      const body = new TextDecoder().decode(await c.req.arrayBuffer()).trim()
      // The Java client posts a direct-signer-update-request; the .NET client posts nothing. Both are accepted.
      if (body !== "") {
        const problem = await signerUpdateProblem(body)
        if (problem !== undefined)
          return errorResponse(
            c,
            400,
            "SCHEMA_VALIDATION_ERROR",
            `Xml-message was not in accordance to schema: ${problem}`,
          )
      }
      const token = state.issueRedirectToken(job, signer)
      return xml(c, DirectServerXml.encodeSignerResponse(signerResponse(engine.urls, job, signer, token)))
    }),
  )

  app.post(
    "/api/:org/direct/signature-jobs/:id/complete",
    route("confirm", (c) => {
      const job = jobOf(c)
      if (job === undefined) return notFound(c, "Signature job")
      counters.confirmations++
      state.confirm(job)
      return c.body(null, 200)
    }),
  )

  // Under the `settles-change` confirmation model a polled change's confirmation URL names the change.
  app.post(
    "/api/:org/direct/signature-jobs/:id/changes/:seq/complete",
    route("confirm", (c) => {
      const job = jobOf(c)
      if (job === undefined) return notFound(c, "Signature job")
      counters.confirmations++
      state.confirm(job, Number(c.req.param("seq")))
      return c.body(null, 200)
    }),
  )

  documentRoutes(app, engine, route, "direct")

  // Dev-mode auto-sign, like the hook of the official test environment. Answers with the exit URL (with the token).
  app.post(
    "/web/signature-jobs/:id/devmodesign",
    route("devmode", (c) => devModeSign(c, engine, "direct")),
  )
}

/** Why a signer update body is refused (schema first, then the root element), or undefined when it is fine. */
const signerUpdateProblem = async (body: string): Promise<string | undefined> => {
  const schema = await validateDirect([{ fileName: "request.xml", contents: body }])
  if (!schema.valid)
    return (schema.errors[0] ?? "invalid").replace(/^[^:]*:\d*:\s*(Schemas validity error : )?/, "").trim()
  return DirectServerXml.decodeSignerUpdateRequest(body)._tag === "Success"
    ? undefined
    : "the root element must be direct-signer-update-request with a redirect-url"
}
