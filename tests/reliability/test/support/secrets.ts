/**
 * The secrets scan: every secret the suite produces (PINs, status query tokens, redirect tokens, private key PEM
 * bodies, passphrases) is registered here as it appears, and every log line, request log entry, console write and
 * error message is captured. `leaks()` then looks for any secret in anything captured.
 *
 * Console writes are captured by wrapping `process.stdout` / `process.stderr` in this worker, so output from any
 * library (not only the loggers we configure) is scanned too.
 */

const secrets = new Map<string, string>()
const captured: Array<{ readonly source: string; readonly text: string }> = []

/** Registers a secret (with a label for the report). Short values would match by chance and are refused. */
export const secret = (label: string, value: string): void => {
  if (value.length < 8) throw new RangeError(`secret ${label} is too short to scan for (${value.length} characters)`)
  secrets.set(value, label)
}

/** Registers the body of a PEM private key: 48-character fragments of its base64 lines (any line would betray it). */
export const secretPem = (label: string, pem: string): void => {
  const body = pem
    .split(/\r?\n/)
    .filter((line) => line.length > 0 && !line.startsWith("-----"))
    .join("")
  for (let i = 0; i + 48 <= body.length; i += 48) secret(`${label} (base64 from ${i})`, body.slice(i, i + 48))
}

/** Records text that a person or a log system could see. */
export const capture = (source: string, text: string): void => {
  captured.push({ source, text })
}

/** Records an error the way a person would see it: message, string form and JSON (cause chains included). */
export const captureError = (source: string, error: unknown): void => {
  let e: unknown = error
  for (let depth = 0; depth < 8 && e !== undefined && e !== null; depth++) {
    if (e instanceof Error) {
      capture(source, e.message)
      capture(source, String(e))
      capture(source, e.stack ?? "")
    } else capture(source, String(e))
    try {
      capture(source, JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? String(v) : v)) ?? "")
    } catch {
      // Circular structures: the message and string form above are what a person would read.
    }
    e = (e as { cause?: unknown }).cause
  }
}

let installed = false
/** Captures every write to stdout and stderr of this worker (console.log, library warnings, vitest's own lines). */
export const captureConsole = (): void => {
  if (installed) return
  installed = true
  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    const write = stream.write.bind(stream) as (...args: Array<unknown>) => boolean
    stream.write = ((chunk: unknown, ...rest: Array<unknown>) => {
      capture(name, typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"))
      return write(chunk, ...rest)
    }) as typeof stream.write
  }
}

export interface Leak {
  readonly secret: string
  readonly source: string
  /** Where in the text, without the secret itself (the report must not leak it either). */
  readonly at: number
}

const TOKEN_RUN = /[A-Za-z0-9+/=_-]{8,}/g
const TOKEN_ONLY = /^[A-Za-z0-9+/=_-]+$/

/**
 * Every occurrence of a registered secret in captured text (labels only, never the secret). Thousands of secrets
 * against megabytes of text: instead of one search per secret, every run of token characters in the text is slid
 * over with a window of each secret length and looked up in a set. Secrets with other characters are searched for
 * directly (there are few of them).
 */
export const leaks = (): ReadonlyArray<Leak> => findLeaks(secrets, captured)

/** The scan itself, over any secrets and texts (tested on planted secrets, so a silent scanner cannot pass). */
export const findLeaks = (
  secretsByValue: ReadonlyMap<string, string>,
  texts: ReadonlyArray<{ readonly source: string; readonly text: string }>,
): ReadonlyArray<Leak> => {
  const found: Array<Leak> = []
  const lengths = new Set<number>()
  const odd: Array<string> = []
  for (const value of secretsByValue.keys()) {
    if (TOKEN_ONLY.test(value)) lengths.add(value.length)
    else odd.push(value)
  }
  for (const { source, text } of texts) {
    for (const match of text.matchAll(TOKEN_RUN)) {
      const run = match[0]
      for (const length of lengths) {
        for (let i = 0; i + length <= run.length; i++) {
          const label = secretsByValue.get(run.slice(i, i + length))
          if (label !== undefined) found.push({ secret: label, source, at: (match.index ?? 0) + i })
        }
      }
    }
    for (const value of odd) {
      const at = text.indexOf(value)
      if (at !== -1) found.push({ secret: secretsByValue.get(value)!, source, at })
    }
  }
  return found
}

/** Sizes, for the test's own report. */
export const stats = () => ({
  secrets: secrets.size,
  capturedTexts: captured.length,
  capturedChars: captured.reduce((n, c) => n + c.text.length, 0),
})
