/** Base64 without Node's Buffer (the protocol package runs on any runtime). */
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

export const encode = (bytes: Uint8Array): string => {
  let out = ""
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += alphabet[v >> 18]! + alphabet[(v >> 12) & 63]! + alphabet[(v >> 6) & 63]! + alphabet[v & 63]!
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | ((i + 1 < n ? bytes[i + 1]! : 0) << 8)
    out += alphabet[v >> 18]! + alphabet[(v >> 12) & 63]! + (i + 1 < n ? alphabet[(v >> 6) & 63]! : "=") + "="
  }
  return out
}

/** Java's MIME encoder layout: lines of 76 characters joined by `separator`, none after the last line. */
export const encodeMime = (bytes: Uint8Array, separator: string): string => {
  const flat = encode(bytes)
  if (flat.length <= 76) return flat
  const lines: Array<string> = []
  for (let i = 0; i < flat.length; i += 76) lines.push(flat.slice(i, i + 76))
  return lines.join(separator)
}

export const decode = (text: string): Uint8Array => {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, "")
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < clean.length; i++) {
    value = ((value << 6) | alphabet.indexOf(clean[i]!)) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 0xff
    }
  }
  return out.subarray(0, o)
}

/** PEM armour with 64-character lines, as OpenSSL writes it. */
export const pem = (label: string, der: Uint8Array): string => {
  const flat = encode(der)
  const lines: Array<string> = []
  for (let i = 0; i < flat.length; i += 64) lines.push(flat.slice(i, i + 64))
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`
}
