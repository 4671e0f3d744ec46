/**
 * `Simulator.minimalPdf`, the one test PDF every suite uses: a reader opens it, and its cross-reference table and
 * stream length are right to the byte whatever the text (a reader that repairs a broken table would hide it).
 */
import { describe, expect, it } from "@effect/vitest"
import { PDFDocument } from "pdf-lib"
import * as Simulator from "../src/Simulator.js"

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1")

/** The byte offsets the xref table gives for objects 1..n, and where startxref points. */
const crossReferences = (bytes: Uint8Array) => {
  const text = latin1(bytes)
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)?.[1])
  const table = text.slice(startxref)
  const entries = [...table.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]))
  return { text, startxref, entries }
}

describe("Simulator.minimalPdf", () => {
  it("is a one-page A4 PDF that pdf-lib opens without repairing it", async () => {
    const pdf = await PDFDocument.load(Simulator.minimalPdf("Kontrakt"), { throwOnInvalidObject: true })
    expect(pdf.getPageCount()).toBe(1)
    expect(pdf.getPage(0).getSize()).toEqual({ width: 595, height: 842 })
  })

  for (const text of ["Hello", "Vedlegg æøå", "a (parenthesis) and a \\ backslash", "€ 100 — 🙂"]) {
    it(`has byte-exact offsets and stream length for ${JSON.stringify(text)}`, () => {
      const bytes = Simulator.minimalPdf(text)
      const { text: file, startxref, entries } = crossReferences(bytes)
      expect(file.startsWith("%PDF-1.4\n")).toBe(true)
      expect(file.slice(startxref, startxref + 5)).toBe("xref\n")
      expect(entries).toHaveLength(5)
      expect(entries.map((offset) => file.slice(offset, offset + 8))).toEqual(
        [1, 2, 3, 4, 5].map((n) => `${n} 0 obj\n`),
      )
      const stream = /<< \/Length (\d+) >>\nstream\n([\s\S]*?)\nendstream/.exec(file)
      expect(Number(stream?.[1])).toBe(stream?.[2]?.length)
    })
  }

  it("keeps parentheses inside the string literal, and differs by text", () => {
    const file = latin1(Simulator.minimalPdf("a (b) c"))
    expect(file).toContain("(a \\(b\\) c) Tj")
    expect(latin1(Simulator.minimalPdf("one"))).not.toBe(latin1(Simulator.minimalPdf("two")))
  })
})
