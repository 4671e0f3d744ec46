/**
 * How a retried poll reaches the polling worker. A poll whose answer was cut short took the change off the service's
 * queue although it never arrived; when the pipeline's own retry then succeeds, the worker would not know that a
 * change may be left delivered until the service's re-queue delay (see `Gate.suspectUntil`). The worker provides this
 * reference around its poll and the clients' `getStatusChange` hand it to the pipeline as `onRetry`.
 *
 * Fiber-local rather than a parameter: a caller's own `Source` that wraps a client's `getStatusChange` (as the
 * `Polling.runSource` example does) reports its retries too, and no public signature changes.
 */
import { Context } from "effect"
import type { ClientError } from "../ClientError.js"

export const OnPollRetry = Context.Reference<((error: ClientError) => void) | undefined>(
  "@signering/client/internal/OnPollRetry",
  { defaultValue: () => undefined },
)
