/**
 * Builds the signed document bundle for a job: the one place `create` depends on bundle building.
 */
import type { BundleError, DirectJob, Keystore, KeystoreError } from "@signering/protocol"
import { DocumentBundle } from "@signering/protocol"
import { Effect } from "effect"

export const buildBundle = (
  job: DirectJob.DirectJob,
  keystore: Keystore.Keystore,
  options?: DocumentBundle.Options,
): Effect.Effect<Uint8Array, BundleError | KeystoreError> =>
  DocumentBundle.make(job, keystore, options).pipe(Effect.map((bundle) => bundle.bytes))
