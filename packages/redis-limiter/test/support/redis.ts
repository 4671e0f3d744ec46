/**
 * The Redis the tests use: `SIGNERING_TEST_REDIS_URL` when set (CI starts one), else a `redis-server` started here on
 * a free loopback port (so that `pnpm test` works on a machine that has the binary). Without either the tests fail
 * with a message saying what to install: they never skip.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { createServer } from "node:net"

export interface TestRedis {
  readonly url: string
  readonly stop: () => Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

export const startRedis = async (): Promise<TestRedis> => {
  const given = process.env["SIGNERING_TEST_REDIS_URL"]
  if (given !== undefined && given !== "") return { url: given, stop: async () => undefined }
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" })
  } catch {
    throw new Error(
      "These tests need Redis: set SIGNERING_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) or install redis-server (Debian: apt-get install redis-server); .ci/run does both",
    )
  }
  const port = await freePort()
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  )
  await new Promise<void>((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000)
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}:\n${out}`))
    })
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve())
        child.kill("SIGTERM")
      }),
  }
}
