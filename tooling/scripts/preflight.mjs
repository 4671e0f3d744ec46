#!/usr/bin/env node
// Checks the system tools the test suite relies on before anything else runs, so a missing
// tool is one clear line instead of a confusing test failure deep in a suite.
// On a root machine with apt (CI, fresh containers) a missing Debian package is installed.
import { execFileSync, spawnSync } from "node:child_process"

const tools = [
  { bin: "xmlsec1", args: ["--version"], apt: "xmlsec1", why: "independent XML-signature verification of our bundles" },
  {
    bin: "java",
    args: ["-version"],
    apt: "default-jre-headless",
    why: "reading bundles with java.util.zip.ZipInputStream",
  },
]

const has = (bin, args) => spawnSync(bin, args, { stdio: "ignore" }).status === 0
const canApt = process.getuid?.() === 0 && has("apt-get", ["--version"])

const missing = tools.filter((t) => !has(t.bin, t.args))
if (missing.length > 0 && canApt) {
  const names = missing.map((t) => t.apt)
  console.log(`preflight: installing ${names.join(", ")} with apt-get`)
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" })
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    })
  } catch {
    // fall through to the report below
  }
}
const still = tools.filter((t) => !has(t.bin, t.args))
if (still.length > 0) {
  for (const t of still)
    console.error(`preflight: '${t.bin}' is missing (${t.why}); install the Debian package '${t.apt}'.`)
  process.exit(1)
}
console.log(`preflight: ${tools.map((t) => t.bin).join(", ")} present`)
