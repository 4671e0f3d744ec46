/**
 * A single-pass well-formedness check for the small documents of this API, run before fast-xml-parser
 * (which silently accepts unclosed and mismatched tags, so a truncated response would decode as a shorter one).
 *
 * It checks what matters for reading data safely: tags balance and match, exactly one root, no text outside
 * it, attributes are `name="value"` pairs without duplicates or `<`, comments/CDATA/PIs are closed, nesting
 * stays under the cap. It jumps from `<` to `<` with `indexOf`, so it costs a fraction of a parse.
 * DOCTYPE/ENTITY declarations are refused earlier; any other `<!` markup is refused here.
 */

export type WellFormedness =
  | { readonly ok: true }
  | { readonly ok: false; readonly tooDeep: boolean; readonly detail: string; readonly offset: number }

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

const bad = (detail: string, offset: number): WellFormedness => ({ ok: false, tooDeep: false, detail, offset })

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

export const checkWellFormed = (s: string, maxDepth: number): WellFormedness => {
  const stack: Array<string> = []
  let rootSeen = false
  let pos = 0
  const n = s.length
  while (pos < n) {
    const lt = s.indexOf("<", pos)
    const textEnd = lt < 0 ? n : lt
    // Text: allowed only inside the root element.
    if (stack.length === 0 && !onlySpace(s, pos, textEnd)) return bad("text outside the root element", pos)
    if (lt < 0) break
    const c = s.charCodeAt(lt + 1)
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
        if (stack.length === 0) return bad("CDATA outside the root element", lt)
        const end = s.indexOf("]]>", lt + 9)
        if (end < 0) return bad("unterminated CDATA section", lt)
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
      if (open === undefined || open !== s.slice(lt + 2, nameEnd)) return bad("end tag does not match start tag", lt)
      pos = i + 1
    } else {
      if (stack.length === 0 && rootSeen) return bad("more than one root element", lt)
      const nameEnd = readName(s, lt + 1)
      if (nameEnd === lt + 1) return bad("malformed start tag", lt)
      const name = s.slice(lt + 1, nameEnd)
      let i = nameEnd
      let selfClosing = false
      let attrs: Array<string> | undefined
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
        if (attrs === undefined) attrs = [attr]
        else if (attrs.includes(attr)) return bad("repeated attribute", i)
        else attrs.push(attr)
        i = attrEnd
        while (i < n && isSpace(s.charCodeAt(i))) i++
        if (s.charCodeAt(i) !== 0x3d /* = */) return bad("attribute without value", i)
        i++
        while (i < n && isSpace(s.charCodeAt(i))) i++
        const q = s.charCodeAt(i)
        if (q !== 0x22 && q !== 0x27) return bad("attribute value must be quoted", i)
        const close = s.indexOf(q === 0x22 ? '"' : "'", i + 1)
        if (close < 0) return bad("unterminated attribute value", i)
        const lt2 = s.indexOf("<", i + 1)
        if (lt2 >= 0 && lt2 < close) return bad("'<' in attribute value", lt2)
        i = close + 1
      }
      rootSeen = true
      if (!selfClosing) {
        stack.push(name)
        if (stack.length > maxDepth) {
          return { ok: false, tooDeep: true, detail: `elements nest deeper than ${maxDepth}`, offset: lt }
        }
      }
      pos = i
    }
  }
  if (stack.length > 0) return bad("document ends inside an element (truncated?)", n)
  if (!rootSeen) return bad("no root element", 0)
  return { ok: true }
}
