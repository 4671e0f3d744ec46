import { ValidationError } from "@signering/protocol"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TooEagerPolling } from "../src/ClientError.js"
import * as Environment from "../src/Environment.js"
import { createDirectClient } from "../src/promise.js"
import { type Harness, ORG_A, start } from "./support/harness.js"

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

  it("rejects calls after close()", async () => {
    const client = createDirectClient({ environment: h.environment, transport: h.transport.layer })
    await client.close()
    await expect(client.getStatusChange(ORG_A)).rejects.toBeDefined()
  })
})
