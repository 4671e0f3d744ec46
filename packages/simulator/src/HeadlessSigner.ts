/**
 * A signer without a browser: what a browser does on the simulator's signer pages (cookies per host and path,
 * redirects one by one, plain HTML forms submitted as a click would), for tests, demos and load runs. One helper
 * for the direct flow's ceremony and the portal flow's login, security code, sign and reject.
 *
 * @since 0.1.0
 */

interface Cookie {
  readonly name: string
  readonly value: string
  readonly host: string
  readonly path: string
}

/**
 * A minimal cookie jar: host-only cookies, path prefix matching, `Max-Age=0` or a past `Expires` deletes.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * const jar = new HeadlessSigner.CookieJar()
 * jar.store(new URL("http://127.0.0.1:8080/portal"), ["s=1; Path=/portal"])
 * jar.header(new URL("http://127.0.0.1:8080/portal/jobs")) // "s=1"
 * ```
 *
 * @since 0.1.0
 */
export class CookieJar {
  #cookies: Array<Cookie> = []

  store(url: URL, setCookies: ReadonlyArray<string>): void {
    for (const header of setCookies) {
      const [pair = "", ...attributes] = header.split(";")
      const eq = pair.indexOf("=")
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      let path = url.pathname.replace(/\/[^/]*$/, "") || "/"
      let expired = false
      for (const attribute of attributes) {
        const [k = "", v = ""] = attribute.split("=").map((s) => s.trim())
        if (k.toLowerCase() === "path" && v.startsWith("/")) path = v
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true
        if (k.toLowerCase() === "expires" && Date.parse(v) < Date.now()) expired = true
      }
      this.#cookies = this.#cookies.filter((c) => !(c.name === name && c.host === url.host && c.path === path))
      if (!expired) this.#cookies.push({ name, value, host: url.host, path })
    }
  }

  header(url: URL): string | undefined {
    const matching = this.#cookies.filter(
      (c) =>
        c.host === url.host &&
        (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)),
    )
    return matching.length === 0 ? undefined : matching.map((c) => `${c.name}=${c.value}`).join("; ")
  }
}

/**
 * A page as the browser ended on it. `location` is set when the browser stopped at a redirect it was told not to
 * follow (to another origin, when `followOtherOrigins` is off): the sender's exit URL, for instance.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * declare const page: HeadlessSigner.Page
 * if (page.status === 302) console.log(page.location?.href)
 * ```
 *
 * @since 0.1.0
 */
export interface Page {
  readonly url: URL
  readonly status: number
  readonly contentType: string
  readonly body: Uint8Array
  readonly text: string
  readonly headers: Headers
  readonly location?: URL | undefined
}

/**
 * A form on a page, with its hidden and pre-filled inputs and the text of its submit button.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * declare const page: HeadlessSigner.Page
 * const sign: HeadlessSigner.Form | undefined = HeadlessSigner.forms(page).find((f) => f.button === "Sign")
 * ```
 *
 * @since 0.1.0
 */
export interface Form {
  readonly action: URL
  readonly method: string
  readonly fields: ReadonlyArray<readonly [string, string]>
  readonly button: string
}

/**
 * Hides secrets in URLs before they are printed: query values and the one-time path tokens.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * HeadlessSigner.maskUrl("http://h/redirect/abc?status_query_token=t") // "http://h/redirect/***?status_query_token=***"
 * ```
 *
 * @since 0.1.0
 */
export const maskUrl = (url: string | URL): string => {
  const u = new URL(String(url))
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, "***")
  u.pathname = u.pathname.replace(/\/(redirect|ceremony|invitation)\/[^/]+/, "/$1/***")
  return decodeURIComponent(u.toString())
}

const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")

/**
 * The page's forms.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * declare const page: HeadlessSigner.Page
 * HeadlessSigner.forms(page).map((f) => f.button) // ["Sign", "Reject"]
 * ```
 *
 * @since 0.1.0
 */
export const forms = (page: Page): Array<Form> => {
  const out: Array<Form> = []
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi
  const attr = (tag: string, name: string) => {
    const m = new RegExp(`\\b${name}="([^"]*)"`, "i").exec(tag)
    return m === null ? undefined : decodeEntities(m[1] ?? "")
  }
  for (let m = formRe.exec(page.text); m !== null; m = formRe.exec(page.text)) {
    const tag = m[1] ?? ""
    const inner = m[2] ?? ""
    const fields: Array<readonly [string, string]> = []
    for (const input of inner.match(/<input\b[^>]*>/gi) ?? []) {
      const name = attr(input, "name")
      if (name !== undefined) fields.push([name, attr(input, "value") ?? ""])
    }
    for (const area of inner.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const name = attr(area[1] ?? "", "name")
      if (name !== undefined) fields.push([name, decodeEntities(area[2] ?? "")])
    }
    for (const select of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const name = attr(select[1] ?? "", "name")
      const options = [...(select[2] ?? "").matchAll(/<option\b([^>]*)>/gi)].map((o) => o[1] ?? "")
      const chosen = options.find((o) => /\bselected\b/i.test(o)) ?? options[0]
      if (name !== undefined && chosen !== undefined) fields.push([name, attr(chosen, "value") ?? ""])
    }
    const button =
      /<button\b[^>]*>([\s\S]*?)<\/button>/i
        .exec(inner)?.[1]
        ?.replace(/<[^>]*>/g, "")
        .trim() ?? ""
    out.push({
      action: new URL(attr(tag, "action") ?? page.url.pathname, page.url),
      method: (attr(tag, "method") ?? "get").toLowerCase(),
      fields,
      button: decodeEntities(button),
    })
  }
  return out
}

/**
 * A step of a headless flow did not go as a browser would expect (no such button, an unexpected status).
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * declare const redirectUrl: string
 * await HeadlessSigner.ceremony(redirectUrl).catch((e) => {
 *   if (e instanceof HeadlessSigner.FlowError) console.error(e.message)
 * })
 * ```
 *
 * @since 0.1.0
 */
export class FlowError extends Error {
  override readonly name = "FlowError"
}

/**
 * Options of a {@link Browser}.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * const options: HeadlessSigner.BrowserOptions = { signal: AbortSignal.timeout(30_000), report: console.log }
 * ```
 *
 * @since 0.1.0
 */
export interface BrowserOptions {
  /** Aborts every request (e.g. `AbortSignal.timeout(60_000)`). */
  readonly signal?: AbortSignal | undefined
  /** Called with one line per request (URLs masked). */
  readonly report?: ((line: string) => void) | undefined
  /**
   * Follow redirects to another origin than the one a request started at. Default `false`: the browser stops there
   * and answers the redirect as the page's `location` (the sender's exit URL need not exist in a test).
   */
  readonly followOtherOrigins?: boolean | undefined
  /** Follow redirects at all. Default `true`; with `false` every redirect is answered as the page's `location`. */
  readonly followRedirects?: boolean | undefined
  /** The `fetch` to use (e.g. undici's with a dispatcher of its own). Default the global `fetch`. */
  readonly fetch?: ((input: URL, init: RequestInit) => Promise<Response>) | undefined
}

/**
 * A browser-like client: cookies, manual redirects (each one reported), form posts. Uses the global `fetch`.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * const browser = new HeadlessSigner.Browser({ followOtherOrigins: true })
 * const page = await browser.request(new URL("http://127.0.0.1:8080/"))
 * console.log(page.status)
 * ```
 *
 * @since 0.1.0
 */
export class Browser {
  readonly jar = new CookieJar()
  readonly #options: BrowserOptions

  constructor(options: BrowserOptions = {}) {
    this.#options = options
  }

  async request(
    url: URL,
    init: {
      readonly method?: string
      readonly form?: ReadonlyArray<readonly [string, string]>
      /** The Origin header of a POST: the submitting page's (default: the target's own). */
      readonly origin?: string
    } = {},
  ): Promise<Page> {
    const report = this.#options.report ?? (() => {})
    let current = url
    let method = init.method ?? "GET"
    let body: string | undefined =
      init.form === undefined ? undefined : new URLSearchParams(init.form.map(([k, v]) => [k, v])).toString()
    for (let hops = 0; hops < 10; hops++) {
      const headers: Record<string, string> = { Accept: "text/html,application/pdf,*/*" }
      const cookie = this.jar.header(current)
      if (cookie !== undefined) headers.Cookie = cookie
      if (body !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded"
      // A browser names the page's origin on every POST; a web app may refuse state changes from other sites.
      if (method !== "GET" && method !== "HEAD") headers.Origin = init.origin ?? current.origin
      const response = await (this.#options.fetch ?? fetch)(current, {
        method,
        headers,
        redirect: "manual",
        ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }),
        ...(body === undefined ? {} : { body }),
      })
      this.jar.store(current, response.headers.getSetCookie())
      const location = response.headers.get("location")
      if (response.status >= 300 && response.status < 400 && location !== null) {
        const next = new URL(location, current)
        report(`  ${method} ${maskUrl(current)} -> ${response.status} ${maskUrl(next)}`)
        if (
          this.#options.followRedirects === false ||
          (next.origin !== url.origin && this.#options.followOtherOrigins !== true)
        ) {
          const bytes = new Uint8Array(await response.arrayBuffer())
          return {
            url: current,
            status: response.status,
            contentType: response.headers.get("content-type") ?? "",
            body: bytes,
            text: new TextDecoder().decode(bytes),
            headers: response.headers,
            location: next,
          }
        }
        await response.arrayBuffer()
        current = next
        if (response.status !== 307 && response.status !== 308) {
          method = "GET"
          body = undefined
        }
        continue
      }
      const bytes = new Uint8Array(await response.arrayBuffer())
      report(`  ${method} ${maskUrl(current)} -> ${response.status}`)
      return {
        url: current,
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        body: bytes,
        text: new TextDecoder().decode(bytes),
        headers: response.headers,
      }
    }
    throw new FlowError(`Too many redirects from ${maskUrl(url)}`)
  }

  /** Submits the form whose button text matches, as a browser does when that button is clicked; `values` are typed in. */
  async submit(page: Page, button: string | RegExp, values: Readonly<Record<string, string>> = {}): Promise<Page> {
    const form = forms(page).find((f) => (typeof button === "string" ? f.button === button : button.test(f.button)))
    if (form === undefined)
      throw new FlowError(
        `No "${String(button)}" button on ${maskUrl(page.url)} (buttons: ${forms(page)
          .map((f) => f.button)
          .join(", ")})`,
      )
    const fields = form.fields.map(([k, v]): readonly [string, string] => [k, values[k] ?? v])
    return this.request(form.action, { method: form.method.toUpperCase(), form: fields, origin: page.url.origin })
  }
}

/**
 * What the signer does in the direct flow's ceremony (the button it clicks).
 *
 * @example
 * ```ts
 * import type { HeadlessSigner } from "@signering/simulator"
 * const action: HeadlessSigner.CeremonyAction = "Reject"
 * ```
 *
 * @since 0.1.0
 */
export type CeremonyAction = "Sign" | "Reject" | "Simulate an unexpected error"

const expectStatus = (page: Page, status: number, what: string) => {
  if (page.status !== status)
    throw new FlowError(`${what}: expected HTTP ${status}, got ${page.status} at ${maskUrl(page.url)}`)
}

/**
 * The direct flow: opens a signer's redirect URL, clicks the action on the signing page and answers the exit URL the
 * pages send the browser to (the sender's completion, rejection or error URL with `status_query_token`), without
 * opening it.
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * declare const redirectUrl: string
 * const exitUrl = await HeadlessSigner.ceremony(redirectUrl, "Sign")
 * new URL(exitUrl).searchParams.get("status_query_token")
 * ```
 *
 * @since 0.1.0
 */
export const ceremony = async (
  redirectUrl: string,
  action: CeremonyAction = "Sign",
  options: Omit<BrowserOptions, "followOtherOrigins"> = {},
): Promise<string> => {
  const browser = new Browser(options)
  const page = await browser.request(new URL(redirectUrl))
  expectStatus(page, 200, "Signing page")
  const done = await browser.submit(page, action)
  if (done.location === undefined)
    throw new FlowError(`"${action}" did not send the browser to the sender (HTTP ${done.status})`)
  return done.location.toString()
}

/**
 * What the signer does on a portal job's page (the button it clicks).
 *
 * @example
 * ```ts
 * import type { HeadlessSigner } from "@signering/simulator"
 * const action: HeadlessSigner.PortalAction = "Sign"
 * ```
 *
 * @since 0.1.0
 */
export type PortalAction = "Sign" | "Reject"

/**
 * The portal flow, for a signer addressed by national identity number: logs in at the signer pages by picking that
 * identity, opens the job and clicks the action. Answers the job page afterwards (its `data-status` is the signer's
 * new status).
 *
 * @example
 * ```ts
 * import { HeadlessSigner } from "@signering/simulator"
 * declare const portalUrl: string
 * await HeadlessSigner.portalAsPerson({ portalUrl, personalIdentificationNumber: "01013300077", jobId: "1000" }, "Sign")
 * ```
 *
 * @since 0.1.0
 */
export const portalAsPerson = async (
  target: { readonly portalUrl: string; readonly personalIdentificationNumber: string; readonly jobId: string },
  action: PortalAction = "Sign",
  options: Omit<BrowserOptions, "followOtherOrigins"> = {},
): Promise<Page> => {
  const browser = new Browser(options)
  const login = await browser.request(new URL("/portal/login", target.portalUrl))
  expectStatus(login, 200, "Login page")
  const jobs = await browser.submit(login, "Log in", { pin: target.personalIdentificationNumber })
  expectStatus(jobs, 200, "Job list")
  const job = await browser.request(new URL(`/portal/jobs/${target.jobId}`, target.portalUrl))
  expectStatus(job, 200, "Job page")
  const done = await browser.submit(job, action)
  expectStatus(done, 200, "Job page after the action")
  return done
}

/**
 * The portal flow, for a signer addressed by contact information: opens the link from its notification, enters the
 * security code sent beside it and clicks the action. Answers the job page afterwards.
 *
 * @example
 * ```ts
 * import { HeadlessSigner, Simulator } from "@signering/simulator"
 * declare const sim: Simulator.Instance
 * const sent = sim.outbox({ jobId: "1000", signer: "kari@example.com" })
 * const link = sent.find((n) => n.kind === "invitation")!.link!
 * const securityCode = sent.find((n) => n.kind === "security-code")!.securityCode!
 * await HeadlessSigner.portalByInvitation({ link, securityCode }, "Sign")
 * ```
 *
 * @since 0.1.0
 */
export const portalByInvitation = async (
  target: { readonly link: string; readonly securityCode: string },
  action: PortalAction = "Sign",
  options: Omit<BrowserOptions, "followOtherOrigins"> = {},
): Promise<Page> => {
  const browser = new Browser(options)
  const invitation = await browser.request(new URL(target.link))
  expectStatus(invitation, 200, "Security code page")
  const job = await browser.submit(invitation, "Continue", { code: target.securityCode })
  expectStatus(job, 200, "Job page")
  const done = await browser.submit(job, action)
  expectStatus(done, 200, "Job page after the action")
  return done
}
