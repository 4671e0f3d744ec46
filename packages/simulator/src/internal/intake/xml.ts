/**
 * A small namespace-aware XML parser and an inclusive Canonical XML 1.0 serializer (W3C REC-xml-c14n-20010315,
 * without comments) for element subtrees, which is what XML-DSig needs to check `SignedInfo` and
 * same-document references such as `#SignedProperties`.
 *
 * Written for the simulator's independent check of `META-INF/signatures.xml`: it shares no code with the
 * protocol package's signer, so a canonicalization bug in one does not hide in the other.
 *
 * Scope: UTF-8 documents without a DOCTYPE (refused: no entity expansion, no external entities, so nothing
 * like billion-laughs or XXE), CDATA, comments and processing instructions, XML 1.0 end-of-line handling and
 * attribute-value normalization. Throws `XmlError` on anything malformed.
 */

export class XmlError extends Error {
  override readonly name = "XmlError"
}

export const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"

export interface Attribute {
  /** The qualified name as written (`Id`, `xml:lang`, `ds:foo`). */
  readonly qname: string
  readonly prefix: string
  readonly localName: string
  /** Namespace URI; "" for unprefixed attributes. */
  readonly namespace: string
  readonly value: string
}

export interface Element {
  readonly kind: "element"
  readonly qname: string
  readonly prefix: string
  readonly localName: string
  readonly namespace: string
  readonly attributes: ReadonlyArray<Attribute>
  /** Prefix ("" = default) → URI, after this element's own declarations ("" URI = undeclared). */
  readonly inScope: ReadonlyMap<string, string>
  readonly children: Array<Node>
  readonly parent: Element | undefined
}

export interface Text {
  readonly kind: "text"
  readonly value: string
}

export interface ProcessingInstruction {
  readonly kind: "pi"
  readonly target: string
  readonly data: string
}

export type Node = Element | Text | ProcessingInstruction

const NAME_START_CHARS =
  "A-Za-z_:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD"
const NAME = new RegExp(`[${NAME_START_CHARS}][-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040${NAME_START_CHARS}]*`, "y")
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/

const TEXT_RUN = /[^<&]+/y

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }

const MAX_DEPTH = 64

/** Parses UTF-8 bytes (or a string) into the document element. */
export const parse = (input: Uint8Array | string): Element => {
  let text: string
  if (typeof input === "string") {
    text = input
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input)
    } catch {
      throw new XmlError("the document is not valid UTF-8")
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  // XML 1.0 §2.11: line ends are normalized before parsing, so a literal CR never reaches the data.
  text = text.replace(/\r\n?/g, "\n")
  if (FORBIDDEN_CHAR.test(text)) throw new XmlError("the document contains a character XML 1.0 does not allow")
  return new Parser(text).document()
}

class Parser {
  private pos = 0
  constructor(private readonly s: string) {}

  private fail(message: string): never {
    const line = this.s.slice(0, this.pos).split("\n").length
    throw new XmlError(`${message} (line ${line})`)
  }

  private startsWith(token: string): boolean {
    return this.s.startsWith(token, this.pos)
  }

  private skipWhitespace(): void {
    while (this.pos < this.s.length && " \t\n".includes(this.s[this.pos]!)) this.pos++
  }

  private name(): string {
    NAME.lastIndex = this.pos
    const m = NAME.exec(this.s)
    if (!m) this.fail("a name was expected")
    this.pos += m![0].length
    return m![0]
  }

  private until(token: string, what: string): string {
    const end = this.s.indexOf(token, this.pos)
    if (end < 0) this.fail(`unterminated ${what}`)
    const value = this.s.slice(this.pos, end)
    this.pos = end + token.length
    return value
  }

  /** Prolog and epilog: XML declaration, comments, PIs, whitespace. A DOCTYPE is refused. */
  private misc(): void {
    for (;;) {
      this.skipWhitespace()
      if (this.startsWith("<!--")) {
        this.pos += 4
        this.until("-->", "comment")
      } else if (this.startsWith("<!DOCTYPE")) {
        this.fail("a DOCTYPE is not allowed")
      } else if (this.startsWith("<?")) {
        this.pos += 2
        const target = this.name()
        const body = this.until("?>", "processing instruction")
        if (target.toLowerCase() === "xml" && /encoding\s*=\s*["'](?!utf-?8["'])/i.test(body)) {
          this.fail("only UTF-8 documents are accepted")
        }
      } else {
        return
      }
    }
  }

  document(): Element {
    this.misc()
    if (!this.startsWith("<")) this.fail("the document element is missing")
    const root = this.element(undefined, 0)
    this.misc()
    if (this.pos !== this.s.length) this.fail("content after the document element")
    return root
  }

  private reference(): string {
    // at "&"
    this.pos++
    const end = this.s.indexOf(";", this.pos)
    if (end < 0 || end - this.pos > 10) this.fail("malformed entity or character reference")
    const ref = this.s.slice(this.pos, end)
    this.pos = end + 1
    if (ref.startsWith("#")) {
      const code = ref.startsWith("#x") ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
      if (!/^#(x[0-9A-Fa-f]+|[0-9]+)$/.test(ref) || !Number.isFinite(code) || code > 0x10ffff) {
        this.fail("malformed character reference")
      }
      const ch = String.fromCodePoint(code)
      if (code === 0 || (FORBIDDEN_CHAR.test(ch) && code !== 0x9 && code !== 0xa && code !== 0xd)) {
        this.fail("character reference to a character XML does not allow")
      }
      return ch
    }
    const predefined = PREDEFINED[ref]
    if (predefined === undefined) this.fail(`undefined entity &${ref};`)
    return predefined
  }

  private attributeValue(): string {
    const quote = this.s[this.pos]
    if (quote !== '"' && quote !== "'") this.fail("an attribute value must be quoted")
    const end = this.s.indexOf(quote!, this.pos + 1)
    if (end < 0) this.fail("unterminated attribute value")
    const raw = this.s.slice(this.pos + 1, end)
    if (raw.includes("<")) this.fail("'<' in an attribute value")
    // §3.3.3: literal whitespace becomes a space; whitespace from character references stays.
    const normalized = raw.replace(/[\t\n]/g, " ")
    if (!normalized.includes("&")) {
      this.pos = end + 1
      return normalized
    }
    let value = ""
    this.pos++
    while (this.pos < end) {
      const amp = this.s.indexOf("&", this.pos)
      if (amp < 0 || amp >= end) {
        value += this.s.slice(this.pos, end).replace(/[\t\n]/g, " ")
        this.pos = end
        break
      }
      value += this.s.slice(this.pos, amp).replace(/[\t\n]/g, " ")
      this.pos = amp
      value += this.reference()
      if (this.pos > end) this.fail("malformed reference in an attribute value")
    }
    this.pos = end + 1
    return value
  }

  private element(parent: Element | undefined, depth: number): Element {
    if (depth > MAX_DEPTH) this.fail("elements nested too deeply")
    this.pos++ // "<"
    const qname = this.name()
    const raw: Array<{ qname: string; value: string }> = []
    for (;;) {
      const before = this.pos
      this.skipWhitespace()
      if (this.startsWith("/>") || this.startsWith(">")) break
      if (this.pos === before) this.fail("whitespace expected between attributes")
      const name = this.name()
      this.skipWhitespace()
      if (this.s[this.pos] !== "=") this.fail(`'=' expected after attribute ${name}`)
      this.pos++
      this.skipWhitespace()
      const value = this.attributeValue()
      if (raw.some((a) => a.qname === name)) this.fail(`duplicate attribute ${name}`)
      raw.push({ qname: name, value })
    }

    const inScope = new Map(parent?.inScope ?? [["xml", XML_NAMESPACE]])
    const attributes: Array<Attribute> = []
    for (const a of raw) {
      if (a.qname === "xmlns") {
        inScope.set("", a.value)
      } else if (a.qname.startsWith("xmlns:")) {
        const prefix = a.qname.slice(6)
        if (a.value === "") this.fail(`the prefix ${prefix} cannot be undeclared in XML 1.0`)
        if (prefix === "xmlns" || (prefix === "xml") !== (a.value === XML_NAMESPACE)) {
          this.fail(`illegal declaration of prefix ${prefix}`)
        }
        inScope.set(prefix, a.value)
      }
    }
    const resolve = (prefix: string, forAttribute: boolean): string => {
      if (prefix === "") return forAttribute ? "" : (inScope.get("") ?? "")
      const uri = inScope.get(prefix)
      if (uri === undefined || uri === "") this.fail(`undeclared namespace prefix ${prefix}`)
      return uri
    }
    const split = (q: string): [string, string] => {
      const i = q.indexOf(":")
      if (i < 0) return ["", q]
      if (i === 0 || i === q.length - 1 || q.indexOf(":", i + 1) >= 0) this.fail(`malformed qualified name ${q}`)
      return [q.slice(0, i), q.slice(i + 1)]
    }
    for (const a of raw) {
      if (a.qname === "xmlns" || a.qname.startsWith("xmlns:")) continue
      const [prefix, localName] = split(a.qname)
      const namespace = resolve(prefix, true)
      if (attributes.some((b) => b.localName === localName && b.namespace === namespace)) {
        this.fail(`duplicate attribute {${namespace}}${localName}`)
      }
      attributes.push({ qname: a.qname, prefix, localName, namespace, value: a.value })
    }
    const [prefix, localName] = split(qname)
    const element: Element = {
      kind: "element",
      qname,
      prefix,
      localName,
      namespace: resolve(prefix, false),
      attributes,
      inScope,
      children: [],
      parent,
    }

    if (this.startsWith("/>")) {
      this.pos += 2
      return element
    }
    this.pos++ // ">"
    let text = ""
    const flush = () => {
      if (text !== "") element.children.push({ kind: "text", value: text })
      text = ""
    }
    for (;;) {
      if (this.pos >= this.s.length) this.fail(`element ${qname} is not closed`)
      const c = this.s[this.pos]!
      if (c === "<") {
        if (this.startsWith("</")) {
          this.pos += 2
          const closing = this.name()
          if (closing !== qname) this.fail(`</${closing}> does not close <${qname}>`)
          this.skipWhitespace()
          if (this.s[this.pos] !== ">") this.fail("'>' expected")
          this.pos++
          flush()
          return element
        }
        if (this.startsWith("<!--")) {
          this.pos += 4
          const body = this.until("-->", "comment")
          if (body.includes("--")) this.fail("'--' inside a comment")
        } else if (this.startsWith("<![CDATA[")) {
          this.pos += 9
          text += this.until("]]>", "CDATA section")
        } else if (this.startsWith("<?")) {
          this.pos += 2
          const target = this.name()
          if (target.toLowerCase() === "xml") this.fail("misplaced XML declaration")
          const data = this.until("?>", "processing instruction").replace(/^[ \t\n]+/, "")
          flush()
          element.children.push({ kind: "pi", target, data })
        } else if (this.startsWith("<!")) {
          this.fail("markup declarations are not allowed")
        } else {
          flush()
          element.children.push(this.element(element, depth + 1))
        }
      } else if (c === "&") {
        text += this.reference()
      } else {
        TEXT_RUN.lastIndex = this.pos
        const run = TEXT_RUN.exec(this.s)![0]
        if (run.includes("]]>")) this.fail("']]>' in character data")
        text += run
        this.pos += run.length
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical XML 1.0 (inclusive, without comments) of an element and its descendants
// ---------------------------------------------------------------------------------------------------------------

const escapeText = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;")

const escapeAttribute = (s: string): string =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#x9;")
    .replace(/\n/g, "&#xA;")
    .replace(/\r/g, "&#xD;")

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The canonical form of `apex` and its subtree as a document subset (what a same-document XPointer reference
 * `#id` selects, comments removed): the apex element renders every namespace in scope (inherited ones
 * included) and inherits `xml:*` attributes from its ancestors, as C14N 1.0 §2.4 requires.
 */
export const canonicalize = (apex: Element): string => {
  const out: Array<string> = []

  const render = (el: Element, rendered: ReadonlyMap<string, string>, isApex: boolean) => {
    const namespaces: Array<[string, string]> = []
    const next = new Map(rendered)
    for (const [prefix, uri] of el.inScope) {
      if (prefix === "xml") continue
      const previous = rendered.get(prefix) ?? ""
      if (uri === previous) continue
      // xmlns="" only undoes a default namespace the output has declared.
      if (prefix === "" && uri === "" && previous === "") continue
      namespaces.push([prefix, uri])
      next.set(prefix, uri)
    }
    namespaces.sort(([a], [b]) => compare(a, b))

    let attributes = el.attributes
    if (isApex) {
      // Imported xml:* attributes of ancestors (nearest wins) unless the apex has its own.
      const imported = new Map<string, Attribute>()
      for (let p = el.parent; p; p = p.parent) {
        for (const a of p.attributes) {
          if (a.namespace === XML_NAMESPACE && !imported.has(a.localName)) imported.set(a.localName, a)
        }
      }
      for (const a of el.attributes) if (a.namespace === XML_NAMESPACE) imported.delete(a.localName)
      attributes = [...attributes, ...imported.values()]
    }
    const sortedAttributes = [...attributes].sort(
      (a, b) => compare(a.namespace, b.namespace) || compare(a.localName, b.localName),
    )

    out.push(`<${el.qname}`)
    for (const [prefix, uri] of namespaces) {
      out.push(prefix === "" ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`)
    }
    for (const a of sortedAttributes) out.push(` ${a.qname}="${escapeAttribute(a.value)}"`)
    out.push(">")
    for (const child of el.children) {
      if (child.kind === "text") out.push(escapeText(child.value))
      else if (child.kind === "pi") out.push(`<?${child.target}${child.data === "" ? "" : ` ${child.data}`}?>`)
      else render(child, next, false)
    }
    out.push(`</${el.qname}>`)
  }

  render(apex, new Map(), true)
  return out.join("")
}

// ---------------------------------------------------------------------------------------------------------------
// Navigation helpers
// ---------------------------------------------------------------------------------------------------------------

export const childElements = (el: Element): Array<Element> =>
  el.children.filter((c): c is Element => c.kind === "element")

export const is = (el: Element, namespace: string, localName: string): boolean =>
  el.namespace === namespace && el.localName === localName

/** The element's text content (its descendant text, concatenated). */
export const textContent = (el: Element): string =>
  el.children.map((c) => (c.kind === "text" ? c.value : c.kind === "element" ? textContent(c) : "")).join("")

export const attribute = (el: Element, localName: string): string | undefined =>
  el.attributes.find((a) => a.namespace === "" && a.localName === localName)?.value

/** Every element of the subtree, document order. */
export const descendants = function* (el: Element): Generator<Element> {
  yield el
  for (const c of el.children) if (c.kind === "element") yield* descendants(c)
}
