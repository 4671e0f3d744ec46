/**
 * Validates many XML documents against our own schema files in one xmllint-wasm call (~one worker start
 * for the whole batch instead of one JVM per document).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { validateXML } from "xmllint-wasm"

const schemaDir = fileURLToPath(new URL("../../schema/", import.meta.url))
const load = (name: string) => ({ fileName: name, contents: readFileSync(schemaDir + name, "utf8") })

export interface XsdResult {
  readonly valid: boolean
  /** Per document name, the validator's messages (empty when valid). */
  readonly errors: ReadonlyMap<string, ReadonlyArray<string>>
}

/**
 * Validates `documents` against `schema/direct.xsd` (which includes `common.xsd` by relative location).
 * Names must be unique; they are only labels for the messages.
 */
export const validateDirect = async (
  documents: ReadonlyArray<{ readonly name: string; readonly xml: string | Uint8Array }>,
): Promise<XsdResult> => {
  const errors = new Map<string, Array<string>>()
  if (documents.length === 0) return { valid: true, errors }
  const names = new Set<string>()
  const files = documents.map((d, i) => {
    const fileName = `doc${i}.xml`
    if (names.has(d.name)) throw new Error(`duplicate document name ${d.name}`)
    names.add(d.name)
    return { fileName, contents: d.xml }
  })
  const result = await validateXML({
    xml: files,
    schema: [load("direct.xsd")],
    preload: [load("common.xsd")],
    maxMemoryPages: 1024,
  })
  for (const e of result.errors) {
    const index = e.loc === null ? -1 : Number(e.loc.fileName.replace(/^doc(\d+)\.xml$/, "$1"))
    const name = documents[index]?.name ?? "(unknown)"
    const list = errors.get(name) ?? []
    list.push(e.message)
    errors.set(name, list)
  }
  return { valid: result.valid, errors }
}

/** Formats failures for an assertion message. */
export const describeErrors = (result: XsdResult): string =>
  [...result.errors].map(([name, messages]) => `${name}:\n  ${messages.join("\n  ")}`).join("\n")
