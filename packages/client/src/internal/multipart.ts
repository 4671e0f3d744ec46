/**
 * The multipart/mixed body of job creation (PROTOCOL §3): the request XML first (application/xml),
 * then the ASiC-E zip (application/octet-stream), no part names, as both official clients send it.
 */

const encoder = new TextEncoder()

/**
 * 30 random bytes as base64url-ish text. A boundary must not occur inside a part; with 240 random bits
 * the chance that it does is far below any hardware error rate, so the 10 MB zip is not scanned for it.
 */
export const randomBoundary = (): string => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(30))
  let out = ""
  for (const b of bytes) out += "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"[b & 63]
  return `signering-ts-${out}`
}

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
