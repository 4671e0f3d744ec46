/**
 * The two renderings of one small element tree that signatures.xml needs: the canonical form (inclusive C14N 1.0:
 * expanded empty elements, C14N escaping) that is digested and signed, and the form the JDK's identity Transformer
 * writes into the file (self-closed empty elements, its own escaping). Since the layout is fixed, namespace
 * declarations are plain attributes placed where C14N would put them; no general C14N is needed.
 */

export interface Element {
  readonly name: string
  /** In output order. For the canonical form this must be C14N order: namespaces first, then sorted attributes. */
  readonly attributes: ReadonlyArray<readonly [string, string]>
  readonly content: string | ReadonlyArray<Element>
}

export const element = (
  name: string,
  attributes: ReadonlyArray<readonly [string, string]>,
  content: string | ReadonlyArray<Element> = [],
): Element => ({ name, attributes, content })

const c14nText = (s: string): string =>
  /[&<>\r]/.test(s) ? s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;") : s

const c14nAttribute = (s: string): string =>
  /[&<"\t\n\r]/.test(s)
    ? s
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/"/g, "&quot;")
        .replace(/\t/g, "&#x9;")
        .replace(/\n/g, "&#xA;")
        .replace(/\r/g, "&#xD;")
    : s

// The JDK serializer (xalan ToStream) escapes markup characters and writes CR as a decimal reference.
const jdkText = (s: string): string =>
  /[&<>\r]/.test(s) ? s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;") : s

const jdkAttribute = (s: string): string =>
  /[&<>"\t\n\r]/.test(s)
    ? s
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/\t/g, "&#9;")
        .replace(/\n/g, "&#10;")
        .replace(/\r/g, "&#13;")
    : s

/** Inclusive C14N 1.0 of the element, given the namespace declarations C14N renders on it as attributes. */
export const canonical = (e: Element): string => {
  let out = "<" + e.name
  for (const [k, v] of e.attributes) out += ` ${k}="${c14nAttribute(v)}"`
  out += ">"
  if (typeof e.content === "string") out += c14nText(e.content)
  else for (const child of e.content) out += canonical(child)
  return out + "</" + e.name + ">"
}

/** The element as the JDK identity Transformer serializes it. */
export const serialized = (e: Element): string => {
  let out = "<" + e.name
  for (const [k, v] of e.attributes) out += ` ${k}="${jdkAttribute(v)}"`
  if (e.content.length === 0) return out + "/>"
  out += ">"
  if (typeof e.content === "string") out += jdkText(e.content)
  else for (const child of e.content) out += serialized(child)
  return out + "</" + e.name + ">"
}

/** The same element with other attributes: in the file it inherits the namespaces C14N renders on it. */
export const withAttributes = (e: Element, attributes: ReadonlyArray<readonly [string, string]>): Element => ({
  ...e,
  attributes,
})
