/**
 * What the app does with each status change the polling worker hands over (the worker's own discipline is the
 * client library's and is tested there; end to end against the simulator in App.integration.test.ts). A scripted
 * port stands in for the worker: it confirms when the handler resolves, exactly as the worker promises.
 */
import { describe, expect, it } from "vitest"
import * as Poller from "../src/Poller.js"
import { SigningError, type SigningPort, type Status, type WatchOptions } from "../src/Signing.js"
import { Store } from "../src/Store.js"

const pin = "12838510068"

const status = (signatureJobId: string, over: Partial<Status> = {}): Status => ({
  signatureJobId,
  status: "COMPLETED_SUCCESSFULLY",
  signers: [{ signer: pin, status: "SIGNED", since: new Date("2026-11-28T10:00:00Z") }],
  padesUrl: "https://sim/pades",
  ...over,
})

/** Delivers `changes` one by one to the handler; records what a worker would confirm. */
const scripted = (changes: ReadonlyArray<Status>, options: { readonly padesFails?: boolean } = {}) => {
  const log: Array<string> = []
  let done: Promise<void> = Promise.resolve()
  const port: SigningPort = {
    create: () => Promise.reject(new Error("unused")),
    newRedirectUrl: () => Promise.reject(new Error("unused")),
    handleReturn: () => Promise.reject(new Error("unused")),
    pades: async () => {
      if (options.padesFails) throw new SigningError("Unavailable", "Download the signed PDF: connection reset")
      log.push("pades")
      return new Uint8Array([37, 80, 68, 70])
    },
    watch: (watch: WatchOptions) => {
      done = (async () => {
        for (const change of changes) {
          try {
            await watch.handler(change)
            log.push(`confirm ${change.signatureJobId}`)
          } catch (error) {
            watch.onError?.(`Handler failed for job ${change.signatureJobId}: ${(error as Error).message}`)
            log.push(`not confirmed ${change.signatureJobId}`)
          }
        }
      })()
      return { stop: () => done }
    },
    close: async () => {},
  }
  return { port, log, done: () => done }
}

const withJob = (store: Store, signatureJobId: string) => {
  const id = store.createJob({
    flow: "POLLING",
    title: "T",
    contract: new Uint8Array(),
    signers: [{ name: "Kari", pin }],
  })
  store.markCreated(id, { signatureJobId, signers: [] })
  return id
}

describe("Poller", () => {
  it("stores each change, and a completed job's PDF, before the worker confirms it", async () => {
    const store = Store.open(":memory:")
    const id = withJob(store, "1")
    const { port, log, done } = scripted([
      status("1", {
        status: "IN_PROGRESS",
        padesUrl: undefined,
        signers: [{ signer: pin, status: "WAITING", since: new Date() }],
      }),
      status("1"),
    ])
    const poller = Poller.start({ store, signing: port, now: () => new Date("2026-11-28T10:00:05Z") })
    await done()
    await poller.stop()
    expect(log).toEqual(["confirm 1", "pades", "confirm 1"])
    expect(store.job(id)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY", hasSignedDocument: true })
    expect(store.job(id)?.signers[0]?.status).toBe("SIGNED")
    expect(Poller.state(store).lastChange).toBe("2026-11-28T10:00:05.000Z job 1: COMPLETED_SUCCESSFULLY")
    store.close()
  })

  it("leaves a change unconfirmed when its PDF cannot be downloaded, and says so", async () => {
    const store = Store.open(":memory:")
    const id = withJob(store, "9")
    const errors: Array<string> = []
    const { port, log, done } = scripted([status("9")], { padesFails: true })
    const poller = Poller.start({ store, signing: port, onError: (m) => errors.push(m) })
    await done()
    await poller.stop()
    expect(log).toEqual(["not confirmed 9"])
    expect(store.job(id)).toMatchObject({ status: "IN_PROGRESS", hasSignedDocument: false })
    expect(errors).toEqual(["Handler failed for job 9: Download the signed PDF: connection reset"])
    expect(Poller.state(store).lastError).toContain("connection reset")
    store.close()
  })

  it("confirms a change for a job it does not know, storing nothing", async () => {
    const store = Store.open(":memory:")
    const { port, log, done } = scripted([status("404")])
    const poller = Poller.start({ store, signing: port })
    await done()
    await poller.stop()
    expect(log).toEqual(["confirm 404"])
    expect(store.jobs()).toHaveLength(0)
    expect(Poller.state(store).lastChange).toMatch(/job 404: COMPLETED_SUCCESSFULLY \(not ours\)$/)
    store.close()
  })

  it("finds a job whose create answer was never stored by its reference, and stores its status", async () => {
    const store = Store.open(":memory:")
    const id = store.createJob({
      flow: "POLLING",
      title: "T",
      contract: new Uint8Array(),
      signers: [{ name: "Kari", pin }],
    })
    const { port, log, done } = scripted([
      status("555", { reference: `sample-${id}` }),
      status("556", { reference: "other-1" }),
    ])
    const poller = Poller.start({ store, signing: port })
    await done()
    await poller.stop()
    expect(log).toEqual(["pades", "confirm 555", "confirm 556"])
    expect(store.job(id)).toMatchObject({
      signatureJobId: "555",
      status: "COMPLETED_SUCCESSFULLY",
      hasSignedDocument: true,
    })
    expect(store.jobs()).toHaveLength(1)
    store.close()
  })

  it("a stale change after the final one is confirmed without being stored or downloading anything", async () => {
    const store = Store.open(":memory:")
    const id = withJob(store, "3")
    const { port, log, done } = scripted([
      status("3"),
      status("3", {
        status: "IN_PROGRESS",
        padesUrl: undefined,
        signers: [{ signer: pin, status: "WAITING", since: new Date("2026-11-28T09:00:00Z") }],
      }),
    ])
    const poller = Poller.start({ store, signing: port })
    await done()
    await poller.stop()
    expect(log).toEqual(["pades", "confirm 3", "confirm 3"])
    expect(store.job(id)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY" })
    expect(store.job(id)?.signers[0]?.status).toBe("SIGNED")
    expect(store.events(id).at(-1)?.text).toContain("ignored, older than the stored COMPLETED_SUCCESSFULLY")
    store.close()
  })

  it("keeps the portal queue's jobs apart: the same service id in the direct API is another job", async () => {
    const store = Store.open(":memory:")
    const direct = withJob(store, "700")
    const portal = store.createJob({
      flow: "PORTAL",
      title: "P",
      contract: new Uint8Array(),
      signers: [{ name: "Kari", pin }],
    })
    const { port, log, done } = scripted([status("700", { reference: `sample-${portal}` })])
    const poller = Poller.start({ store, signing: port, api: "portal" })
    await done()
    await poller.stop()
    expect(log).toEqual(["pades", "confirm 700"])
    expect(store.job(portal)).toMatchObject({ signatureJobId: "700", status: "COMPLETED_SUCCESSFULLY" })
    expect(store.job(direct)).toMatchObject({ signatureJobId: "700", status: "IN_PROGRESS", hasSignedDocument: false })
    expect(Poller.state(store, "portal").lastChange).toMatch(/job 700: COMPLETED_SUCCESSFULLY$/)
    expect(Poller.state(store).lastChange).toBeUndefined()
    store.close()
  })
})
