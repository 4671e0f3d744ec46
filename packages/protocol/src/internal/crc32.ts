/**
 * CRC-32 (IEEE 802.3, the zip checksum), slicing-by-16: sixteen lookups in one flat table per 16 input bytes
 * instead of one per byte, about 1.5 GB/s in V8 (measured ~2× slicing-by-8 with separate tables). Needed for
 * stored entries, whose CRC no portable native API hands us.
 */

/** Table k (k = 0..15) at offset 256·k: the CRC of a byte followed by k zero bytes. */
const table: Int32Array = (() => {
  const t = new Int32Array(256 * 16)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  for (let k = 1; k < 16; k++) {
    for (let n = 0; n < 256; n++) {
      const previous = t[(k - 1) * 256 + n]!
      t[k * 256 + n] = t[previous & 0xff]! ^ (previous >>> 8)
    }
  }
  return t
})()

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of what came before, 0 to start). */
export const crc32 = (bytes: Uint8Array, previous = 0): number => {
  const t = table
  let crc = ~previous
  const n = bytes.length
  let i = 0
  const end16 = n - (n % 16)
  while (i < end16) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc
    crc =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + bytes[i + 4]!]! ^
      t[2560 + bytes[i + 5]!]! ^
      t[2304 + bytes[i + 6]!]! ^
      t[2048 + bytes[i + 7]!]! ^
      t[1792 + bytes[i + 8]!]! ^
      t[1536 + bytes[i + 9]!]! ^
      t[1280 + bytes[i + 10]!]! ^
      t[1024 + bytes[i + 11]!]! ^
      t[768 + bytes[i + 12]!]! ^
      t[512 + bytes[i + 13]!]! ^
      t[256 + bytes[i + 14]!]! ^
      t[bytes[i + 15]!]!
    i += 16
  }
  while (i < n) crc = t[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8)
  return ~crc >>> 0
}
