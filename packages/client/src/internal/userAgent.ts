/** The published version; a test keeps it equal to package.json. */
export const VERSION = "0.0.0"

interface RuntimeGlobals {
  readonly Deno?: { readonly version?: { readonly deno?: string } }
  readonly Bun?: { readonly version?: string }
  readonly process?: { readonly versions?: { readonly node?: string } }
  readonly navigator?: { readonly userAgent?: string }
}

/** `node/22.11.0`, `deno/2.1.4`, `bun/1.1.38`, or the navigator's name for other runtimes. */
export const runtimeName = (g: RuntimeGlobals = globalThis as RuntimeGlobals): string => {
  if (g.Deno?.version?.deno !== undefined) return `deno/${g.Deno.version.deno}`
  if (g.Bun?.version !== undefined) return `bun/${g.Bun.version}`
  if (g.process?.versions?.node !== undefined) return `node/${g.process.versions.node}`
  const ua = g.navigator?.userAgent
  return ua === undefined || ua === "" ? "unknown" : (ua.split(" ")[0] ?? "unknown")
}

/** `signering-ts/<version> (<runtime>)`, then the caller's suffix. Control characters are dropped. */
export const userAgent = (suffix?: string): string => {
  const base = `signering-ts/${VERSION} (${runtimeName()})`
  const clean = suffix?.replace(/[\u0000-\u001f\u007f]/g, "").trim()
  return clean === undefined || clean === "" ? base : `${base} ${clean}`
}
