/** The JavaScript runtimes the helpers tell apart. */
export type Runtime = "Bun" | "Deno" | "Node" | "workerd" | "unknown"

/** Which runtime this is, by the globals each one defines (Bun and Deno also define `process` for Node code). */
export const currentRuntime = (): Runtime => {
  const g = globalThis as {
    Bun?: unknown
    Deno?: unknown
    process?: { versions?: { node?: string } }
    navigator?: { userAgent?: string }
  }
  if (g.Bun !== undefined) return "Bun"
  if (g.Deno !== undefined) return "Deno"
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd"
  if (typeof g.process?.versions?.node === "string") return "Node"
  return "unknown"
}
