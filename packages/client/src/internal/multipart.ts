/**
 * The multipart/mixed body of job creation (PROTOCOL §3): the request XML first (application/xml),
 * then the ASiC-E zip (application/octet-stream), no part names, as both official clients send it.
 */

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
 * A boundary must not occur inside a part. Ours is `signering-ts-` + 144 bits unknown outside this process + a
 * counter, so neither chance nor a crafted document can produce it, and the 10 MB zip is never scanned for it.
 * (One crypto call per request was measurable in the create benchmark; a counter costs nothing.)
 */
export const randomBoundary = (): string => `signering-ts-${processPrefix}${(counter++).toString(36).padStart(6, "0")}`

export interface Multipart {
  readonly contentType: string
  readonly body: Uint8Array
}

/** Builds the body in one allocation (the zip can be 10 MB: copied once, never re-encoded). */
export const jobMultipart = (xml: string | Uint8Array, zip: Uint8Array, boundary = randomBoundary()): Multipart => {
  const xmlBytes = typeof xml === "string" ? encoder.encode(xml) : xml
  const head1 = encoder.encode(`--${boundary}\r\nContent-Type: application/xml\r\n\r\n`)
  const head2 = encoder.encode(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`)
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`)
  const body = new Uint8Array(head1.length + xmlBytes.length + head2.length + zip.length + tail.length)
  let at = 0
  for (const part of [head1, xmlBytes, head2, zip, tail]) {
    body.set(part, at)
    at += part.length
  }
  return { contentType: `multipart/mixed; boundary=${boundary}`, body }
}
