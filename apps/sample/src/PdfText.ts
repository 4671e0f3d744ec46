/**
 * The text a PDF draws, good enough to check names on a page: inflates every Flate stream and collects the strings
 * of text operators (literal `(...)` and hex `<...>`, single-byte encodings as pdf-lib's standard fonts write them).
 */
import { inflateSync } from "node:zlib"

const latin1 = new TextDecoder("latin1")

const streams = (pdf: Uint8Array): Array<string> => {
  const text = latin1.decode(pdf)
  const out: Array<string> = []
  const re = /<<([\s\S]*?)>>\s*stream\r?\n/g
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index + m[0].length
    const end = text.indexOf("endstream", start)
    if (end === -1) break
    const raw = pdf.subarray(start, end)
    if (/\/FlateDecode/.test(m[1] ?? "")) {
      try {
        out.push(latin1.decode(inflateSync(raw)))
      } catch {
        // not a content stream we can read (e.g. an image with predictors): skip it
      }
    } else out.push(latin1.decode(raw))
  }
  return out
}

const unescapeLiteral = (s: string) =>
  s.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, e: string) => {
    const map: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", "(": "(", ")": ")", "\\": "\\" }
    return map[e] ?? String.fromCharCode(Number.parseInt(e, 8))
  })

const hex = (s: string) => {
  const clean = s.replace(/\s+/g, "")
  let out = ""
  for (let i = 0; i < clean.length; i += 2)
    out += String.fromCharCode(Number.parseInt(clean.slice(i, i + 2).padEnd(2, "0"), 16))
  return out
}

/** The text of every page's content streams, one string per text operator, in stream order. */
export const pdfStrings = (pdf: Uint8Array): Array<string> => {
  const strings: Array<string> = []
  for (const s of streams(pdf)) {
    const re = /\((?:[^()\\]|\\[\s\S])*\)|<([0-9A-Fa-f\s]*)>(?!>)/g
    if (!/\bT[jJ*']|\bTJ\b/.test(s)) continue
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      strings.push(m[0].startsWith("(") ? unescapeLiteral(m[0].slice(1, -1)) : hex(m[1] ?? ""))
    }
  }
  return strings
}

export const pdfText = (pdf: Uint8Array): string => pdfStrings(pdf).join("\n")

/** `true` when one of the PDF's text operators shows `needle`, e.g. a signer's name or number on the cover page. */
export const pdfMentions = (pdf: Uint8Array, needle: string): boolean => pdfStrings(pdf).some((s) => s.includes(needle))
