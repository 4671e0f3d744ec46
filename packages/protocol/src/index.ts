export * as DirectJob from "./DirectJob.js"
export * as DirectResponse from "./DirectResponse.js"
export * as ProtocolError from "./ProtocolError.js"
export { BundleError, DecodeError, KeystoreError, ValidationError } from "./ProtocolError.js"
