#!/usr/bin/env node
// Type-checks every TypeScript example a user reads: the ```ts blocks of the READMEs and the ```ts blocks of every
// `@example` in the JSDoc of the published packages. An example is a fragment, so each becomes a module:
// - the public names of every @signering package and of `effect` are imported, unless the example imports or
//   declares the name itself;
// - an example with its own generator, exports or `declare`s stays at module level, one that uses `yield*` runs inside
//   `Effect.gen`, any other inside an async function;
// - a name the example leaves to the reader (`keystore`, `input`, `handle`) is declared as `any`, found by asking
//   the compiler which names it cannot find. Everything the example says about this project's API is still
//   checked: `Effect.runPromise(Keystore.fromPkcs12(…))` on a `Result` fails here, as it would in a user's editor.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "../..")
const out = join(here, "generated")
const packages = ["protocol", "client", "node-tls", "fetch", "simulator", "cli", "redis-limiter"]

// ---- where examples live -------------------------------------------------------------------------------------

const walk = (dir, acc = []) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) walk(path, acc)
    else if (path.endsWith(".ts") && !path.endsWith(".d.ts")) acc.push(path)
  }
  return acc
}

const fenced = /```(?:ts|typescript)\s*\n([\s\S]*?)```/g

const examples = []
for (const readme of [join(root, "README.md"), ...packages.map((p) => join(root, "packages", p, "README.md"))]) {
  if (!existsSync(readme)) continue
  const text = readFileSync(readme, "utf8")
  for (const m of text.matchAll(fenced)) {
    const line = text.slice(0, m.index).split("\n").length + 1
    examples.push({ origin: `${relative(root, readme)}:${line}`, code: m[1] })
  }
}
for (const p of packages) {
  const src = join(root, "packages", p, "src")
  if (!existsSync(src)) continue
  for (const file of walk(src)) {
    const text = readFileSync(file, "utf8")
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const body = comment[0]
        .split("\n")
        .map((l) => l.replace(/^\s*\/?\*+\/?\s?/, ""))
        .join("\n")
      if (!body.includes("@example")) continue
      const afterExample = body.slice(body.indexOf("@example"))
      for (const m of afterExample.matchAll(fenced)) {
        const offset = comment.index + comment[0].indexOf(m[1].split("\n")[0])
        const line = text.slice(0, Math.max(offset, comment.index)).split("\n").length
        examples.push({ origin: `${relative(root, file)}:${line}`, code: m[1] })
      }
    }
  }
}

// ---- the names a user has in scope -----------------------------------------------------------------------------

const exportedNames = (indexFile) => {
  const source = ts.createSourceFile(indexFile, readFileSync(indexFile, "utf8"), ts.ScriptTarget.Latest)
  const names = []
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue
    const clause = statement.exportClause
    if (clause === undefined) continue
    if (ts.isNamespaceExport(clause)) names.push(clause.name.text)
    else for (const element of clause.elements) if (!element.isTypeOnly) names.push(element.name.text)
  }
  return names
}

const available = new Map() // name -> module
for (const p of packages) {
  const index = join(root, "packages", p, "src", "index.ts")
  if (!existsSync(index)) continue
  for (const name of exportedNames(index)) if (!available.has(name)) available.set(name, `@signering/${p}`)
}
const effectNames = Object.keys(await import("effect")).filter((n) => /^[A-Z]/.test(n))
for (const name of effectNames) if (!available.has(name)) available.set(name, "effect")

// ---- one module per example ----------------------------------------------------------------------------------

const declaredBy = (code) => {
  const names = new Set()
  for (const m of code.matchAll(/\b(?:const|let|var|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g))
    names.add(m[1])
  for (const m of code.matchAll(/^\s*import\s+(?:type\s+)?([\s\S]*?)\s+from\s+["'][^"']+["']/gm)) {
    for (const part of m[1].replace(/[{}*]/g, " ").split(/[\s,]+/)) {
      if (part !== "" && part !== "as" && part !== "type") names.add(part)
    }
  }
  return names
}

const splitImports = (code) => {
  const imports = []
  const rest = code.replace(/^\s*import\s[\s\S]*?from\s+["'][^"']+["'];?[ \t]*$/gm, (m) => {
    imports.push(m.trim())
    return ""
  })
  return { imports, rest }
}

const render = (example, unknown) => {
  const { imports, rest } = splitImports(example.code)
  const own = declaredBy(example.code)
  const byModule = new Map()
  const used = new Set(rest.match(/[A-Za-z_$][\w$]*/g) ?? [])
  for (const [name, module] of available) {
    // Only names the example uses: effect's `Array`, `Iterable`, `Function` must not shadow the globals.
    if (!used.has(name) || own.has(name) || unknown.has(name)) continue
    byModule.set(module, [...(byModule.get(module) ?? []), name])
  }
  if (own.has("Effect") && !byModule.get("effect")?.includes("Effect")) {
    // the example brings its own Effect (an import): the wrapper below uses that one.
  }
  const prelude = [
    ...imports,
    ...[...byModule].map(([module, names]) => `import { ${names.join(", ")} } from "${module}"`),
    ...[...unknown].map((name) => `declare const ${name}: any\ntype ${name} = any`),
    "",
  ].join("\n")
  let head
  let tail
  if (/^\s*(?:export|declare)\s/m.test(rest) || /function\s*\*/.test(rest)) {
    // A whole module, or one with its own generators: module level (top-level `await` works there).
    head = ""
    tail = ""
  } else if (/\byield\*/.test(rest)) {
    head = "export const example = Effect.gen(function* () {"
    tail = "})"
  } else {
    head = "export async function example() {"
    tail = "}"
  }
  const text = `${prelude}${head}\n${rest}\n${tail}\n`
  // Line of the example's first line in the generated file, to map diagnostics back.
  const firstLine = prelude.split("\n").length + (head === "" ? 0 : 1)
  return { text, firstLine }
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
writeFileSync(join(out, "package.json"), '{ "type": "module" }\n')

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noImplicitAny: false,
  skipLibCheck: true,
  noEmit: true,
  // No DOM: its globals (`status`, `name`, `close`) would capture names an example leaves to the reader.
  lib: ["lib.es2023.d.ts"],
  types: ["node"],
  customConditions: ["@signering/source"],
  allowImportingTsExtensions: true,
  verbatimModuleSyntax: false,
}

const state = examples.map((example, i) => ({
  example,
  file: join(out, `example${String(i).padStart(4, "0")}.ts`),
  unknown: new Set(),
}))

const NOT_FOUND = new Set([2304, 2552, 2582, 2580, 18004])
let diagnostics = []
let previous
for (let round = 0; round < 6; round++) {
  const rendered = new Map()
  for (const s of state) {
    const r = render(s.example, s.unknown)
    rendered.set(s.file, r)
    writeFileSync(s.file, r.text)
  }
  const program = ts.createProgram(
    state.map((s) => s.file),
    options,
    undefined,
    previous,
  )
  previous = program
  diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName.startsWith(out))
  let learned = false
  for (const d of diagnostics) {
    if (!NOT_FOUND.has(d.code)) continue
    const s = state.find((x) => x.file === d.file.fileName)
    const name = d.file.text.slice(d.start, d.start + d.length)
    if (s !== undefined && /^[A-Za-z_$][\w$]*$/.test(name) && !s.unknown.has(name)) {
      s.unknown.add(name)
      learned = true
    }
  }
  if (!learned) {
    for (const s of state) s.firstLine = rendered.get(s.file).firstLine
    break
  }
}

// A name declared `any` makes Effect infer `never` where the real value would have a type: such messages say more
// about the stand-in than about the example.
const standInArtifact = (d) =>
  /type 'never'|\[never, \.\.\.never\[\]\]/.test(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
const failures = diagnostics
  .filter((d) => !standInArtifact(d))
  .map((d) => {
    const s = state.find((x) => x.file === d.file.fileName)
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    const [path, at] = s.example.origin.split(/:(?=\d+$)/)
    const exampleLine = line + 1 - (s.firstLine ?? 0)
    const where = exampleLine >= 0 ? `${path}:${Number(at) + exampleLine}` : s.example.origin
    return `${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
  })

// Example values must pass the library's own validation: a reader copies them.
const mod11 = (digits, weights) => {
  const sum = weights.reduce((acc, w, i) => acc + w * Number(digits[i]), 0)
  const check = (11 - (sum % 11)) % 11
  return check === Number(digits[weights.length])
}
const validOrganizationNumber = (n) => mod11(n, [3, 2, 7, 6, 5, 4, 3, 2])
const validPersonalIdentificationNumber = (n) =>
  mod11(n, [3, 7, 6, 1, 8, 9, 4, 5, 2]) && mod11(n, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
for (const { origin, code } of examples) {
  for (const m of code.matchAll(/["'`](\d{9}|\d{11})["'`]/g)) {
    const value = m[1]
    const ok = value.length === 9 ? validOrganizationNumber(value) : validPersonalIdentificationNumber(value)
    if (!ok) {
      const kind = value.length === 9 ? "organization number" : "personal identification number"
      failures.push(`${origin}: the example ${kind} ${value} fails its check digits (the library would refuse it)`)
    }
  }
}

if (failures.length > 0) {
  console.error(`check-examples: ${failures.length} problem(s) in ${examples.length} examples`)
  console.error(failures.join("\n"))
  process.exit(1)
}
console.log(`check-examples: ${examples.length} examples type-check`)
