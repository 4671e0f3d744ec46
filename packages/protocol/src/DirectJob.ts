/**
 * The direct-flow signature job: input shape, validated job, and validation of every documented limit.
 *
 * CONTRACT (shared by the bundle, the simulator and the client): the type names and fields below.
 * The implementation of `make`/`validate` lives here too.
 *
 * @since 0.1.0
 */
import type { Redacted } from "effect"

export type SignatureType = "ADVANCED_ELECTRONIC_SIGNATURE" | "AUTHENTICATED_ELECTRONIC_SIGNATURE"
export type OnBehalfOf = "SELF" | "OTHER"
export type AuthenticationLevel = "3" | "4"
export type IdentifierInSignedDocuments = "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME" | "DATE_OF_BIRTH_AND_NAME" | "NAME"
export type StatusRetrievalMethod = "WAIT_FOR_CALLBACK" | "POLLING"
export type DocumentMediaType = "application/pdf" | "text/plain"

/** The sender: the organization whose signatures are collected, and its polling queue (absent = default queue). */
export interface Sender {
  readonly organizationNumber: string
  readonly pollingQueue?: string | undefined
}

export interface ExitUrls {
  readonly completionUrl: string
  readonly rejectionUrl: string
  readonly errorUrl: string
}

/** A signer as the caller describes it: exactly one of `personalIdentificationNumber` / `customIdentifier`. */
export type DirectSignerInput = (
  | { readonly personalIdentificationNumber: string | Redacted.Redacted<string>; readonly customIdentifier?: never }
  | { readonly customIdentifier: string; readonly personalIdentificationNumber?: never }
) & {
  readonly signatureType?: SignatureType | undefined
  readonly onBehalfOf?: OnBehalfOf | undefined
}

export interface DocumentInput {
  readonly title: string
  readonly bytes: Uint8Array
  /** `application/pdf` (default, checked by content) or, when chosen explicitly, `text/plain`. */
  readonly mediaType?: DocumentMediaType | undefined
  /** Override the generated zip entry name (4–100 characters, `[0-9a-z._-]` recommended). */
  readonly fileName?: string | undefined
}

export interface DirectJobInput {
  readonly title: string
  readonly description?: string | undefined
  /** Sender's own reference (≤ 50). Appears in e-mails to the sender: never personal data. */
  readonly reference?: string | undefined
  readonly documents: ReadonlyArray<DocumentInput>
  readonly signers: ReadonlyArray<DirectSignerInput>
  readonly sender: Sender
  readonly exitUrls: ExitUrls
  readonly statusRetrievalMethod?: StatusRetrievalMethod | undefined
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}

export interface ValidateOptions {
  /** Accept 11-digit numbers with wrong mod-11 check digits (synthetic test numbers). Default false. */
  readonly allowInvalidPersonalIdentificationNumberChecksum?: boolean | undefined
}

/** A validated signer. The PIN travels as `Redacted` so logs and `toString` never show it. */
export type DirectSigner =
  | {
      readonly _tag: "PersonalIdentificationNumber"
      readonly personalIdentificationNumber: Redacted.Redacted<string>
      readonly signatureType?: SignatureType | undefined
      readonly onBehalfOf?: OnBehalfOf | undefined
    }
  | {
      readonly _tag: "CustomIdentifier"
      readonly customIdentifier: string
      readonly signatureType?: SignatureType | undefined
      readonly onBehalfOf?: OnBehalfOf | undefined
    }

/** A validated document with its zip entry name (the manifest `href`, URL-encoding invariant). */
export interface Document {
  readonly title: string
  readonly mediaType: DocumentMediaType
  readonly bytes: Uint8Array
  readonly fileName: string
}

/** A job that passed every documented limit. Only `make` creates one. */
export interface DirectJob {
  readonly _tag: "DirectJob"
  readonly title: string
  readonly description?: string | undefined
  readonly reference?: string | undefined
  readonly documents: ReadonlyArray<Document>
  readonly signers: ReadonlyArray<DirectSigner>
  readonly sender: Sender
  readonly exitUrls: ExitUrls
  readonly statusRetrievalMethod: StatusRetrievalMethod
  readonly requiredAuthentication?: AuthenticationLevel | undefined
  readonly identifierInSignedDocuments?: IdentifierInSignedDocuments | undefined
}
