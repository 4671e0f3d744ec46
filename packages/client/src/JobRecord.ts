/**
 * What an application persists about a created job, as plain JSON: `JSON.stringify` works on it (the signature job
 * id, a `bigint` in the create answer, is a decimal string here) and {@link parse} reads it back, checked.
 *
 * @since 0.1.0
 */
import { ValidationError } from "@signering/protocol"
import { Result } from "effect"

/**
 * A created job, serializable. URLs are the service's, kept verbatim; no personal identification number is kept
 * (direct signers are listed by their `href` only).
 *
 * @example
 * ```ts
 * const record: JobRecord.JobRecord = JobRecord.fromCreated(await client.create(input), "direct")
 * await db.put(record.signatureJobId, JSON.stringify(record))
 * ```
 */
export interface JobRecord {
  readonly version: 1
  readonly flow: "direct" | "portal"
  /** The signature job id as a decimal string (`BigInt(record.signatureJobId)` gives it back). */
  readonly signatureJobId: string
  readonly reference?: string | undefined
  /** Direct jobs with `WAIT_FOR_CALLBACK`: where the status is read with the token. Absent for `POLLING` jobs. */
  readonly statusUrl?: string | undefined
  /** Portal jobs: where the job is cancelled. */
  readonly cancellationUrl?: string | undefined
  /** Direct jobs: each signer's URL, for a new redirect URL. */
  readonly signerUrls?: ReadonlyArray<string> | undefined
  /** The sender the job was created for; its polling queue is where the job's changes arrive. */
  readonly sender: { readonly organizationNumber: string; readonly pollingQueue?: string | undefined }
}

/** What `create` answers, in either flow. */
interface Created {
  readonly signatureJobId: bigint
  readonly reference?: string | undefined
  readonly statusUrl?: string | undefined
  readonly cancellationUrl?: string | undefined
  readonly signers?: ReadonlyArray<{ readonly href: string }> | undefined
  readonly sender: { readonly organizationNumber: string; readonly pollingQueue?: string | undefined }
}

/**
 * The record of a created job (the answer of `DirectClient.create` or `PortalClient.create`).
 *
 * @example
 * ```ts
 * const record = JobRecord.fromCreated(created, "portal")
 * JSON.stringify(record) // {"version":1,"flow":"portal","signatureJobId":"1234",...}
 * ```
 */
export const fromCreated = (created: Created, flow: "direct" | "portal"): JobRecord => ({
  version: 1,
  flow,
  signatureJobId: created.signatureJobId.toString(),
  ...(created.reference === undefined ? {} : { reference: created.reference }),
  ...(created.statusUrl === undefined ? {} : { statusUrl: created.statusUrl }),
  ...(created.cancellationUrl === undefined ? {} : { cancellationUrl: created.cancellationUrl }),
  ...(created.signers === undefined ? {} : { signerUrls: created.signers.map((s) => s.href) }),
  sender: {
    organizationNumber: created.sender.organizationNumber,
    ...(created.sender.pollingQueue === undefined ? {} : { pollingQueue: created.sender.pollingQueue }),
  },
})

/**
 * The record as a JSON string.
 *
 * @example
 * ```ts
 * localStorage.setItem("job", JobRecord.stringify(record))
 * ```
 */
export const stringify = (record: JobRecord): string => JSON.stringify(record)

/**
 * The signature job id of a record, as the `bigint` the service's answers carry.
 *
 * @example
 * ```ts
 * if (change.status.signatureJobId === JobRecord.signatureJobId(record)) handle(change)
 * ```
 */
export const signatureJobId = (record: JobRecord): bigint => BigInt(record.signatureJobId)

const isUrl = (value: unknown): value is string => {
  if (typeof value !== "string") return false
  try {
    const url = new URL(value)
    return url.protocol === "https:" || url.protocol === "http:"
  } catch {
    return false
  }
}

/**
 * Reads a record back (a JSON string or the parsed object), checking every field; a `ValidationError` lists what
 * is wrong.
 *
 * @example
 * ```ts
 * const result = JobRecord.parse(await db.get(id))
 * if (result._tag === "Success") await client.cancel(result.success)
 * ```
 */
export const parse = (input: unknown): Result.Result<JobRecord, ValidationError> => {
  const issues: Array<{ path: string; rule: string; message: string }> = []
  let value: unknown = input
  if (typeof input === "string") {
    try {
      value = JSON.parse(input)
    } catch {
      return Result.fail(new ValidationError({ issues: [{ path: "", rule: "json", message: "is not JSON" }] }))
    }
  }
  if (typeof value !== "object" || value === null) {
    return Result.fail(new ValidationError({ issues: [{ path: "", rule: "type", message: "must be an object" }] }))
  }
  const o = value as Record<string, unknown>
  if (o.version !== 1) issues.push({ path: "version", rule: "value", message: "must be 1" })
  if (o.flow !== "direct" && o.flow !== "portal") {
    issues.push({ path: "flow", rule: "value", message: 'must be "direct" or "portal"' })
  }
  if (typeof o.signatureJobId !== "string" || !/^[0-9]{1,19}$/.test(o.signatureJobId)) {
    issues.push({ path: "signatureJobId", rule: "pattern", message: "must be a decimal string of up to 19 digits" })
  }
  if (o.reference !== undefined && (typeof o.reference !== "string" || o.reference.length > 50)) {
    issues.push({ path: "reference", rule: "length", message: "must be a string of at most 50 characters" })
  }
  for (const field of ["statusUrl", "cancellationUrl"] as const) {
    if (o[field] !== undefined && !isUrl(o[field])) {
      issues.push({ path: field, rule: "url", message: "must be an absolute http(s) URL" })
    }
  }
  if (o.signerUrls !== undefined) {
    if (!Array.isArray(o.signerUrls)) issues.push({ path: "signerUrls", rule: "type", message: "must be an array" })
    else {
      o.signerUrls.forEach((u, i) => {
        if (!isUrl(u))
          issues.push({ path: `signerUrls[${i}]`, rule: "url", message: "must be an absolute http(s) URL" })
      })
    }
  }
  const sender = o.sender as Record<string, unknown> | undefined
  if (typeof sender !== "object" || sender === null) {
    issues.push({ path: "sender", rule: "required", message: "must be an object" })
  } else {
    if (typeof sender.organizationNumber !== "string" || !/^[0-9]{9}$/.test(sender.organizationNumber)) {
      issues.push({ path: "sender.organizationNumber", rule: "pattern", message: "must be 9 digits" })
    }
    if (sender.pollingQueue !== undefined && typeof sender.pollingQueue !== "string") {
      issues.push({ path: "sender.pollingQueue", rule: "type", message: "must be a string" })
    }
  }
  return issues.length === 0 ? Result.succeed(o as unknown as JobRecord) : Result.fail(new ValidationError({ issues }))
}
