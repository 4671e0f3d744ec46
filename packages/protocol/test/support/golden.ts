/**
 * Golden files: compared byte for byte. Run with `UPDATE_GOLDEN=1` to rewrite them after an intended change
 * (then review the diff).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const fixtureDir = fileURLToPath(new URL("../fixtures/direct/", import.meta.url))

export const readFixture = (name: string): string => readFileSync(fixtureDir + name, "utf8")

export const readFixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixtureDir + name))

/** The golden file's content; written first when `UPDATE_GOLDEN=1` or when it does not exist yet under that flag. */
export const golden = (name: string, actual: string): string => {
  const path = fixtureDir + name
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual)
  if (!existsSync(path)) throw new Error(`missing golden file ${name} (run with UPDATE_GOLDEN=1)`)
  return readFileSync(path, "utf8")
}
