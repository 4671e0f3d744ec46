/**
 * The job's PAdES as the real service lays it out (PROTOCOL.md §11): a cover page listing the signers and the
 * documents, the original documents, and a footer on every page naming the signers. The real one embeds the
 * signers' signatures; this one can carry a single invisible seal by the simulated e-ID instead (`seal`).
 */
import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib"
import type { Credentials } from "../../Pki.js"
import { preparePdfSignature, signPdf } from "./pdfSignature.js"

export interface PadesInput {
  readonly title: string
  readonly description?: string | undefined
  readonly documents: ReadonlyArray<{ readonly title: string; readonly mediaType: string; readonly bytes: Uint8Array }>
  readonly signers: ReadonlyArray<{
    readonly displayName: string
    readonly identifier: string
    readonly status: string
    readonly signedAt?: Date | undefined
  }>
  /**
   * When given, the PDF carries an invisible `adbe.pkcs7.detached` signature by this key (the simulated e-ID),
   * listed in a reader's signature panel. Its time is the latest signer's `signedAt`, else now.
   */
  readonly seal?: Credentials | undefined
}

const A4: [number, number] = [595.28, 841.89]
const MARGIN = 56
const FOOTER_SIZE = 8

// The standard fonts speak WinAnsi only: anything else (emoji, CJK, control characters) becomes "?".
const makeSanitizer = (font: PDFFont) => {
  const known = new Map<string, boolean>()
  const encodable = (ch: string): boolean => {
    let ok = known.get(ch)
    if (ok === undefined) {
      try {
        font.encodeText(ch)
        ok = true
      } catch {
        ok = false
      }
      known.set(ch, ok)
    }
    return ok
  }
  return (text: string): string => {
    let out = ""
    for (const ch of text.replace(/\t/g, "    ")) out += ch === " " || encodable(ch) ? ch : "?"
    return out
  }
}

const wrap = (text: string, font: PDFFont, size: number, width: number): Array<string> => {
  const lines: Array<string> = []
  for (const paragraph of text.split(/\r\n|\r|\n/)) {
    let line = ""
    for (const word of paragraph.split(/( +)/)) {
      const candidate = line + word
      if (font.widthOfTextAtSize(candidate, size) <= width || line === "") {
        // a single over-long word is cut by characters
        if (line === "" && font.widthOfTextAtSize(candidate, size) > width) {
          let piece = ""
          for (const ch of candidate) {
            if (font.widthOfTextAtSize(piece + ch, size) > width && piece !== "") {
              lines.push(piece)
              piece = ""
            }
            piece += ch
          }
          line = piece
        } else {
          line = candidate
        }
      } else {
        lines.push(line.trimEnd())
        line = word.trimStart()
      }
    }
    lines.push(line.trimEnd())
  }
  return lines
}

const formatTime = (d: Date): string =>
  d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, " UTC")

interface Writer {
  page: PDFPage
  y: number
}

/** Builds the PAdES bytes. Documents that cannot be parsed as PDF get a placeholder page instead of failing. */
export const makePades = async (input: PadesInput): Promise<Uint8Array> => {
  const pdf = await PDFDocument.create()
  const regular = await pdf.embedFont(StandardFonts.Helvetica)
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold)
  const clean = makeSanitizer(regular)
  const width = A4[0] - 2 * MARGIN

  pdf.setTitle(clean(input.title))
  pdf.setProducer("@signering/simulator")
  pdf.setCreator("@signering/simulator")

  const cover: Writer = { page: pdf.addPage(A4), y: A4[1] - MARGIN }
  const write = (w: Writer, text: string, font: PDFFont, size: number, indent = 0) => {
    for (const line of wrap(clean(text), font, size, width - indent)) {
      if (w.y < MARGIN + 2 * FOOTER_SIZE + size) {
        w.page = pdf.addPage(A4)
        w.y = A4[1] - MARGIN
      }
      w.y -= size * 1.3
      w.page.drawText(line, { x: MARGIN + indent, y: w.y, size, font })
    }
  }
  write(cover, input.title, bold, 18)
  if (input.description) {
    cover.y -= 6
    write(cover, input.description, regular, 11)
  }
  cover.y -= 14
  write(cover, "Signers", bold, 13)
  for (const s of input.signers) {
    write(cover, `${s.displayName} (${s.identifier})`, regular, 11, 8)
    write(cover, s.signedAt ? `${s.status}, signed ${formatTime(s.signedAt)}` : s.status, regular, 9, 16)
  }
  cover.y -= 14
  write(cover, "Documents", bold, 13)
  for (const [i, d] of input.documents.entries()) {
    write(cover, `${i + 1}. ${d.title} (${d.mediaType})`, regular, 11, 8)
  }

  for (const d of input.documents) {
    if (d.mediaType === "text/plain") {
      const w: Writer = { page: pdf.addPage(A4), y: A4[1] - MARGIN }
      write(w, d.title, bold, 13)
      w.y -= 6
      write(w, new TextDecoder().decode(d.bytes), regular, 10)
      continue
    }
    try {
      const source = await PDFDocument.load(d.bytes, { updateMetadata: false })
      const pages = await pdf.copyPages(source, source.getPageIndices())
      for (const p of pages) pdf.addPage(p)
    } catch {
      const w: Writer = { page: pdf.addPage(A4), y: A4[1] - MARGIN }
      write(w, d.title, bold, 13)
      write(w, "This document could not be rendered by the simulator.", regular, 11)
    }
  }

  const footer = clean(`Signers: ${input.signers.map((s) => `${s.displayName} (${s.status})`).join(", ")}`)
  for (const page of pdf.getPages()) {
    const { width: pageWidth } = page.getSize()
    const lines = wrap(footer, regular, FOOTER_SIZE, pageWidth - 2 * MARGIN).slice(0, 2)
    lines.forEach((line, i) => {
      page.drawText(line, {
        x: MARGIN,
        y: 24 - i * (FOOTER_SIZE * 1.3) + (lines.length - 1) * FOOTER_SIZE * 1.3,
        size: FOOTER_SIZE,
        font: regular,
        color: rgb(0.3, 0.3, 0.3),
      })
    })
  }
  if (!input.seal) return pdf.save({ useObjectStreams: false })
  const times = input.signers.flatMap((s) => (s.signedAt ? [s.signedAt.getTime()] : []))
  const signedAt = new Date(times.length > 0 ? Math.max(...times) : Date.now())
  const signed = input.signers.filter((s) => s.status === "SIGNED").map((s) => s.displayName)
  preparePdfSignature(pdf, clean(signed.length > 0 ? signed.join(", ") : "no signer yet"), signedAt)
  return signPdf(await pdf.save({ useObjectStreams: false }), input.seal, signedAt)
}
