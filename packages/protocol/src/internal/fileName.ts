/**
 * Document file names (zip entry names and manifest `href`s), as the official Java client derives them
 * (PROTOCOL.md Appendix A.2, `FileName.reduceToFileNameSafeChars`). Same input, same name: this keeps our
 * bundles comparable byte for byte with the Java client's.
 */

// Java's `\s` is ASCII whitespace only: [ \t\n\x0B\f\r].
const punctuationRun = /[ \t\n\x0B\f\r:;&%$*?+=@,()[\]{}#!"\u201C\u201D^`\u00B4<>]+/g
const combiningMarks = /\p{M}/gu
const alphabet = "-.0123456789_abcdefghijklmnopqrstuvwxyz"

const isInAlphabet = (c: number): boolean =>
  c === 45 || c === 46 || (c >= 48 && c <= 57) || c === 95 || (c >= 97 && c <= 122)

/** Schema limit on `@href`. */
export const maxFileNameLength = 100

/**
 * Reduces a title to `[0-9a-z._-]`: steps 1–5 of A.2.
 *
 * Checked against a JDK 17 replica of the Java steps on 3 000 random Unicode titles: identical except
 * (a) code points that only one side's Unicode version knows (new combining marks, case pairs), and
 * (b) capital sigma, whose final form ς Java picks by its own word-break rules and JavaScript by Unicode's
 * case-ignorable rule. Both only change which safe character a Greek/exotic title maps to.
 * `toLowerCase` here is locale-independent, as Java's is in any JVM locale but Turkish, Azeri and Lithuanian.
 */
export const reduceToFileNameSafeChars = (title: string): string => {
  const lowered = title
    .replace(punctuationRun, "_")
    .replace(/[æÆ]/g, "ae")
    .replace(/[øØ]/g, "oe")
    .replace(/[åÅ]/g, "aa")
    .normalize("NFD")
    .replace(combiningMarks, "")
    .toLowerCase()
  let out = ""
  for (let i = 0; i < lowered.length; i++) {
    const c = lowered.charCodeAt(i)
    // Per UTF-16 code unit, like Java's `char`: a surrogate pair becomes two characters.
    out += isInAlphabet(c) ? lowered[i] : alphabet[c % alphabet.length]
  }
  return out
}

export const extensionFor = (mediaType: "application/pdf" | "text/plain"): "pdf" | "txt" =>
  mediaType === "text/plain" ? "txt" : "pdf"

/**
 * `%04d_<reduced title>.<ext>`. The reduced title is cut so the name fits the schema's 100 characters:
 * Java does not cut (its marshaller then rejects the manifest), so for every title Java accepts the
 * name is identical, and for the rest we produce a working name instead of an error.
 */
export const documentFileName = (index: number, title: string, mediaType: "application/pdf" | "text/plain"): string => {
  const prefix = String(index).padStart(4, "0") + "_"
  const suffix = "." + extensionFor(mediaType)
  const reduced = reduceToFileNameSafeChars(title)
  return prefix + reduced.slice(0, Math.max(0, maxFileNameLength - prefix.length - suffix.length)) + suffix
}

/** Characters that every URL-encoder (form or RFC 3986) leaves alone, so `href` == zip entry name == Reference URI. */
export const isUrlEncodingInvariant = (name: string): boolean => /^[A-Za-z0-9._-]*$/.test(name)
