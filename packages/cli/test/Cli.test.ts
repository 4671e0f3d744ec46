/**
 * The `signering` command as an operator runs it: a separate process (the source bin under tsx) against the
 * simulator over mutual TLS.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { X509Certificate } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Pki, Simulator } from "@signering/simulator"
import { afterAll, beforeAll, onTestFinished } from "vitest"
import { bundleBin } from "./support/bundle.js"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const shippedAnchors = fileURLToPath(new URL("../../client/trust-anchors", import.meta.url))

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

let bundled: string

/** The bundled bin; `fromSource` runs src/bin.ts under tsx (for the command that loads the simulator). */
const start = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  fromSource = false,
): ChildProcessWithoutNullStreams =>
  spawn(
    process.execPath,
    fromSource ? ["--conditions=@signering/source", "--import", "tsx", bin, ...args] : [bundled, ...args],
    // Only what the command needs: no SIGNERING_* from the machine running the tests.
    { env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env } },
  )

const signering = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = start(args, env)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Waits until the child's stdout matches, then returns what it printed so far. */
const until = (child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> =>
  new Promise((resolve, reject) => {
    let out = ""
    let err = ""
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (pattern.test(out)) resolve(out)
    })
    child.once("close", (code) => reject(new Error(`exited with ${code} before ${pattern}: ${out}\n${err}`)))
  })

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once("close", resolve)
  })

// A synthetic national identity number with valid check digits.
const PIN = "01017000027"

let sim: Simulator.Instance
let dir: string
let files: Record<string, string>
let env: Record<string, string>
const seid2 = Pki.defaultOrganizations[0]!.organizationNumber
const seid1 = Pki.defaultOrganizations[1]!.organizationNumber

beforeAll(async () => {
  bundled = await bundleBin()
  dir = mkdtempSync(join(tmpdir(), "signering-cli-"))
  // The SEID 2 organization may act for the SEID 1 one (a broker).
  sim = await Simulator.start({ emptyQueuePollDelayMs: 1_500, brokers: { [seid2]: [seid1] } })
  files = await sim.pki.writeTo(dir)
  env = {
    SIGNERING_ENVIRONMENT: "custom",
    SIGNERING_API_ROOT: sim.url,
    SIGNERING_SENDER_ORGANIZATION_NUMBER: seid2,
    SIGNERING_KEYSTORE: files[`sender.${seid2}.pkcs12`]!,
    SIGNERING_KEYSTORE_PASSPHRASE: sim.pki.sender(seid2).pkcs12Passphrase,
    SIGNERING_TRUST_ANCHORS: files["caCertificate"]!,
  }
  writeFileSync(join(dir, "contract.pdf"), Simulator.minimalPdf("Contract"))
})

afterAll(async () => {
  await sim?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe("signering --help and usage errors", () => {
  it("every command has --help; an unknown command or option exits 2", async () => {
    const top = await signering(["--help"])
    expect(top.code).toBe(0)
    for (const command of ["cert", "whoami", "create", "status", "poll", "download", "confirm", "simulator"]) {
      expect(top.stdout).toContain(command)
    }
    expect(top.stdout).toMatch(/Exit codes:[\s\S]*3 +configuration, certificate or input problem/)
    const create = await signering(["create", "--help"])
    expect(create.code).toBe(0)
    expect(create.stdout).toContain("--signer <pin...>")
    expect(create.stdout).toContain("SIGNERING_KEYSTORE_PASSPHRASE")
    const unknown = await signering(["frobnicate"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command")
    const missing = await signering(["cert"])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("missing required argument")
  })
})

describe("signering cert", () => {
  const keys = ["organizationNumber", "subject", "issuer", "notBefore", "notAfter", "expired", "environment"]

  it("reads a PKCS#12 (AES, SEID 2) with the passphrase from the environment; --json has exactly the contract's keys", async () => {
    const result = await signering(["cert", files[`sender.${seid2}.pkcs12`]!, "--json"], {
      SIGNERING_KEYSTORE_PASSPHRASE: sim.pki.sender(seid2).pkcs12Passphrase,
    })
    expect(result.code).toBe(0)
    const info = JSON.parse(result.stdout)
    expect(Object.keys(info)).toEqual(keys)
    const certificate = new X509Certificate(sim.pki.sender(seid2).certificatePem)
    expect(info).toMatchObject({
      organizationNumber: seid2,
      expired: false,
      environment: "unknown",
      notBefore: new Date(certificate.validFrom).toISOString(),
      notAfter: new Date(certificate.validTo).toISOString(),
    })
    expect(info.subject).toContain(`organizationIdentifier=NTRNO-${seid2}`)
    expect(info.issuer).toContain("Signering Simulator Test CA")
  })

  it("reads a legacy RC2-40 PKCS#12 with a SEID 1 subject, and says so in the human form", async () => {
    const sender = sim.pki.sender(seid1)
    expect(sender.pkcs12Encryption).toBe("rc2-40")
    const result = await signering(["cert", files[`sender.${seid1}.pkcs12`]!], {
      SIGNERING_KEYSTORE_PASSPHRASE: sender.pkcs12Passphrase,
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`Organization number: ${seid1} (SEID 1: serialNumber=${seid1})`)
    expect(result.stdout).toMatch(/Environment: +unknown/)
    expect(result.stdout).not.toContain(sender.pkcs12Passphrase)
  })

  it("reads PEM and DER certificates without a passphrase", async () => {
    const pem = await signering(["cert", files[`sender.${seid2}.certificate`]!, "--json"])
    expect(pem.code).toBe(0)
    expect(JSON.parse(pem.stdout).organizationNumber).toBe(seid2)
    const der = join(dir, "sender.cer")
    writeFileSync(der, new X509Certificate(sim.pki.sender(seid1).certificatePem).raw)
    const fromDer = await signering(["cert", der, "--json"])
    expect(fromDer.code).toBe(0)
    expect(JSON.parse(fromDer.stdout).organizationNumber).toBe(seid1)
  })

  it("names the environment of a certificate the built-in CAs issued", async () => {
    const test = await signering(["cert", join(shippedAnchors, "test", "BPCl3CaG2STBS.pem"), "--json"])
    expect(JSON.parse(test.stdout)).toMatchObject({ environment: "test", organizationNumber: "983163327" })
    const production = await signering(["cert", join(shippedAnchors, "production", "BPClass3CA3.pem"), "--json"])
    expect(JSON.parse(production.stdout).environment).toBe("production")
    const expired = await signering(["cert", join(shippedAnchors, "production", "commfides_ca.pem"), "--json"])
    expect(JSON.parse(expired.stdout)).toMatchObject({ expired: true, environment: "production" })
  })

  it("a wrong passphrase exits 3 with a message that names its source, never the passphrase", async () => {
    const passphrase = "not-the-Right-passphrase-4711"
    const result = await signering(["cert", files[`sender.${seid1}.pkcs12`]!, "--json"], {
      SIGNERING_KEYSTORE_PASSPHRASE: passphrase,
    })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("the passphrase from SIGNERING_KEYSTORE_PASSPHRASE does not open")
    expect(JSON.parse(result.stdout).error).toMatchObject({ tag: "KeystoreError", reason: "WrongPassphrase" })
    expect(result.stdout + result.stderr).not.toContain(passphrase)
    const none = await signering(["cert", files[`sender.${seid1}.pkcs12`]!])
    expect(none.code).toBe(3)
    expect(none.stderr).toContain("set SIGNERING_KEYSTORE_PASSPHRASE")
  })
})

describe("signering whoami", () => {
  it("asks the service over mutual TLS and prints its answer", async () => {
    const human = await signering(["whoami"], env)
    expect(human.code).toBe(0)
    expect(human.stdout.trim()).toBe(`You are ${seid2}`)
    const json = await signering(["whoami", "--json"], env)
    expect(JSON.parse(json.stdout)).toEqual({
      text: `You are ${seid2}`,
      organizationNumber: seid2,
      certificateOrganization: seid2,
      onBehalfOf: null,
    })
    expect(human.stdout + human.stderr + json.stdout + json.stderr).not.toContain(env["SIGNERING_KEYSTORE_PASSPHRASE"])
    const broker = await signering(["whoami", "--sender", seid1, "--json"], env)
    expect(JSON.parse(broker.stdout)).toMatchObject({
      organizationNumber: seid1,
      certificateOrganization: seid2,
      onBehalfOf: seid1,
    })
  })

  it("exit codes: 3 without a keystore or trust anchors, 4 when the service cannot be reached", async () => {
    const { SIGNERING_KEYSTORE: _keystore, ...withoutKeystore } = env
    const noKeystore = await signering(["whoami"], withoutKeystore)
    expect(noKeystore.code).toBe(3)
    expect(noKeystore.stderr).toContain("set SIGNERING_KEYSTORE")
    const { SIGNERING_TRUST_ANCHORS: _anchors, ...withoutAnchors } = env
    const noAnchors = await signering(["whoami"], withoutAnchors)
    expect(noAnchors.code).toBe(3)
    expect(noAnchors.stderr).toContain("no trust anchors")
    const closed = await signering(["whoami", "--api-root", "https://127.0.0.1:9/api"], env)
    expect(closed.code).toBe(4)
  })
})

describe("signering create → status → poll → download → confirm", () => {
  it("runs a job through its life over mutual TLS", { timeout: 90_000 }, async () => {
    const created = await signering(
      [
        "create",
        "--title",
        "Contract",
        "--pdf",
        join(dir, "contract.pdf"),
        "--signer",
        PIN,
        "--exit-url",
        "https://sender.example/exit",
        "--polling",
        "--json",
      ],
      env,
    )
    expect(created.stderr).toBe("")
    expect(created.code).toBe(0)
    const job = JSON.parse(created.stdout)
    expect(job.signatureJobId).toMatch(/^\d+$/)
    expect(job.statusRetrievalMethod).toBe("POLLING")
    expect(job.signers[0].redirectUrl).toMatch(/^http/)
    expect(created.stdout).not.toContain(PIN)

    const exitUrl = await sim.sign(job.signatureJobId, PIN)
    const status = await signering(["status", job.statusUrl, "--token", exitUrl, "--json"], env)
    expect(status.code).toBe(0)
    const answer = JSON.parse(status.stdout)
    expect(answer.status).toBe("COMPLETED_SUCCESSFULLY")
    expect(answer.signers[0]).toMatchObject({ signer: "<personal identification number>", status: "SIGNED" })
    expect(status.stdout).not.toContain(PIN)

    const polled = await signering(["poll", "--json"], env)
    expect(polled.code).toBe(0)
    const change = JSON.parse(polled.stdout)
    expect(change).toMatchObject({ _tag: "StatusChange", signatureJobId: job.signatureJobId })
    expect(change.padesUrl).toMatch(/^https:/)

    const out = join(dir, "signed.pdf")
    const downloaded = await signering(["download", change.padesUrl, "--out", out], env)
    expect(downloaded.code).toBe(0)
    expect(downloaded.stdout).toMatch(/Wrote .* \(PADES\) to /)
    expect(readFileSync(out).subarray(0, 5).toString()).toBe("%PDF-")
    const again = await signering(["download", change.padesUrl, "--out", out], env)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("pass --force")

    const confirmed = await signering(["confirm", change.confirmationUrl, "--json"], env)
    expect(confirmed.code).toBe(0)
    expect(JSON.parse(confirmed.stdout).confirmed).toBe(true)

    const wrongToken = await signering(["status", job.statusUrl, "--token", "not-a-token"], env)
    expect(wrongToken.code).toBe(5)
    expect(wrongToken.stderr).not.toContain("not-a-token")
  })

  it("a job input the library refuses exits 3 before any request, without echoing the number", async () => {
    const before = sim.requestLog().length
    const bad = "01017012345"
    const result = await signering(
      ["create", "--title", "T", "--pdf", join(dir, "contract.pdf"), "--signer", bad, "--exit-url", "https://e.no/x"],
      env,
    )
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/personalIdentificationNumber/)
    expect(result.stderr).not.toContain(bad)
    expect(sim.requestLog().length).toBe(before)
  })

  it("poll --follow waits for the permitted poll time and prints each change as one JSON line; Ctrl+C ends it", async () => {
    const created = await signering(
      [
        "create",
        "--title",
        "Follow",
        "--pdf",
        join(dir, "contract.pdf"),
        "--signer-id",
        "kari",
        "--exit-url",
        "https://sender.example/exit",
        "--polling",
        "--json",
      ],
      env,
    )
    expect(created.code).toBe(0)
    const jobId = JSON.parse(created.stdout).signatureJobId
    const child = start(["poll", "--follow", "--confirm", "--json"], env)
    // Also when the test times out: a child left running would outlive the run.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL")
    })
    try {
      const line = until(child, /\n/)
      await new Promise((resolve) => setTimeout(resolve, 500))
      await sim.sign(jobId, "kari")
      const first = JSON.parse((await line).split("\n")[0]!)
      expect(first).toMatchObject({ _tag: "StatusChange", signatureJobId: jobId, status: "COMPLETED_SUCCESSFULLY" })
      expect(first.confirmed).toBe(true)
      child.kill("SIGINT")
      expect(await exited(child)).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  })
})

describe("signering simulator", () => {
  it("starts the simulator and prints SIGNERING_* lines that work as they are, without the passphrase", {
    timeout: 120_000,
  }, async () => {
    const simDir = join(dir, "sim")
    const child = start(["simulator", "--dir", simDir, "--org", "123456785"], {}, true)
    // Also when the test times out: a child left running would outlive the run.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL")
    })
    try {
      const out = await until(child, /Press Ctrl\+C/)
      const exported = Object.fromEntries(
        [...out.matchAll(/^export (SIGNERING_\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
      )
      expect(Object.keys(exported).sort()).toEqual(
        [
          "SIGNERING_API_ROOT",
          "SIGNERING_ENVIRONMENT",
          "SIGNERING_KEYSTORE",
          "SIGNERING_KEYSTORE_PASSPHRASE",
          "SIGNERING_SENDER_ORGANIZATION_NUMBER",
          "SIGNERING_SERVER_ORGANIZATION_NUMBER",
          "SIGNERING_TRUST_ANCHORS",
        ].sort(),
      )
      const passphraseFile = /^"\$\(cat (.+)\)"$/.exec(exported["SIGNERING_KEYSTORE_PASSPHRASE"]!)?.[1]
      expect(passphraseFile).toBe(join(simDir, "sender-123456785.p12.pass"))
      const passphrase = readFileSync(passphraseFile!, "utf8").trim()
      expect(out).not.toContain(passphrase)
      const whoami = await signering(["whoami"], {
        ...exported,
        SIGNERING_KEYSTORE_PASSPHRASE: passphrase,
      })
      expect(whoami.stdout.trim()).toBe("You are 123456785")
      child.kill("SIGTERM")
      expect(await exited(child)).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
    }
  })
})
