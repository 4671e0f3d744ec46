/**
 * A signer's browser on the simulator's signing portal: a cookie jar, no redirects followed automatically, the plain
 * HTML forms submitted as a browser would.
 */
import { type Agent, request } from "undici"

/** One browser: its own cookies. */
export class Browser {
  private readonly cookies = new Map<string, string>()

  constructor(private readonly dispatcher: Agent) {}

  private store(setCookie: string | Array<string> | undefined) {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const pair = line.split(";")[0]!.trim()
      const eq = pair.indexOf("=")
      if (eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }

  async go(method: "GET" | "POST", url: string) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ")
    const res = await request(url, {
      method,
      dispatcher: this.dispatcher,
      headers: {
        ...(cookie === "" ? {} : { cookie }),
        ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(method === "POST" ? { body: "" } : {}),
    })
    this.store(res.headers["set-cookie"])
    const text = await res.body.text()
    const location = res.headers.location
    return {
      status: res.statusCode,
      location: location === undefined ? undefined : new URL(String(location), url).toString(),
      text,
    }
  }
}

export type Action = "sign" | "reject" | "error"

/**
 * Opens the redirect URL, follows it to the signing page, submits the chosen form and returns the exit URL the
 * portal redirects to (the sender's completion, rejection or error URL with `status_query_token`).
 */
export const completeCeremony = async (dispatcher: Agent, redirectUrl: string, action: Action): Promise<string> => {
  const browser = new Browser(dispatcher)
  const first = await browser.go("GET", redirectUrl)
  if (first.status !== 302 || first.location === undefined)
    throw new Error(`portal: the redirect URL answered ${first.status}, expected 302`)
  const page = await browser.go("GET", first.location)
  const form = new RegExp(`<form method="post" action="([^"]+/${action})"`).exec(page.text)
  if (page.status !== 200 || form === null) throw new Error(`portal: no ${action} form on the signing page`)
  const submitted = await browser.go("POST", new URL(form[1]!, first.location).toString())
  if (submitted.status !== 302 || submitted.location === undefined)
    throw new Error(`portal: the ${action} form answered ${submitted.status}, expected 302`)
  return submitted.location
}
