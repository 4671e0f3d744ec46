/** The monotonic-store order: final beats in progress and never regresses, then the newest `since`, then progress. */
import { describe, expect, it } from "vitest"
import * as JobStatusOrder from "../src/JobStatusOrder.js"

const at = (ms: number) => new Date(ms)
const inProgressOne = {
  status: "IN_PROGRESS",
  signers: [
    { status: "SIGNED", since: at(2000) },
    { status: "WAITING", since: at(1000) },
  ],
}
const completed = {
  status: "COMPLETED_SUCCESSFULLY",
  signers: [
    { status: "SIGNED", since: at(2000) },
    { status: "SIGNED", since: at(3000) },
  ],
}
const created = {
  status: "IN_PROGRESS",
  signers: [
    { status: "WAITING", since: at(1000) },
    { status: "WAITING", since: at(1000) },
  ],
}

describe("JobStatusOrder", () => {
  it("orders the changes of a two-signer job, whatever order they arrive in", () => {
    expect(JobStatusOrder.compare(inProgressOne, completed)).toBeLessThan(0)
    expect(JobStatusOrder.compare(completed, inProgressOne)).toBeGreaterThan(0)
    expect(JobStatusOrder.compare(created, inProgressOne)).toBeLessThan(0)
    expect(JobStatusOrder.compare(completed, completed)).toBe(0)
    expect([completed, created, inProgressOne].sort(JobStatusOrder.compare)).toEqual([
      created,
      inProgressOne,
      completed,
    ])
  })

  it("never lets a final status regress, even to a change with a later since", () => {
    const lateInProgress = { status: "IN_PROGRESS", signers: [{ status: "SIGNED", since: at(9000) }] }
    const failed = { status: "FAILED", signers: [{ status: "REJECTED", since: at(1000) }] }
    expect(JobStatusOrder.isNewer(lateInProgress, failed)).toBe(false)
    expect(JobStatusOrder.isNewer(failed, lateInProgress)).toBe(true)
  })

  it("breaks a tie of since by how many signers have left WAITING", () => {
    const one = {
      status: "IN_PROGRESS",
      signers: [
        { status: "SIGNED", since: at(5000) },
        { status: "WAITING", since: at(1000) },
      ],
    }
    const two = {
      status: "IN_PROGRESS",
      signers: [
        { status: "SIGNED", since: at(5000) },
        { status: "SIGNED", since: at(5000) },
      ],
    }
    expect(JobStatusOrder.compare(one, two)).toBeLessThan(0)
  })

  it("stores as three numbers and compares them the same way; a re-delivery is not newer; nothing stored takes anything", () => {
    expect(JobStatusOrder.key(inProgressOne)).toEqual({ rank: 0, newestSince: 2000, progressed: 1 })
    expect(JobStatusOrder.key(completed)).toEqual({ rank: 1, newestSince: 3000, progressed: 2 })
    expect(JobStatusOrder.isNewer(completed, JobStatusOrder.key(inProgressOne))).toBe(true)
    expect(JobStatusOrder.isNewer(JobStatusOrder.key(completed), completed)).toBe(false)
    expect(JobStatusOrder.isNewer(created, undefined)).toBe(true)
    expect(JobStatusOrder.key({ status: "IN_PROGRESS", signers: [] })).toEqual({
      rank: 0,
      newestSince: 0,
      progressed: 0,
    })
    expect(JobStatusOrder.isFinal("FAILED")).toBe(true)
    expect(JobStatusOrder.isFinal("IN_PROGRESS")).toBe(false)
  })
})
