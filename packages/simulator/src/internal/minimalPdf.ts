// No imports: the runtime flows (tests/runtimes) load this file as it is in Bun, Deno and Node.

/**
 * A small valid one-page PDF showing `text` (A4, Helvetica, with a correct cross-reference table), for tests and
 * examples that need a document the service accepts and the simulator can stamp into its signed PAdES. Give each
 * document its own `text` when they must differ.
 *
 * @example
 * ```ts
 * import { Simulator } from "@signering/simulator"
 * const documents = [{ title: "Contract", bytes: Simulator.minimalPdf("Contract") }]
 * ```
 * @since 0.1.0
 */
export const minimalPdf = (text = "Hello"): Uint8Array => {
  const encoder = new TextEncoder()
  // A PDF string literal: parentheses and backslashes are escaped, so any text keeps the file well-formed.
  const content = `BT /F1 24 Tf 72 720 Td (${text.replace(/[\\()]/g, "\\$&")}) Tj ET`
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${encoder.encode(content).length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ]
  // Offsets and lengths count bytes, not characters: text beyond ASCII takes more than one.
  let out = "%PDF-1.4\n"
  let bytes = out.length
  const offsets: Array<number> = []
  objects.forEach((object, i) => {
    offsets.push(bytes)
    const written = `${i + 1} 0 obj\n${object}\nendobj\n`
    out += written
    bytes += encoder.encode(written).length
  })
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) out += `${String(offset).padStart(10, "0")} 00000 n \n`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${bytes}\n%%EOF\n`
  return encoder.encode(out)
}
