/**
 * The simulator in its own Node process, started from its command line (the built `signering-simulator` bin),
 * with what it prints: the API root, the portal URL and the credential files it wrote.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"

/** What a started simulator printed. */
export interface Started {
  readonly apiRoot: string
  readonly portalUrl: string
  readonly caFile: string
  readonly senders: ReadonlyArray<{
    readonly organizationNumber: string
    readonly pkcs12File: string
    readonly passphraseFile: string
    readonly chainFile: string
    readonly privateKeyFile: string
  }>
  readonly stop: () => Promise<void>
}

const bin = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "simulator",
  "bin",
  "signering-simulator.js",
)

const field = (text: string, label: string): string => {
  const match = new RegExp(`${label}\\s+(\\S+)`).exec(text)
  if (match === null) throw new Error(`the simulator printed no "${label}" line:\n${text}`)
  return match[1]!
}

const parse = (text: string, stop: () => Promise<void>): Started => ({
  apiRoot: field(text, "API root \\(mutual TLS\\):"),
  portalUrl: field(text, "Signing portal:"),
  caFile: field(text, "Trust this CA:"),
  senders: [...text.matchAll(/Sender (\d{9}) \([^)]*\):([\s\S]*?)whoami:/g)].map((m) => ({
    organizationNumber: m[1]!,
    pkcs12File: field(m[2]!, "PKCS#12:"),
    passphraseFile: field(m[2]!, "PKCS#12 passphrase:"),
    chainFile: field(m[2]!, "certificate chain:"),
    privateKeyFile: field(m[2]!, "private key:"),
  })),
  stop,
})

/**
 * Starts the simulator (port 0 on 127.0.0.1; an empty portal queue may be polled again after 200 ms) and resolves
 * once it has printed its addresses.
 */
export const start = (): Promise<Started> =>
  new Promise((resolve, reject) => {
    const dir = mkdtempSync(path.join(tmpdir(), "signering-runtimes-sim-"))
    const child: ChildProcess = spawn(process.execPath, [bin, "--dir", dir, "--quiet", "--empty-queue-delay", "200"], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let out = ""
    let err = ""
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once("exit", () => done())
        child.kill("SIGTERM")
      })
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`the simulator did not start within 60 s:\n${out}\n${err}`))
    }, 60_000)
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("Press Ctrl+C to stop.")) {
        clearTimeout(timer)
        try {
          resolve(parse(out, stop))
        } catch (error) {
          void stop()
          reject(error)
        }
      }
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the simulator exited with ${code}:\n${out}\n${err}`))
    })
  })
