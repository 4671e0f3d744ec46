/**
 * The protocol worker under workerd: bundled with esbuild from the packages' built `dist` (what a user's bundler
 * would take), served on a loopback socket that Node binds on port 0 and hands to workerd as a file descriptor.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { build } from "esbuild"

/** A running workerd with the worker, and its origin. */
export interface Running {
  readonly url: string
  readonly bundleBytes: number
  readonly stop: () => Promise<void>
}

const config = (compatibilityDate: string) => `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .protocolWorker) ],
  sockets = [ (name = "http", service = "main", http = ()) ],
);

const protocolWorker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${compatibilityDate}",
);
`

/** Bundles `worker/worker.ts` and starts workerd with it. */
export const start = async (workerd: string): Promise<Running> => {
  const dir = mkdtempSync(path.join(tmpdir(), "signering-workerd-"))
  const result = await build({
    entryPoints: [path.resolve(import.meta.dirname, "..", "worker", "worker.ts")],
    outfile: path.join(dir, "worker.js"),
    bundle: true,
    format: "esm",
    // What Cloudflare's own bundling does: browser fields apply (node-forge maps its optional "crypto" away).
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    write: true,
    metafile: true,
    logLevel: "silent",
  })
  writeFileSync(path.join(dir, "config.capnp"), config("2026-11-01"))
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd
  const child: ChildProcess = spawn(workerd, ["serve", "config.capnp", "--socket-fd", "http=3"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe", fd],
  })
  let output = ""
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()))
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()))
  // workerd now owns a duplicate of the listening socket; Node stops accepting on its own.
  server.close()
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}:\n${output}`)
    const ready = await fetch(url).then(
      (r) => r.status === 405,
      () => false,
    )
    if (ready) break
    if (Date.now() > deadline) throw new Error(`workerd did not answer within 30 s:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const bundleBytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0)
  return {
    url,
    bundleBytes,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done()
        child.once("exit", () => done())
        child.kill("SIGTERM")
      }),
  }
}
