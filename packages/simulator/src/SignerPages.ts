/**
 * The signer's pages of the simulated service: what a signer's browser sees, for both flows. Like the real signing
 * portal it is a separate site from the API and asks for no client certificate. Plain HTML forms, no JavaScript.
 * (Named for the signer, so it does not collide with the sender's *portal flow*.)
 *
 * Direct flow: `GET /redirect/<one-time token>` sets a session cookie and answers 302 to `/ceremony/<session>`; the
 * page shows the job and its documents and offers Sign, Reject and "simulate an unexpected error"; each answers 302
 * to the job's completion, rejection or error URL with `status_query_token` appended.
 *
 * Portal flow (`/portal/…`, see `internal/portalPages.ts`): a signer addressed by national identity number logs in
 * by picking an identity (no real ID-porten) and sees the jobs whose order group is active; a signer addressed by
 * contact information opens the link from the outbox and enters the security code sent beside it (too many wrong
 * codes: BLOCKED). The outbox itself is readable at `/portal/outbox`.
 *
 * @since 0.1.0
 */
import type { HttpBindings } from "@hono/node-server"
import { type Context, Hono } from "hono"
import { getCookie, setCookie } from "hono/cookie"
import type { Engine } from "./internal/engine.js"
import { escapeHtml, page } from "./internal/html.js"
import { maskPath } from "./internal/observe.js"
import { portalPages } from "./internal/portalPages.js"
import type { JobRecord, Outcome, SignerRecord } from "./internal/state.js"

/**
 * Name of the cookie that binds a browser to a signing session (one cookie per session, scoped to its path).
 *
 * @since 0.1.0
 */
export const sessionCookieName = (sessionId: string): string => `signering_session_${sessionId}`

export type Env = { Bindings: HttpBindings }

const ceremonyPage = (sessionId: string, job: JobRecord, signer: SignerRecord) => {
  const docs = (job.documents ?? [])
    .map(
      (d, i) =>
        `<li><a href="/ceremony/${sessionId}/documents/${i}" target="_blank">${escapeHtml(d.title)}</a> ` +
        `(<a href="/ceremony/${sessionId}/documents/${i}?download=1">download</a>, ${escapeHtml(d.mime)})</li>`,
    )
    .join("")
  const actions =
    signer.status === "WAITING" && jobStillOpen(job)
      ? `<form method="post" action="/ceremony/${sessionId}/sign"><button class="sign" type="submit">Sign</button></form>` +
        `<form method="post" action="/ceremony/${sessionId}/reject"><button type="submit">Reject</button></form>` +
        `<form method="post" action="/ceremony/${sessionId}/error"><button type="submit">Simulate an unexpected error</button></form>`
      : `<p class="status">Your status: <strong>${escapeHtml(signer.status)}</strong>. There is nothing more to do here.</p>`
  return page(
    job.title,
    `<h1>${escapeHtml(job.title)}</h1>` +
      (job.description === undefined ? "" : `<p class="description">${escapeHtml(job.description)}</p>`) +
      `<h2>Documents</h2><ul class="documents">${docs}</ul>${actions}`,
  )
}

const jobStillOpen = (job: JobRecord) => job.signers.every((s) => s.status === "WAITING" || s.status === "SIGNED")

const outcomes: Record<string, Outcome> = { sign: "SIGNED", reject: "REJECTED", error: "FAILED" }

/**
 * The signer pages (a Hono app) over a running simulator's engine. `Simulator.start` serves it on its own
 * listener; it is exported for embedding the pages elsewhere.
 *
 * @example
 * ```ts
 * import { Simulator } from "@signering/simulator"
 * const sim = await Simulator.start()
 * console.log(sim.portalUrl) // http://127.0.0.1:PORT
 * ```
 *
 * @since 0.1.0
 */
export const make = (engine: Engine): Hono<Env> => {
  const app = new Hono<Env>()
  const { state } = engine

  app.use("*", async (c, next) => {
    const started = performance.now()
    const at = new Date(state.now())
    await next()
    const url = new URL(c.req.url)
    engine.log.add({
      at,
      listener: "portal",
      method: c.req.method,
      path: maskPath(url.pathname + url.search),
      route: undefined,
      certificateOrganization: undefined,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      flags: [],
    })
    c.header("Cache-Control", "no-store")
    // The token never leaks through Referer; pages run no script and cannot be framed.
    c.header("Referrer-Policy", "no-referrer")
    if (c.res.headers.get("Content-Type")?.startsWith("text/html"))
      c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
  })

  app.get("/", (c) =>
    c.html(
      page(
        "Signering simulator",
        `<h1>Signering simulator</h1><p>Signing portal.</p><p><a href="/portal/login">Log in to sign</a> · ` +
          `<a href="/portal/outbox">Outbox (e-mail and SMS sent)</a></p>`,
      ),
    ),
  )

  app.get("/redirect/:token", (c) => {
    const session = state.redeemRedirectToken(c.req.param("token"))
    if (session === undefined)
      return c.html(
        page(
          "Link no longer valid",
          "<h1>This link is no longer valid</h1><p>Each signing link works once. Ask the sender for a new one.</p>",
        ),
        410,
      )
    setCookie(c, sessionCookieName(session.sessionId), session.secret, {
      path: `/ceremony/${session.sessionId}`,
      httpOnly: true,
      sameSite: "Lax",
    })
    return c.redirect(`/ceremony/${session.sessionId}`, 302)
  })

  const sessionOf = (c: Context<Env>) => {
    const id = c.req.param("session") ?? ""
    return { id, session: state.session(id, getCookie(c, sessionCookieName(id))) }
  }
  const forbidden = (c: Context<Env>) =>
    c.html(page("No access", "<h1>No access</h1><p>Open the signing link you were given.</p>"), 403)

  app.get("/ceremony/:session", (c) => {
    const { id, session } = sessionOf(c)
    if (session === undefined) return forbidden(c)
    return c.html(ceremonyPage(id, session.job, session.signer))
  })

  app.get("/ceremony/:session/documents/:n", (c) => {
    const { session } = sessionOf(c)
    if (session === undefined) return forbidden(c)
    const doc = session.job.documents?.[Number(c.req.param("n"))]
    if (doc === undefined) return c.html(page("Not found", "<h1>Document not found</h1>"), 404)
    const name = doc.href.replace(/[^0-9A-Za-z._-]/g, "_")
    return c.body(doc.bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": doc.mime,
      "Content-Disposition": `${c.req.query("download") === undefined ? "inline" : "attachment"}; filename="${name}"`,
      "X-Content-Type-Options": "nosniff",
    })
  })

  app.post("/ceremony/:session/:action{sign|reject|error}", async (c) => {
    const { session } = sessionOf(c)
    if (session === undefined) return forbidden(c)
    const exit = await engine.act(session.job, session.signer, outcomes[c.req.param("action")]!)
    if (exit === undefined)
      return c.html(
        page("Nothing to do", `<h1>Nothing to do</h1><p>Your status is ${escapeHtml(session.signer.status)}.</p>`),
        409,
      )
    return c.redirect(exit, 302)
  })

  portalPages(app, engine)

  app.notFound((c) => c.html(page("Not found", "<h1>Not found</h1>"), 404))
  return app
}
