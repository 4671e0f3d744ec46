/**
 * Builds the signed document bundle for a job. Isolated here so that `create` depends on one function.
 */
import type { BundleError, DirectJob, Keystore, KeystoreError } from "@signering/protocol"
import { ValidationError } from "@signering/protocol"
import { Effect } from "effect"

export const buildBundle = (
  _job: DirectJob.DirectJob,
  _keystore: Keystore.Keystore,
): Effect.Effect<Uint8Array, BundleError | KeystoreError | ValidationError> =>
  Effect.fail(
    new ValidationError({
      issues: [
        { path: "bundle", rule: "required", message: "bundle building is not available yet: pass options.bundle" },
      ],
    }),
  )
