/**
 * Writing text into XML 1.0, and the character rules that decide what can be written at all.
 */

/** Any code point outside the XML 1.0 `Char` production (control characters, lone surrogates, U+FFFE/U+FFFF). */
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

/** Index of the first character XML 1.0 cannot carry, or -1. */
export const firstNonXmlChar = (value: string): number => {
  const m = notXmlChar.exec(value)
  return m === null ? -1 : m.index
}

/** Whether a code point is in the XML 1.0 `Char` production (what a character reference may produce, too). */
export const isXmlChar = (cp: number): boolean =>
  cp >= 0x20
    ? cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
    : cp === 0x09 || cp === 0x0a || cp === 0x0d

/**
 * Whether `value` takes more than `max` bytes as UTF-8, counted without encoding it (a size cap on a string must
 * count what the wire carries: 16 MiB of three-byte characters is 48 MiB). Stops counting once over the limit.
 */
export const utf8LengthExceeds = (value: string, max: number): boolean => {
  const n = value.length
  // Every UTF-16 unit takes at least one byte and at most three (a surrogate pair: two units, four bytes).
  if (n > max) return true
  if (n * 3 <= max) return false
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4
      i++
    } else bytes += 3
    if (bytes > max) return true
  }
  return false
}

/** Length in characters (code points), as XML Schema's `length` facets count, not UTF-16 units. */
export const codePointLength = (value: string): number => {
  let n = value.length
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const d = value.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

const textSpecial = /[&<>\r]/
const attrSpecial = /[&<>"\t\n\r]/

// `\r` is written as a reference because a parser turns a literal CR (or CRLF) into LF; `>` because `]]>` is illegal.
const textReplacements: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;" }
// In attributes, literal tab/LF/CR would be normalized to spaces by every parser.
const attrReplacements: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "\t": "&#x9;",
  "\n": "&#xA;",
  "\r": "&#xD;",
}

/** Escapes element content. The caller has already rejected characters XML cannot carry. */
export const escapeText = (value: string): string =>
  textSpecial.test(value) ? value.replace(/[&<>\r]/g, (c) => textReplacements[c]!) : value

/** Escapes a double-quoted attribute value. */
export const escapeAttribute = (value: string): string =>
  attrSpecial.test(value) ? value.replace(/[&<>"\t\n\r]/g, (c) => attrReplacements[c]!) : value

/** `<name>escaped</name>` */
export const element = (name: string, value: string): string => `<${name}>${escapeText(value)}</${name}>`

/** `<name>escaped</name>` when the value is present, else nothing. */
export const optionalElement = (name: string, value: string | undefined): string =>
  value === undefined ? "" : element(name, value)
