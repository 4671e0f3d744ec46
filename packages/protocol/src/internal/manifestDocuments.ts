/**
 * The documents of a job manifest as a server reads them, the same in both flows: the current form lists
 * `<documents>` and carries the job's title and texts on the root; the deprecated single-document form carries
 * them on its one `<document>`, which then names the job.
 */
import type { Reader } from "./xmlDecode.js"

export interface ManifestDocument {
  readonly href: string
  readonly mime: string
  readonly title: string
}

const readDocument = (d: Reader): ManifestDocument => ({
  href: d.requiredAttribute("href"),
  mime: d.requiredAttribute("mime"),
  title: d.required("title").text(),
})

/**
 * `legacy`, `title`, `documents` and the optional texts named in `texts` (field name → element name, read in that
 * order): the documents first, the title last, so a manifest with several problems reports the same one as before.
 */
export const readManifestDocuments = <Field extends string>(
  root: Reader,
  texts: Readonly<Record<Field, string>>,
): {
  readonly legacy: boolean
  readonly title: string
  readonly documents: ReadonlyArray<ManifestDocument>
} & { readonly [K in Field]?: string } => {
  const optionalTexts = (from: Reader) => {
    const out: { [K in Field]?: string } = {}
    for (const field of Object.keys(texts) as Array<Field>) {
      const value = from.optionalText(texts[field])
      if (value !== undefined) out[field] = value
    }
    return out
  }
  const documents = root.optional("documents")
  if (documents !== undefined) {
    const docs = documents.all("document").map(readDocument)
    if (docs.length === 0) documents.fail("MissingElement", `${documents.path}/document is missing`)
    const rest = optionalTexts(root)
    return { legacy: false, title: root.required("title").text(), ...rest, documents: docs }
  }
  const legacy = root.optional("document")
  if (legacy === undefined) return root.fail("MissingElement", `${root.path}/documents is missing`)
  const doc = readDocument(legacy)
  return { legacy: true, title: doc.title, ...optionalTexts(legacy), documents: [doc] }
}
