#!/usr/bin/env node
// Checks what each packed tarball holds, as a user receives it: a licence, a changelog, the README, keywords, a
// released version, every `exports`/`bin` target (the `@signering/source` condition included), and source maps
// whose sources are in the tarball.
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"

const failures = []
const fail = (pkg, message) => failures.push(`${pkg}: ${message}`)

const targets = (value, out = []) => {
  if (typeof value === "string") out.push(value)
  else if (value && typeof value === "object") for (const inner of Object.values(value)) targets(inner, out)
  return out
}

const walk = (dir, out = []) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) walk(path, out)
    else out.push(path)
  }
  return out
}

for (const tgz of process.argv.slice(2)) {
  const dir = mkdtempSync(join(tmpdir(), "pack-inspect-"))
  execFileSync("tar", ["-xzf", tgz, "-C", dir])
  const root = join(dir, "package")
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
  const name = pkg.name
  for (const file of ["LICENSE", "README.md", "CHANGELOG.md"]) {
    if (!existsSync(join(root, file))) fail(name, `${file} is missing`)
  }
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) fail(name, "no keywords")
  if (pkg.version === "0.0.0") fail(name, "version 0.0.0 (pack with the versions a release gives)")
  if (JSON.stringify(pkg).includes("workspace:")) fail(name, "a workspace: range was left in package.json")
  for (const target of [...targets(pkg.exports ?? null), ...targets(pkg.bin ?? null)]) {
    if (target.includes("*")) continue
    if (!existsSync(join(root, target))) fail(name, `exports/bin target ${target} is not in the tarball`)
  }
  let maps = 0
  for (const file of walk(root).filter((f) => f.endsWith(".map"))) {
    maps++
    const map = JSON.parse(readFileSync(file, "utf8"))
    for (const source of map.sources ?? []) {
      if (!existsSync(resolve(dirname(file), map.sourceRoot ?? "", source))) {
        fail(name, `${file.slice(root.length + 1)} points at ${source}, which is not in the tarball`)
        break
      }
    }
  }
  console.log(`pack-inspect: ${name}@${pkg.version}: ${walk(root).length} files, ${maps} source maps checked`)
}

if (failures.length > 0) {
  console.error(failures.join("\n"))
  process.exit(1)
}
