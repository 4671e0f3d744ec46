/**
 * `@signering/protocol`: pure protocol code for the Posten signering API.
 *
 * @since 0.1.0
 */
export * as ArchiveEndpoint from "./ArchiveEndpoint.js"
export * as Common from "./Common.js"
export * as DirectEndpoint from "./DirectEndpoint.js"
export * as DirectJob from "./DirectJob.js"
export * as DirectResponse from "./DirectResponse.js"
export * as DirectXml from "./DirectXml.js"
export * as DocumentBundle from "./DocumentBundle.js"
export * as EffectCopy from "./EffectCopy.js"
export * as Endpoint from "./Endpoint.js"
export * as Keystore from "./Keystore.js"
export * as OrganizationNumber from "./OrganizationNumber.js"
export * as PortalEndpoint from "./PortalEndpoint.js"
export * as PortalJob from "./PortalJob.js"
export * as PortalResponse from "./PortalResponse.js"
export * as PortalXml from "./PortalXml.js"
export * as ProtocolError from "./ProtocolError.js"
export { BundleError, DecodeError, KeystoreError, ValidationError } from "./ProtocolError.js"
export * as XadesSignature from "./XadesSignature.js"
