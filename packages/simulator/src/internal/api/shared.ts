/**
 * What every route of the mutual-TLS API shares: the request log, client identity, the rate limit, authorization of
 * the organization in the URL, fault injection and the error body.
 */

import { type IncomingMessage, STATUS_CODES } from "node:http"
import type { TLSSocket } from "node:tls"
import type { HttpBindings } from "@hono/node-server"
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response"
import type { DirectResponse } from "@signering/protocol"
import { DirectServerXml } from "@signering/protocol/server"
import type { Context, Hono, MiddlewareHandler } from "hono"
import { type PeerIdentity, peerIdentity } from "../certificate.js"
import { formatDateTime } from "../clock.js"
import type { Engine } from "../engine.js"
import type { FaultKind, FaultRoute } from "../faults.js"
import type { IntakeInput, IntakeRefusal } from "../intake/index.js"
import { maskPath } from "../observe.js"
import { canAct, type Flow, type JobRecord, type StatusChange } from "../state.js"

export type Env = {
  Bindings: HttpBindings
  Variables: { identity: PeerIdentity; flags: Array<string>; route: FaultRoute | undefined }
}
export type C = Context<Env>

export const XML = "application/xml"
/** Largest create request read into memory: 10 MB of documents plus the XML parts and zip overhead, with room. */
export const MAX_CREATE_BYTES = 32 * 1024 * 1024

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The request body straight from Node's stream, or undefined when it is over `max` bytes (by its Content-Length, or
 * while reading a chunked one). Hono's `bodyLimit` reads `c.req.raw.body`, which makes the Node adapter build a
 * Fetch Request per call (an AbortSignal, a copy of the headers, a web stream): a few percent of a creation.
 */
export const readBody = (incoming: IncomingMessage, max: number): Promise<Uint8Array | undefined> =>
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

export const xml = (c: C, body: string, status: 200 = 200) => c.body(body, status, { "Content-Type": XML })

export const errorResponse = (c: C, status: number, errorCode: string, errorMessage: string) => {
  c.get("flags")?.push(`error:${errorCode}`)
  const error: DirectResponse.ErrorResponse = { errorCode, errorMessage, errorType: "CLIENT" }
  return new Response(DirectServerXml.encodeError(error), { status, headers: { "Content-Type": XML } })
}

export const notFound = (c: C, what: string) => errorResponse(c, 404, "NOT_FOUND", `${what} not found`)

/** The job of `flow` the URL names (`:org`, `:id`), when that organization has it. */
export const jobFinder =
  (engine: Engine, flow: Flow) =>
  (c: C): JobRecord | undefined =>
    engine.state.job(c.req.param("org") ?? "", c.req.param("id") ?? "", flow)

/**
 * The first half of both create routes: the body (413 past `MAX_CREATE_BYTES`, before anything is parsed), checked
 * by the flow's intake against the client certificate and the organization in the URL. Answers the verified request,
 * or the error response to send; a refused request counts as a rejected creation either way.
 */
export const verifiedCreate = async <Result extends { readonly ok: true } | IntakeRefusal>(
  c: C,
  engine: Engine,
  verify: (input: IntakeInput) => Promise<Result>,
): Promise<Extract<Result, { readonly ok: true }> | Response> => {
  const body = await readBody(c.env.incoming, MAX_CREATE_BYTES)
  if (body === undefined) {
    engine.counters.rejectedCreations++
    return errorResponse(c, 413, "REQUEST_TOO_LARGE", `The request exceeds ${MAX_CREATE_BYTES} bytes`)
  }
  const result = await verify({
    contentType: c.req.header("content-type") ?? "",
    body,
    clientCertificateDer: c.get("identity").der,
    organizationInUrl: c.req.param("org") ?? "",
    now: new Date(engine.state.now()),
    signingTimeLeniencyMs: engine.options.signingTimeLeniencyMs,
  })
  if (!result.ok) {
    engine.counters.rejectedCreations++
    return errorResponse(c, result.status, result.errorCode, result.errorMessage)
  }
  return result as Extract<Result, { readonly ok: true }>
}

/** Corrupts an XML body the way a broken proxy might: cut mid-element and left unclosed. */
const malform = (body: Uint8Array): Uint8Array => {
  const text = new TextDecoder().decode(body)
  const cut = text.length > 0 ? text.slice(0, Math.max(1, Math.floor(text.length * 0.6))) : "<direct-signature-job"
  return new TextEncoder().encode(`${cut}<<&broken`)
}

export type Route = (
  name: Exclude<FaultRoute, "*">,
  handler: (c: C) => Promise<Response> | Response,
) => (c: C) => Promise<Response>

/** Installs the shared middleware on the app and answers the route wrapper (route name for the log, faults). */
export const installCommon = (app: Hono<Env>, engine: Engine): Route => {
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
  const route: Route =
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
  return route
}

/** A poll of a flow's queue (§7): 429 before the permitted time, 204 when empty, else one change; always the header. */
export const pollHandler =
  (engine: Engine, flow: Flow, encode: (job: JobRecord, change: StatusChange) => string) =>
  (c: C): Response => {
    const { state, counters } = engine
    counters.polls++
    // The Java client sends a bare `?polling_queue` for the default queue; missing and empty are the same queue.
    const result = state.poll(c.req.param("org") ?? "", c.req.query("polling_queue") ?? "", flow)
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
        return c.body(encode(job, result.change), 200, { ...header, "Content-Type": XML })
      }
    }
  }

/**
 * Dev-mode auto-sign, like the hook of the official test environment (X1): signs as `?signer=` (PIN, custom
 * identifier, or a portal contact signer's e-mail or mobile as given) and answers the exit URL as text.
 */
export const devModeSign = async (c: C, engine: Engine, flow: Flow): Promise<Response> => {
  const found = engine.state.jobs.get(c.req.param("id") ?? "")
  const job = found?.flow === flow ? found : undefined
  const certOrg = c.get("identity").organizationNumber
  const allowed =
    job !== undefined &&
    certOrg !== undefined &&
    (job.organization === certOrg || engine.options.brokers.get(certOrg)?.has(job.organization) === true)
  const name = c.req.query("signer")
  const signer = allowed
    ? job.signers.find(
        (s) =>
          s.value === name ||
          (s.kind === "ContactInformation" &&
            (s.portal?.notifications?.email === name || s.portal?.notifications?.sms === name)),
      )
    : undefined
  if (!allowed || signer === undefined) return notFound(c, "Signer")
  engine.state.sweep()
  if (signer.status === "WAITING" && !canAct(job, signer))
    return errorResponse(c, 409, "SIGNER_NOT_ACTIVE", "The signer's order group is not active yet")
  const exit = await engine.act(job, signer, "SIGNED")
  if (exit === undefined)
    return errorResponse(c, 409, "SIGNER_CANNOT_SIGN", "The signer has already acted or the job has ended")
  return c.text(exit)
}

/**
 * The document routes both flows serve alike (D6–D8, P5–P6): each signer's XAdES, the PAdES once someone has signed,
 * and deleting the documents when they are deletable. Route names (for the log and faults) keep their flow prefix.
 */
export const documentRoutes = (app: Hono<Env>, engine: Engine, route: Route, flow: Flow) => {
  const names = {
    direct: { xades: "xades", pades: "pades", delete: "delete" },
    portal: { xades: "portal-xades", pades: "portal-pades", delete: "portal-delete" },
  } as const satisfies Record<Flow, Record<string, Exclude<FaultRoute, "*">>>
  const name = names[flow]
  const jobOf = jobFinder(engine, flow)

  app.get(
    `/api/:org/${flow}/signature-jobs/:id/xades/:xid`,
    route(name.xades, (c) => {
      const job = jobOf(c)
      const signer = job?.signers.find((s) => s.xadesId === c.req.param("xid"))
      if (signer?.xades === undefined) return notFound(c, "XAdES")
      return xml(c, signer.xades)
    }),
  )

  app.get(
    `/api/:org/${flow}/signature-jobs/:id/pades`,
    route(name.pades, async (c) => {
      const job = jobOf(c)
      if (job?.documents === undefined || !job.signers.some((s) => s.status === "SIGNED")) return notFound(c, "PAdES")
      const pdf = await engine.pades(job)
      return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { "Content-Type": "application/pdf" })
    }),
  )

  app.delete(
    `/api/:org/${flow}/signature-jobs/:id/delete-documents`,
    route(name.delete, (c) => {
      const job = jobOf(c)
      if (job === undefined) return notFound(c, "Signature job")
      if (!engine.deleteDocuments(job))
        return errorResponse(
          c,
          409,
          "DOCUMENTS_NOT_DELETABLE",
          "Documents can be deleted only when every signer has signed and the waiting time after the last signature has passed",
        )
      return c.body(null, 200)
    }),
  )
}
