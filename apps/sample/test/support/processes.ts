/**
 * The simulator and the sample app as separate processes (`signering-simulator` CLI, `src/main.ts`), configured
 * only through the command line and `SIGNERING_*` / `SAMPLE_*` variables, for tests that kill them.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const appDir = fileURLToPath(new URL("../../", import.meta.url))
const cli = fileURLToPath(new URL("../../../../packages/simulator/src/cli.ts", import.meta.url))
const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url))

export interface Running {
  readonly child: ChildProcess
  /** Everything written to stdout and stderr so far. */
  readonly output: () => string
  /** Resolves with the first match of `pattern` in the output (rejects when the process exits first). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>
  readonly kill: (signal: NodeJS.Signals) => Promise<void>
}

const run = (script: string, args: ReadonlyArray<string>, env: Record<string, string>): Running => {
  const child = spawn(process.execPath, ["--conditions=@signering/source", "--import", "tsx", script, ...args], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let text = ""
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    text += chunk.toString("utf8")
    for (const w of waiters) w()
  }
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  return {
    child,
    output: () => text,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text)
          if (match === null) return
          done()
          resolve(match)
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`Timed out waiting for ${pattern} in:\n${text}`))
        }, timeoutMs)
        const onExit = () => {
          done()
          reject(new Error(`Exited before ${pattern}:\n${text}`))
        }
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
          child.off("exit", onExit)
        }
        waiters.add(check)
        child.once("exit", onExit)
        check()
      }),
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}

export interface SimulatorProcess extends Running {
  readonly apiRoot: string
  readonly portalUrl: string
  readonly caFile: string
  /** The organization number in the simulator's server certificate (the real service's is Posten's). */
  readonly serverOrganizationNumber: string
  readonly pkcs12File: string
  readonly passphraseFile: string
  /** Direct jobs the simulator created (its own log: one `200` per create). */
  readonly creations: () => number
  /** Portal jobs the simulator created. */
  readonly portalCreations: () => number
  /** Confirmations the simulator accepted, per service job id. */
  readonly confirmations: () => ReadonlyMap<string, number>
}

export const startSimulator = async (options: {
  readonly dir: string
  readonly requeueDelayMs: number
  readonly emptyQueueDelayMs: number
}): Promise<SimulatorProcess> => {
  const sim = run(
    cli,
    [
      "--dir",
      options.dir,
      "--requeue-delay",
      String(options.requeueDelayMs),
      "--empty-queue-delay",
      String(options.emptyQueueDelayMs),
    ],
    {},
  )
  await sim.waitFor(/Press Ctrl\+C to stop/)
  const field = (label: string) => {
    const match = new RegExp(`${label}:?\\s+([^\\s,]+)`).exec(sim.output())
    if (match === null) throw new Error(`The simulator printed no ${label}:\n${sim.output()}`)
    return match[1]!
  }
  const lines = () => sim.output().split("\n")
  return {
    ...sim,
    apiRoot: field("API root \\(mutual TLS\\)"),
    portalUrl: field("Signing portal"),
    caFile: field("Trust this CA"),
    serverOrganizationNumber: field("Server certificate:\\s+organization"),
    pkcs12File: field("PKCS#12"),
    passphraseFile: field("PKCS#12 passphrase"),
    creations: () => lines().filter((l) => /\sPOST\s+200 \/api\/\d+\/direct\/signature-jobs\s/.test(l)).length,
    portalCreations: () => lines().filter((l) => /\sPOST\s+200 \/api\/\d+\/portal\/signature-jobs\s/.test(l)).length,
    confirmations: () => {
      const counts = new Map<string, number>()
      for (const l of lines()) {
        const id =
          /\sPOST\s+200 \/api\/\d+\/(?:direct|portal)\/signature-jobs\/(\d+)(?:\/changes\/\d+)?\/complete\s/.exec(
            l,
          )?.[1]
        if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1)
      }
      return counts
    },
  }
}

/** A free loopback port, so the app can come back on the same address (the exit URLs hold it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

export interface AppProcess extends Running {
  readonly url: string
}

export const startApp = async (env: Record<string, string>): Promise<AppProcess> => {
  const app = run(main, [], env)
  const match = await app.waitFor(/Sample portal: (\S+)/)
  return { ...app, url: match[1]! }
}
