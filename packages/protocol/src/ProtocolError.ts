/**
 * Every error `@signering/protocol` produces. Each is a tagged class (`_tag` equals the class name)
 * usable with `instanceof`, `Effect.catchTag` and plain `switch (error._tag)`.
 *
 * None of them carries key material, passphrases, personal identification numbers or tokens:
 * messages name the field and the limit, never the offending value when that value is personal data.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** One violated rule, with the path of the offending field (`signers[2].personalIdentificationNumber`). */
export interface ValidationIssue {
  /** Path of the field, in the input's own shape: `documents[0].title`, `exitUrls.completionUrl`. */
  readonly path: string
  /** Stable machine-readable rule name, e.g. `too-long`, `check-digit`, `not-pdf`. */
  readonly rule: string
  /** A sentence a person can act on, naming the limit (never the personal data itself). */
  readonly message: string
}

/**
 * The input breaks one or more documented limits. Lists every violation at once.
 *
 * @example
 * ```ts
 * const result = DirectJob.make(input)
 * if (result._tag === "Failure") console.error(result.failure.issues)
 * ```
 */
export class ValidationError extends Data.TaggedError("ValidationError")<{
  readonly issues: ReadonlyArray<ValidationIssue>
}> {
  override get message(): string {
    return `Invalid input (${this.issues.length} issue${this.issues.length === 1 ? "" : "s"}): ${this.issues
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ")}`
  }
}

/** A server response that cannot be read as the expected message. */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly reason: "Malformed" | "Forbidden" | "UnexpectedRoot" | "MissingElement" | "InvalidValue" | "TooLarge"
  /** The message that was expected, e.g. `direct-signature-job-status-response`. */
  readonly expected: string
  /** What went wrong, without echoing the input (it may contain tokens or personal data). */
  readonly detail: string
}> {
  override get message(): string {
    return `Cannot decode ${this.expected} (${this.reason}): ${this.detail}`
  }
}

/** The enterprise certificate cannot be used. */
export class KeystoreError extends Data.TaggedError("KeystoreError")<{
  readonly reason:
    | "WrongPassphrase"
    | "Malformed"
    | "NoPrivateKey"
    | "NoCertificate"
    | "KeyCertificateMismatch"
    | "UnsupportedKey"
    | "Expired"
    | "NotYetValid"
  readonly detail: string
}> {
  override get message(): string {
    return `Keystore (${this.reason}): ${this.detail}`
  }
}

/** The document bundle (ASiC-E with XAdES signature) could not be built. */
export class BundleError extends Data.TaggedError("BundleError")<{
  readonly reason: "Signing" | "Compression" | "Processor"
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Document bundle (${this.reason}): ${this.detail}`
  }
}

/** Union of every error this package produces. */
export type ProtocolError = ValidationError | DecodeError | KeystoreError | BundleError
