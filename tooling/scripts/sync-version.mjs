#!/usr/bin/env node
// Run after `changeset version`: the client reports its own version in the User-Agent, and that string is
// compiled in (the published package has no package.json to read at run time in every runtime).
import { readFileSync, writeFileSync } from "node:fs"

const pkg = JSON.parse(readFileSync("packages/client/package.json", "utf8"))
const file = "packages/client/src/internal/userAgent.ts"
const text = readFileSync(file, "utf8")
const next = text.replace(/export const VERSION = "[^"]*"/, `export const VERSION = "${pkg.version}"`)
if (next === text && !text.includes(`VERSION = "${pkg.version}"`)) {
  console.error(`sync-version: no VERSION constant found in ${file}`)
  process.exit(1)
}
writeFileSync(file, next)
console.log(`sync-version: @signering/client ${pkg.version}`)
