import { PDFDocument } from "pdf-lib"
import { describe, expect, it } from "vitest"
import * as Contract from "../src/Contract.js"
import { pdfText } from "../src/PdfText.js"

describe("Contract", () => {
  it("is a one-page PDF naming every party, in the text and the title", async () => {
    const bytes = await Contract.render({
      parties: ["Kari Nordmann", "Ærlig Øystein Åsen"],
      title: Contract.defaultTitle,
      date: new Date("2026-11-28T10:00:00Z"),
    })
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-")
    const doc = await PDFDocument.load(bytes)
    expect(doc.getPageCount()).toBe(1)
    expect(doc.getTitle()).toBe("Service agreement: Kari Nordmann, Ærlig Øystein Åsen")
    const text = pdfText(bytes)
    expect(text).toContain("Kari Nordmann")
    expect(text).toContain("Ærlig Øystein Åsen")
    expect(text).toContain("Date: 2026-11-28")
  })

  it("renders names the standard fonts cannot draw, with a stand-in character", async () => {
    const bytes = await Contract.render({ parties: ["Zoë 李"], title: "T", date: new Date(0) })
    expect(pdfText(bytes)).toContain("Zoë ?")
  })
})
