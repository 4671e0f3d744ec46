import { ValidationError } from "@signering/protocol"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ClientClosed, TooEagerPolling } from "../src/ClientError.js"
import * as Environment from "../src/Environment.js"
import * as JobRecord from "../src/JobRecord.js"
import { createDirectClient, type LogEntry } from "../src/promise.js"
import { type Harness, jobInput, ORG_A, PIN, start } from "./support/harness.js"

let h: Harness

beforeAll(async () => {
  h = await start({ emptyQueuePollDelayMs: 20_000 })
})
afterAll(() => h.close())

describe("createDirectClient", () => {
  it("runs operations as promises; errors are the same tagged classes", async () => {
    const client = createDirectClient({
      environment: h.environment,
      sender: { organizationNumber: ORG_A, pollingQueue: "promise" },
      transport: h.transport.layer,
    })
    try {
      const first = await client.getStatusChange()
      expect(first._tag).toBe("NoChanges")
      expect(first.nextPermittedPollTime).toBeInstanceOf(Date)
      const error = await client.getStatusChange().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TooEagerPolling)
      expect(error).toBeInstanceOf(Error)
      expect((error as TooEagerPolling)._tag).toBe("TooEagerPolling")
      expect((error as TooEagerPolling).nextPermittedPollTime.getTime()).toBeGreaterThan(Date.now())
      // A status without a confirmation URL: confirm is a no-op that sends nothing.
      const calls = h.transport.calls()
      await client.confirm({})
      expect(h.transport.calls()).toBe(calls)
    } finally {
      await client.close()
    }
  })

  it("rejects with a ValidationError naming the field when the options are invalid", async () => {
    const client = createDirectClient({
      environment: Environment.custom({ apiRoot: "not a url" }),
      sender: { organizationNumber: "12345" },
      transport: h.transport.layer,
    })
    const error = await client.getStatusChange().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    const paths = (error as ValidationError).issues.map((i) => i.path)
    expect(paths).toEqual(["environment.apiRoot", "sender.organizationNumber"])
    await client.close()
  })

  it("offers exactly the service's operations, plus close", async () => {
    const client = createDirectClient({ environment: h.environment, transport: h.transport.layer, logLevel: "None" })
    const service = await h.client()
    const operations = Object.keys(service).filter((k) => typeof service[k as keyof typeof service] === "function")
    expect(Object.keys(client).sort()).toEqual([...operations, "close"].sort())
    await client.close()
  })

  it("rejects calls after close() with ClientClosed", async () => {
    const client = createDirectClient({ environment: h.environment, transport: h.transport.layer })
    await client.close()
    const error = await client.getStatusChange(ORG_A).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ClientClosed)
    expect((error as ClientClosed).operation).toBe("getStatusChange")
  })

  it("logs through the logger option at logLevel and above, nothing on stdout", async () => {
    const entries: Array<LogEntry> = []
    const written: Array<string> = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<never>) => {
      written.push(String(chunk))
      return write(chunk, ...rest)
    }) as typeof process.stdout.write
    const client = createDirectClient({
      environment: h.environment,
      sender: { organizationNumber: ORG_A },
      transport: h.transport.layer,
      logLevel: "Warn",
      logger: (entry) => entries.push(entry),
    })
    try {
      // An unparsable status answer is breakage: a warning.
      h.sim.faults.inject({ route: "poll", kind: "status", status: 500 })
      await client.getStatusChange({ organizationNumber: ORG_A, pollingQueue: "logging" }).catch(() => undefined)
    } finally {
      process.stdout.write = write
      await client.close()
    }
    expect(entries.some((e) => e.level === "Warn" && e.message.includes("getStatusChange failed"))).toBe(true)
    expect(entries.every((e) => e.level !== "Debug")).toBe(true)
    expect(written.join("")).not.toContain("getStatusChange failed")
  })
})

describe("JobRecord", () => {
  it("a created job survives JSON and parses back; bad records list every problem", async () => {
    const client = createDirectClient({
      environment: h.environment,
      keystore: h.keystore,
      sender: { organizationNumber: ORG_A, pollingQueue: "records" },
      validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
      transport: h.transport.layer,
      logLevel: "None",
    })
    try {
      const created = await client.create(jobInput())
      const text = JobRecord.stringify(JobRecord.fromCreated(created, "direct"))
      expect(text).not.toContain(PIN)
      const parsed = JobRecord.parse(text)
      if (parsed._tag !== "Success") throw parsed.failure
      expect(JobRecord.signatureJobId(parsed.success)).toBe(created.signatureJobId)
      expect(parsed.success.sender).toEqual({ organizationNumber: ORG_A, pollingQueue: "records" })
      expect(parsed.success.signerUrls).toEqual(created.signers.map((s) => s.href))
    } finally {
      await client.close()
    }
    const bad = JobRecord.parse({ version: 2, flow: "x", signatureJobId: 5, statusUrl: "javascript:1", sender: {} })
    expect(bad._tag).toBe("Failure")
    if (bad._tag === "Failure") {
      expect(bad.failure.issues.map((i) => i.path)).toEqual([
        "version",
        "flow",
        "signatureJobId",
        "statusUrl",
        "sender.organizationNumber",
      ])
    }
  })
})
