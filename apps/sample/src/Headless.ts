/**
 * The whole signing flow without a browser: an HTTP client that keeps cookies per host and path, follows the
 * app's and the signing portal's redirects one by one, and submits their forms the way a browser would.
 * `demo --headless` runs it as a smoke test; the integration tests drive the app with the same client.
 */

import { HeadlessSigner } from "@signering/simulator"

// The browser itself is the simulator's headless signer (one copy for the sample, the simulator and the suites).
export const { CookieJar, FlowError, forms, maskUrl } = HeadlessSigner
export type CookieJar = HeadlessSigner.CookieJar
export type FlowError = HeadlessSigner.FlowError
export type Page = HeadlessSigner.Page
export type Form = HeadlessSigner.Form

/** A browser-like client that follows the app's and the signing portal's redirects across both sites. */
export class Browser extends HeadlessSigner.Browser {
  constructor(options: { readonly signal: AbortSignal; readonly report?: (line: string) => void }) {
    super({ ...options, followOtherOrigins: true })
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
