#!/usr/bin/env node
// After `build`, proves that every file a published package points at (exports, types, bin) exists,
// so `npm pack` of each package installs and imports in a plain Node project.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const SOURCE_CONDITION = "@signering/source"
const failures = []
let checked = 0

const targets = (value, out = []) => {
  if (typeof value === "string") out.push(value)
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) if (key !== SOURCE_CONDITION) targets(inner, out)
  }
  return out
}

for (const root of ["packages"]) {
  for (const dir of readdirSync(root)) {
    const pkgDir = join(root, dir)
    const file = join(pkgDir, "package.json")
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, "utf8"))
    if (pkg.private) continue
    const wanted = [
      ...targets(pkg.exports).filter((t) => !t.includes("*")),
      ...targets(pkg.publishConfig?.exports ?? null),
      ...targets(pkg.bin ?? null),
      ...(pkg.types ? [pkg.types] : []),
      ...(pkg.main ? [pkg.main] : []),
    ]
    for (const t of wanted) {
      checked++
      if (!existsSync(join(pkgDir, t))) failures.push(`${pkg.name}: ${t} does not exist`)
      else if (
        !pkg.files?.some((f) => t.replace(/^\.\//, "").startsWith(f.replace(/^\.\//, ""))) &&
        t !== "./package.json"
      )
        failures.push(`${pkg.name}: ${t} is not included by "files"`)
    }
    if (pkg.exports?.["./internal/*"] !== null) failures.push(`${pkg.name}: "./internal/*" must map to null`)
  }
}
if (failures.length > 0) {
  for (const f of failures) console.error(`check-exports: ${f}`)
  process.exit(1)
}
console.log(`check-exports: ${checked} published targets present`)
