/**
 * The CLI as a user runs it: prints the URLs and where the credentials are; the written files work with mutual TLS.
 */

import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { agentFor, call } from "./support/client.js"

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url))

describe("signering-simulator CLI", () => {
  it("prints the API root, the portal URL and the credential files, which work; stops on SIGTERM", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sim-cli-"))
    const child = spawn(
      process.execPath,
      [
        "--conditions=@signering/source",
        "--import",
        "tsx",
        cli,
        "--dir",
        dir,
        "--quiet",
        "--org",
        "123456785",
        "--long-term-storage",
        "123456785",
        "--confirmation-model",
        "settles-change",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    try {
      let out = ""
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes("Press Ctrl+C")) resolve()
        })
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)))
      })
      const api = /API root \(mutual TLS\): (\S+)/.exec(out)?.[1]
      const portal = /Signing portal: +(\S+)/.exec(out)?.[1]
      expect(api).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api$/)
      expect(portal).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(/Outbox \(e-mail, SMS\): +(\S+)/.exec(out)?.[1]).toBe(`${portal}/portal/outbox`)
      expect((await fetch(`${portal}/portal/outbox`)).status).toBe(200)
      const p12 = /PKCS#12: +(\S+)/.exec(out)?.[1]
      expect(p12).toBe(path.join(dir, "sender-123456785.p12"))
      expect(statSync(p12!).mode & 0o777).toBe(0o600)
      expect(out).not.toMatch(/BEGIN (RSA )?PRIVATE KEY/)
      const agent = agentFor(
        {
          privateKeyPem: readFileSync(path.join(dir, "sender-123456785-key.pem"), "utf8"),
          chainPem: readFileSync(path.join(dir, "sender-123456785-chain.pem"), "utf8"),
        },
        readFileSync(path.join(dir, "ca.pem"), "utf8"),
      )
      const r = await call(agent, "GET", `${api}/123456785`)
      expect(r.text).toBe("You are 123456785")
      await agent.close()
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses a malformed option with a message naming it", async () => {
    const child = spawn(process.execPath, ["--conditions=@signering/source", "--import", "tsx", cli, "--port", "abc"], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let err = ""
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
    expect(code).toBe(2)
    expect(err).toContain('--port must be a whole number ≥ 0, got "abc"')
  })

  it("refuses an unknown confirmation model, naming the option", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=@signering/source", "--import", "tsx", cli, "--confirmation-model", "kind"],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    let err = ""
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
    expect(code).toBe(2)
    expect(err).toContain('--confirmation-model must be settles-job or settles-change, got "kind"')
  })
})
