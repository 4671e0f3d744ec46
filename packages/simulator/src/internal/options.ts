/**
 * Checks of the simulator's options: each refusal names the option and the limit.
 */
import type { Options } from "../Simulator.js"

/** Refuses options that cannot work, naming the option and the limit. */
export const validateOptions = (options: Options, invalid: (detail: string) => never): void => {
  for (const name of ["port", "portalPort"] as const) {
    const v = options[name]
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535))
      invalid(`${name} must be an integer from 0 to 65535, got ${v}`)
  }
  for (const name of [
    "emptyQueuePollDelayMs",
    "unconfirmedRequeueDelayMs",
    "deleteDocumentsDelayMs",
    "jobLifetimeMs",
    "signingTimeLeniencyMs",
  ] as const) {
    const v = options[name]
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) invalid(`${name} must be a finite number ≥ 0, got ${v}`)
  }
  if (
    options.requestLogLimit !== undefined &&
    (!Number.isInteger(options.requestLogLimit) || options.requestLogLimit < 0)
  )
    invalid(`requestLogLimit must be an integer ≥ 0, got ${options.requestLogLimit}`)
  if (typeof options.rateLimit === "object") {
    const { requestsPerSecond, blockMs } = options.rateLimit
    if (!Number.isInteger(requestsPerSecond) || requestsPerSecond < 1)
      invalid(`rateLimit.requestsPerSecond must be an integer ≥ 1, got ${requestsPerSecond}`)
    if (!Number.isFinite(blockMs) || blockMs < 0)
      invalid(`rateLimit.blockMs must be a finite number ≥ 0, got ${blockMs}`)
  }
  if (
    options.securityCodeAttempts !== undefined &&
    (!Number.isInteger(options.securityCodeAttempts) || options.securityCodeAttempts < 1)
  )
    invalid(`securityCodeAttempts must be an integer ≥ 1, got ${options.securityCodeAttempts}`)
  if (
    options.confirmationModel !== undefined &&
    options.confirmationModel !== "settles-job" &&
    options.confirmationModel !== "settles-change"
  )
    invalid(`confirmationModel must be "settles-job" or "settles-change", got ${String(options.confirmationModel)}`)
  for (const org of options.longTermStorage ?? [])
    if (!/^[0-9]{9}$/.test(org)) invalid(`longTermStorage: "${org}" is not a 9-digit organization number`)
  for (const pin of Object.keys(options.contactRegister ?? {}))
    if (!/^[0-9]{11}$/.test(pin)) invalid("contactRegister: every key must be an 11-digit national identity number")
  for (const [broker, orgs] of Object.entries(options.brokers ?? {})) {
    if (!/^[0-9]{9}$/.test(broker)) invalid(`brokers: "${broker}" is not a 9-digit organization number`)
    for (const org of orgs)
      if (!/^[0-9]{9}$/.test(org)) invalid(`brokers["${broker}"]: "${org}" is not a 9-digit organization number`)
  }
}
