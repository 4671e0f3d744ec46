/**
 * A plain undici client over mutual TLS (deliberately not our client package), plus a tiny cookie jar for the portal.
 */

import { Agent, request } from "undici"
import type { Credentials } from "../../src/Pki.js"

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
  readonly bytes: Uint8Array
}

/** Every XML body the API answered with, for schema validation. */
export const collectedXml: Array<{ readonly what: string; readonly xml: string }> = []

export const agentFor = (credentials: Pick<Credentials, "privateKeyPem" | "chainPem">, caPem: string) =>
  new Agent({
    connect: {
      key: credentials.privateKeyPem,
      cert: credentials.chainPem,
      ca: caPem,
      rejectUnauthorized: true,
      // The server certificate is an enterprise certificate, not issued for a host name (like the real one).
      checkServerIdentity: () => undefined,
    },
  })

export const call = async (
  dispatcher: Agent,
  method: string,
  url: string,
  options: {
    readonly body?: Uint8Array | string
    readonly headers?: Record<string, string>
    readonly signal?: AbortSignal
  } = {},
): Promise<Reply> => {
  const res = await request(url, {
    method: method as "GET",
    dispatcher,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    headers: { accept: "application/xml", ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  })
  const bytes = new Uint8Array(await res.body.arrayBuffer())
  const text = new TextDecoder().decode(bytes)
  const contentType = String(res.headers["content-type"] ?? "")
  // Protocol messages only (the XAdES download is an xmldsig document, not a message of the API schema).
  if (
    contentType.startsWith("application/xml") &&
    /^(<\?xml[^>]*\?>)?<[\w-]+ xmlns="http:\/\/signering\.posten\.no\/schema\/v1"/.test(text)
  )
    collectedXml.push({ what: `${method} ${new URL(url).pathname} → ${res.statusCode}`, xml: text })
  return { status: res.statusCode, headers: res.headers, text, bytes }
}

/** Text of the first element with this local name (good enough for assertions on our own well-formed output). */
export const xmlText = (xml: string, name: string): string | undefined =>
  new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${name}>`)
    .exec(xml)?.[1]
    ?.replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')

export const xmlAll = (xml: string, name: string): Array<{ attrs: string; text: string }> =>
  [...xml.matchAll(new RegExp(`<(?:[\\w-]+:)?${name}(\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${name}>`, "g"))].map((m) => ({
    attrs: m[1] ?? "",
    text: (m[2] ?? "").replace(/&amp;/g, "&"),
  }))

export const attr = (attrs: string, name: string): string | undefined =>
  new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1]?.replace(/&amp;/g, "&")

/** A browser-like cookie jar: name=value per path prefix, no expiry handling (sessions only). */
export class CookieJar {
  private cookies: Array<{ name: string; value: string; path: string }> = []

  store(setCookie: string | Array<string> | undefined) {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim())
      const eq = pair!.indexOf("=")
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      const path = attrs.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/"
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path))
      this.cookies.push({ name, value, path })
    }
  }

  header(url: string): string | undefined {
    const path = new URL(url).pathname
    const matching = this.cookies.filter(
      (c) => path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
    )
    return matching.length === 0 ? undefined : matching.map((c) => `${c.name}=${c.value}`).join("; ")
  }
}

/** A browser request to the portal (plain HTTP, no client certificate), with cookies, not following redirects. */
export const browse = async (
  jar: CookieJar,
  method: "GET" | "POST",
  url: string,
): Promise<{ status: number; location: string | undefined; text: string; headers: Reply["headers"] }> => {
  const cookie = jar.header(url)
  const res = await request(url, {
    method,
    headers: {
      ...(cookie === undefined ? {} : { cookie }),
      ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    ...(method === "POST" ? { body: "" } : {}),
  })
  jar.store(res.headers["set-cookie"])
  const text = await res.body.text()
  const location = res.headers.location
  return {
    status: res.statusCode,
    location: location === undefined ? undefined : new URL(String(location), url).toString(),
    text,
    headers: res.headers,
  }
}
