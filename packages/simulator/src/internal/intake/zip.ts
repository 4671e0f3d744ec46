/**
 * A strict zip reader for the document bundle, on Node's native zlib (a pure-JS inflater was the largest single
 * cost of the intake). Entry metadata comes from the central directory (Java writes data descriptors, so the
 * local headers carry no sizes). Limits are checked on the declared sizes before anything is inflated, and
 * inflation itself is capped at the declared size, so a zip bomb costs nothing. Every entry's CRC-32 is checked.
 */
import * as zlib from "node:zlib"

export class ZipError extends Error {
  override readonly name = "ZipError"
  constructor(
    readonly reason: "Malformed" | "TooManyEntries" | "TooLarge" | "Duplicate" | "Unsupported",
    message: string,
  ) {
    super(message)
  }
}

export interface ZipLimits {
  readonly maxEntries: number
  readonly maxTotalBytes: number
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

// zlib.crc32 arrived in Node 20.15 / 22.2; keep a table-driven fallback for older runtimes.
const crcTable = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()
const crc32 = (data: Uint8Array): number => {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32
  if (native) return native(data) >>> 0
  let c = -1
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

const malformed = (message: string): never => {
  throw new ZipError("Malformed", message)
}

/** Reads every file entry (directories skipped) into a name → bytes map, in central-directory order. */
export const readZip = (bytes: Uint8Array, limits: ZipLimits): Map<string, Uint8Array> => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 22) malformed("the document bundle is not a zip file")
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i
      break
    }
  }
  if (eocd < 0) malformed("the document bundle is not a zip file (no end of central directory)")
  const disk = buf.readUInt16LE(eocd + 4)
  const count = buf.readUInt16LE(eocd + 10)
  const cdSize = buf.readUInt32LE(eocd + 12)
  const cdOffset = buf.readUInt32LE(eocd + 16)
  if (disk !== 0 || buf.readUInt16LE(eocd + 6) !== 0 || count !== buf.readUInt16LE(eocd + 8)) {
    throw new ZipError("Unsupported", "multi-volume zip files are not supported")
  }
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    throw new ZipError("Unsupported", "zip64 document bundles are not supported")
  }
  if (count > limits.maxEntries) {
    throw new ZipError("TooManyEntries", `the document bundle has more than ${limits.maxEntries} entries`)
  }
  if (cdOffset + cdSize > eocd) malformed("the zip central directory lies outside the file")

  interface Entry {
    name: string
    method: number
    crc: number
    compressedSize: number
    size: number
    localOffset: number
  }
  const entries: Array<Entry> = []
  const names = new Set<string>()
  let total = 0
  let p = cdOffset
  const decoder = new TextDecoder("utf-8", { fatal: true })
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== CENTRAL) malformed("malformed zip central directory")
    const flags = buf.readUInt16LE(p + 8)
    const method = buf.readUInt16LE(p + 10)
    const nameLength = buf.readUInt16LE(p + 28)
    const extraLength = buf.readUInt16LE(p + 30)
    const commentLength = buf.readUInt16LE(p + 32)
    if (p + 46 + nameLength > eocd) malformed("malformed zip central directory")
    let name: string
    try {
      name = decoder.decode(buf.subarray(p + 46, p + 46 + nameLength))
    } catch {
      return malformed("a zip entry name is not UTF-8")
    }
    const entry: Entry = {
      name,
      method,
      crc: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
    }
    p += 46 + nameLength + extraLength + commentLength
    if (flags & 0x1) throw new ZipError("Unsupported", `the zip entry ${name} is encrypted`)
    if (method !== 0 && method !== 8) {
      throw new ZipError(
        "Unsupported",
        `the zip entry ${name} uses compression method ${method}; only stored and deflate are supported`,
      )
    }
    if (names.has(name)) throw new ZipError("Duplicate", `the zip entry ${name} appears twice`)
    names.add(name)
    if (name.endsWith("/")) continue
    total += entry.size
    if (total > limits.maxTotalBytes) {
      throw new ZipError("TooLarge", `the unzipped document bundle exceeds ${limits.maxTotalBytes} bytes`)
    }
    entries.push(entry)
  }

  const files = new Map<string, Uint8Array>()
  for (const e of entries) {
    const h = e.localOffset
    if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL) malformed(`the local header of ${e.name} is missing`)
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28)
    const end = start + e.compressedSize
    if (end > buf.length) malformed(`the data of ${e.name} runs past the end of the zip file`)
    const raw = buf.subarray(start, end)
    let data: Uint8Array
    if (e.method === 0) {
      data = raw
    } else {
      try {
        // One output chunk of the declared size (+1 to see that nothing follows): zlib's default 16 kB chunks cost
        // a concatenation that took longer than the inflation itself. The declared sizes are within the limits.
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size), chunkSize: Math.max(64, e.size + 1) })
      } catch {
        return malformed(`the zip entry ${e.name} cannot be inflated (or is larger than declared)`)
      }
    }
    if (data.length !== e.size) malformed(`the zip entry ${e.name} does not have its declared size`)
    if (crc32(data) !== e.crc) malformed(`the CRC-32 of the zip entry ${e.name} does not match`)
    files.set(e.name, data)
  }
  return files
}
