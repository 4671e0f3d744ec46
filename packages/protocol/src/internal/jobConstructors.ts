/**
 * `validate`, `make`, `makeEffect` and `makeOrThrow` of a job module, from the flow's own check. Both flows offer
 * the same four with the same meaning; each module keeps its own typed, documented names and takes them from here.
 */
import { Result } from "effect"
import type { ValidateOptions } from "../Common.js"
import { ValidationError, type ValidationIssue } from "../ProtocolError.js"
import { effectOf, orThrow } from "./resultForms.js"

/** What a flow's check found: every issue, and the job only when there are none. */
export interface Checked<Job> {
  readonly issues: ReadonlyArray<ValidationIssue>
  readonly job?: Job
}

export const jobConstructors = <Input, Job>(check: (input: Input, options?: ValidateOptions) => Checked<Job>) => {
  const make = (input: Input, options?: ValidateOptions): Result.Result<Job, ValidationError> => {
    const { issues, job } = check(input, options)
    return job === undefined ? Result.fail(new ValidationError({ issues })) : Result.succeed(job)
  }
  return {
    validate: (input: Input, options?: ValidateOptions): ReadonlyArray<ValidationIssue> => check(input, options).issues,
    make,
    makeEffect: effectOf(make),
    makeOrThrow: orThrow(make),
  }
}
