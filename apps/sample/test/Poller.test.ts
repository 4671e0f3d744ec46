/**
 * The poller's discipline with a scripted signing port (the end-to-end behaviour against the real simulator is in
 * App.integration.test.ts): it never polls before the permitted time, stores a change before confirming it, and
 * does not confirm what it could not store.
 */
import { describe, expect, it } from "vitest"
import * as Poller from "../src/Poller.js"
import { SigningError, type SigningPort, type Status, type StatusChange } from "../src/Signing.js"
import { Store } from "../src/Store.js"

const status = (signatureJobId: string, over: Partial<Status> = {}): Status => ({
  signatureJobId,
  status: "COMPLETED_SUCCESSFULLY",
  signers: [{ signer: "12838510068", status: "SIGNED", since: new Date() }],
  padesUrl: "https://sim/pades",
  hasConfirmationUrl: true,
  handle: undefined,
  ...over,
})

const scripted = (answers: Array<() => StatusChange>, log: Array<string>, options: { padesFails?: boolean } = {}) => {
  const polls: Array<number> = []
  const port: SigningPort = {
    create: () => Promise.reject(new Error("unused")),
    newRedirectUrl: () => Promise.reject(new Error("unused")),
    status: () => Promise.reject(new Error("unused")),
    statusChange: async () => {
      polls.push(Date.now())
      const next = answers.shift()
      if (next === undefined) return { status: undefined, nextPermittedPollTime: new Date(Date.now() + 60_000) }
      const answer = next()
      log.push(`poll -> ${answer.status?.signatureJobId ?? "none"}`)
      return answer
    },
    pades: async () => {
      if (options.padesFails) throw new SigningError("Unavailable", "download failed")
      log.push("pades")
      return new Uint8Array([37, 80, 68, 70])
    },
    confirm: async (s) => {
      log.push(`confirm ${s.signatureJobId}`)
    },
    close: async () => {},
  }
  return { port, polls }
}

const withJob = (store: Store, signatureJobId: string) => {
  const id = store.createJob({
    flow: "POLLING",
    title: "T",
    contract: new Uint8Array(),
    signers: [{ name: "Kari", pin: "12838510068" }],
  })
  store.markCreated(id, { signatureJobId, signers: [] })
  return id
}

const until = async (what: string, ok: () => boolean) => {
  const end = Date.now() + 5_000
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe("Poller", () => {
  it("stores the change and its PDF before confirming, then polls again at once", async () => {
    const store = Store.open(":memory:")
    const id = withJob(store, "1")
    const log: Array<string> = []
    const now = () => new Date()
    const { port } = scripted(
      [
        () => ({ status: status("1", { status: "IN_PROGRESS", padesUrl: undefined }), nextPermittedPollTime: now() }),
        () => ({ status: status("1"), nextPermittedPollTime: now() }),
      ],
      log,
    )
    const poller = Poller.start({ store, signing: port })
    await until("two confirmations", () => log.filter((l) => l.startsWith("confirm")).length === 2)
    await poller.stop()
    expect(log).toEqual(["poll -> 1", "confirm 1", "poll -> 1", "pades", "confirm 1"])
    expect(store.job(id)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY", hasSignedDocument: true })
    store.close()
  })

  it("waits for the permitted poll time after an empty queue, and after a 429, even across a restart", async () => {
    const store = Store.open(":memory:")
    const log: Array<string> = []
    const { port, polls } = scripted(
      [
        () => ({ status: undefined, nextPermittedPollTime: new Date(Date.now() + 150) }),
        () => {
          throw new SigningError("TooEagerPolling", "too early", new Date(Date.now() + 150))
        },
      ],
      log,
    )
    const first = Poller.start({ store, signing: port })
    await until("two polls", () => polls.length >= 2)
    await first.stop()
    expect(polls[1]! - polls[0]!).toBeGreaterThanOrEqual(140)
    // A new poller on the same database honours the time the 429 gave.
    const permitted = Poller.state(store).nextPermittedPollTime!.getTime()
    const second = Poller.start({ store, signing: port })
    await until("third poll", () => polls.length >= 3)
    await second.stop()
    expect(polls[2]!).toBeGreaterThanOrEqual(permitted - 5)
    store.close()
  })

  it("does not confirm a change whose PDF could not be downloaded (the service re-delivers it)", async () => {
    const store = Store.open(":memory:")
    const id = withJob(store, "9")
    const log: Array<string> = []
    const errors: Array<unknown> = []
    const { port } = scripted([() => ({ status: status("9"), nextPermittedPollTime: new Date() })], log, {
      padesFails: true,
    })
    const poller = Poller.start({ store, signing: port, onError: (e) => errors.push(e) })
    await until("the failure", () => errors.length === 1)
    await poller.stop()
    expect(log).toEqual(["poll -> 9"])
    expect(store.job(id)?.status).toBe("IN_PROGRESS")
    store.close()
  })
})
