/**
 * XSD validation with libxml2 (xmllint-wasm) against the protocol package's schema files.
 *
 * xmllint-wasm's own `validateXML` starts a new worker thread and compiles the 780 kB wasm module on every call
 * (~0.5 s here), far too slow for a service. This keeps one long-lived worker that compiles the module once and
 * instantiates it per validation (the Emscripten program runs `main` once per instance), which brings a
 * validation down to milliseconds. The worker is unref'd while idle so it never keeps a process alive.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
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
parentPort.on("message", (msg) => {
  if (!msg || msg.signeringValidate !== true) return
  let stderr = ""
  let stdout = ""
  let done = false
  const finish = (exitCode) => {
    if (done) return
    done = true
    parentPort.postMessage({ signeringValidate: true, id: msg.id, exitCode, stderr, stdout })
  }
  try {
    Module({
      inputFiles: msg.inputFiles,
      arguments: msg.args,
      print(text) { if (msg.captureStdout) stdout += text + "\\n" },
      printErr(text) { stderr += text + "\\n" },
      onExit: finish,
      onAbort(reason) { stderr += "WASM Abort: " + reason + "\\n"; finish(-1) },
      wasmMemory: new WebAssembly.Memory({ initial: 256, maximum: 2048 }),
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
    workerData: { script, wasm: path.join(path.dirname(script), "xmllint.wasm") },
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

/** Runs xmllint with the given in-memory files and arguments (stdout only when asked for). */
export const xmllint = (
  inputFiles: ReadonlyArray<XmlFile>,
  args: ReadonlyArray<string>,
  captureStdout = false,
): Promise<RunResult> =>
  new Promise<RunResult>((resolve, reject) => {
    const w = getWorker()
    const id = nextId++
    pending.set(id, { resolve, reject })
    w.ref()
    w.postMessage({ signeringValidate: true, id, inputFiles, args, captureStdout })
  })

let schemaFiles: ReadonlyArray<XmlFile> | undefined

// The schema files belong to @signering/protocol (its `./schema/*` export).
const loadSchemas = (): ReadonlyArray<XmlFile> => {
  if (!schemaFiles) {
    const direct = require.resolve("@signering/protocol/schema/direct.xsd")
    schemaFiles = ["direct.xsd", "common.xsd"].map((fileName) => ({
      fileName,
      contents: readFileSync(path.join(path.dirname(direct), fileName), "utf8"),
    }))
  }
  return schemaFiles
}

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
 * Validates documents against `direct.xsd` (which includes `common.xsd`), in one libxml2 run.
 * File names must be plain (`request.xml`); they appear in the error lines.
 */
export const validateDirect = async (files: ReadonlyArray<XmlFile>): Promise<ValidationResult> => {
  const key = cacheKey(files)
  const cached = cache.get(key)
  if (cached) {
    cache.delete(key)
    cache.set(key, cached)
    return cached
  }
  const result = await validateUncached(files)
  cache.set(key, result)
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return result
}

const validateUncached = async (files: ReadonlyArray<XmlFile>): Promise<ValidationResult> => {
  const schemas = loadSchemas()
  const { exitCode, stderr } = await xmllint(
    [...files, ...schemas],
    ["--nonet", "--schema", "direct.xsd", "--noout", ...files.map((f) => f.fileName)],
  )
  const errors = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.endsWith(" validates") && !l.endsWith(" fails to validate"))
  if (exitCode === 0) return { valid: true, errors: [] }
  return { valid: false, errors: errors.length > 0 ? errors : [`xmllint exit code ${exitCode}`] }
}
