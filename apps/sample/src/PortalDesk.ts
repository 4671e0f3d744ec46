/**
 * The portal desk's routes (issue 12 §4): the sender sends a contract to two signers who are notified by e-mail in
 * order and sign in the service's portal; the page shows each signer's progress as the portal queue's polling worker
 * stores it. Behind the sender desk's login, like the POLLING desk.
 */
import type { Context, Hono } from "hono"
import * as Contract from "./Contract.js"
import type { Customer } from "./Customers.js"
import * as Pin from "./Pin.js"
import { type PollerState, referenceOf } from "./Poller.js"
import * as PortalViews from "./PortalViews.js"
import { type PortalSigningPort, SigningError } from "./Signing.js"
import type { DeskSession, Session, Store } from "./Store.js"
import { testHold } from "./TestHold.js"

type Env = { Variables: { session: Session | undefined; desk: DeskSession | undefined } }

const nameLimit = 60
const emailLimit = 254
/** Plausible, not RFC 5322: one @, a dot in the domain, no spaces (the service checks the address itself). */
const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s.]+$/

const describe = (error: unknown): string =>
  error instanceof SigningError ? error.message : "The signing service could not be reached. Try again in a moment."

/** The demo's suggestion: two customers, with made-up addresses at example.com (never a real mailbox). */
export const drafts = (
  customers: ReadonlyArray<Customer>,
): readonly [PortalViews.SignerDraft, PortalViews.SignerDraft] => {
  const draft = (c: Customer | undefined): PortalViews.SignerDraft => ({
    name: c?.name ?? "",
    pin: c?.pin ?? "",
    email: c === undefined ? "" : `${c.name.toLowerCase().replace(/[^a-z]+/g, ".")}@example.com`,
  })
  return [draft(customers[0]), draft(customers[1])]
}

/** Checks one signer of the form; the message names the signer and the rule. */
export const problemOf = (n: number, s: PortalViews.SignerDraft): string | undefined => {
  if (s.name.length === 0 || s.name.length > nameLimit)
    return `Signer ${n}: type a name of 1 to ${nameLimit} characters.`
  if (!Pin.isValid(s.pin))
    return `Signer ${n}: the personal identification number must be 11 digits with valid check digits.`
  if (s.email.length > emailLimit || !emailPattern.test(s.email))
    return `Signer ${n}: type an e-mail address (at most ${emailLimit} characters), like kari@example.com.`
  return undefined
}

export const routes = (
  app: Hono<Env>,
  options: {
    readonly store: Store
    readonly portal: PortalSigningPort | undefined
    readonly customers: ReadonlyArray<Customer>
    readonly poller: () => PollerState & { readonly running: boolean }
    readonly now: () => Date
    readonly log: (line: string) => void
  },
): void => {
  const { store, log } = options

  const page = (
    c: Context<Env>,
    error?: string,
    entered?: readonly [PortalViews.SignerDraft, PortalViews.SignerDraft],
  ) =>
    c.html(
      PortalViews.portalDesk({
        jobs: store.jobs({ flow: "PORTAL", limit: 20 }),
        poller: options.poller(),
        drafts: entered ?? drafts(options.customers),
        error,
        session: c.get("session"),
        desk: c.get("desk"),
      }),
      error === undefined ? 200 : 400,
    )

  app.get("/portal-desk", (c) => (c.get("desk") === undefined ? c.redirect("/desk/login", 303) : page(c)))

  app.post("/portal-desk/send", async (c) => {
    if (c.get("desk") === undefined) return c.redirect("/desk/login", 303)
    const form = await c.req.parseBody()
    const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string).trim() : "")
    const entered = [1, 2].map((n) => ({
      name: field(`name${n}`),
      pin: field(`pin${n}`),
      email: field(`email${n}`),
    })) as [PortalViews.SignerDraft, PortalViews.SignerDraft]
    for (const [i, s] of entered.entries()) {
      const problem = problemOf(i + 1, s)
      if (problem !== undefined) return page(c, problem, entered)
    }
    if (entered[0].pin === entered[1].pin) return page(c, "Signer 2 must be someone else than signer 1.", entered)
    if (options.portal === undefined) return page(c, "The portal flow is not configured in this app.", entered)

    const title = Contract.defaultTitle
    const contract = await Contract.render({ parties: entered.map((s) => s.name), title, date: options.now() })
    const id = store.createJob({ flow: "PORTAL", title, contract, signers: entered })
    try {
      // A create is never retried by itself: a lost answer would otherwise make a second job. The reference lets the
      // polling worker find this job if its answer is never stored.
      const created = await options.portal.create({
        title,
        description: "Your service agreement with Sample AS.",
        reference: referenceOf(id),
        document: { title, bytes: contract },
        signers: entered.map((s, i) => ({ pin: s.pin, email: s.email, order: i + 1 })),
      })
      await testHold("portal-before-store")
      store.markCreated(id, {
        signatureJobId: created.signatureJobId,
        cancellationUrl: created.cancellationUrl,
        signers: [],
      })
      log(`job ${id}: created at the service as portal job ${created.signatureJobId}`)
    } catch (error) {
      store.markCreateFailed(id, describe(error))
      log(`job ${id}: portal create failed: ${describe(error)}`)
    }
    return c.redirect("/portal-desk", 303)
  })

  app.post("/jobs/:ref/cancel", async (c) => {
    const job = store.jobByRef(c.req.param("ref"))
    if (c.get("desk") === undefined || job === undefined || job.flow !== "PORTAL")
      return c.redirect(c.get("desk") === undefined ? "/desk/login" : "/portal-desk", 303)
    if (job.status !== "IN_PROGRESS" || job.cancellationUrl === undefined || options.portal === undefined)
      return c.redirect("/portal-desk", 303)
    try {
      await options.portal.cancel(job.cancellationUrl)
      // The outcome (CANCELLED signers, a FAILED job) arrives through the portal queue like every other change.
      store.note(job.id, "Cancellation sent")
      log(`job ${job.id}: cancelled`)
    } catch (error) {
      store.noteError(job.id, `Cancel failed: ${describe(error)}`)
    }
    return c.redirect("/portal-desk", 303)
  })
}
