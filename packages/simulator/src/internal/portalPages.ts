/**
 * The portal flow's signer pages (`/portal/…`): login by picking an identity, a contact signer's link and security
 * code, the jobs a signer may see, sign and reject, and the outbox of notifications sent.
 */
import type { Context, Hono } from "hono"
import { getCookie, setCookie } from "hono/cookie"
import type { Env } from "../SignerPages.js"
import type { Engine } from "./engine.js"
import { escapeHtml, page } from "./html.js"
import { canAct, type JobRecord, type PortalSession, type SignerRecord } from "./state.js"

const COOKIE = "signering_portal"

/** A PIN as shown on the pages: birth date digits only, the personal number masked. */
const maskedPin = (pin: string) => `${pin.slice(0, 6)}*****`

export const portalPages = (app: Hono<Env>, engine: Engine) => {
  const { state } = engine

  const sessionOf = (c: Context<Env>): PortalSession | undefined => {
    const raw = getCookie(c, COOKIE)
    const dot = raw?.indexOf(".") ?? -1
    return raw === undefined || dot < 0 ? undefined : state.portalSession(raw.slice(0, dot), raw.slice(dot + 1))
  }
  const startSession = (c: Context<Env>, session: Omit<PortalSession, "secret">) => {
    const { sessionId, secret } = state.openPortalSession(session)
    setCookie(c, COOKIE, `${sessionId}.${secret}`, { path: "/portal", httpOnly: true, sameSite: "Lax" })
  }
  /** The signer this session acts as in the job, when the job is visible to it (its group activated). */
  const signerIn = (session: PortalSession | undefined, job: JobRecord | undefined): SignerRecord | undefined => {
    if (session === undefined || job === undefined || job.flow !== "portal") return undefined
    const signer =
      session.contact !== undefined
        ? session.contact.job === job
          ? session.contact.signer
          : undefined
        : job.signers.find((s) => s.kind === "PersonalIdentificationNumber" && s.value === session.pin)
    return signer?.portal?.activatedAt === undefined ? undefined : signer
  }
  const jobFrom = (c: Context<Env>) => {
    state.sweep()
    return state.jobs.get(c.req.param("id") ?? "")
  }
  const notFound = (c: Context<Env>) =>
    c.html(page("Not found", "<h1>Not found</h1><p>No such job for you. <a href='/portal'>Your jobs</a></p>"), 404)

  app.get("/portal/login", (c) => {
    // Picking an identity stands in for ID-porten: everyone whose turn it is, plus any number typed in.
    const identities = new Map<string, string>()
    for (const job of state.jobs.values())
      for (const s of job.signers)
        if (s.kind === "PersonalIdentificationNumber" && canAct(job, s) && job.flow === "portal")
          identities.set(s.value, s.displayName)
    const buttons = [...identities]
      .map(
        ([pin, name]) =>
          `<form method="post" action="/portal/login"><input type="hidden" name="pin" value="${escapeHtml(pin)}">` +
          `<button type="submit">Log in as ${escapeHtml(name)} (${maskedPin(pin)})</button></form>`,
      )
      .join("")
    return c.html(
      page(
        "Log in",
        `<h1>Log in to sign</h1><p>Simulated ID-porten: pick who you are.</p>${buttons}` +
          `<form method="post" action="/portal/login"><label>National identity number ` +
          `<input name="pin" inputmode="numeric" pattern="[0-9]{11}" required></label> ` +
          `<button type="submit">Log in</button></form>`,
      ),
    )
  })

  app.post("/portal/login", async (c) => {
    const pin = String((await c.req.parseBody()).pin ?? "").trim()
    if (!/^[0-9]{11}$/.test(pin))
      return c.html(page("Log in", "<h1>Log in</h1><p>A national identity number has 11 digits.</p>"), 400)
    startSession(c, { pin, contact: undefined })
    return c.redirect("/portal", 303)
  })

  app.get("/portal", (c) => {
    const session = sessionOf(c)
    if (session === undefined) return c.redirect("/portal/login", 303)
    if (session.contact !== undefined) return c.redirect(`/portal/jobs/${session.contact.job.id}`, 303)
    const rows = state
      .portalJobsOf(session.pin ?? "")
      .map(
        ({ job, signer }) =>
          `<tr><td><a href="/portal/jobs/${job.id}">${escapeHtml(job.title)}</a></td>` +
          `<td data-status="${escapeHtml(signer.status)}">${escapeHtml(signer.status)}</td></tr>`,
      )
      .join("")
    return c.html(
      page(
        "Your documents",
        `<h1>Your documents</h1>${rows === "" ? "<p>Nothing to sign.</p>" : `<table>${rows}</table>`}`,
      ),
    )
  })

  app.get("/portal/jobs/:id", (c) => {
    const job = jobFrom(c)
    const signer = signerIn(sessionOf(c), job)
    if (job === undefined || signer === undefined) return notFound(c)
    const docs = (job.documents ?? [])
      .map((d, i) => `<li><a href="/portal/jobs/${job.id}/documents/${i}">${escapeHtml(d.title)}</a></li>`)
      .join("")
    const actions = canAct(job, signer)
      ? `<form method="post" action="/portal/jobs/${job.id}/sign"><button class="sign" type="submit">Sign</button></form>` +
        `<form method="post" action="/portal/jobs/${job.id}/reject"><button type="submit">Reject</button></form>`
      : `<p class="status">Your status: <strong data-status="${escapeHtml(signer.status)}">${escapeHtml(signer.status)}</strong>.` +
        " There is nothing more to do here.</p>"
    return c.html(
      page(
        job.title,
        `<h1>${escapeHtml(job.title)}</h1>` +
          (job.description === undefined ? "" : `<p class="description">${escapeHtml(job.description)}</p>`) +
          `<h2>Documents</h2><ul class="documents">${docs}</ul>${actions}`,
      ),
    )
  })

  app.get("/portal/jobs/:id/documents/:n", (c) => {
    const job = jobFrom(c)
    const doc = signerIn(sessionOf(c), job) === undefined ? undefined : job?.documents?.[Number(c.req.param("n"))]
    if (doc === undefined) return notFound(c)
    return c.body(doc.bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": doc.mime,
      "Content-Disposition": `inline; filename="${doc.href.replace(/[^0-9A-Za-z._-]/g, "_")}"`,
      "X-Content-Type-Options": "nosniff",
    })
  })

  app.post("/portal/jobs/:id/:action{sign|reject}", async (c) => {
    const job = jobFrom(c)
    const signer = signerIn(sessionOf(c), job)
    if (job === undefined || signer === undefined) return notFound(c)
    const done = await engine.act(job, signer, c.req.param("action") === "sign" ? "SIGNED" : "REJECTED")
    if (done === undefined)
      return c.html(
        page("Nothing to do", `<h1>Nothing to do</h1><p>Your status is ${escapeHtml(signer.status)}.</p>`),
        409,
      )
    return c.redirect(`/portal/jobs/${job.id}`, 303)
  })

  const invitationPage = (token: string, message: string) =>
    page(
      "Security code",
      `<h1>Enter your security code</h1><p>${escapeHtml(message)}</p>` +
        `<form method="post" action="/portal/invitation/${escapeHtml(token)}"><label>Security code ` +
        `<input name="code" inputmode="numeric" autocomplete="one-time-code" required></label> ` +
        `<button type="submit">Continue</button></form>`,
    )

  app.get("/portal/invitation/:token", (c) => {
    const found = state.invite(c.req.param("token"))
    if (found === undefined || found.signer.portal?.activatedAt === undefined) return notFound(c)
    if (!canAct(found.job, found.signer))
      return c.html(
        page("Not available", `<h1>Not available</h1><p>Status: ${escapeHtml(found.signer.status)}.</p>`),
        410,
      )
    return c.html(invitationPage(c.req.param("token"), "It was sent to you beside this link."))
  })

  app.post("/portal/invitation/:token", async (c) => {
    const token = c.req.param("token")
    const found = state.invite(token)
    const portal = found?.signer.portal
    if (found === undefined || portal?.activatedAt === undefined) return notFound(c)
    if (!canAct(found.job, found.signer))
      return c.html(
        page("Not available", `<h1>Not available</h1><p>Status: ${escapeHtml(found.signer.status)}.</p>`),
        410,
      )
    const code = String((await c.req.parseBody()).code ?? "").trim()
    if (portal.securityCode !== undefined && code === portal.securityCode) {
      startSession(c, { pin: undefined, contact: found })
      return c.redirect(`/portal/jobs/${found.job.id}`, 303)
    }
    portal.wrongCodes++
    const left = engine.options.securityCodeAttempts - portal.wrongCodes
    if (left <= 0) {
      state.block(found.job, found.signer)
      return c.html(page("Blocked", "<h1>Blocked</h1><p>Too many wrong security codes.</p>"), 403)
    }
    return c.html(invitationPage(token, `Wrong security code. ${left} attempt(s) left.`), 401)
  })

  app.get("/portal/outbox", (c) => {
    const rows = engine.outbox
      .map(
        (n) =>
          `<tr><td>${escapeHtml(n.at.toISOString())}</td><td>${n.channel}</td><td>${escapeHtml(n.to)}</td>` +
          `<td>${escapeHtml(n.text)}${n.link === undefined ? "" : ` <a href="${escapeHtml(n.link)}">open</a>`}</td></tr>`,
      )
      .join("")
    return c.html(
      page(
        "Outbox",
        `<h1>Outbox</h1><p>E-mail and SMS the simulated service sent.</p>` +
          (rows === "" ? "<p>Nothing sent yet.</p>" : `<table>${rows}</table>`),
      ),
    )
  })
}
