/**
 * XSD validation with libxml2 (xmllint-wasm) against the protocol package's schema files.
 *
 * xmllint-wasm's own `validateXML` starts a new worker thread and compiles the 780 kB wasm module on every call
 * (~0.5 s here), far too slow for a service. This keeps one long-lived worker that compiles the module once and
 * instantiates it per validation (the Emscripten program runs `main` once per instance), which brings a
 * validation down to milliseconds. The worker is unref'd while idle so it never keeps a process alive.
 *
 * Most of a run is fixed cost (instantiating the wasm module, compiling the schema), so validations that arrive
 * while a run is in flight wait and go together into the next run, one file per document under a private name, and
 * xmllint's output is split back per request. Any output that cannot be attributed with certainty sends the batch
 * back to one run per request, so one request's errors never reach another's answer.
 */
import { createHash, randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { Worker } from "node:worker_threads"

const require = createRequire(import.meta.url)

export interface XmlFile {
  readonly fileName: string
  readonly contents: string | Uint8Array
}

export interface ValidationResult {
  readonly valid: boolean
  /** xmllint's error lines (`file:line: Schemas validity error : …`), empty when valid. */
  readonly errors: ReadonlyArray<string>
}

// Runs inside the worker (CommonJS, evaluated from a string so no loader or build step is involved).
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const fs = require("node:fs")
// xmllint-node.js also registers its own message handler; it ignores messages without its key.
const Module = require(workerData.script)
const compiled = new WebAssembly.Module(fs.readFileSync(workerData.wasm))
// Files every run may ask for (the schemas), sent once instead of with every message.
const common = workerData.common
let spare
parentPort.on("message", (msg) => {
  if (!msg || msg.signeringValidate !== true) return
  let stderr = ""
  let stdout = ""
  let done = false
  const memory = spare ?? new WebAssembly.Memory({ initial: 256, maximum: 2048 })
  spare = undefined
  const finish = (exitCode) => {
    if (done) return
    done = true
    parentPort.postMessage({ signeringValidate: true, id: msg.id, exitCode, stderr, stdout })
    // A fresh 16 MB memory per run costs more in garbage collection than zeroing a used one: the program expects
    // zeroed memory at start (its static data is rewritten at instantiation, the rest must be zero).
    if (exitCode >= 0) {
      new Uint8Array(memory.buffer).fill(0)
      spare = memory
    }
  }
  try {
    Module({
      inputFiles: msg.withCommon ? msg.inputFiles.concat(common) : msg.inputFiles,
      arguments: msg.args,
      print(text) { if (msg.captureStdout) stdout += text + "\\n" },
      printErr(text) { stderr += text + "\\n" },
      onExit: finish,
      onAbort(reason) { stderr += "WASM Abort: " + reason + "\\n"; finish(-1) },
      wasmMemory: memory,
      instantiateWasm(imports, receive) {
        const instance = new WebAssembly.Instance(compiled, imports)
        receive(instance, compiled)
        return instance.exports
      },
    }).catch((e) => { stderr += String(e) + "\\n"; finish(-1) })
  } catch (e) {
    stderr += String(e) + "\\n"
    finish(-1)
  }
})
`

interface RunResult {
  readonly exitCode: number
  readonly stderr: string
  readonly stdout: string
}

interface Pending {
  readonly resolve: (r: RunResult) => void
  readonly reject: (e: unknown) => void
}

let worker: Worker | undefined
let nextId = 0
const pending = new Map<number, Pending>()

const getWorker = (): Worker => {
  if (worker) return worker
  const script = require.resolve("xmllint-wasm/xmllint-node.js")
  const w = new Worker(workerSource, {
    eval: true,
    workerData: { script, wasm: path.join(path.dirname(script), "xmllint.wasm"), common: loadSchemas() },
  })
  w.on("message", (msg: RunResult & { signeringValidate?: boolean; id: number }) => {
    if (msg?.signeringValidate !== true) return
    const p = pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id)
    if (pending.size === 0) w.unref()
    p.resolve(msg)
  })
  const fail = (e: unknown) => {
    if (worker === w) worker = undefined
    for (const p of pending.values()) p.reject(e)
    pending.clear()
  }
  w.on("error", fail)
  w.on("exit", (code) => fail(new Error(`schema validation worker exited with code ${code}`)))
  w.unref()
  worker = w
  return w
}

/**
 * Runs xmllint with the given in-memory files and arguments (stdout only when asked for); `withSchemas` adds
 * `direct.xsd` and `common.xsd`, which the worker already holds.
 */
export const xmllint = (
  inputFiles: ReadonlyArray<XmlFile>,
  args: ReadonlyArray<string>,
  captureStdout = false,
  withSchemas = false,
): Promise<RunResult> =>
  new Promise<RunResult>((resolve, reject) => {
    const w = getWorker()
    const id = nextId++
    pending.set(id, { resolve, reject })
    w.ref()
    // Cloning a view copies its whole buffer: a part of the request body would drag the entire body along. (A
    // Buffer's `slice` is another view, hence the copy through the Uint8Array constructor.)
    const files = inputFiles.map((f) =>
      typeof f.contents === "string" || f.contents.byteLength === f.contents.buffer.byteLength
        ? f
        : { fileName: f.fileName, contents: new Uint8Array(f.contents) },
    )
    w.postMessage({ signeringValidate: true, id, inputFiles: files, args, captureStdout, withCommon: withSchemas })
  })

let schemaFiles: ReadonlyArray<XmlFile> | undefined

/** Schema a document is validated against: one per flow. */
export type SchemaName = "direct.xsd" | "portal.xsd"

// The schema files belong to @signering/protocol (its `./schema/*` export). Its portal schema is read when the
// installed protocol version has one.
const loadSchemas = (): ReadonlyArray<XmlFile> => {
  if (!schemaFiles) {
    const dir = path.dirname(require.resolve("@signering/protocol/schema/direct.xsd"))
    schemaFiles = ["direct.xsd", "common.xsd", "portal.xsd"]
      .filter((fileName) => existsSync(path.join(dir, fileName)))
      .map((fileName) => ({ fileName, contents: readFileSync(path.join(dir, fileName), "utf8") }))
  }
  return schemaFiles
}

/** Whether the protocol package ships a schema for the portal messages (it validates portal requests when so). */
export const hasPortalSchema = (): boolean => loadSchemas().some((f) => f.fileName === "portal.xsd")

// Validation is a pure function of the bytes, and clients send the same request XML and manifest again and again
// (same exit URLs, same job shape): remembering recent verdicts saves a libxml2 run per repeated request.
const CACHE_SIZE = 512
const cache = new Map<string, ValidationResult>()

const cacheKey = (files: ReadonlyArray<XmlFile>): string => {
  const hash = createHash("sha256")
  for (const f of files) {
    hash.update(f.fileName).update("\0").update(f.contents).update("\0")
  }
  return hash.digest("base64")
}

/**
 * Validates documents against `direct.xsd` (which includes `common.xsd`), in one libxml2 run that may also carry
 * other requests' documents; the answer holds only these files' lines. File names must be plain (`request.xml`);
 * they appear in the error lines.
 */
export const validateDirect = (files: ReadonlyArray<XmlFile>): Promise<ValidationResult> =>
  validate(files, "direct.xsd")

/** Validates documents against the portal schema, like {@link validateDirect}. */
export const validatePortal = (files: ReadonlyArray<XmlFile>): Promise<ValidationResult> =>
  validate(files, "portal.xsd")

const validate = async (files: ReadonlyArray<XmlFile>, schema: SchemaName): Promise<ValidationResult> => {
  const key = schema + cacheKey(files)
  const cached = cache.get(key)
  if (cached) {
    cache.delete(key)
    cache.set(key, cached)
    return cached
  }
  const result = await enqueue(files, schema)
  cache.set(key, result)
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return result
}

/** How validations were run since start (for tests and the benchmark). */
export const validationStats = {
  /** xmllint runs, single or batched. */
  runs: 0,
  /** Runs that validated more than one request. */
  batchedRuns: 0,
  /** Requests validated in batched runs. */
  batchedRequests: 0,
  /** Batches whose output could not be attributed with certainty and were re-run one request at a time. */
  fallbacks: 0,
}

interface Queued {
  readonly schema: SchemaName
  readonly files: ReadonlyArray<XmlFile>
  readonly resolve: (r: ValidationResult) => void
  readonly reject: (e: unknown) => void
}

// Bounds on one batched run: libxml2 holds every document in the wasm memory at once.
const MAX_BATCH_REQUESTS = 64
const MAX_BATCH_BYTES = 16 * 1024 * 1024

const queue: Array<Queued> = []
let draining = false

const enqueue = (files: ReadonlyArray<XmlFile>, schema: SchemaName): Promise<ValidationResult> =>
  new Promise<ValidationResult>((resolve, reject) => {
    queue.push({ schema, files, resolve, reject })
    if (!draining) void drain()
  })

const sizeOf = (files: ReadonlyArray<XmlFile>): number =>
  files.reduce(
    (n, f) => n + (typeof f.contents === "string" ? Buffer.byteLength(f.contents) : f.contents.byteLength),
    0,
  )

// One run at a time: the first request after an idle spell runs at once, the ones arriving meanwhile share the next.
const drain = async (): Promise<void> => {
  draining = true
  try {
    while (queue.length > 0) {
      const batch: Array<Queued> = [queue.shift()!]
      let bytes = sizeOf(batch[0]!.files)
      // One schema per run: a batch takes the queued requests of the first one's flow, also those queued behind the
      // other flow's (mixed traffic would otherwise cut the batches into runs of one or two).
      for (let i = 0; i < queue.length && batch.length < MAX_BATCH_REQUESTS; ) {
        if (queue[i]!.schema !== batch[0]!.schema) {
          i++
          continue
        }
        const size = sizeOf(queue[i]!.files)
        if (bytes + size > MAX_BATCH_BYTES) break
        bytes += size
        batch.push(...queue.splice(i, 1))
      }
      await runBatch(batch)
    }
  } finally {
    draining = false
  }
}

const runBatch = async (batch: ReadonlyArray<Queued>): Promise<void> => {
  if (batch.length > 1) {
    const results = await validateTogether(
      batch.map((q) => q.files),
      batch[0]!.schema,
    ).catch(() => undefined)
    if (results) {
      validationStats.batchedRuns++
      validationStats.batchedRequests += batch.length
      for (const [i, q] of batch.entries()) q.resolve(results[i]!)
      return
    }
    validationStats.fallbacks++
  }
  for (const q of batch) {
    await validateAlone(q.files, q.schema).then(q.resolve, q.reject)
  }
}

const errorLines = (stderr: string): Array<string> =>
  stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")

/** One xmllint run for one request's files. */
export const validateAlone = async (
  files: ReadonlyArray<XmlFile>,
  schema: SchemaName = "direct.xsd",
): Promise<ValidationResult> => {
  validationStats.runs++
  const { exitCode, stderr } = await xmllint(
    files,
    ["--nonet", "--schema", schema, "--noout", ...files.map((f) => f.fileName)],
    false,
    true,
  )
  const errors = errorLines(stderr).filter((l) => !l.endsWith(" validates") && !l.endsWith(" fails to validate"))
  if (exitCode === 0) return { valid: true, errors: [] }
  return { valid: false, errors: errors.length > 0 ? errors : [`xmllint exit code ${exitCode}`] }
}

// libxml2's error line: `<file>:<line>: <domain> <level> : <message>` (`warning: …` for I/O). Parser errors are
// followed by the offending source line and a caret line, which carry no file name.
const ERROR_LINE = /^:\d+: [^:]*(error|warning) ?: /

/**
 * Validates several requests' files in one xmllint run and splits the output back per request, or answers
 * undefined when any line cannot be attributed with certainty (the caller then validates them one by one).
 */
export const validateTogether = async (
  requests: ReadonlyArray<ReadonlyArray<XmlFile>>,
  schema: SchemaName = "direct.xsd",
): Promise<Array<ValidationResult> | undefined> => {
  // Unguessable names: a document cannot forge another file's error line by quoting its name in a context line.
  const nonce = `v${randomBytes(8).toString("hex")}-`
  const files = requests.flatMap((files, r) =>
    files.map((f, i) => ({
      batchName: `${nonce}${r}-${i}.xml`,
      request: r,
      original: f.fileName,
      contents: f.contents,
    })),
  )
  validationStats.runs++
  const { exitCode, stderr } = await xmllint(
    files.map((f) => ({ fileName: f.batchName, contents: f.contents })),
    ["--nonet", "--schema", schema, "--noout", ...files.map((f) => f.batchName)],
    false,
    true,
  )
  return splitBatchOutput(requests.length, files, nonce, exitCode, stderr)
}

/** A file of a batched run: its private name in the run, the request it belongs to, and the caller's name for it. */
export interface BatchFile {
  readonly batchName: string
  readonly request: number
  readonly original: string
}

/**
 * Splits one batched run's output into per-request results, with the callers' file names back in the error lines;
 * undefined when any line cannot be attributed with certainty. `files` are in the order given to xmllint.
 */
export const splitBatchOutput = (
  requestCount: number,
  files: ReadonlyArray<BatchFile>,
  nonce: string,
  exitCode: number,
  stderr: string,
): Array<ValidationResult> | undefined => {
  if (exitCode < 0) return undefined
  const outcome = files.map(() => undefined as "validates" | "fails" | undefined)
  const lines = files.map((): Array<string> => [])
  // xmllint handles the files in order, so attribution only moves forward; context lines follow their error line.
  let current = -1
  // After an error line: at most one source line, then the caret line that ends the context.
  let context: "none" | "source-or-caret" | "caret" = "none"
  for (const line of errorLines(stderr)) {
    let owner = -1
    for (let f = Math.max(current, 0); f < files.length; f++) {
      if (line.startsWith(files[f]!.batchName)) {
        owner = f
        break
      }
    }
    if (owner === -1) {
      // The line names no file of this batch (or an earlier one): only a parser error's context lines may do that.
      if (current === -1 || context === "none" || line.includes(nonce)) return undefined
      if (line === "^") context = "none"
      else if (context === "source-or-caret") context = "caret"
      else return undefined
      lines[current]!.push(line)
      continue
    }
    const name = files[owner]!.batchName
    const rest = line.slice(name.length)
    if (outcome[owner] !== undefined) return undefined
    current = owner
    context = "none"
    if (rest === " validates") outcome[owner] = "validates"
    else if (rest === " fails to validate") outcome[owner] = "fails"
    else if (ERROR_LINE.test(rest)) {
      if (rest.includes(nonce)) return undefined
      lines[owner]!.push(files[owner]!.original + rest)
      context = "source-or-caret"
    } else return undefined
  }
  const results: Array<ValidationResult> = []
  let anyInvalid = false
  for (let r = 0; r < requestCount; r++) {
    const mine = files.flatMap((f, i) => (f.request === r ? [i] : []))
    const valid = mine.every((i) => outcome[i] === "validates" && lines[i]!.length === 0)
    const errors = mine.flatMap((i) => lines[i]!)
    // An invalid file must have said why: a failure without any attributed line is not understood.
    if (!valid && mine.some((i) => outcome[i] !== "validates" && lines[i]!.length === 0)) return undefined
    anyInvalid ||= !valid
    results.push(valid ? { valid: true, errors: [] } : { valid: false, errors })
  }
  if (anyInvalid === (exitCode === 0)) return undefined
  return results
}
