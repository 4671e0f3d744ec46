/**
 * Portal jobs in the load and fault phases: each has two signers in order (order 0, then 1), created through
 * `PortalClient` on a polling queue of its own, signed or rejected through the simulator's `sim.sign`/`sim.reject`
 * (the signer's side of the portal), or cancelled by the sender through `cancel`. Two workers on the library's polling
 * worker (`Polling.runSource`, the same worker as the direct flow's) hand every change to a handler that records it
 * and then confirm it. The test chooses each job's outcome up front and checks it at the simulator and in the
 * sender's record.
 */
import { type ClientError, Polling, PortalClient } from "@signering/client"
import { Effect, Redacted } from "effect"
import { captureError } from "./secrets.js"
import {
  createWithUnknownOutcome,
  isTransient,
  type Ledger,
  note,
  type PortalChange,
  patiently,
  prng,
  sleep,
} from "./sender.js"
import { ORG, pdf, pins, type World } from "./world.js"

/** The portal queue: its own, so that direct and portal changes never meet in one worker. */
export const PORTAL_QUEUE = "reliability-portal"

/**
 * `sign`: both sign. `reject-first`/`reject-second`: the first signs or not, then one rejects. `cancel-first`: the
 * sender cancels before anyone signed; `cancel-second`: after the first signed.
 */
export type PortalAction = "sign" | "reject-first" | "reject-second" | "cancel-first" | "cancel-second"

export interface PortalPlan {
  readonly phase: string
  readonly index: number
  readonly action: PortalAction
  readonly pins: readonly [string, string]
  /** The second signer is identified by an e-mail address (contact information) instead of a PIN. */
  readonly contact: boolean
  /** After the job is final, the sender tries to cancel it and must get `JobCannotBeCancelled`. */
  readonly cancelAfterFinal: boolean
}

export interface PortalOutcome {
  readonly plan: PortalPlan
  readonly jobId: bigint
}

const actions: ReadonlyArray<PortalAction> = [
  "sign",
  "sign",
  "reject-first",
  "reject-second",
  "cancel-first",
  "cancel-second",
]

/** What the job and its two signatures must end as. */
export const expectedPortal = (
  action: PortalAction,
): { readonly job: string; readonly signers: readonly [string, string] } =>
  ({
    sign: { job: "COMPLETED_SUCCESSFULLY", signers: ["SIGNED", "SIGNED"] as const },
    "reject-first": { job: "FAILED", signers: ["REJECTED", "NOT_APPLICABLE"] as const },
    "reject-second": { job: "FAILED", signers: ["SIGNED", "REJECTED"] as const },
    "cancel-first": { job: "FAILED", signers: ["CANCELLED", "CANCELLED"] as const },
    "cancel-second": { job: "FAILED", signers: ["SIGNED", "CANCELLED"] as const },
  })[action]

export const portalPlans = (phase: string, count: number, seed: number): Array<PortalPlan> => {
  const random = prng(seed)
  // Seeds far from the direct jobs' so that no PIN is shared across flows.
  const people = pins(2 * count, 100_000 + seed * 10_000)
  return Array.from({ length: count }, (_, index) => {
    const action = actions[Math.floor(random() * actions.length)]!
    return {
      phase,
      index,
      action,
      pins: [people[2 * index]!, people[2 * index + 1]!] as const,
      contact: index % 3 === 1,
      cancelAfterFinal: !action.startsWith("cancel") && index % 2 === 0,
    }
  })
}

const contactOf = (plan: PortalPlan) => `signer-${plan.phase}-${plan.index}@example.com`
/** How `sim.sign` names a signer: the PIN, or a contact signer's e-mail address exactly as given. */
const signerName = (plan: PortalPlan, order: 0 | 1) =>
  order === 1 && plan.contact ? contactOf(plan) : plan.pins[order]

const withPortal = <A>(world: World, f: (client: PortalClient.Service) => Effect.Effect<A, ClientError.ClientError>) =>
  world.run(
    Effect.gen(function* () {
      return yield* f(yield* PortalClient.PortalClient)
    }),
  )

/**
 * Cancels as a sender would: a lost answer is tried again, and then a `JobCannotBeCancelled` means the first attempt
 * went through (the final check reads the job at the simulator).
 */
const cancelJob = async (world: World, ledger: Ledger, target: { readonly cancellationUrl: string }) => {
  for (let attempt = 1; ; attempt++) {
    try {
      await withPortal(world, (client) => client.cancel(target))
      ledger.cancels++
      return
    } catch (error) {
      captureError("sender: cancel", error)
      note(ledger, "cancel", error)
      const tag = (error as { _tag?: string })._tag
      if (tag === "JobCannotBeCancelled" && attempt > 1) {
        ledger.cancels++
        return
      }
      if (!isTransient(error) || attempt >= 20) throw error
      ledger.appRetries++
      await sleep(Math.min(2_000, 250 * attempt))
    }
  }
}

/** Creates the job, lets its signers act in order (or the sender cancel), as planned. */
export const runPortalJob = async (world: World, ledger: Ledger, plan: PortalPlan): Promise<PortalOutcome> => {
  const created = await createWithUnknownOutcome(ledger, (attempt) =>
    withPortal(world, (client) =>
      client.create({
        title: `Portal contract ${plan.phase} ${plan.index}`,
        description: "Reliability suite, two signers in order",
        reference: `p-${plan.phase}-${plan.index}-${attempt}`,
        documents: [{ title: "Contract", bytes: pdf() }],
        signers: [
          {
            personalIdentificationNumber: Redacted.make(plan.pins[0]),
            notifications: { email: `first-${plan.phase}-${plan.index}@example.com` },
            order: 0,
          },
          plan.contact
            ? { contactInformation: { email: contactOf(plan) }, order: 1 }
            : {
                personalIdentificationNumber: Redacted.make(plan.pins[1]),
                notifications: { email: `second-${plan.phase}-${plan.index}@example.com` },
                order: 1,
              },
        ],
        sender: { organizationNumber: ORG, pollingQueue: PORTAL_QUEUE },
      }),
    ),
  )
  const jobId = created.signatureJobId
  // In order: the second signer cannot act before the first has signed.
  const early = await world.sim.sign(jobId, signerName(plan, 1)).then(
    () => "signed",
    (error: { reason?: string }) => error.reason ?? "?",
  )
  if (early !== "SignerNotActive") throw new Error(`job ${plan.index}: the second signer acted first (${early})`)
  switch (plan.action) {
    case "sign":
      await world.sim.sign(jobId, signerName(plan, 0))
      await world.sim.sign(jobId, signerName(plan, 1))
      break
    case "reject-first":
      await world.sim.reject(jobId, signerName(plan, 0))
      break
    case "reject-second":
      await world.sim.sign(jobId, signerName(plan, 0))
      await world.sim.reject(jobId, signerName(plan, 1))
      break
    case "cancel-first":
      await cancelJob(world, ledger, created)
      break
    case "cancel-second":
      await world.sim.sign(jobId, signerName(plan, 0))
      await cancelJob(world, ledger, created)
      break
  }
  if (plan.cancelAfterFinal) {
    const refused = await patiently(ledger, "cancel after final", () =>
      withPortal(world, (client) => client.cancel(created)).then(
        () => false,
        (error: { _tag?: string }) => {
          if (error._tag === "JobCannotBeCancelled") return true
          throw error
        },
      ),
    )
    if (!refused) throw new Error(`job ${plan.index}: a final job was cancelled`)
    ledger.cancelsRefusedAsFinal++
  }
  return { plan, jobId }
}

/** The portal client as the polling worker's source (the worker reads `signers`; the portal calls them signatures). */
const portalSource = (client: PortalClient.Service): Polling.Source<PortalChange> => ({
  flow: "portal",
  apiRoot: client.config.environment.apiRoot,
  defaultSender: { organizationNumber: ORG, pollingQueue: PORTAL_QUEUE },
  getStatusChange: (sender) =>
    client
      .getStatusChange(sender)
      .pipe(
        Effect.map((answer) =>
          answer._tag === "StatusChange"
            ? { ...answer, status: { ...answer.status, signers: answer.status.signatures } }
            : answer,
        ),
      ),
  download: () => Effect.succeed({ pades: undefined, xades: [] }),
  confirm: (status) => client.confirm(status),
  clockOffset: () => client.clockOffset(),
})

/** Two workers on the portal queue; the handler records each change in the sender's record. */
export const startPortalWorkers = (world: World, ledger: Ledger) =>
  [1, 2].map(() =>
    world.runtime.runFork(
      Effect.gen(function* () {
        const client = yield* PortalClient.PortalClient
        return yield* Polling.runSource(portalSource(client), {
          queue: PORTAL_QUEUE,
          backoff: { base: "2 seconds", cap: "5 seconds" },
          maxJitter: "100 millis",
          handler: (change) =>
            Effect.sync(() => {
              const seen = ledger.portalHandled.get(change.jobId) ?? []
              seen.push(change.status)
              ledger.portalHandled.set(change.jobId, seen)
            }),
          onError: (error) =>
            Effect.sync(() => {
              captureError("portal polling worker", error)
              note(ledger, `portal polling ${error.reason}`, error.cause)
              const key = `portal ${error.reason}`
              ledger.pollingErrors.set(key, (ledger.pollingErrors.get(key) ?? 0) + 1)
            }),
        })
      }),
    ),
  )

/** The sender's record holds the job's final status. */
export const portalSettled = (ledger: Ledger, o: PortalOutcome): boolean =>
  ledger.portalHandled.get(o.jobId)?.at(-1)?.status === expectedPortal(o.plan.action).job

/** Every portal job ends as chosen at the simulator and in the sender's record, its signers having acted in order. */
export const portalProblems = (world: World, ledger: Ledger, outcomes: ReadonlyArray<PortalOutcome>): Array<string> => {
  const wrong: Array<string> = []
  for (const o of outcomes) {
    const want = expectedPortal(o.plan.action)
    const job = world.sim.job(o.jobId)
    const atSim = `${job?.status}/${job?.signers.map((s) => s.status).join(",")}`
    if (atSim !== `${want.job}/${want.signers.join(",")}`)
      wrong.push(`portal ${o.plan.index} at the simulator: ${atSim}, chose ${o.plan.action}`)
    const seen = ledger.portalHandled.get(o.jobId) ?? []
    const last = seen.at(-1)
    if (last === undefined) {
      wrong.push(`portal ${o.plan.index}: the sender never saw a change (lost)`)
      continue
    }
    const inRecord = `${last.status}/${last.signatures.map((s) => s.status).join(",")}`
    if (inRecord !== `${want.job}/${want.signers.join(",")}`)
      wrong.push(`portal ${o.plan.index}: the sender's record says ${inRecord}, chose ${o.plan.action}`)
    // Never a change in which the second signer acted while the first still waited.
    if (seen.some((c) => c.signatures[0]?.status === "WAITING" && c.signatures[1]?.status === "SIGNED"))
      wrong.push(`portal ${o.plan.index}: the second signer signed before the first`)
    // The record never went back: after the final change, at most that change again (handed out again by the service).
    const final = seen.findIndex((c) => c.status !== "IN_PROGRESS")
    if (final === -1 || seen.slice(final).some((c) => c.status !== seen[final]!.status))
      wrong.push(`portal ${o.plan.index}: changes after the final one: ${seen.map((c) => c.status).join(",")}`)
  }
  return wrong
}
