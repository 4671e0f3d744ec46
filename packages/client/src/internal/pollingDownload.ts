/** Kept for modules that still import the downloads from here; they live in `documents.ts` (shared by every flow). */
export { type Documents, type DownloadOptions, downloadDocuments, type SignerDocument } from "./documents.js"
