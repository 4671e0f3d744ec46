/**
 * CRC-32 (IEEE 802.3, the zip checksum), slicing-by-8: eight table lookups per 8 input bytes instead of one per
 * byte. Needed for stored entries, whose CRC no native API hands us.
 */

const tables: ReadonlyArray<Int32Array> = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256))
  const t0 = t[0]!
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t0[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!
    for (let k = 1; k < 8; k++) {
      c = t0[c & 0xff]! ^ (c >>> 8)
      t[k]![n] = c
    }
  }
  return t
})()

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of what came before, 0 to start). */
export const crc32 = (bytes: Uint8Array, previous = 0): number => {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ]
  let crc = ~previous
  const n = bytes.length
  let i = 0
  const end8 = n - (n % 8)
  while (i < end8) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!
    i += 8
  }
  while (i < n) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8)
  return ~crc >>> 0
}
