import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { DirectJob, DocumentBundle, Keystore } from "@signering/protocol"
import { Pki } from "@signering/simulator"
import { Effect } from "effect"
import { BundleDump } from "../src/index.js"

let dir: string
let keystore: Keystore.Keystore
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bundle-dump-"))
  const pki = await Pki.make()
  const sender = pki.senders[0]!
  keystore = Keystore.fromPemOrThrow({ certificates: sender.chainPem, privateKey: sender.privateKeyPem })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const job = (reference?: string) =>
  DirectJob.makeOrThrow({
    title: "Kari Nordmann's contract",
    ...(reference === undefined ? {} : { reference }),
    documents: [{ title: "Contract", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") }],
    signers: [{ customIdentifier: "s1" }],
    sender: { organizationNumber: "123456785" },
    exitUrls: { completionUrl: "https://e.no/c", rejectionUrl: "https://e.no/r", errorUrl: "https://e.no/e" },
  })

describe("BundleDump.toDirectory", () => {
  it("writes each bundle as sent, named by time and reference, never overwriting, never naming the title", async () => {
    const out = join(dir, "nested", "sent")
    const clock = () => new Date("2026-11-28T10:11:12.345Z")
    const processors = [BundleDump.toDirectory(out, { clock })]
    const a = await Effect.runPromise(DocumentBundle.make(job("order 42/b"), keystore, { processors }))
    const b = await Effect.runPromise(DocumentBundle.make(job("order 42/b"), keystore, { processors }))
    await Effect.runPromise(DocumentBundle.make(job(), keystore, { processors }))
    const names = (await readdir(out)).sort()
    expect(names).toEqual([
      "2026-11-28T10-11-12-345Z-asice.zip",
      "2026-11-28T10-11-12-345Z-order_42_b-1-asice.zip",
      "2026-11-28T10-11-12-345Z-order_42_b-asice.zip",
    ])
    expect(new Uint8Array(await readFile(join(out, names[2]!)))).toEqual(a.bytes)
    expect(new Uint8Array(await readFile(join(out, names[1]!)))).toEqual(b.bytes)
    expect((await stat(join(out, names[0]!))).mode & 0o777).toBe(0o600)
    expect(names.join(" ")).not.toContain("Kari")
  })

  it("a directory that cannot be written fails the bundle with a Processor error", async () => {
    const blocker = join(dir, "a-file")
    await import("node:fs/promises").then((fs) => fs.writeFile(blocker, "x"))
    const exit = await Effect.runPromiseExit(
      DocumentBundle.make(job(), keystore, { processors: [BundleDump.toDirectory(join(blocker, "sub"))] }),
    )
    expect(exit._tag).toBe("Failure")
    expect(JSON.stringify(exit)).toContain("Processor")
  })
})
