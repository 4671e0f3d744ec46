/**
 * The sender desk's own login (issue 15): configured credentials compared in constant time, a session cookie of its
 * own, and guessing slowed to a few tries per window. The desk's pages check `c.get("desk")`.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"
import type { Context, Hono } from "hono"
import { deleteCookie, getCookie, setCookie } from "hono/cookie"
import type { CookieOptions } from "hono/utils/cookie"
import { type DeskSession, deskSessionMaxAgeMs, type Session, type Store } from "./Store.js"
import * as Views from "./Views.js"

export interface DeskCredentials {
  readonly user: string
  readonly password: Redacted.Redacted<string>
}

export const cookieName = "sample_desk"
/** Failed desk logins allowed per window before the desk login waits. */
export const deskLoginAttempts = 5
export const deskLoginWindowMs = 15 * 60_000

type Env = { Variables: { session: Session | undefined; desk: DeskSession | undefined } }

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

/** Compares in constant time (over digests, so the lengths do not leak either). */
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

export const routes = (
  app: Hono<Env>,
  options: {
    readonly store: Store
    readonly desk: DeskCredentials | undefined
    readonly cookieOptions: CookieOptions
    readonly now: () => Date
    readonly log: (line: string) => void
  },
): void => {
  const { store, cookieOptions, now, log } = options
  const deskLoginPage = (c: Context<Env>, error?: string, status: 200 | 400 | 401 = 200) =>
    c.html(
      Views.deskLogin({ error, open: options.desk !== undefined, session: c.get("session") }),
      error === undefined ? status : status === 200 ? 400 : status,
    )

  // The sender desk has its own login: it sends jobs in the organization's name and sees every signer's progress.

  app.get("/desk/login", (c) => (c.get("desk") !== undefined ? c.redirect("/desk", 303) : deskLoginPage(c)))

  // Guessing the desk password is slowed to a few tries per window. One counter for the desk (the app has a single
  // sender login, and behind a proxy every client has the same address): a guesser can lock the sender out for a
  // quarter of an hour, never in.
  const failedLogins: Array<number> = []
  app.post("/desk/login", async (c) => {
    const credentials = options.desk
    if (credentials === undefined) return deskLoginPage(c, "The sender desk is closed: no desk password is set.", 401)
    const at = now().getTime()
    while (failedLogins.length > 0 && failedLogins[0]! <= at - deskLoginWindowMs) failedLogins.shift()
    if (failedLogins.length >= deskLoginAttempts) {
      const until = new Date(failedLogins[0]! + deskLoginWindowMs).toISOString().slice(11, 16)
      log("desk login refused: too many failed attempts")
      return c.html(
        Views.deskLogin({
          error: `Too many failed logins: at most ${deskLoginAttempts} in ${deskLoginWindowMs / 60_000} minutes. Try again after ${until} UTC.`,
          open: true,
          session: c.get("session"),
        }),
        429,
      )
    }
    const form = await c.req.parseBody()
    const user = typeof form.user === "string" ? form.user : ""
    const password = typeof form.password === "string" ? form.password : ""
    // Both compared, always: which one was wrong is not told, nor how long it took to find out.
    const userOk = sameSecret(user, credentials.user)
    const passwordOk = sameSecret(password, Redacted.value(credentials.password))
    if (!(userOk && passwordOk)) {
      failedLogins.push(at)
      log("desk login refused")
      return deskLoginPage(c, "Wrong user name or password.", 401)
    }
    const session = store.createDeskSession(credentials.user)
    setCookie(c, cookieName, session.id, { ...cookieOptions, maxAge: deskSessionMaxAgeMs / 1000 })
    return c.redirect("/desk", 303)
  })

  app.post("/desk/logout", (c) => {
    const id = getCookie(c, cookieName)
    if (id !== undefined) store.deleteDeskSession(id)
    deleteCookie(c, cookieName, { path: "/" })
    return c.redirect("/desk/login", 303)
  })
}
