/**
 * Hardened, namespace-aware reading of the small XML messages of the API, on top of fast-xml-parser.
 *
 * Order of defences: size cap, strict UTF-8, no DOCTYPE/ENTITY at all (so no entity can be declared, and
 * entity expansion is off in the parser anyway), well-formedness check, nesting cap, then a walk that
 * resolves namespace prefixes itself (real servers send `ns4:` prefixes plus unrelated declarations) and
 * ignores anything outside the signering namespace or not known to us.
 */

import { Result } from "effect"
import { XMLParser } from "fast-xml-parser"
import { DecodeError } from "../ProtocolError.js"
import { isBytes } from "./bytes.js"
import { firstNonXmlChar } from "./xmlText.js"
import { checkWellFormed } from "./xmlWellFormed.js"

export const namespace = "http://signering.posten.no/schema/v1"

export interface ReadOptions {
  /** Largest accepted input, in bytes (UTF-16 units for strings). Default 16 MiB. */
  readonly maxBytes?: number | undefined
  /** Deepest accepted element nesting. Default 64 (our messages nest 3 deep). */
  readonly maxDepth?: number | undefined
}

export const defaultMaxBytes = 16 * 1024 * 1024
export const defaultMaxDepth = 64

// Parsers are reusable (each parse has its own state); only the default one is kept.
let defaultParser: XMLParser | undefined
const parserFor = (maxDepth: number): XMLParser => {
  if (maxDepth === defaultMaxDepth && defaultParser !== undefined) return defaultParser
  const p = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    // Values stay strings: a PIN like 01017012345 must not become a number.
    parseTagValue: false,
    parseAttributeValue: false,
    // Prefixes stay (no removeNSPrefix): stripping them would also accept elements of any other namespace.
    // Entities are decoded by `decodeReferences` below, which knows only the five predefined ones and character references.
    processEntities: false,
    htmlEntities: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    cdataPropName: "#cdata",
    maxNestedTags: maxDepth,
  })
  if (maxDepth === defaultMaxDepth) defaultParser = p
  return p
}

const utf8 = new TextDecoder("utf-8", { fatal: true })
const forbidden = /<!(?:DOCTYPE|ENTITY)/i
const undefinedEntity = /&(?!(?:#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);)/

/** One element: its raw fast-xml-parser value plus the namespace declarations in scope. */
export interface Elem {
  readonly raw: unknown
  readonly scope: Scope
}
type Scope = ReadonlyMap<string, string>

const fail = (expected: string, reason: DecodeError["reason"], detail: string) =>
  Result.fail(new DecodeError({ reason, expected, detail }))

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const extendScope = (raw: unknown, parent: Scope): Scope => {
  if (!isObject(raw)) return parent
  let scope: Map<string, string> | undefined
  for (const key in raw) {
    if (key.charCodeAt(0) !== 64 /* @ */) continue
    if (key === "@_xmlns" || key.startsWith("@_xmlns:")) {
      scope ??= new Map(parent)
      scope.set(key === "@_xmlns" ? "" : key.slice(8), decodeReferences(String(raw[key])))
    }
  }
  return scope ?? parent
}

const splitName = (qname: string): readonly [prefix: string, local: string] => {
  const i = qname.indexOf(":")
  return i < 0 ? ["", qname] : [qname.slice(0, i), qname.slice(i + 1)]
}

/**
 * Parses `input` and returns its root element when it is `<expected>` in the signering namespace.
 * Never throws: every failure is a `DecodeError`.
 */
export const readRoot = (
  input: string | Uint8Array,
  expected: string,
  options?: ReadOptions,
): Result.Result<Elem, DecodeError> => {
  const maxBytes = options?.maxBytes ?? defaultMaxBytes
  const maxDepth = options?.maxDepth ?? defaultMaxDepth
  let text: string
  if (typeof input === "string") {
    if (input.length > maxBytes) return fail(expected, "TooLarge", `input exceeds ${maxBytes} bytes`)
    text = input
  } else if (isBytes(input)) {
    if (input.byteLength > maxBytes) return fail(expected, "TooLarge", `input exceeds ${maxBytes} bytes`)
    try {
      text = utf8.decode(input)
    } catch {
      return fail(expected, "Malformed", "input is not valid UTF-8")
    }
  } else {
    return fail(expected, "Malformed", "input must be a string or a Uint8Array")
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (forbidden.test(text)) return fail(expected, "Forbidden", "DOCTYPE and ENTITY declarations are not accepted")

  const bad = firstNonXmlChar(text)
  if (bad >= 0) return fail(expected, "Malformed", `character at offset ${bad} is not allowed in XML 1.0`)
  if (text.indexOf("&") >= 0 && undefinedEntity.test(text)) {
    return fail(expected, "Forbidden", "only the predefined entities and character references are accepted")
  }
  const wf = checkWellFormed(text, maxDepth)
  if (!wf.ok) {
    // Position and a fixed description only: the input may hold tokens or personal data.
    return fail(
      expected,
      wf.tooDeep ? "TooLarge" : "Malformed",
      `not well-formed XML: ${wf.detail} (offset ${wf.offset})`,
    )
  }
  let doc: unknown
  try {
    doc = parserFor(maxDepth).parse(text)
  } catch (e) {
    const msg = e instanceof Error ? e.message : ""
    if (/nested/i.test(msg)) return fail(expected, "TooLarge", `elements nest deeper than ${maxDepth}`)
    return fail(expected, "Malformed", "not well-formed XML")
  }
  if (!isObject(doc)) return fail(expected, "Malformed", "no root element")
  const outside = doc["#text"]
  if (outside !== undefined && String(outside).trim() !== "")
    return fail(expected, "Malformed", "text outside the root element")
  const roots = Object.keys(doc).filter((k) => k !== "#text")
  if (roots.length !== 1) return fail(expected, "Malformed", "expected exactly one root element")
  const rootName = roots[0]!
  let raw = doc[rootName]
  if (Array.isArray(raw)) return fail(expected, "Malformed", "expected exactly one root element")
  const scope = extendScope(raw, new Map())
  const [prefix, local] = splitName(rootName)
  const ns = scope.get(prefix)
  if (local !== expected || ns !== namespace) {
    // Names of the input are echoed only when they look like message names, never arbitrary (secret) text.
    const name = /^[A-Za-z][A-Za-z-]{0,63}$/.test(local) ? local : "an unknown element"
    const where = ns === undefined ? "no namespace" : ns === namespace ? "the signering namespace" : "another namespace"
    return fail(expected, "UnexpectedRoot", `root element is ${name} in ${where}, expected ${expected} in ${namespace}`)
  }
  if (raw === undefined) raw = ""
  return Result.succeed({ raw, scope })
}

/**
 * The child elements of `parent` in the signering namespace, grouped by local name, in document order
 * within each name. Elements of other namespaces and unknown names are simply not looked at.
 */
export const childElements = (parent: Elem): Map<string, Array<Elem>> => {
  const out = new Map<string, Array<Elem>>()
  const raw = parent.raw
  if (!isObject(raw)) return out
  for (const key in raw) {
    const first = key.charCodeAt(0)
    if (first === 64 /* @ */ || first === 35 /* # */) continue
    const [prefix, local] = splitName(key)
    const value = raw[key]
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) {
      const scope = extendScope(v, parent.scope)
      if (scope.get(prefix) !== namespace) continue
      let list = out.get(local)
      if (list === undefined) {
        list = []
        out.set(local, list)
      }
      list.push({ raw: v, scope })
    }
  }
  return out
}

/** The text content of a simple element, entity references resolved; `undefined` when it has element children only. */
export const textOf = (el: Elem): string | undefined => {
  const raw = el.raw
  if (typeof raw === "string") return unescapeText(raw)
  if (!isObject(raw)) return raw === undefined || raw === null ? "" : undefined
  const t = raw["#text"]
  const cdata = raw["#cdata"]
  // CDATA sections are rare here; their text follows the other text (interleaving order is not kept).
  const cdataText = cdata === undefined ? "" : Array.isArray(cdata) ? cdata.join("") : String(cdata)
  return (t === undefined ? "" : unescapeText(String(t))) + cdataText
}

/** An unqualified attribute's value (entity references resolved, whitespace normalized), or `undefined`. */
export const attributeOf = (el: Elem, name: string): string | undefined => {
  const raw = el.raw
  if (!isObject(raw)) return undefined
  const v = raw["@_" + name]
  return v === undefined ? undefined : decodeReferences(String(v).replace(/[\t\n\r]/g, " "))
}

const entity = /&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);/g
const predefined: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/** Resolves the five predefined entities and character references. The validator has already refused others. */
export const decodeReferences = (value: string): string =>
  value.indexOf("&") < 0
    ? value
    : value.replace(entity, (_, ref: string) => {
        if (ref.charCodeAt(0) !== 35) return predefined[ref]!
        const cp = ref.charCodeAt(1) === 120 ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\uFFFD"
      })

const unescapeText = (value: string): string =>
  decodeReferences(value.indexOf("\r") < 0 ? value : value.replace(/\r\n?/g, "\n"))
