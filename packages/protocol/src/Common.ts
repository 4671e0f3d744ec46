/**
 * Domain types both flows share (common.xsd): the sender, the signature type, the authentication level, how
 * signers appear in the signed documents, on-behalf-of, and the documents of a job. `DirectJob` and `PortalJob`
 * re-export them under their old names.
 *
 * @since 0.1.0
 */

/**
 * How the signer signs: `ADVANCED_ELECTRONIC_SIGNATURE` (BankID; the only type for private organisations) or
 * `AUTHENTICATED_ELECTRONIC_SIGNATURE` (ID-porten; the default for public organisations).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const type: Common.SignatureType = "ADVANCED_ELECTRONIC_SIGNATURE"
 * ```
 * @since 0.1.0
 */
export type SignatureType = "ADVANCED_ELECTRONIC_SIGNATURE" | "AUTHENTICATED_ELECTRONIC_SIGNATURE"

/**
 * `SELF` (default) or `OTHER`: the signer signs on behalf of another entity (no forwarding of the signed
 * document to the signer's digital mailbox; in the portal flow, no KRR lookup).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const onBehalfOf: Common.OnBehalfOf = "OTHER"
 * ```
 * @since 0.1.0
 */
export type OnBehalfOf = "SELF" | "OTHER"

/**
 * The security level a signer must log in with: `"3"` (allows MinID, public senders) or `"4"` (the default).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const level: Common.AuthenticationLevel = "4"
 * ```
 * @since 0.1.0
 */
export type AuthenticationLevel = "3" | "4"

/**
 * How signers are identified in the signed PAdES (layout only).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const id: Common.IdentifierInSignedDocuments = "DATE_OF_BIRTH_AND_NAME"
 * ```
 * @since 0.1.0
 */
export type IdentifierInSignedDocuments = "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME" | "DATE_OF_BIRTH_AND_NAME" | "NAME"

/**
 * Media types of documents: `application/pdf` (checked by content) and `text/plain` (still a Java `DocumentType`).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const mediaType: Common.DocumentMediaType = "application/pdf"
 * ```
 * @since 0.1.0
 */
export type DocumentMediaType = "application/pdf" | "text/plain"

/**
 * The sender: the organization whose signatures are collected, and its polling queue (absent = default queue).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const sender: Common.Sender = { organizationNumber: "983163327", pollingQueue: "hr" }
 * ```
 * @since 0.1.0
 */
export interface Sender {
  readonly organizationNumber: string
  readonly pollingQueue?: string | undefined
}

/**
 * A document as the caller describes it.
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const doc: Common.DocumentInput = { title: "Contract", bytes: pdfBytes }
 * ```
 * @since 0.1.0
 */
export interface DocumentInput {
  readonly title: string
  readonly bytes: Uint8Array
  /** `application/pdf` (default, checked by content) or, when chosen explicitly, `text/plain`. */
  readonly mediaType?: DocumentMediaType | undefined
  /** Override the generated zip entry name (4–100 characters, `[0-9a-z._-]` recommended). */
  readonly fileName?: string | undefined
}

/**
 * A validated document with its zip entry name (the manifest `href`, URL-encoding invariant).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const names = (docs: ReadonlyArray<Common.Document>) => docs.map((d) => d.fileName) // ["0000_contract.pdf"]
 * ```
 * @since 0.1.0
 */
export interface Document {
  readonly title: string
  readonly mediaType: DocumentMediaType
  readonly bytes: Uint8Array
  readonly fileName: string
}

/**
 * Options of `DirectJob.make` / `PortalJob.make` (and `validate`).
 *
 * @example
 * ```ts
 * import type { Common } from "@signering/protocol"
 * const options: Common.ValidateOptions = { allowInvalidPersonalIdentificationNumberChecksum: true }
 * ```
 * @since 0.1.0
 */
export interface ValidateOptions {
  /** Accept 11-digit numbers with wrong mod-11 check digits (synthetic test numbers). Default false. */
  readonly allowInvalidPersonalIdentificationNumberChecksum?: boolean | undefined
}

/**
 * Every value of {@link SignatureType}.
 *
 * @example
 * ```ts
 * import { Common } from "@signering/protocol"
 * Common.signatureTypes.includes("ADVANCED_ELECTRONIC_SIGNATURE") // true
 * ```
 * @since 0.1.0
 */
export const signatureTypes: ReadonlyArray<SignatureType> = [
  "ADVANCED_ELECTRONIC_SIGNATURE",
  "AUTHENTICATED_ELECTRONIC_SIGNATURE",
]

/**
 * Every value of {@link OnBehalfOf}.
 *
 * @example
 * ```ts
 * import { Common } from "@signering/protocol"
 * Common.onBehalfOfValues // ["SELF", "OTHER"]
 * ```
 * @since 0.1.0
 */
export const onBehalfOfValues: ReadonlyArray<OnBehalfOf> = ["SELF", "OTHER"]

/**
 * Every value of {@link AuthenticationLevel}.
 *
 * @example
 * ```ts
 * import { Common } from "@signering/protocol"
 * Common.authenticationLevels // ["3", "4"]
 * ```
 * @since 0.1.0
 */
export const authenticationLevels: ReadonlyArray<AuthenticationLevel> = ["3", "4"]

/**
 * Every value of {@link IdentifierInSignedDocuments}.
 *
 * @example
 * ```ts
 * import { Common } from "@signering/protocol"
 * Common.identifierInSignedDocumentsValues.length // 3
 * ```
 * @since 0.1.0
 */
export const identifierInSignedDocumentsValues: ReadonlyArray<IdentifierInSignedDocuments> = [
  "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME",
  "DATE_OF_BIRTH_AND_NAME",
  "NAME",
]

/**
 * Every value of {@link DocumentMediaType}.
 *
 * @example
 * ```ts
 * import { Common } from "@signering/protocol"
 * Common.documentMediaTypes // ["application/pdf", "text/plain"]
 * ```
 * @since 0.1.0
 */
export const documentMediaTypes: ReadonlyArray<DocumentMediaType> = ["application/pdf", "text/plain"]
