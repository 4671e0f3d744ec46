/**
 * The whole signing flow without a browser: an HTTP client that keeps cookies per host and path, follows the
 * app's and the signing portal's redirects one by one, and submits their forms the way a browser would.
 * `demo --headless` runs it as a smoke test; the integration tests drive the app with the same client.
 */

interface Cookie {
  readonly name: string
  readonly value: string
  readonly host: string
  readonly path: string
}

/** A minimal cookie jar: host-only cookies, path prefix matching, `Max-Age=0`/past `Expires` deletes. */
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

export interface Page {
  readonly url: URL
  readonly status: number
  readonly contentType: string
  readonly body: Uint8Array
  readonly text: string
}

export interface Form {
  readonly action: URL
  readonly method: string
  readonly fields: ReadonlyArray<readonly [string, string]>
  readonly button: string
}

/** Hides secrets in URLs before they are printed: query values and the one-time path tokens. */
export const maskUrl = (url: string | URL): string => {
  const u = new URL(String(url))
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, "***")
  u.pathname = u.pathname.replace(/\/(redirect|ceremony)\/[^/]+/, "/$1/***")
  return decodeURIComponent(u.toString())
}

const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")

/** The page's forms with their hidden and pre-filled inputs and the text of their submit button. */
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

export class FlowError extends Error {
  override readonly name = "FlowError"
}

/** A browser-like client: cookies, manual redirects (each one reported), form posts. */
export class Browser {
  readonly jar = new CookieJar()
  readonly #signal: AbortSignal
  readonly #report: (line: string) => void

  constructor(options: { readonly signal: AbortSignal; readonly report?: (line: string) => void }) {
    this.#signal = options.signal
    this.#report = options.report ?? (() => {})
  }

  async request(
    url: URL,
    init: {
      method?: string
      form?: ReadonlyArray<readonly [string, string]>
      /** The Origin header of a POST: the submitting page's (default: the target's own). */
      origin?: string
    } = {},
  ): Promise<Page> {
    let current = url
    let method = init.method ?? "GET"
    let body: string | undefined =
      init.form === undefined ? undefined : new URLSearchParams(init.form.map(([k, v]) => [k, v])).toString()
    for (let hops = 0; hops < 10; hops++) {
      const headers: Record<string, string> = { Accept: "text/html,application/pdf,*/*" }
      const cookie = this.jar.header(current)
      if (cookie !== undefined) headers.Cookie = cookie
      if (body !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded"
      // A browser names the page's origin on every POST; the app refuses state changes from other sites without it.
      if (method !== "GET" && method !== "HEAD") headers.Origin = init.origin ?? current.origin
      const response = await fetch(current, {
        method,
        headers,
        redirect: "manual",
        signal: this.#signal,
        ...(body === undefined ? {} : { body }),
      })
      this.jar.store(current, response.headers.getSetCookie())
      const location = response.headers.get("location")
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer()
        const next = new URL(location, current)
        this.#report(`  ${method} ${maskUrl(current)} -> ${response.status} ${maskUrl(next)}`)
        current = next
        if (response.status !== 307 && response.status !== 308) {
          method = "GET"
          body = undefined
        }
        continue
      }
      const bytes = new Uint8Array(await response.arrayBuffer())
      this.#report(`  ${method} ${maskUrl(current)} -> ${response.status}`)
      return {
        url: current,
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        body: bytes,
        text: new TextDecoder().decode(bytes),
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

export type SignerAction = "Sign" | "Reject" | "Simulate an unexpected error"

export interface FlowResult {
  readonly jobPath: string
  readonly outcome: string | undefined
  readonly signedPdf: Uint8Array | undefined
}

const outcomeOf = (page: Page) => /data-outcome="([^"]+)"/.exec(page.text)?.[1]

/**
 * Logs in as the first demo customer, signs (or rejects, or fails) in the portal, comes back, and checks the page
 * and, when signed, the PDF. Every step is reported; any surprise is a `FlowError`.
 */
export const run = async (options: {
  readonly appUrl: string
  readonly action?: SignerAction
  readonly report?: (line: string) => void
  readonly timeoutMs?: number
}): Promise<FlowResult> => {
  const report = options.report ?? (() => {})
  const browser = new Browser({ signal: AbortSignal.timeout(options.timeoutMs ?? 60_000), report })
  const step = (n: number, text: string) => report(`${n}. ${text}`)
  const expectPage = (page: Page, status: number, what: string) => {
    if (page.status !== status)
      throw new FlowError(`${what}: expected HTTP ${status}, got ${page.status} at ${maskUrl(page.url)}`)
  }
  const action = options.action ?? "Sign"

  step(1, "Open the sender portal")
  let page = await browser.request(new URL("/", options.appUrl))
  expectPage(page, 200, "Login page")

  step(2, "Log in as a demo customer")
  page = await browser.submit(page, /^Log in as /)
  expectPage(page, 200, "Agreement page")
  const name = /<h1>Hello, ([^<]+)<\/h1>/.exec(page.text)?.[1]
  report(`   logged in as ${name ?? "?"}`)

  step(3, "Click Sign: the app creates a direct job (WAIT_FOR_CALLBACK) and redirects to the signing portal")
  page = await browser.submit(page, "Sign")
  expectPage(page, 200, "Signing portal")
  if (new URL(options.appUrl).host === page.url.host)
    throw new FlowError(`Expected the signing portal, stayed in the app: ${outcomeOf(page) ?? page.text.slice(0, 200)}`)

  step(4, `In the signing portal: click "${action}"; the portal sends the browser back to the app's exit URL`)
  page = await browser.submit(page, action)
  expectPage(page, 200, "Job page after return")
  const jobPath = page.url.pathname
  const outcome = outcomeOf(page)
  report(`   back at ${jobPath}: ${outcome ?? "no outcome"}`)

  step(5, "The app fetched the status with the token, stored it, downloaded the PAdES and confirmed")
  const events = [...page.text.matchAll(/<tr><td class="muted">[^<]*<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => m[1])
  for (const e of events) report(`   - ${e}`)
  const expected = action === "Sign" ? "signed" : action === "Reject" ? "rejected" : "error"
  if (outcome !== expected) throw new FlowError(`Expected the "${expected}" page, got "${outcome}"`)
  if (action === "Sign" && !events.includes("Status confirmed")) throw new FlowError("The status was not confirmed")

  let signedPdf: Uint8Array | undefined
  if (action === "Sign") {
    step(6, "Download the signed PDF")
    page = await browser.request(new URL(`${jobPath}/signed.pdf`, options.appUrl))
    expectPage(page, 200, "Signed PDF")
    if (!page.contentType.startsWith("application/pdf") || page.text.slice(0, 5) !== "%PDF-")
      throw new FlowError(`The signed document is not a PDF (${page.contentType})`)
    signedPdf = page.body
    report(`   ${page.body.byteLength} bytes, ${page.contentType}`)
  }
  return { jobPath, outcome, signedPdf }
}
