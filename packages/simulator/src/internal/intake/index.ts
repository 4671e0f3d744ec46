/**
 * Intake of create requests, per flow, over the shared multipart, bundle, signature and limit checks of `bundle.ts`.
 */
export type { IntakeDocument, IntakeInput, IntakeRefusal } from "./bundle.js"
export { MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, MAX_SIGNERS } from "./bundle.js"
export type { IntakeManifest, IntakeRequest, IntakeResult, IntakeSigner } from "./direct.js"
export { verifyCreateRequest } from "./direct.js"
export type { PortalIntakeManifest, PortalIntakeRequest, PortalIntakeResult } from "./portal.js"
export { verifyPortalCreateRequest } from "./portal.js"
