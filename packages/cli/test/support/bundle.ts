// The bin bundled once from the sources (esbuild, as tsx does per run), so each test process starts in well under a
// second instead of compiling the workspace's TypeScript again. The simulator stays external: only the
// `simulator` command loads it, and that test runs the source bin under tsx.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

export const bundleBin = async (): Promise<string> => {
  const outfile = join(mkdtempSync(join(tmpdir(), "signering-bin-")), "signering.mjs")
  await build({
    entryPoints: [fileURLToPath(new URL("../../src/bin.ts", import.meta.url))],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@signering/source"],
    external: ["@signering/simulator"],
    // CommonJS dependencies (node-forge) require Node built-ins: give the ES module bundle a require.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    logLevel: "warning",
  })
  return outfile
}
