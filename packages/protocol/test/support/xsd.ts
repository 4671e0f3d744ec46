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
export const validateDirect = (
  documents: ReadonlyArray<{ readonly name: string; readonly xml: string | Uint8Array }>,
): Promise<XsdResult> => validateWith(documents, load("direct.xsd"), [load("common.xsd")])

/** Validates `documents` against our `schema/portal.xsd` (which includes `common.xsd`). */
export const validatePortal = (
  documents: ReadonlyArray<{ readonly name: string; readonly xml: string | Uint8Array }>,
): Promise<XsdResult> => validateWith(documents, load("portal.xsd"), [load("common.xsd")])

const officialDir = fileURLToPath(new URL("../fixtures/official-xsd/", import.meta.url))
const loadOfficial = (name: string) => ({ fileName: name, contents: readFileSync(officialDir + name, "utf8") })

/** Validates `documents` against the service's OFFICIAL portal.xsd (with its common.xsd and portal-legacy.xsd). */
export const validateOfficialPortal = (
  documents: ReadonlyArray<{ readonly name: string; readonly xml: string | Uint8Array }>,
): Promise<XsdResult> =>
  validateWith(documents, loadOfficial("portal.xsd"), [loadOfficial("common.xsd"), loadOfficial("portal-legacy.xsd")])

const validateWith = async (
  documents: ReadonlyArray<{ readonly name: string; readonly xml: string | Uint8Array }>,
  schema: { readonly fileName: string; readonly contents: string },
  preload: ReadonlyArray<{ readonly fileName: string; readonly contents: string }>,
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
    schema: [schema],
    preload: [...preload],
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
