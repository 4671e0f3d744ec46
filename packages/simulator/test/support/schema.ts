/**
 * Validates response bodies against the protocol package's schema files with xmllint (libxml2 compiled to wasm).
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { validateXML } from "xmllint-wasm"

const require = createRequire(import.meta.url)
const schemaFile = (name: string) => ({
  fileName: name,
  contents: readFileSync(require.resolve(`@signering/protocol/schema/${name}`), "utf8"),
})

/** The validation errors of each document (empty when all are valid). */
export const schemaErrors = async (
  documents: ReadonlyArray<{ readonly what: string; readonly xml: string }>,
  schema: "direct.xsd" | "portal.xsd" = "direct.xsd",
): Promise<Array<string>> => {
  const direct = schemaFile(schema)
  const common = schemaFile("common.xsd")
  const errors: Array<string> = []
  // One xmllint run per batch: every document against the flow's schema (which includes common.xsd).
  const batch = 50
  for (let i = 0; i < documents.length; i += batch) {
    const slice = documents.slice(i, i + batch)
    const result = await validateXML({
      xml: slice.map((d, j) => ({ fileName: `doc${i + j}.xml`, contents: d.xml })),
      schema: direct,
      preload: common,
    })
    for (const e of result.errors) {
      const index = Number(/doc(\d+)\.xml/.exec(e.loc?.fileName ?? e.rawMessage)?.[1] ?? -1)
      errors.push(`${documents[index]?.what ?? "?"}: ${e.message}`)
    }
  }
  return errors
}
