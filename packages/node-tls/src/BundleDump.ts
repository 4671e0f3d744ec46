/**
 * Keeps a copy of every document bundle sent, like the Java client's `DumpDocumentBundleToDisk`: a
 * `DocumentBundle.Processor` that writes each signed ASiC-E zip to a directory before the job is created.
 * Node-only (it writes files), so it lives here and not in the pure protocol package.
 *
 * @since 0.1.0
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { DocumentBundle } from "@signering/protocol"

/** @since 0.1.0 */
export interface Options {
  /** Time stamp of the file name. Default: now. */
  readonly clock?: (() => Date) | undefined
}

// The job reference is by definition no personal data (it appears in e-mails to the sender); titles may be, so
// they never reach a file name.
const safe = (reference: string): string =>
  reference
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "")
    .slice(0, 50)

/**
 * A processor writing `<time>[-<reference>]-asice.zip` into `directory` (created if missing; files mode 0600,
 * never overwritten). Pass it where the bundle is built.
 *
 * @example
 * ```ts
 * import { BundleDump } from "@signering/node-tls"
 *
 * const client = createDirectClient({
 *   ...options,
 *   bundle: { processors: [BundleDump.toDirectory("./sent-bundles")] },
 * })
 * ```
 *
 * @since 0.1.0
 */
export const toDirectory =
  (directory: string, options: Options = {}): DocumentBundle.Processor =>
  async (job, bytes) => {
    await mkdir(directory, { recursive: true })
    const stamp = (options.clock?.() ?? new Date()).toISOString().replace(/[:.]/g, "-")
    const reference = job.reference === undefined || safe(job.reference) === "" ? "" : `-${safe(job.reference)}`
    for (let n = 0; ; n++) {
      const name = `${stamp}${reference}${n === 0 ? "" : `-${n}`}-asice.zip`
      try {
        await writeFile(join(directory, name), bytes, { mode: 0o600, flag: "wx" })
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || n >= 999) throw error
      }
    }
  }
