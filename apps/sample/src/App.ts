/**
 * The sender portal as a Hono app: demo login, the customer's agreement, signing through the direct flow with the
 * status fetched when the browser comes back, and a sender desk for POLLING jobs.
 */
import { type Context, Hono } from "hono"
import { deleteCookie, getCookie, setCookie } from "hono/cookie"
import { csrf } from "hono/csrf"
import { HTTPException } from "hono/http-exception"
import { secureHeaders } from "hono/secure-headers"
import * as Contract from "./Contract.js"
import * as Customers from "./Customers.js"
import * as DeskLogin from "./DeskLogin.js"
import * as Pin from "./Pin.js"
import { type PollerState, referenceOf } from "./Poller.js"
import * as PortalDesk from "./PortalDesk.js"
import type { PortalSigningPort, SigningPort } from "./Signing.js"
import { SigningError } from "./Signing.js"
import { type DeskSession, type Job, type Session, type Store, sessionMaxAgeMs } from "./Store.js"
import { testHold } from "./TestHold.js"
import * as Views from "./Views.js"

export interface AppOptions {
  readonly store: Store
  readonly signing: SigningPort
  /** Where browsers reach this app; the exit URLs sent to the service start with it. */
  readonly publicUrl: string
  readonly customers?: ReadonlyArray<Customers.Customer>
  readonly poller?: () => PollerState & { readonly running: boolean }
  readonly now?: () => Date
  /** One line per request and per step of a signing; never a token or a personal identification number. */
  readonly log?: (line: string) => void
  /** The sender desk's own login; without it the desk is closed (nobody can send from it). */
  readonly desk?: DeskLogin.DeskCredentials | undefined
  /** The portal flow (the portal desk); without it the portal desk says it is not configured. */
  readonly portal?: PortalSigningPort | undefined
  readonly portalPoller?: () => PollerState & { readonly running: boolean }
}

const cookieName = "sample_session"
const nameLimit = 60

/** Pages show the message of our own errors; anything else could carry details nobody should see. */
const describe = (error: unknown): string =>
  error instanceof SigningError ? error.message : "The signing service could not be reached. Try again in a moment."

type Env = { Variables: { session: Session | undefined; desk: DeskSession | undefined } }

/**
 * What the pages may load: only this app's own style sheet; never framed (clickjacking on the sign buttons); no
 * `<base>`. Forms are left to the default because a form's answer may redirect to the signing portal's origin,
 * which a `form-action 'self'` would block in Chromium.
 */
const contentSecurityPolicy = {
  defaultSrc: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
}

export const make = (options: AppOptions): Hono<Env> => {
  const { store, signing } = options
  const customers = options.customers ?? Customers.demo
  const now = options.now ?? (() => new Date())
  const log = options.log ?? (() => {})
  const base = options.publicUrl.replace(/\/+$/, "")
  const app = new Hono<Env>()

  // Security headers through hono's own middleware; `overwrite: false` lets the PDF answers keep their own CSP.
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy,
      xFrameOptions: "DENY",
      referrerPolicy: "no-referrer",
      overwrite: false,
    }),
  )
  // Every state-changing request must come from a page of this app (the Origin a browser sends, or its
  // Sec-Fetch-Site): a form on another site cannot log someone in, send a job, or start a signing.
  const publicOrigin = new URL(base).origin
  // Lax, not Strict: the customer's session must come along when the signing portal sends the browser back.
  // Secure whenever browsers reach the app over https (behind a proxy, say), so the cookie never goes in clear.
  const cookieOptions = {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: new URL(base).protocol === "https:",
  } as const
  app.use("*", csrf({ origin: (origin, c) => origin === publicOrigin || origin === new URL(c.req.url).origin }))

  app.use("*", async (c, next) => {
    const id = getCookie(c, cookieName)
    c.set("session", id === undefined ? undefined : store.session(id))
    const deskId = getCookie(c, DeskLogin.cookieName)
    c.set("desk", deskId === undefined || options.desk === undefined ? undefined : store.deskSession(deskId))
    await next()
    // The path only: a return URL's query holds the status query token.
    log(`${c.req.method} ${new URL(c.req.url).pathname} -> ${c.res.status}`)
    c.header("Cache-Control", "no-store")
  })

  app.get("/app.css", (c) => c.body(Views.css, 200, { "Content-Type": "text/css; charset=utf-8" }))

  /** POLLING and portal jobs belong to the sender desk; a customer's own jobs to that customer. */
  const mayView = (c: Context<Env>, job: Job) => {
    if (job.flow !== "WAIT_FOR_CALLBACK") return c.get("desk") !== undefined
    const session = c.get("session")
    return session !== undefined && job.ownerPin === session.pin
  }

  /** Who may trigger the status fetch of a return: a signer of the job, in their own session. */
  const isSignerOf = (job: Job, session: Session | undefined) =>
    session !== undefined && job.signers.some((s) => s.pin === session.pin)

  const notFound = (c: Context<Env>) =>
    c.html(
      Views.message({
        title: "Not found",
        text: "There is no such page, or it belongs to someone else.",
        tone: "bad",
        links: [{ href: "/", text: "Go to the start page" }],
        session: c.get("session"),
        outcome: "not-found",
      }),
      404,
    )

  const jobFrom = (c: Context<Env>): Job | undefined => {
    const job = store.jobByRef(c.req.param("ref") ?? "")
    return job !== undefined && mayView(c, job) ? job : undefined
  }

  const pdf = (c: Context<Env>, bytes: Uint8Array, fileName: string, attachment: boolean) =>
    c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/pdf",
      "Content-Disposition": `${attachment ? "attachment" : "inline"}; filename="${fileName}"`,
      // Not framed either; but no `default-src 'none'`, which could keep the browser's own PDF viewer from showing it.
      "Content-Security-Policy": "frame-ancestors 'none'",
    })

  /** Records the job, sends it, stores the answer; the job's page shows a failure. */
  const send = async (input: {
    readonly flow: "WAIT_FOR_CALLBACK" | "POLLING"
    readonly ownerPin?: string | undefined
    readonly signers: ReadonlyArray<{ readonly name: string; readonly pin: string }>
  }): Promise<{ readonly job: Job; readonly redirects: ReadonlyMap<string, string> }> => {
    const title = Contract.defaultTitle
    const contract = await Contract.render({ parties: input.signers.map((s) => s.name), title, date: now() })
    const id = store.createJob({ flow: input.flow, title, ownerPin: input.ownerPin, contract, signers: input.signers })
    const ref = store.job(id)!.ref
    const redirects = new Map<string, string>()
    try {
      const created = await signing.create({
        flow: input.flow,
        title,
        description: "Your service agreement with Sample AS.",
        reference: referenceOf(id),
        document: { title, bytes: contract },
        signers: input.signers.map((s) => ({ pin: s.pin })),
        exitUrls: {
          completionUrl: `${base}/jobs/${ref}/return/completed`,
          rejectionUrl: `${base}/jobs/${ref}/return/rejected`,
          errorUrl: `${base}/jobs/${ref}/return/error`,
        },
      })
      store.markCreated(id, created)
      for (const s of created.signers) if (s.pin !== undefined) redirects.set(s.pin, s.redirectUrl)
      log(`job ${id}: created at the service as ${created.signatureJobId} (${input.flow})`)
      await testHold("after-create")
    } catch (error) {
      store.markCreateFailed(id, describe(error))
      log(`job ${id}: create failed: ${describe(error)}`)
    }
    return { job: store.job(id)!, redirects }
  }

  // Login ------------------------------------------------------------------------------------------------------

  const loginPage = (c: Context<Env>, error?: string, name?: string) =>
    c.html(
      Views.login({ customers, suggestedPin: Customers.suggestPin(), error, name }),
      error === undefined ? 200 : 400,
    )

  app.get("/", (c) => (c.get("session") ? c.redirect("/agreement", 303) : loginPage(c)))
  app.get("/login", (c) => loginPage(c))

  app.post("/login", async (c) => {
    const form = await c.req.parseBody()
    let name: string
    let pin: string
    if (typeof form.customer === "string") {
      const customer = customers[Number(form.customer)]
      if (customer === undefined) return loginPage(c, "Pick one of the demo customers.")
      name = customer.name
      pin = customer.pin
    } else {
      name = typeof form.name === "string" ? form.name.trim() : ""
      pin = typeof form.pin === "string" ? form.pin.trim() : ""
      if (name.length === 0 || name.length > nameLimit)
        return loginPage(c, `Type a name of 1 to ${nameLimit} characters.`, name)
      if (!Pin.isValid(pin))
        return loginPage(c, "The personal identification number must be 11 digits with valid check digits.", name)
    }
    const session = store.createSession(name, pin)
    setCookie(c, cookieName, session.id, { ...cookieOptions, maxAge: sessionMaxAgeMs / 1000 })
    return c.redirect("/agreement", 303)
  })

  app.post("/logout", (c) => {
    const id = getCookie(c, cookieName)
    if (id !== undefined) store.deleteSession(id)
    deleteCookie(c, cookieName, { path: "/" })
    return c.redirect("/", 303)
  })

  // The customer's agreement (direct flow, status on return) ---------------------------------------------------

  app.get("/agreement", (c) => {
    const session = c.get("session")
    if (session === undefined) return c.redirect("/", 303)
    return c.html(
      Views.agreement({ session, jobs: store.jobs({ flow: "WAIT_FOR_CALLBACK", ownerPin: session.pin, limit: 10 }) }),
    )
  })

  app.get("/agreement.pdf", async (c) => {
    const session = c.get("session")
    if (session === undefined) return c.redirect("/", 303)
    const bytes = await Contract.render({ parties: [session.name], title: Contract.defaultTitle, date: now() })
    return pdf(c, bytes, "agreement.pdf", false)
  })

  app.post("/sign", async (c) => {
    const session = c.get("session")
    if (session === undefined) return c.redirect("/", 303)
    const form = await c.req.parseBody()
    const coName = typeof form.coName === "string" ? form.coName.trim() : ""
    const coPin = typeof form.coPin === "string" ? form.coPin.trim() : ""
    const signers = [{ name: session.name, pin: session.pin }]
    if (coName !== "" || coPin !== "") {
      const jobs = store.jobs({ flow: "WAIT_FOR_CALLBACK", ownerPin: session.pin, limit: 10 })
      const problem =
        coName.length === 0 || coName.length > nameLimit
          ? `Type the co-signer's name (1 to ${nameLimit} characters).`
          : !Pin.isValid(coPin)
            ? "The co-signer's personal identification number must be 11 digits with valid check digits."
            : coPin === session.pin
              ? "The co-signer must be someone else."
              : undefined
      if (problem !== undefined) return c.html(Views.agreement({ session, jobs, error: problem }), 400)
      signers.push({ name: coName, pin: coPin })
    }
    const { job, redirects } = await send({ flow: "WAIT_FOR_CALLBACK", ownerPin: session.pin, signers })
    const target = redirects.get(session.pin)
    if (target === undefined) return c.redirect(`/jobs/${job.ref}`, 303)
    log(`job ${job.id}: browser sent to the signing portal`)
    return c.redirect(target, 302)
  })

  // A job's pages ------------------------------------------------------------------------------------------------

  app.get("/jobs/:ref", (c) => {
    const job = jobFrom(c)
    if (job === undefined) return notFound(c)
    return c.html(Views.jobPage({ job, events: store.events(job.id), session: c.get("session"), desk: c.get("desk") }))
  })

  app.get("/jobs/:ref/contract.pdf", (c) => {
    const job = jobFrom(c)
    const bytes = job === undefined ? undefined : store.contract(job.id)
    return job === undefined || bytes === undefined ? notFound(c) : pdf(c, bytes, `agreement-${job.id}.pdf`, false)
  })

  app.get("/jobs/:ref/signed.pdf", (c) => {
    const job = jobFrom(c)
    const bytes = job === undefined ? undefined : store.signedDocument(job.id)
    return job === undefined || bytes === undefined
      ? notFound(c)
      : pdf(c, bytes, `signed-agreement-${job.id}.pdf`, true)
  })

  /**
   * The exit URLs. The browser's return is only the trigger: the outcome is what the status (fetched with the
   * token) says. The status is stored, the signed PDF downloaded and stored, and only then the status confirmed.
   */
  app.get("/jobs/:ref/return/:exit{completed|rejected|error}", async (c) => {
    const job = store.jobByRef(c.req.param("ref"))
    if (job === undefined) return notFound(c)
    const session = c.get("session")
    if (job.flow === "POLLING") {
      // The sender learns the outcome from its polling queue; the signer only needs to know they are done.
      // Nothing is fetched or written here, so an anonymous request can do no harm.
      return c.html(
        Views.message({
          title: "Thank you",
          text: "Your answer is registered. The sender will be told through the signing service.",
          tone: "ok",
          links: c.get("desk") === undefined ? [] : [{ href: `/jobs/${job.ref}`, text: "See the job" }],
          session,
          outcome: `returned-${c.req.param("exit")}`,
        }),
      )
    }
    // Only the job's own signer, in their session, may make the app call the service and write to the job's log:
    // anyone else (a forged or leaked link, another customer) gets the login page's advice and changes nothing.
    if (!isSignerOf(job, session)) {
      return c.html(
        Views.message({
          title: "Log in to see your agreement",
          text: "This link only works in the browser you signed from, while you are logged in.",
          tone: "bad",
          links: [{ href: "/", text: "Log in" }],
          session,
          outcome: "return-needs-login",
        }),
        403,
      )
    }
    const after = mayView(c, job) ? `/jobs/${job.ref}` : undefined
    const token = c.req.query("status_query_token")
    if (token === undefined || token === "" || job.statusUrl === undefined) {
      store.noteError(job.id, "Came back without a status query token")
      return c.html(
        Views.message({
          title: "We could not check the signing",
          text: "The link you came back with is incomplete. Open your agreement to see where it stands.",
          tone: "bad",
          links: [{ href: after ?? "/", text: "Back" }],
          session,
          outcome: "bad-return",
        }),
        400,
      )
    }
    store.note(job.id, `Signer came back (${c.req.param("exit")})`)
    try {
      // The library gets the status with the token, runs this handler, and confirms only after it succeeded.
      const handled = await signing.handleReturn({
        url: c.req.url,
        statusUrl: job.statusUrl,
        handler: async (status) => {
          if (status.status === "COMPLETED_SUCCESSFULLY" && status.padesUrl !== undefined) {
            store.storeSignedDocument(job.id, await signing.pades(status.padesUrl))
            log(`job ${job.id}: signed PDF stored`)
          }
          store.applyStatus(job.id, status, "Status on return")
          log(`job ${job.id}: status ${status.status}`)
        },
      })
      if (handled.confirmed) {
        store.note(job.id, "Status confirmed")
        log(`job ${job.id}: confirmed`)
      }
    } catch (error) {
      const current = store.job(job.id)
      // A refreshed or replayed return URL: its token is spent, and what it reported is already stored.
      const spent = error instanceof SigningError && error.kind === "InvalidStatusQueryToken"
      if (!(spent && current !== undefined && current.status !== "IN_PROGRESS")) {
        store.noteError(job.id, `Status on return failed: ${describe(error)}`)
        log(`job ${job.id}: status on return failed: ${describe(error)}`)
        if (after !== undefined) {
          return c.html(
            Views.jobPage({ job: store.job(job.id)!, events: store.events(job.id), session, error: describe(error) }),
            502,
          )
        }
      }
    }
    if (after !== undefined) return c.redirect(after, 303)
    return c.html(
      Views.message({ title: "Thank you", text: "Your answer is registered.", tone: "ok", outcome: "returned" }),
    )
  })

  /** A fresh redirect URL for one signer: the one-time URL from create may be spent (an abandoned attempt). */
  app.post("/jobs/:ref/signers/:position/redirect", async (c) => {
    const job = jobFrom(c)
    const signer = job?.signers.find((s) => s.position === Number(c.req.param("position")))
    if (job === undefined || signer === undefined) return notFound(c)
    if (job.status !== "IN_PROGRESS" || signer.status !== "WAITING" || signer.href === undefined)
      return c.redirect(`/jobs/${job.ref}`, 303)
    try {
      const url = await signing.newRedirectUrl(signer.href)
      store.note(job.id, `New signing link for ${signer.name}`)
      log(`job ${job.id}: new redirect URL for signer ${signer.position}`)
      return c.redirect(url, 302)
    } catch (error) {
      store.noteError(job.id, `New signing link failed: ${describe(error)}`)
      return c.html(
        Views.jobPage({ job, events: store.events(job.id), session: c.get("session"), error: describe(error) }),
        502,
      )
    }
  })

  /**
   * "Continue signing" / "Try again": while the job is open, a new redirect URL for the first signer still
   * waiting; once it ended (rejected, failed, expired, never sent), a new job for the same signers, because an
   * ended job cannot be signed any more.
   */
  app.post("/jobs/:ref/continue", async (c) => {
    const job = jobFrom(c)
    if (job === undefined) return notFound(c)
    // A portal job is sent again from the portal desk (its signers are notified by the service, not sent from here).
    if (job.flow === "PORTAL") return c.redirect("/portal-desk", 303)
    if (job.status === "IN_PROGRESS") {
      const signer =
        job.signers.find((s) => s.pin === c.get("session")?.pin && s.status === "WAITING") ??
        job.signers.find((s) => s.status === "WAITING")
      if (signer?.href === undefined) return c.redirect(`/jobs/${job.ref}`, 303)
      try {
        const url = await signing.newRedirectUrl(signer.href)
        store.note(job.id, `New signing link for ${signer.name}`)
        log(`job ${job.id}: new redirect URL for signer ${signer.position}`)
        return c.redirect(url, 302)
      } catch (error) {
        store.noteError(job.id, `New signing link failed: ${describe(error)}`)
        return c.html(
          Views.jobPage({ job, events: store.events(job.id), session: c.get("session"), error: describe(error) }),
          502,
        )
      }
    }
    if (job.status === "COMPLETED_SUCCESSFULLY") return c.redirect(`/jobs/${job.ref}`, 303)
    const { job: next, redirects } = await send({
      flow: job.flow,
      ownerPin: job.ownerPin,
      signers: job.signers.map((s) => ({ name: s.name, pin: s.pin })),
    })
    store.note(job.id, `Started again as job #${next.id}`)
    const first = next.signers.find((s) => s.pin === c.get("session")?.pin) ?? next.signers[0]
    const target = first === undefined ? undefined : redirects.get(first.pin)
    if (job.flow === "POLLING" || target === undefined) return c.redirect(`/jobs/${next.ref}`, 303)
    return c.redirect(target, 302)
  })

  // Sender desk (POLLING jobs) -----------------------------------------------------------------------------------

  const deskSuggestion = customers
    .slice(0, 2)
    .map((c) => `${c.name}, ${c.pin}`)
    .join("\n")

  const deskPage = (c: Context<Env>, error?: string, suggestion?: string) =>
    c.html(
      Views.desk({
        jobs: store.jobs({ flow: "POLLING", limit: 20 }),
        poller: options.poller?.() ?? { lastChange: undefined, lastError: undefined, running: false },
        suggestion: suggestion ?? deskSuggestion,
        error,
        session: c.get("session"),
        desk: c.get("desk"),
      }),
      error === undefined ? 200 : 400,
    )

  DeskLogin.routes(app, { store, desk: options.desk, cookieOptions, now, log })

  app.get("/desk", (c) => (c.get("desk") === undefined ? c.redirect("/desk/login", 303) : deskPage(c)))

  app.post("/desk/send", async (c) => {
    if (c.get("desk") === undefined) return c.redirect("/desk/login", 303)
    const form = await c.req.parseBody()
    const text = typeof form.signers === "string" ? form.signers : ""
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
    const signers: Array<{ name: string; pin: string }> = []
    for (const [i, line] of lines.entries()) {
      const comma = line.lastIndexOf(",")
      const name = comma === -1 ? "" : line.slice(0, comma).trim()
      const pin = comma === -1 ? line : line.slice(comma + 1).trim()
      if (name.length === 0 || name.length > nameLimit)
        return deskPage(c, `Line ${i + 1}: write "name, personal identification number".`, text)
      if (!Pin.isValid(pin))
        return deskPage(c, `Line ${i + 1}: the number must be 11 digits with valid check digits.`, text)
      if (signers.some((s) => s.pin === pin)) return deskPage(c, `Line ${i + 1}: this signer is listed twice.`, text)
      signers.push({ name, pin })
    }
    if (signers.length === 0) return deskPage(c, "List at least one signer.", text)
    if (signers.length > 10) return deskPage(c, "A job has at most 10 signers.", text)
    const groups = form.mode === "separately" ? signers.map((s) => [s]) : [signers]
    for (const group of groups) await send({ flow: "POLLING", signers: group })
    return c.redirect("/desk", 303)
  })

  PortalDesk.routes(app, {
    store,
    portal: options.portal,
    customers,
    poller: () => options.portalPoller?.() ?? { lastChange: undefined, lastError: undefined, running: false },
    now,
    log,
  })

  app.get("/health", (c) => c.text("ok"))
  app.notFound(notFound)
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      log(`${c.req.method} ${new URL(c.req.url).pathname} -> 403 (from another site)`)
      return c.html(
        Views.message({
          title: "Refused",
          text: "This form was sent from another site. Open the page here and try again.",
          tone: "bad",
          links: [{ href: "/", text: "Go to the start page" }],
          outcome: "cross-site",
        }),
        403,
      )
    }
    log(`error: ${error instanceof Error ? error.name : "unknown"}`)
    return c.html(
      Views.message({ title: "Something went wrong", text: "Please try again.", tone: "bad", outcome: "crash" }),
      500,
    )
  })
  return app
}
