/**
 * A small zip writer for the document bundle: entries in the given order, stored or deflated, sizes and CRC in
 * the local headers (no data descriptors, so `java.util.zip.ZipInputStream` reads stored entries too), no extra
 * fields, no directory entries, a fixed timestamp (deterministic output). No zip64: the bundle is tiny.
 */
import { crc32 } from "./crc32.js"
import { type Deflated, deflateWithCrc, probe } from "./zipDeflate.js"

export type Compression = "auto" | "deflate" | "store"

export interface ZipEntryInput {
  readonly name: string
  readonly bytes: Uint8Array
  readonly compression: Compression
}

export interface ZipEntryInfo {
  readonly name: string
  readonly method: "store" | "deflate"
  readonly size: number
  readonly compressedSize: number
  readonly crc32: number
}

/** Local wall-clock time of the entries (zip timestamps have no zone). */
export interface DosTime {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
}

export class ZipLimitError extends Error {}

const encodeDos = (t: DosTime): { time: number; date: number } =>
  t.year < 1980
    ? { time: 0, date: (1 << 5) | 1 }
    : {
        time: (t.hour << 11) | (t.minute << 5) | (t.second >> 1),
        date: ((Math.min(t.year, 2107) - 1980) << 9) | (t.month << 5) | t.day,
      }

const utf8 = new TextEncoder()
const flagUtf8 = 0x0800

/** An entry ready to be written: name, the bytes as stored, and its header fields. */
export interface PreparedEntry {
  readonly name: Uint8Array
  readonly data: Uint8Array
  readonly info: ZipEntryInfo
}

/**
 * Decides store or deflate, compresses and computes the CRC. Deflate and its CRC run natively in the background;
 * stored entries get their CRC in JS.
 */
export const prepareEntry = async (entry: ZipEntryInput): Promise<PreparedEntry> => {
  const name = utf8.encode(entry.name)
  if (name.length > 0xffff) throw new ZipLimitError(`zip entry name of ${name.length} bytes is too long`)
  if (entry.bytes.length > 0xfffffffe) throw new ZipLimitError(`zip entry ${entry.name} is larger than 4 GB`)
  let deflated: Deflated | undefined
  if (entry.compression === "deflate") deflated = await deflateWithCrc(entry.bytes)
  else if (entry.compression === "auto") {
    const trial = await probe(entry.bytes)
    if (trial.worth) deflated = trial.whole ?? (await deflateWithCrc(entry.bytes))
  }
  return {
    name,
    data: deflated?.data ?? entry.bytes,
    info: {
      name: entry.name,
      method: deflated === undefined ? "store" : "deflate",
      size: entry.bytes.length,
      compressedSize: deflated?.data.length ?? entry.bytes.length,
      crc32: deflated?.crc32 ?? crc32(entry.bytes),
    },
  }
}

/** Writes the zip from prepared entries, in order, into one buffer. */
export const assembleZip = (
  prepared: ReadonlyArray<PreparedEntry>,
  time: DosTime,
): { readonly bytes: Uint8Array; readonly entries: ReadonlyArray<ZipEntryInfo> } => {
  if (prepared.length > 0xffff) throw new ZipLimitError(`${prepared.length} zip entries exceed 65535`)
  const { time: dosTime, date: dosDate } = encodeDos(time)
  let localSize = 0
  let centralSize = 0
  for (const p of prepared) {
    localSize += 30 + p.name.length + p.data.length
    centralSize += 46 + p.name.length
  }
  const total = localSize + centralSize + 22
  if (localSize + centralSize > 0xfffffffe) throw new ZipLimitError("the bundle exceeds 4 GB")
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let o = 0
  const offsets: Array<number> = []
  for (const p of prepared) {
    const method = p.info.method === "deflate" ? 8 : 0
    offsets.push(o)
    view.setUint32(o, 0x04034b50, true)
    view.setUint16(o + 4, method === 8 ? 20 : 10, true)
    view.setUint16(o + 6, flagUtf8, true)
    view.setUint16(o + 8, method, true)
    view.setUint16(o + 10, dosTime, true)
    view.setUint16(o + 12, dosDate, true)
    view.setUint32(o + 14, p.info.crc32, true)
    view.setUint32(o + 18, p.data.length, true)
    view.setUint32(o + 22, p.info.size, true)
    view.setUint16(o + 26, p.name.length, true)
    view.setUint16(o + 28, 0, true)
    out.set(p.name, o + 30)
    out.set(p.data, o + 30 + p.name.length)
    o += 30 + p.name.length + p.data.length
  }
  const centralStart = o
  prepared.forEach((p, i) => {
    const method = p.info.method === "deflate" ? 8 : 0
    view.setUint32(o, 0x02014b50, true)
    view.setUint16(o + 4, 20, true)
    view.setUint16(o + 6, method === 8 ? 20 : 10, true)
    view.setUint16(o + 8, flagUtf8, true)
    view.setUint16(o + 10, method, true)
    view.setUint16(o + 12, dosTime, true)
    view.setUint16(o + 14, dosDate, true)
    view.setUint32(o + 16, p.info.crc32, true)
    view.setUint32(o + 20, p.data.length, true)
    view.setUint32(o + 24, p.info.size, true)
    view.setUint16(o + 28, p.name.length, true)
    // extra length, comment length, disk number, internal and external attributes: all zero
    view.setUint32(o + 42, offsets[i]!, true)
    out.set(p.name, o + 46)
    o += 46 + p.name.length
  })
  view.setUint32(o, 0x06054b50, true)
  view.setUint16(o + 8, prepared.length, true)
  view.setUint16(o + 10, prepared.length, true)
  view.setUint32(o + 12, o - centralStart, true)
  view.setUint32(o + 16, centralStart, true)
  return { bytes: out, entries: prepared.map((p) => p.info) }
}

/** Prepares every entry concurrently, then writes the zip. */
export const writeZip = async (
  entries: ReadonlyArray<ZipEntryInput>,
  time: DosTime,
): Promise<{ readonly bytes: Uint8Array; readonly entries: ReadonlyArray<ZipEntryInfo> }> =>
  assembleZip(await Promise.all(entries.map(prepareEntry)), time)
