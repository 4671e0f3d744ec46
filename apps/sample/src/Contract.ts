/** The contract a customer signs: a one-page PDF generated for them with pdf-lib. */
import { PDFDocument, rgb, StandardFonts } from "pdf-lib"

export interface ContractInput {
  /** Everyone who signs, in the order they are named in the contract. */
  readonly parties: ReadonlyArray<string>
  readonly title: string
  /** Fixes the dates in the document, so the same input gives the same text. */
  readonly date: Date
}

export const defaultTitle = "Service agreement"

const terms = [
  "1. The provider delivers the Sample service to the customer from the date of signing.",
  "2. The customer pays the monthly fee shown in the customer portal, invoiced in arrears.",
  "3. Either party may end this agreement with one month's written notice.",
  "4. Personal data is processed only to deliver the service, as described in the privacy notice.",
  "5. This agreement is signed electronically through Posten signering and is binding when every",
  "   party named above has signed.",
]

/** Builds the contract PDF, one page, naming every party in the text and in the document title. */
export const render = async (input: ContractInput): Promise<Uint8Array> => {
  const parties = input.parties.map(printable)
  const pdf = await PDFDocument.create()
  pdf.setTitle(`${input.title}: ${parties.join(", ")}`)
  pdf.setAuthor("Sample AS")
  pdf.setCreationDate(input.date)
  pdf.setModificationDate(input.date)
  const page = pdf.addPage([595.28, 841.89])
  const regular = await pdf.embedFont(StandardFonts.Helvetica)
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold)
  const ink = rgb(0.1, 0.12, 0.16)
  let y = 770
  const line = (text: string, size = 11, font = regular, gap = 18) => {
    page.drawText(text, { x: 60, y, size, font, color: ink })
    y -= gap
  }
  line("Sample AS", 10, bold, 30)
  line(input.title, 22, bold, 36)
  line(`Date: ${input.date.toISOString().slice(0, 10)}`)
  y -= 10
  line("Between Sample AS (the provider) and:", 11, regular, 22)
  for (const party of parties) line(`  ${party}`, 13, bold, 22)
  y -= 12
  for (const term of terms) line(term)
  y -= 40
  for (const party of parties) {
    page.drawLine({ start: { x: 60, y }, end: { x: 300, y }, thickness: 0.5, color: ink })
    y -= 14
    line(party, 9, regular, 40)
  }
  return pdf.save({ useObjectStreams: false })
}

/** Characters the standard PDF fonts cannot draw are replaced, so any typed name renders. */
export const printable = (name: string): string => name.replace(/[^\u0020-\u007e\u00a0-\u00ff]/g, "?")
