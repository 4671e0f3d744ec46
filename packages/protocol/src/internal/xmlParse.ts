/**
 * The XML parser of every decoder: one linear pass that checks well-formedness, resolves namespaces and builds
 * only the elements a decoder can look at (the root, and below it the elements of one namespace).
 *
 * Why our own: the answers come from a server that may be hostile, and decoding is synchronous, so no timeout can
 * stop it. fast-xml-parser, used before, accumulates text one character at a time (3 MB of text cost about a
 * second on a loaded machine, growing faster than the input), and accepts unclosed and mismatched tags (a truncated answer would decode as a
 * shorter one); the checks we ran before it had their own quadratic corner (a 2 MB answer with 200 000 attributes
 * cost 39 s). Here every character is looked at a bounded number of times: the scan jumps between markup with
 * `indexOf`, text is sliced (never built per character), and what one element may carry is capped before any work
 * proportional to it: attributes, namespace declarations, nesting, and nodes in the whole document.
 *
 * What it checks: tags balance and match, exactly one root, no text outside it, attributes are `name="value"`
 * pairs without duplicates or `<`, comments/CDATA/PIs are closed, only the five predefined entities and
 * character references to XML 1.0 characters (checked by the caller over the whole input first). DOCTYPE and
 * ENTITY declarations are refused by the caller; any other `<!` markup is refused here.
 */

import { isXmlChar } from "./xmlText.js"

export interface Limits {
  readonly maxDepth: number
  /** Attributes on one element, not counting namespace declarations. */
  readonly maxAttributes: number
  /** `xmlns` and `xmlns:p` declarations on one element. */
  readonly maxNamespaceDeclarations: number
  /** Elements, comments, CDATA sections and processing instructions in the whole document. */
  readonly maxNodes: number
}

/** An element the decoders can read: in the kept namespace (or the root, whatever its namespace). */
export interface XmlElement {
  /** Namespace URI, `undefined` when the prefix (or default namespace) is not bound. */
  readonly uri: string | undefined
  readonly local: string
  /** Unprefixed attributes, values normalized and references resolved. Namespace declarations are not here. */
  readonly attributes: ReadonlyMap<string, string>
  /** Character data directly inside (text and CDATA in document order), references resolved, line ends as LF. */
  text: string
  /** Child elements in the kept namespace, in document order. */
  readonly children: Array<XmlElement>
}

export type Parsed =
  | { readonly ok: true; readonly root: XmlElement }
  | { readonly ok: false; readonly tooLarge: boolean; readonly detail: string; readonly offset: number }

/**
 * Namespace declarations in scope, as a chain of the declaring elements (innermost first). Copying the parent's
 * map into each declaring element would cost the whole scope per element (with many declarations high up and many
 * declaring children, quadratic); a lookup walks at most one link per declaring ancestor (bounded by the depth cap).
 */
interface Scope {
  readonly own: ReadonlyMap<string, string>
  readonly parent: Scope | undefined
}

const lookupNamespace = (scope: Scope | undefined, prefix: string): string | undefined => {
  for (let s = scope; s !== undefined; s = s.parent) {
    const uri = s.own.get(prefix)
    if (uri !== undefined) return uri
  }
  // `xml` is bound by definition; `xmlns` is never an element prefix.
  return prefix === "xml" ? "http://www.w3.org/XML/1998/namespace" : undefined
}

interface Frame {
  /** The qualified name, to match the end tag. */
  readonly name: string
  readonly scope: Scope | undefined
  /** The element being built, or `undefined` for an element no decoder can look at. */
  readonly element: XmlElement | undefined
  /** Character data so far: most elements have one piece or none, so a list is made only for a second one. */
  text: string
  more: Array<string> | undefined
}

const noAttributes: ReadonlyMap<string, string> = new Map()

const addText = (frame: Frame, piece: string): void => {
  if (frame.text === "") frame.text = piece
  else if (frame.more === undefined) frame.more = [piece]
  else frame.more.push(piece)
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

const bad = (detail: string, offset: number): Parsed => ({ ok: false, tooLarge: false, detail, offset })
const tooLarge = (detail: string, offset: number): Parsed => ({ ok: false, tooLarge: true, detail, offset })

const onlySpace = (s: string, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (!isSpace(s.charCodeAt(i))) return false
  return true
}

// Name start: letter, '_' or ':' or any non-ASCII (XML allows most of it). Digits, '-', '.' may not start a name.
const isNameStart = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0x80
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e

const readName = (s: string, from: number): number => {
  if (from >= s.length || !isNameStart(s.charCodeAt(from))) return from
  let i = from + 1
  while (i < s.length && isNameChar(s.charCodeAt(i))) i++
  return i
}

/** `readReference` result: the `&` does not start a predefined entity or character reference. */
export const notAReference = -2
/** `readReference` result: a character reference to a code point outside XML 1.0's `Char` (`&#0;`, `&#xD800;`). */
export const forbiddenCharacter = -1

/** Index after the `;` of the reference last read by `readReference` (a module variable: no allocation per call). */
export let referenceEnd = 0

const at = (s: string, i: number, word: string): boolean => s.startsWith(word, i)

/**
 * Reads the reference starting at `s[amp] === "&"`: one of the five predefined entities or a character reference.
 * Returns the code point it stands for (setting `referenceEnd`), `forbiddenCharacter` or `notAReference`. Digits are
 * read in place (no slice, no regex match object): hostile input may hold millions of references.
 */
export const readReference = (s: string, amp: number): number => {
  let i = amp + 1
  if (s.charCodeAt(i) === 0x23 /* # */) {
    i++
    const hex = s.charCodeAt(i) === 0x78 /* x */
    if (hex) i++
    const start = i
    let cp = 0
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i)
      let v: number
      if (d >= 0x30 && d <= 0x39) v = d - 0x30
      else if (hex && d >= 0x61 && d <= 0x66) v = d - 0x57
      else if (hex && d >= 0x41 && d <= 0x46) v = d - 0x37
      else break
      // Past U+10FFFF the value only needs to stay out of range (and finite), whatever digits follow.
      if (cp <= 0x10ffff) cp = cp * (hex ? 16 : 10) + v
    }
    if (i === start || s.charCodeAt(i) !== 0x3b /* ; */) return notAReference
    referenceEnd = i + 1
    return isXmlChar(cp) ? cp : forbiddenCharacter
  }
  let cp: number
  if (at(s, i, "amp;")) cp = 0x26
  else if (at(s, i, "lt;")) cp = 0x3c
  else if (at(s, i, "gt;")) cp = 0x3e
  else if (at(s, i, "quot;")) cp = 0x22
  else if (at(s, i, "apos;")) cp = 0x27
  else return notAReference
  referenceEnd = s.indexOf(";", i) + 1
  return cp
}

// String.fromCharCode takes its units as arguments: in chunks, far below any engine's argument limit.
const chunk = 8192

const fromUnits = (units: Uint16Array, length: number): string => {
  if (length <= chunk) return String.fromCharCode.apply(null, units.subarray(0, length) as unknown as Array<number>)
  const parts: Array<string> = []
  for (let i = 0; i < length; i += chunk) {
    parts.push(
      String.fromCharCode.apply(null, units.subarray(i, Math.min(length, i + chunk)) as unknown as Array<number>),
    )
  }
  return parts.join("")
}

/**
 * Resolves the five predefined entities and character references, writing UTF-16 units into one buffer turned into a
 * string once: no string per reference (a regex replace with a callback cost a microsecond per reference and grew faster
 * than the input). The output is never longer than the input. The caller has checked every reference already;
 * anything else after an `&` is copied as it is.
 */
export const decodeReferences = (value: string): string => {
  let amp = value.indexOf("&")
  if (amp < 0) return value
  const out = new Uint16Array(value.length)
  let o = 0
  let from = 0
  while (amp >= 0) {
    for (let i = from; i < amp; i++) out[o++] = value.charCodeAt(i)
    const cp = readReference(value, amp)
    if (cp < 0) {
      out[o++] = 0x26
      from = amp + 1
    } else {
      if (cp > 0xffff) {
        out[o++] = 0xd800 + ((cp - 0x10000) >> 10)
        out[o++] = 0xdc00 + ((cp - 0x10000) & 0x3ff)
      } else out[o++] = cp
      from = referenceEnd
    }
    amp = value.indexOf("&", from)
  }
  for (let i = from; i < value.length; i++) out[o++] = value.charCodeAt(i)
  return fromUnits(out, o)
}

// Line ends are normalized before anything else (XML 1.0 §2.11): CRLF and lone CR become LF.
const normalizeLineEnds = (value: string): string => (value.indexOf("\r") < 0 ? value : value.replace(/\r\n?/g, "\n"))

// Attribute values: line ends normalized, then each literal tab, LF or CR becomes a space (§3.3.3); references to
// those characters stay what they are, so they are resolved last.
const attributeValue = (raw: string): string =>
  decodeReferences(/[\t\n\r]/.test(raw) ? normalizeLineEnds(raw).replace(/[\t\n]/g, " ") : raw)

const xmlnsLength = 6 // "xmlns:"
// Below this many attributes a scan of the names seen beats building a Set.
const smallAttributeCount = 8

/**
 * Parses `s` (already checked for size, characters, DOCTYPE and references) and builds the root element plus its
 * descendants in namespace `keep` reached through elements of that namespace.
 */
export const parse = (s: string, keep: string, limits: Limits): Parsed => {
  const { maxDepth, maxAttributes, maxNamespaceDeclarations, maxNodes } = limits
  const stack: Array<Frame> = []
  let root: XmlElement | undefined
  let nodes = 0
  let pos = 0
  const n = s.length
  // The first '<' at or after the current attribute value, found once and reused: searching afresh for each
  // attribute would rescan the rest of a huge start tag per attribute (quadratic).
  let nextLt = -1
  // Attribute names and raw values of the current start tag, reused across tags.
  const names: Array<string> = []
  const values: Array<string> = []
  while (pos < n) {
    const lt = s.indexOf("<", pos)
    const textEnd = lt < 0 ? n : lt
    const top = stack.length === 0 ? undefined : stack[stack.length - 1]!
    if (top === undefined) {
      // Text: allowed only inside the root element.
      if (!onlySpace(s, pos, textEnd)) return bad("text outside the root element", pos)
    } else if (top.element !== undefined && textEnd > pos) {
      addText(top, decodeReferences(normalizeLineEnds(s.slice(pos, textEnd))))
    }
    if (lt < 0) break
    const c = s.charCodeAt(lt + 1)
    // End tags close a counted element; everything else is a node.
    if (c !== 0x2f /* / */ && ++nodes > maxNodes) {
      return tooLarge(`the document has more than ${maxNodes} elements, comments, CDATA sections and instructions`, lt)
    }
    if (c === 0x3f /* ? */) {
      const end = s.indexOf("?>", lt + 2)
      if (end < 0) return bad("unterminated processing instruction", lt)
      pos = end + 2
    } else if (c === 0x21 /* ! */) {
      if (s.startsWith("<!--", lt)) {
        const end = s.indexOf("-->", lt + 4)
        if (end < 0) return bad("unterminated comment", lt)
        pos = end + 3
      } else if (s.startsWith("<![CDATA[", lt)) {
        if (top === undefined) return bad("CDATA outside the root element", lt)
        const end = s.indexOf("]]>", lt + 9)
        if (end < 0) return bad("unterminated CDATA section", lt)
        if (top.element !== undefined) addText(top, normalizeLineEnds(s.slice(lt + 9, end)))
        pos = end + 3
      } else {
        return bad("markup declaration not allowed", lt)
      }
    } else if (c === 0x2f /* / */) {
      const nameEnd = readName(s, lt + 2)
      if (nameEnd === lt + 2) return bad("malformed end tag", lt)
      let i = nameEnd
      while (i < n && isSpace(s.charCodeAt(i))) i++
      if (s.charCodeAt(i) !== 0x3e) return bad("malformed end tag", lt)
      const open = stack.pop()
      if (open === undefined || open.name !== s.slice(lt + 2, nameEnd))
        return bad("end tag does not match start tag", lt)
      if (open.element !== undefined) {
        open.element.text = open.more === undefined ? open.text : open.text + open.more.join("")
      }
      pos = i + 1
    } else {
      if (top === undefined && root !== undefined) return bad("more than one root element", lt)
      const nameEnd = readName(s, lt + 1)
      if (nameEnd === lt + 1) return bad("malformed start tag", lt)
      const name = s.slice(lt + 1, nameEnd)
      let i = nameEnd
      let selfClosing = false
      let attributes = 0
      let declarations = 0
      let seen: Set<string> | undefined
      names.length = 0
      values.length = 0
      for (;;) {
        const before = i
        while (i < n && isSpace(s.charCodeAt(i))) i++
        if (i >= n) return bad("unterminated start tag", lt)
        const ch = s.charCodeAt(i)
        if (ch === 0x3e /* > */) {
          i++
          break
        }
        if (ch === 0x2f /* / */) {
          if (s.charCodeAt(i + 1) !== 0x3e) return bad("malformed start tag", lt)
          selfClosing = true
          i += 2
          break
        }
        if (i === before) return bad("attributes must be separated by whitespace", i)
        const attrEnd = readName(s, i)
        if (attrEnd === i) return bad("malformed attribute", i)
        const attr = s.slice(i, attrEnd)
        if (attr === "xmlns" || attr.startsWith("xmlns:")) {
          if (++declarations > maxNamespaceDeclarations) {
            return tooLarge(`an element has more than ${maxNamespaceDeclarations} namespace declarations`, i)
          }
        } else if (++attributes > maxAttributes) {
          return tooLarge(`an element has more than ${maxAttributes} attributes`, i)
        }
        if (seen !== undefined) {
          if (seen.has(attr)) return bad("repeated attribute", i)
          seen.add(attr)
        } else if (names.includes(attr)) return bad("repeated attribute", i)
        else if (names.length >= smallAttributeCount) seen = new Set([...names, attr])
        i = attrEnd
        while (i < n && isSpace(s.charCodeAt(i))) i++
        if (s.charCodeAt(i) !== 0x3d /* = */) return bad("attribute without value", i)
        i++
        while (i < n && isSpace(s.charCodeAt(i))) i++
        const q = s.charCodeAt(i)
        if (q !== 0x22 && q !== 0x27) return bad("attribute value must be quoted", i)
        const close = s.indexOf(q === 0x22 ? '"' : "'", i + 1)
        if (close < 0) return bad("unterminated attribute value", i)
        if (nextLt !== n && nextLt <= i) {
          nextLt = s.indexOf("<", i + 1)
          if (nextLt < 0) nextLt = n
        }
        if (nextLt < close) return bad("'<' in attribute value", nextLt)
        names.push(attr)
        values.push(s.slice(i + 1, close))
        i = close + 1
      }
      if (stack.length + (selfClosing ? 0 : 1) > maxDepth) return tooLarge(`elements nest deeper than ${maxDepth}`, lt)
      let scope = top?.scope
      if (declarations > 0) {
        const own = new Map<string, string>()
        for (let k = 0; k < names.length; k++) {
          const a = names[k]!
          if (a === "xmlns") own.set("", attributeValue(values[k]!))
          else if (a.startsWith("xmlns:")) own.set(a.slice(xmlnsLength), attributeValue(values[k]!))
        }
        scope = { own, parent: scope }
      }
      const colon = name.indexOf(":")
      const prefix = colon < 0 ? "" : name.slice(0, colon)
      const uri = lookupNamespace(scope, prefix)
      let element: XmlElement | undefined
      if (top === undefined || (top.element !== undefined && uri === keep)) {
        let attrs: Map<string, string> | undefined
        for (let k = 0; k < names.length; k++) {
          const a = names[k]!
          if (a.indexOf(":") >= 0 || a === "xmlns") continue
          attrs ??= new Map()
          attrs.set(a, attributeValue(values[k]!))
        }
        element = {
          uri,
          local: colon < 0 ? name : name.slice(colon + 1),
          attributes: attrs ?? noAttributes,
          text: "",
          children: [],
        }
        if (top === undefined) root = element
        else top.element!.children.push(element)
      }
      if (!selfClosing) stack.push({ name, scope, element, text: "", more: undefined })
      pos = i
    }
  }
  if (stack.length > 0) return bad("document ends inside an element (truncated?)", n)
  if (root === undefined) return bad("no root element", 0)
  return { ok: true, root }
}
