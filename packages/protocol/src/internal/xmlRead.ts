/**
 * Hardened, namespace-aware reading of the small XML messages of the API.
 *
 * Order of defences: size cap (in UTF-8 bytes, also for string input), strict UTF-8, no DOCTYPE/ENTITY at all (so no
 * entity can be declared or expanded), XML 1.0 characters only (literal or as character references), then one
 * parsing pass (`xmlParse.ts`) that checks well-formedness with caps on nesting, nodes and what one element may
 * carry, resolves namespace prefixes itself (real servers send `ns4:` prefixes plus unrelated declarations) and
 * keeps only the elements of the signering namespace: anything else is not looked at.
 *
 * Every step is linear in the input (the answer comes from a server that may be hostile, and decoding is synchronous:
 * no timeout can interrupt it). Where a step's cost depends on a count (attributes, namespace declarations, nesting),
 * that count is capped first.
 */

import { Result } from "effect"
import { DecodeError } from "../ProtocolError.js"
import { isBytes } from "./bytes.js"
import { forbiddenCharacter, notAReference, parse, readReference, referenceEnd, type XmlElement } from "./xmlParse.js"
import { firstNonXmlChar, utf8LengthExceeds } from "./xmlText.js"

export const namespace = "http://signering.posten.no/schema/v1"

export interface ReadOptions {
  /** Largest accepted input, in bytes (a string counts as its UTF-8 encoding). Default 16 MiB. */
  readonly maxBytes?: number | undefined
  /** Deepest accepted element nesting. Default 64 (the messages nest a few levels deep). */
  readonly maxDepth?: number | undefined
  /** Most attributes on one element, namespace declarations not counted. Default 64 (our messages use 2). */
  readonly maxAttributes?: number | undefined
  /** Most namespace declarations on one element. Default 64 (the service sends 4). */
  readonly maxNamespaceDeclarations?: number | undefined
  /**
   * Most elements, comments, CDATA sections and processing instructions in the document. Default 10 000 (a
   * 10-signer status response has about 30): it bounds the parser's time, which is per node.
   */
  readonly maxNodes?: number | undefined
}

export const defaultMaxBytes = 16 * 1024 * 1024
export const defaultMaxDepth = 64
export const defaultMaxAttributes = 64
export const defaultMaxNamespaceDeclarations = 64
export const defaultMaxNodes = 10_000

const utf8 = new TextDecoder("utf-8", { fatal: true })

const fail = (expected: string, reason: DecodeError["reason"], detail: string) =>
  Result.fail(new DecodeError({ reason, expected, detail }))
const forbidden = /<!(?:DOCTYPE|ENTITY)/i

/**
 * Checks every `&` of the input, markup and comments included, in one pass: an entity other than the five predefined
 * ones is `Forbidden` (none can be declared, and an unknown one is how entity tricks start), a character reference
 * to what XML 1.0 forbids (`&#0;`, `&#xD800;`, `&#x110000;`) is `Malformed`, as the literal character would be.
 */
const checkReferences = (text: string, expected: string): Result.Result<never, DecodeError> | undefined => {
  for (let amp = text.indexOf("&"); amp >= 0; amp = text.indexOf("&", referenceEnd)) {
    const cp = readReference(text, amp)
    if (cp === notAReference) {
      return fail(expected, "Forbidden", "only the predefined entities and character references are accepted")
    }
    if (cp === forbiddenCharacter) {
      return fail(expected, "Malformed", `character reference at offset ${amp} is not allowed in XML 1.0`)
    }
  }
  return undefined
}

/** One element a decoder can read (see `xmlParse.ts`). */
export type Elem = XmlElement

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
  const maxAttributes = options?.maxAttributes ?? defaultMaxAttributes
  const maxNamespaceDeclarations = options?.maxNamespaceDeclarations ?? defaultMaxNamespaceDeclarations
  const maxNodes = options?.maxNodes ?? defaultMaxNodes
  let text: string
  if (typeof input === "string") {
    if (utf8LengthExceeds(input, maxBytes)) return fail(expected, "TooLarge", `input exceeds ${maxBytes} bytes`)
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
  const references = checkReferences(text, expected)
  if (references !== undefined) return references
  const parsed = parse(text, namespace, { maxDepth, maxAttributes, maxNamespaceDeclarations, maxNodes })
  if (!parsed.ok) {
    // Position and a fixed description only: the input may hold tokens or personal data.
    return parsed.tooLarge
      ? fail(expected, "TooLarge", `${parsed.detail} (offset ${parsed.offset})`)
      : fail(expected, "Malformed", `not well-formed XML: ${parsed.detail} (offset ${parsed.offset})`)
  }
  const root = parsed.root
  const ns = root.uri
  if (root.local !== expected || ns !== namespace) {
    // Names of the input are echoed only when they look like message names, never arbitrary (secret) text.
    const name = /^[A-Za-z][A-Za-z-]{0,63}$/.test(root.local) ? root.local : "an unknown element"
    const where = ns === undefined ? "no namespace" : ns === namespace ? "the signering namespace" : "another namespace"
    return fail(expected, "UnexpectedRoot", `root element is ${name} in ${where}, expected ${expected} in ${namespace}`)
  }
  return Result.succeed(root)
}

/**
 * The child elements of `parent` in the signering namespace, grouped by local name, in document order
 * within each name. Elements of other namespaces and unknown names are simply not looked at.
 */
export const childElements = (parent: Elem): Map<string, Array<Elem>> => {
  const out = new Map<string, Array<Elem>>()
  for (const child of parent.children) {
    const list = out.get(child.local)
    if (list === undefined) out.set(child.local, [child])
    else list.push(child)
  }
  return out
}

/** The character data directly inside an element (text and CDATA in order), references resolved. */
export const textOf = (el: Elem): string | undefined => el.text

/** An unqualified attribute's value (references resolved, whitespace normalized), or `undefined`. */
export const attributeOf = (el: Elem, name: string): string | undefined => el.attributes.get(name)
