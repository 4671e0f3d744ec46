import { deflateRawSync, gzipSync, crc32 as zlibCrc32 } from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { unzipSync } from "fflate"
import { crc32 } from "../src/internal/crc32.js"
import { writeZip } from "../src/internal/zip.js"
import { deflateWithCrc, entropy, probe } from "../src/internal/zipDeflate.js"
import { pdfLike } from "./fixtures/bundle/pdfLike.js"

// zlib.crc32 exists from Node 20.15; the gzip trailer is the fallback reference.
const referenceCrc = (bytes: Uint8Array): number =>
  typeof zlibCrc32 === "function" ? zlibCrc32(bytes) : gzipSync(bytes).readUInt32LE(gzipSync(bytes).length - 8)

const time = { year: 2026, month: 11, day: 28, hour: 9, minute: 30, second: 15 }

describe("zip internals", () => {
  it("CRC-32 (slicing-by-8) equals zlib's for any input, offset and continuation", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(40), (bytes, cut) => {
        const view = bytes.subarray(Math.min(cut, bytes.length))
        expect(crc32(view)).toBe(referenceCrc(view))
        const half = Math.floor(view.length / 2)
        expect(crc32(view.subarray(half), crc32(view.subarray(0, half)))).toBe(referenceCrc(view))
      }),
    )
  })

  it("native deflate reports the same CRC", async () => {
    const bytes = new TextEncoder().encode("signering ".repeat(10_000))
    const { crc32: crc, data } = await deflateWithCrc(bytes)
    expect(crc).toBe(referenceCrc(bytes))
    expect(data.length).toBeLessThan(bytes.length / 10)
  })

  it("any entries (empty, unicode names, store/deflate/auto) round-trip through an independent unzip", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            name: fc.string({ minLength: 1, maxLength: 30 }).map((s) => `n_${s.replace(/[\\/\0]/g, "_")}`),
            bytes: fc.oneof(
              fc.uint8Array({ maxLength: 5000 }),
              fc.string({ maxLength: 5000 }).map((s) => new TextEncoder().encode(s.repeat(3))),
            ),
            compression: fc.constantFrom("auto" as const, "deflate" as const, "store" as const),
          }),
          { selector: (e) => e.name, minLength: 1, maxLength: 6 },
        ),
        async (entries) => {
          const zip = await writeZip(entries, time)
          const unzipped = unzipSync(zip.bytes)
          expect(Object.keys(unzipped)).toEqual(entries.map((e) => e.name))
          for (const e of entries) expect(unzipped[e.name]).toEqual(e.bytes)
          for (const [i, info] of zip.entries.entries()) {
            if (entries[i]!.compression !== "auto") expect(info.method).toBe(entries[i]!.compression)
          }
        },
      ),
      { numRuns: 40 },
    )
  })

  it("decides store or deflate from a spread sample: compressed data is stored, text deflated", async () => {
    const random = new Uint8Array(300_000).map(() => Math.floor(Math.random() * 256))
    expect(entropy(random)).toBeGreaterThan(7.9)
    expect((await probe(random)).worth).toBe(false)
    const text = new TextEncoder().encode("BT /F1 11 Tf (avtale om signering) Tj ET\n".repeat(8000))
    expect(entropy(text)).toBeLessThan(5)
    expect((await probe(text)).worth).toBe(true)
    // A compressed PDF whose first object is text: the first 64 KB alone would say "deflate".
    const textFirst = pdfLike(600_000, 0.02, 32)
    expect(deflateRawSync(textFirst.subarray(0, 65536)).length).toBeLessThan(65536 * 0.7)
    expect((await probe(textFirst)).worth).toBe(false)
    expect((await probe(pdfLike(600_000, 0.7, 8))).worth).toBe(true)
    const small = await probe(new TextEncoder().encode("<manifest>signering</manifest>".repeat(50)))
    expect(small.worth).toBe(true)
    expect(small.whole?.crc32).toBeTypeOf("number")
    expect((await probe(new Uint8Array(0))).worth).toBe(false)
  })

  it("writes the DOS timestamp of the given wall-clock time", async () => {
    const zip = await writeZip([{ name: "a.txt", bytes: new Uint8Array([1]), compression: "store" }], time)
    const view = new DataView(zip.bytes.buffer)
    expect(view.getUint16(10, true)).toBe((9 << 11) | (30 << 5) | 7)
    expect(view.getUint16(12, true)).toBe(((2026 - 1980) << 9) | (11 << 5) | 28)
  })
})
