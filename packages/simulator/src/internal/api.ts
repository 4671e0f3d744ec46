/**
 * The mutual-TLS API listener: the direct-flow routes of PROTOCOL.md §2, whoami and the dev-mode sign hook.
 */

import { type IncomingMessage, STATUS_CODES } from "node:http"
import type { TLSSocket } from "node:tls"
import type { HttpBindings } from "@hono/node-server"
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response"
import type { DirectResponse } from "@signering/protocol"
import { DirectServerXml } from "@signering/protocol/server"
import { type Context, Hono, type MiddlewareHandler } from "hono"
import { type PeerIdentity, peerIdentity } from "./certificate.js"
import { formatDateTime } from "./clock.js"
import type { Engine } from "./engine.js"
import type { FaultKind, FaultRoute } from "./faults.js"
import { verifyCreateRequest } from "./intake/index.js"
import { validateDirect } from "./intake/schema.js"
import { maskPath } from "./observe.js"
import { jobResponse, signerResponse, statusResponse } from "./responses.js"
import type { JobRecord } from "./state.js"

type Env = {
  Bindings: HttpBindings
  Variables: { identity: PeerIdentity; flags: Array<string>; route: FaultRoute | undefined }
}
type C = Context<Env>

const XML = "application/xml"
/** Largest create request read into memory: 10 MB of documents plus the XML parts and zip overhead, with room. */
const MAX_CREATE_BYTES = 32 * 1024 * 1024

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The request body straight from Node's stream, or undefined when it is over `max` bytes (by its Content-Length, or
 * while reading a chunked one). Hono's `bodyLimit` reads `c.req.raw.body`, which makes the Node adapter build a
 * Fetch Request per call (an AbortSignal, a copy of the headers, a web stream): a few percent of a creation.
 */
const readBody = (incoming: IncomingMessage, max: number): Promise<Uint8Array | undefined> =>
  new Promise((resolve, reject) => {
    const declared = incoming.headers["content-length"]
    if (incoming.headers["transfer-encoding"] === undefined && declared !== undefined && Number(declared) > max) {
      resolve(undefined)
      return
    }
    // A client that left while the handler was delayed (injected latency) closed the stream before these
    // listeners existed: its 'close' will not come again, so waiting would keep the request open forever.
    if (incoming.destroyed) {
      reject(new Error("the client left before the request body was read"))
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    const stop = () => {
      incoming.off("data", onData)
      incoming.off("end", onEnd)
      incoming.off("error", onError)
      incoming.off("close", onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        stop()
        // the rest is read and dropped, so the connection can answer
        incoming.resume()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      stop()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (error: unknown) => {
      stop()
      reject(error)
    }
    const onClose = () => {
      stop()
      reject(new Error("the request body ended early"))
    }
    incoming.on("data", onData)
    incoming.on("end", onEnd)
    incoming.on("error", onError)
    incoming.on("close", onClose)
  })

const xml = (c: C, body: string, status: 200 = 200) => c.body(body, status, { "Content-Type": XML })

export const errorResponse = (c: C, status: number, errorCode: string, errorMessage: string) => {
  c.get("flags")?.push(`error:${errorCode}`)
  const error: DirectResponse.ErrorResponse = { errorCode, errorMessage, errorType: "CLIENT" }
  return new Response(DirectServerXml.encodeError(error), { status, headers: { "Content-Type": XML } })
}

const notFound = (c: C, what: string) => errorResponse(c, 404, "NOT_FOUND", `${what} not found`)

/** Corrupts an XML body the way a broken proxy might: cut mid-element and left unclosed. */
const malform = (body: Uint8Array): Uint8Array => {
  const text = new TextDecoder().decode(body)
  const cut = text.length > 0 ? text.slice(0, Math.max(1, Math.floor(text.length * 0.6))) : "<direct-signature-job"
  return new TextEncoder().encode(`${cut}<<&broken`)
}

export const makeApi = (engine: Engine) => {
  const app = new Hono<Env>()
  const { state, counters } = engine

  // Log every request (tokens and PINs masked) with timing and flags.
  app.use("*", async (c, next) => {
    const started = performance.now()
    const flags: Array<string> = []
    c.set("flags", flags)
    c.set("route", undefined)
    const at = new Date(state.now())
    let status = 0
    try {
      await next()
      status = c.res.status
    } finally {
      const url = new URL(c.req.url)
      engine.log.add({
        at,
        listener: "api",
        method: c.req.method,
        path: maskPath(url.pathname + url.search),
        route: c.get("route"),
        certificateOrganization: peerIdentity(c.env.incoming.socket as TLSSocket)?.organizationNumber,
        status: flags.includes("fault:reset") ? 0 : status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        flags,
      })
    }
  })

  // The listener already refused unverified certificates at the handshake; this is the belt to those braces.
  app.use("*", async (c, next) => {
    const identity = peerIdentity(c.env.incoming.socket as TLSSocket)
    if (identity === undefined) return errorResponse(c, 403, "NOT_AUTHORIZED", "A client certificate is required")
    c.set("identity", identity)
    const org = identity.organizationNumber
    if (engine.rateLimiter !== undefined && org !== undefined && !engine.rateLimiter.allow(org, state.now())) {
      counters.rateLimited++
      c.get("flags").push("rate-limited")
      return c.body(null, 429, { DoSFilter: "unavailable" })
    }
    await next()
  })

  const authorize: MiddlewareHandler<Env> = async (c, next) => {
    const certOrg = c.get("identity").organizationNumber
    const urlOrg = c.req.param("org") ?? ""
    if (certOrg === undefined || !engine.options.organizations.has(certOrg))
      return errorResponse(c, 403, "NOT_AUTHORIZED", "The organization of the client certificate has no API access")
    if (urlOrg !== certOrg && !engine.options.brokers.get(certOrg)?.has(urlOrg))
      return errorResponse(
        c,
        403,
        "BROKER_NOT_AUTHORIZED",
        `Organization ${certOrg} is not authorized to act on behalf of organization ${urlOrg}`,
      )
    await next()
  }
  app.use("/api/:org", authorize)
  app.use("/api/:org/*", authorize)

  /** Wraps a handler with the route name (for the log) and any armed fault. */
  const route =
    (name: Exclude<FaultRoute, "*">, handler: (c: C) => Promise<Response> | Response) =>
    async (c: C): Promise<Response> => {
      c.set("route", name)
      const fault: FaultKind | undefined = engine.faults.take(name)
      if (fault === undefined) return handler(c)
      counters.faults++
      c.get("flags").push(`fault:${fault.kind}`)
      switch (fault.kind) {
        case "latency":
          await sleep(fault.ms)
          return handler(c)
        case "reset":
          c.env.incoming.socket.destroy()
          return RESPONSE_ALREADY_SENT
        case "status":
          return c.text(STATUS_CODES[fault.status] ?? "Error", fault.status as 500)
        case "dos":
          return c.body(null, 429, { DoSFilter: "unavailable" })
        case "malformed": {
          const res = await handler(c)
          const body = malform(new Uint8Array(await res.arrayBuffer()))
          const headers = new Headers(res.headers)
          headers.delete("Content-Length")
          if (!headers.has("Content-Type")) headers.set("Content-Type", XML)
          return new Response(body as Uint8Array<ArrayBuffer>, {
            status: res.status === 204 ? 200 : res.status,
            headers,
          })
        }
        case "truncate": {
          const res = await handler(c)
          const body = new Uint8Array(await res.arrayBuffer())
          const out = c.env.outgoing
          const headers: Record<string, string> = {}
          res.headers.forEach((v, k) => {
            headers[k] = v
          })
          // Promise the whole body, send half, then cut the connection.
          const full = Math.max(body.length, 2)
          out.writeHead(res.status === 204 ? 200 : res.status, { ...headers, "content-length": String(full) })
          out.write(body.subarray(0, Math.floor(body.length / 2)), () => out.socket?.destroy())
          return RESPONSE_ALREADY_SENT
        }
      }
    }

  const jobOf = (c: C): JobRecord | undefined => state.job(c.req.param("org") ?? "", c.req.param("id") ?? "")

  app.get(
    "/api/:org",
    route("whoami", (c) => {
      const certOrg = c.get("identity").organizationNumber!
      const urlOrg = c.req.param("org")
      return c.text(urlOrg === certOrg ? `You are ${certOrg}` : `You are ${certOrg}, operating on behalf of ${urlOrg}`)
    }),
  )

  app.post(
    "/api/:org/direct/signature-jobs",
    route("create", async (c) => {
      const body = await readBody(c.env.incoming, MAX_CREATE_BYTES)
      if (body === undefined) {
        counters.rejectedCreations++
        return errorResponse(c, 413, "REQUEST_TOO_LARGE", `The request exceeds ${MAX_CREATE_BYTES} bytes`)
      }
      const result = await verifyCreateRequest({
        contentType: c.req.header("content-type") ?? "",
        body,
        clientCertificateDer: c.get("identity").der,
        organizationInUrl: c.req.param("org") ?? "",
        now: new Date(state.now()),
        signingTimeLeniencyMs: engine.options.signingTimeLeniencyMs,
      })
      if (!result.ok) {
        counters.rejectedCreations++
        return errorResponse(c, result.status, result.errorCode, result.errorMessage)
      }
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
    route("poll", (c) => {
      counters.polls++
      const result = state.poll(c.req.param("org") ?? "", c.req.query("polling_queue") ?? "")
      counters.requeued += result.requeued
      const header = { "X-Next-permitted-poll-time": formatDateTime(result.nextPermittedAt) }
      switch (result._tag) {
        case "TooEarly":
          counters.pollsBeforePermittedTime++
          c.get("flags").push("polled-before-permitted-time")
          return c.body(null, 429, header)
        case "Empty":
          counters.pollsEmpty++
          return c.body(null, 204, header)
        case "Change": {
          counters.pollChanges++
          const job = state.jobs.get(result.change.jobId)!
          return c.body(
            DirectServerXml.encodeJobStatusResponse(statusResponse(engine.urls, state, job, result.change)),
            200,
            {
              ...header,
              "Content-Type": XML,
            },
          )
        }
      }
    }),
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

  app.get(
    "/api/:org/direct/signature-jobs/:id/xades/:xid",
    route("xades", (c) => {
      const job = jobOf(c)
      const signer = job?.signers.find((s) => s.xadesId === c.req.param("xid"))
      if (signer?.xades === undefined) return notFound(c, "XAdES")
      return xml(c, signer.xades)
    }),
  )

  app.get(
    "/api/:org/direct/signature-jobs/:id/pades",
    route("pades", async (c) => {
      const job = jobOf(c)
      if (job?.documents === undefined || !job.signers.some((s) => s.status === "SIGNED")) return notFound(c, "PAdES")
      const pdf = await engine.pades(job)
      return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { "Content-Type": "application/pdf" })
    }),
  )

  app.delete(
    "/api/:org/direct/signature-jobs/:id/delete-documents",
    route("delete", (c) => {
      const job = jobOf(c)
      if (job === undefined) return notFound(c, "Signature job")
      if (!state.deleteDocuments(job))
        return errorResponse(
          c,
          409,
          "DOCUMENTS_NOT_DELETABLE",
          "Documents can be deleted only when every signer has signed and the waiting time after the last signature has passed",
        )
      return c.body(null, 200)
    }),
  )

  // Dev-mode auto-sign, like the hook of the official test environment. Answers with the exit URL (with the token).
  app.post(
    "/web/signature-jobs/:id/devmodesign",
    route("devmode", async (c) => {
      const job = state.jobs.get(c.req.param("id") ?? "")
      const certOrg = c.get("identity").organizationNumber
      const allowed =
        job !== undefined &&
        certOrg !== undefined &&
        (job.organization === certOrg || engine.options.brokers.get(certOrg)?.has(job.organization) === true)
      const signer = allowed ? job.signers.find((s) => s.value === c.req.query("signer")) : undefined
      if (!allowed || signer === undefined) return notFound(c, "Signer")
      const exit = await engine.act(job, signer, "SIGNED")
      if (exit === undefined)
        return errorResponse(c, 409, "SIGNER_CANNOT_SIGN", "The signer has already acted or the job has ended")
      return c.text(exit)
    }),
  )

  app.notFound((c) => c.text("Not Found", 404))
  app.onError((error, c) => {
    c.get("flags")?.push("internal-error")
    return c.text(`Internal Server Error: ${error instanceof Error ? error.name : "unknown"}`, 500)
  })
  return app
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
