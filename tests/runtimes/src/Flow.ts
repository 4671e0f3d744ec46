/**
 * Runs a flow script in a runtime as a child process and reads its one `RESULT {json}` or `FAILURE {json}` line.
 */
import { execFile } from "node:child_process"
import * as path from "node:path"

/** What a flow printed: its result or its failure, plus the output for the assertion message. */
export type Outcome =
  | { readonly ok: true; readonly result: Record<string, unknown>; readonly output: string }
  | { readonly ok: false; readonly failure: Record<string, unknown>; readonly output: string }

/** The package folder: flows resolve `@signering/*` from its node_modules (Deno through its package.json). */
export const packageDir = path.resolve(import.meta.dirname, "..")

/** The command line that runs a TypeScript flow file in each runtime. */
export const command = (
  runtime: "node22" | "node24" | "bun" | "deno",
  binary: string,
  file: string,
): ReadonlyArray<string> => {
  switch (runtime) {
    case "node22":
    case "node24":
      // Type stripping (on by default in 22.18+ and 24): the flows use erasable syntax only.
      return [binary, "--disable-warning=ExperimentalWarning", file]
    case "bun":
      return [binary, file]
    case "deno":
      return [binary, "run", "--allow-all", "--no-lock", file]
  }
}

/** Runs one flow; never rejects (a crash is a failure outcome). */
export const run = (argv: ReadonlyArray<string>, env: Record<string, string>): Promise<Outcome> =>
  new Promise((resolve) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      {
        cwd: packageDir,
        env: { ...process.env, ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1" },
        timeout: 120_000,
        maxBuffer: 16 << 20,
      },
      (_error, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`
        const result = /^RESULT (.*)$/m.exec(stdout)
        if (result !== null) return resolve({ ok: true, result: JSON.parse(result[1]!), output })
        const failure = /^FAILURE (.*)$/m.exec(stdout)
        resolve({
          ok: false,
          failure: failure === null ? { crash: output.slice(-4000) } : JSON.parse(failure[1]!),
          output,
        })
      },
    )
  })
