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
