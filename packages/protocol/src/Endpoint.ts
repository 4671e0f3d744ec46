/**
 * Requests as data, like `@octokit/endpoint`: what one operation sends (method, URL, headers, body) and how its
 * answer is read, built by pure functions per flow (`DirectEndpoint`, `PortalEndpoint`, `ArchiveEndpoint`) with no
 * I/O. `@signering/client` executes them through one request pipeline; anyone may execute them with their own.
 *
 * Follow-up URLs the service hands out (status, confirmation, cancellation, downloads, delete) are kept verbatim:
 * query parameters are appended to them, never re-encoded into them.
 *
 * @since 0.1.0
 */
import { type Redacted, Result } from "effect"
import type { DecodeError } from "./ProtocolError.js"

/**
 * How a request may be repeated: `safe` ones on a broken connection and on 502/503/504; `connectOnly` (a job
 * creation, a new redirect URL) only when the connection failed before any byte was sent.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "@signering/protocol"
 * const kind: Endpoint.RetryClass = "safe"
 * ```
 * @since 0.1.0
 */
export type RetryClass = "safe" | "connectOnly"

/**
 * How the client reads a success answer: `body` collects it (bounded) for `decode`, `none` drains it, `stream`
 * hands it to the caller as a stream (`decode` is not called).
 *
 * @example
 * ```ts
 * import type { Endpoint } from "@signering/protocol"
 * const read: Endpoint.Read = "stream"
 * ```
 * @since 0.1.0
 */
export type Read = "body" | "none" | "stream"

/**
 * A success answer as `decode` sees it.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "@signering/protocol"
 * const answer: Endpoint.Answer = { status: 204, headers: {}, body: new Uint8Array() }
 * ```
 * @since 0.1.0
 */
export interface Answer {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array
}

/**
 * A request body: its bytes and media type.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "@signering/protocol"
 * const body: Endpoint.Body = { contentType: "application/xml", bytes: new TextEncoder().encode("<x/>") }
 * ```
 * @since 0.1.0
 */
export interface Body {
  readonly contentType: string
  readonly bytes: Uint8Array
}

/**
 * One operation's request and how to read its answer.
 *
 * @example
 * ```ts
 * import { DirectEndpoint } from "@signering/protocol"
 * const endpoint = DirectEndpoint.getStatusChange("https://api.difitest.signering.posten.no/api", { organizationNumber: "123456785" })
 * endpoint.method // "GET"
 * endpoint.url // "https://api.difitest.signering.posten.no/api/123456785/direct/signature-jobs"
 * ```
 * @since 0.1.0
 */
export interface Endpoint<A> {
  /** The operation's name, as on the clients (`create`, `getStatusChange`, `cancel`, ...). */
  readonly operation: string
  readonly method: "GET" | "POST" | "DELETE"
  /** The URL as sent: a service URL verbatim with parameters appended, or one built from the API root. */
  readonly url: string
  /**
   * Whether `url` was handed out by the service (`true`: a follow-up; a client checks its origin and scheme
   * before sending) or built from the API root (`false`).
   */
  readonly followUp: boolean
  /** Values in `url` that are secrets (the status query token): masked wherever the URL is shown. */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  /** Request headers beyond `Accept`. */
  readonly headers: Readonly<Record<string, string>>
  /** The `Accept` header, when the operation sends one. */
  readonly accept: string | undefined
  readonly body: Body | undefined
  readonly retry: RetryClass
  /** The organization the request is made for (the sender in the path), for per-organization rate limits. */
  readonly organizationNumber: string | undefined
  /** Whether a status code is this operation's answer; any other is an error for the client to map. */
  readonly accepts: (status: number) => boolean
  readonly read: Read
  /** Reads a success answer. Pure; never throws. */
  readonly decode: (answer: Answer) => Result.Result<A, DecodeError>
}

/**
 * The 2xx codes the Java client accepts as success (`Response.Status.Family.SUCCESSFUL`).
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.isSuccess(202) // true
 * ```
 * @since 0.1.0
 */
export const isSuccess = (status: number): boolean => status >= 200 && status < 300

/**
 * Appends query parameters to a URL exactly as given: the existing query is kept byte for byte (a `?x=a%20b/c`
 * stays as is), names and values are percent-encoded, a fragment stays last.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.appendQuery("https://host/s?x=a%20b/c", [["polling_queue", "q 1"]])
 * // "https://host/s?x=a%20b/c&polling_queue=q%201"
 * ```
 * @since 0.1.0
 */
export const appendQuery = (url: string, params: ReadonlyArray<readonly [string, string]>): string => {
  if (params.length === 0) return url
  const hashAt = url.indexOf("#")
  const base = hashAt === -1 ? url : url.slice(0, hashAt)
  const fragment = hashAt === -1 ? "" : url.slice(hashAt)
  const query = params.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&")
  const separator = !base.includes("?") ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&"
  return `${base}${separator}${query}${fragment}`
}

/**
 * `<root>/<organization>/<path>`, with the root's trailing slashes dropped.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.apiUrl("https://api.signering.posten.no/api/", "123456785", "direct/signature-jobs")
 * // "https://api.signering.posten.no/api/123456785/direct/signature-jobs"
 * ```
 * @since 0.1.0
 */
export const apiUrl = (apiRoot: string, organizationNumber: string, path?: string): string =>
  `${apiRoot.replace(/\/+$/, "")}/${organizationNumber}${path === undefined || path === "" ? "" : `/${path}`}`

const encoder = new TextEncoder()
const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
const randomText = (length: number): string => {
  let out = ""
  for (const b of globalThis.crypto.getRandomValues(new Uint8Array(length))) out += alphabet[b & 63]
  return out
}
/** 144 random bits drawn once per process: nobody who writes a document can know them. */
const processPrefix = randomText(24)
let counter = 0

/**
 * A multipart boundary: `signering-ts-` + 144 bits unknown outside this process + a counter, so neither chance
 * nor a crafted document can produce it, and the 10 MB zip is never scanned for it.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.randomBoundary().startsWith("signering-ts-") // true
 * ```
 * @since 0.1.0
 */
export const randomBoundary = (): string => `signering-ts-${processPrefix}${(counter++).toString(36).padStart(6, "0")}`

/**
 * The multipart/mixed body of a job creation (PROTOCOL §3): the request XML first (application/xml), then the
 * ASiC-E zip (application/octet-stream), no part names, as both official clients send it. One allocation: the
 * zip (up to 10 MB) is copied once.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * const body = Endpoint.jobMultipart("<x/>", new Uint8Array([1, 2]))
 * body.contentType.startsWith("multipart/mixed; boundary=") // true
 * ```
 * @since 0.1.0
 */
export const jobMultipart = (xml: string | Uint8Array, zip: Uint8Array, boundary = randomBoundary()): Body => {
  const head1 = `--${boundary}\r\nContent-Type: application/xml\r\n\r\n`
  const head2 = `\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`
  const tail = `\r\n--${boundary}--\r\n`
  // Every create builds this: the text parts are encoded straight into the body (one allocation, no copies), which
  // has room for the worst case of UTF-8 (3 bytes per UTF-16 unit) and is handed out trimmed.
  const text = typeof xml === "string" ? head1 + xml + head2 : undefined
  const room = text === undefined ? head1.length + xml.length + head2.length : text.length * 3
  const bytes = new Uint8Array(room + zip.length + tail.length)
  let at: number
  if (text !== undefined) at = encoder.encodeInto(text, bytes).written
  else {
    at = encoder.encodeInto(head1, bytes).written
    bytes.set(xml as Uint8Array, at)
    at += xml.length
    at += encoder.encodeInto(head2, bytes.subarray(at)).written
  }
  bytes.set(zip, at)
  at += zip.length
  at += encoder.encodeInto(tail, bytes.subarray(at)).written
  return { contentType: `multipart/mixed; boundary=${boundary}`, bytes: bytes.subarray(0, at) }
}

/**
 * The `Accept` header of XML API calls (PROTOCOL §3).
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.ACCEPT_XML // "application/xml"
 * ```
 * @since 0.1.0
 */
export const ACCEPT_XML = "application/xml"
/**
 * The `Accept` header of PAdES downloads: the PDF, or an XML error body.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.ACCEPT_PDF // "application/octet-stream, application/xml"
 * ```
 * @since 0.1.0
 */
export const ACCEPT_PDF = "application/octet-stream, application/xml"

// ---------------------------------------------------------------------------------------------------------------
// Operations every flow shares (the follow-up URLs behave the same in the direct and the portal flow)
// ---------------------------------------------------------------------------------------------------------------

const ignore = (): Result.Result<void, DecodeError> => Result.succeed(undefined)

/**
 * The answer to a poll: a change, or none (204). The next permitted poll time comes from the response header
 * (`X-Next-permitted-poll-time`), which the client reads.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "@signering/protocol"
 * const empty: Endpoint.Poll<never> = { _tag: "NoChanges" }
 * ```
 * @since 0.1.0
 */
export type Poll<A> = { readonly _tag: "NoChanges" } | { readonly _tag: "StatusChange"; readonly status: A }

/**
 * The poll of a sender's queue in a flow (`GET <root>/<org>/<flow>/signature-jobs[?polling_queue=q]`): 204 is "no
 * changes", any other 2xx carries one change.
 *
 * @example
 * ```ts
 * import { DirectXml, Endpoint } from "@signering/protocol"
 * const endpoint = Endpoint.poll(root, "direct", { organizationNumber: "123456785" }, DirectXml.decodeJobStatusResponse)
 * ```
 * @since 0.1.0
 */
export const poll = <A>(
  apiRoot: string,
  flow: "direct" | "portal",
  sender: { readonly organizationNumber: string; readonly pollingQueue?: string | undefined },
  decode: (body: Uint8Array) => Result.Result<A, DecodeError>,
): Endpoint<Poll<A>> => {
  const queue = sender.pollingQueue
  return {
    operation: "getStatusChange",
    method: "GET",
    url: appendQuery(
      apiUrl(apiRoot, sender.organizationNumber, `${flow}/signature-jobs`),
      queue === undefined || queue === "" ? [] : [["polling_queue", queue]],
    ),
    followUp: false,
    secrets: [],
    headers: {},
    accept: ACCEPT_XML,
    body: undefined,
    retry: "safe",
    organizationNumber: sender.organizationNumber,
    accepts: isSuccess,
    read: "body",
    decode: (answer) => {
      if (answer.status === 204) return Result.succeed({ _tag: "NoChanges" } as const)
      return Result.map(decode(answer.body), (status) => ({ _tag: "StatusChange", status }) as const)
    },
  }
}

const followUp = <A>(
  operation: string,
  method: Endpoint<A>["method"],
  url: string,
  read: Read,
  accept: string | undefined,
  decode: Endpoint<A>["decode"],
  retry: RetryClass = "safe",
  body?: Body,
): Endpoint<A> => ({
  operation,
  method,
  url,
  followUp: true,
  secrets: [],
  headers: {},
  accept,
  body,
  retry,
  organizationNumber: undefined,
  accepts: isSuccess,
  read,
  decode,
})

/**
 * A POST with an empty body to a follow-up URL (confirmation, cancellation), answered by any 2xx.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * const endpoint = Endpoint.post("confirm", status.confirmationUrl)
 * ```
 * @since 0.1.0
 */
export const post = (operation: string, url: string): Endpoint<void> =>
  followUp(operation, "POST", url, "none", ACCEPT_XML, ignore)

/**
 * Confirms a status change (POST to its `confirmation-url`).
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * const endpoint = Endpoint.confirm(status.confirmationUrl)
 * ```
 * @since 0.1.0
 */
export const confirm = (confirmationUrl: string): Endpoint<void> => post("confirm", confirmationUrl)

/**
 * Deletes a job's documents (DELETE to its `delete-documents-url`).
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * const endpoint = Endpoint.deleteDocuments(status.deleteDocumentsUrl)
 * ```
 * @since 0.1.0
 */
export const deleteDocuments = (deleteDocumentsUrl: string): Endpoint<void> =>
  followUp("deleteDocuments", "DELETE", deleteDocumentsUrl, "none", ACCEPT_XML, ignore)

/**
 * A signed document download (XAdES or PAdES) from a URL the service handed out, read as a stream.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * const endpoint = Endpoint.download("getPades", status.padesUrl)
 * ```
 * @since 0.1.0
 */
export const download = (operation: "getXades" | "getPades", url: string): Endpoint<void> =>
  followUp(operation, "GET", url, "stream", operation === "getXades" ? ACCEPT_XML : ACCEPT_PDF, ignore)

/**
 * The diagnostic "who am I" call, `GET <root>/<org>`: the service answers in plain text, `You are <cert-org>` or
 * `You are <cert-org>, operating on behalf of <url-org>`.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * const endpoint = Endpoint.whoami("https://api.signering.posten.no/api", "123456785")
 * ```
 * @since 0.1.0
 */
export const whoami = (apiRoot: string, organizationNumber: string): Endpoint<WhoAmI> => ({
  operation: "whoami",
  method: "GET",
  url: apiUrl(apiRoot, organizationNumber),
  followUp: false,
  secrets: [],
  headers: {},
  accept: "text/plain, application/xml",
  body: undefined,
  retry: "safe",
  organizationNumber,
  accepts: isSuccess,
  read: "body",
  decode: (answer) => Result.succeed(parseWhoAmI(new TextDecoder().decode(answer.body))),
})

/**
 * The service's answer to `whoami`, as text and parsed.
 *
 * @example
 * ```ts
 * const me: Endpoint.WhoAmI = { text: "You are 123456785", certificateOrganization: "123456785" }
 * ```
 * @since 0.1.0
 */
export interface WhoAmI {
  /** The answer as sent (trimmed, at most 500 characters). */
  readonly text: string
  /** The organization of the client certificate. */
  readonly certificateOrganization?: string | undefined
  /** For a broker: the organization in the URL it operates for. */
  readonly onBehalfOf?: string | undefined
}

/**
 * Parses the plain-text `whoami` answer; unknown wording keeps only `text`.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * Endpoint.parseWhoAmI("You are 123456785, operating on behalf of 987654325").onBehalfOf // "987654325"
 * ```
 * @since 0.1.0
 */
export const parseWhoAmI = (raw: string): WhoAmI => {
  const text = raw.trim().slice(0, 500)
  const match = /^You are\s+(.+?)(?:,\s*operating on behalf of\s+(.+?))?\.?$/i.exec(text)
  if (match === null) return { text }
  const [, certificateOrganization, onBehalfOf] = match
  return {
    text,
    ...(certificateOrganization === undefined ? {} : { certificateOrganization: certificateOrganization.trim() }),
    ...(onBehalfOf === undefined ? {} : { onBehalfOf: onBehalfOf.trim() }),
  }
}

/**
 * An endpoint around a follow-up URL the service handed out (the flow modules build theirs with it).
 *
 * @example
 * ```ts
 * import { Endpoint } from "@signering/protocol"
 * import { Result } from "effect"
 * const cancel = Endpoint.makeFollowUp("cancel", "POST", url, "none", Endpoint.ACCEPT_XML, () => Result.succeed(undefined))
 * ```
 * @since 0.1.0
 */
export const makeFollowUp = followUp
