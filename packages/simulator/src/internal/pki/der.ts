/**
 * A minimal DER writer, just enough for PKCS#12 containers. Kept separate from node-forge's
 * binary-string ASN.1 so the container bytes are plain `Uint8Array`s end to end.
 */

const length = (n: number): Uint8Array => {
  if (n < 0x80) return Uint8Array.of(n)
  const bytes: Array<number> = []
  while (n > 0) {
    bytes.unshift(n & 0xff)
    n = Math.floor(n / 256)
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes)
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const total = parts.reduce((sum, p) => sum + p.length, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export const tlv = (tag: number, ...content: ReadonlyArray<Uint8Array>): Uint8Array => {
  const body = concat(content)
  return concat([Uint8Array.of(tag), length(body.length), body])
}

export const sequence = (...items: ReadonlyArray<Uint8Array>): Uint8Array => tlv(0x30, ...items)

/** DER SET OF: elements sorted by their encodings, as X.690 §11.6 requires. */
export const setOf = (...items: ReadonlyArray<Uint8Array>): Uint8Array => {
  const sorted = [...items].sort((a, b) => {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  })
  return tlv(0x31, ...sorted)
}

export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes)

export const nullValue = (): Uint8Array => Uint8Array.of(0x05, 0x00)

export const integer = (n: number): Uint8Array => {
  const bytes: Array<number> = []
  do {
    bytes.unshift(n & 0xff)
    n = Math.floor(n / 256)
  } while (n > 0)
  if (bytes[0]! & 0x80) bytes.unshift(0)
  return tlv(0x02, Uint8Array.from(bytes))
}

export const oid = (dotted: string): Uint8Array => {
  const arcs = dotted.split(".").map(Number)
  const out: Array<number> = [arcs[0]! * 40 + arcs[1]!]
  for (const arc of arcs.slice(2)) {
    const chunk: Array<number> = []
    let v = arc
    do {
      chunk.unshift(v & 0x7f)
      v = Math.floor(v / 128)
    } while (v > 0)
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80
    out.push(...chunk)
  }
  return tlv(0x06, Uint8Array.from(out))
}

/** BMPString (UTF-16BE), the type PKCS#12 uses for friendly names. */
export const bmpString = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out[i * 2] = c >> 8
    out[i * 2 + 1] = c & 0xff
  }
  return tlv(0x1e, out)
}

/** `[n] EXPLICIT` (constructed context tag wrapping a complete element). */
export const explicit = (n: number, ...items: ReadonlyArray<Uint8Array>): Uint8Array => tlv(0xa0 | n, ...items)

/** `[n] IMPLICIT OCTET STRING` (primitive context tag). */
export const implicitOctets = (n: number, bytes: Uint8Array): Uint8Array => tlv(0x80 | n, bytes)
