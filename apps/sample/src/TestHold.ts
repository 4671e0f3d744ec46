/**
 * A test-only hook for the crash-safety test: with `SAMPLE_TEST_HOLD=<point>[,<point>]` and
 * `SAMPLE_TEST_HOLD_FILE=<path>`, the app appends the point's name to the file when it reaches it and then waits
 * forever, so the test can kill the process (SIGKILL) exactly there. Points: `after-create` (the service created the
 * job and the app stored its answer, before the response to the browser), `portal-before-store` (the service created a
 * portal job, the app has not stored its answer: only the reference can find it again) and `handler` (a polling
 * change is being handled: its PDF is stored, its status not yet, and it is not confirmed). Only the request or
 * handler that reaches the point waits; the rest of the app goes on. Unset, it does nothing.
 */
import { appendFileSync } from "node:fs"

export type HoldPoint = "after-create" | "portal-before-store" | "handler"

const points = new Set((process.env.SAMPLE_TEST_HOLD ?? "").split(",").map((p) => p.trim()))
const file = process.env.SAMPLE_TEST_HOLD_FILE

export const testHold = async (point: HoldPoint): Promise<void> => {
  if (file === undefined || !points.has(point)) return
  appendFileSync(file, `${point}\n`)
  await new Promise<never>(() => {})
}
