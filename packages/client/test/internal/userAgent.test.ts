import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { runtimeName, userAgent, VERSION } from "../../src/internal/userAgent.js"

describe("userAgent", () => {
  it("names the library, its version and the runtime", () => {
    expect(userAgent()).toBe(`signering-ts/${VERSION} (node/${process.versions.node})`)
    expect(userAgent(" my-app/1.2 ")).toBe(`signering-ts/${VERSION} (node/${process.versions.node}) my-app/1.2`)
  })

  it("drops control characters from the suffix (no header injection)", () => {
    expect(userAgent("a\r\nX-Evil: 1")).toBe(`signering-ts/${VERSION} (node/${process.versions.node}) aX-Evil: 1`)
  })

  it("recognises Deno, Bun and browsers", () => {
    expect(runtimeName({ Deno: { version: { deno: "2.1.4" } } })).toBe("deno/2.1.4")
    expect(runtimeName({ Bun: { version: "1.1.38" } })).toBe("bun/1.1.38")
    expect(runtimeName({ navigator: { userAgent: "Mozilla/5.0 (X11)" } })).toBe("Mozilla/5.0")
    expect(runtimeName({})).toBe("unknown")
  })

  it("keeps VERSION equal to package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
    expect(VERSION).toBe(pkg.version)
  })
})
