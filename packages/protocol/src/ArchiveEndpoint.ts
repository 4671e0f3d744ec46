/**
 * The archive's request as data (see `Endpoint`): the PAdES of a document in long-term storage.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { ACCEPT_PDF, apiUrl, type Endpoint, makeFollowUp } from "./Endpoint.js"

/**
 * `GET <root>/<owner-org>/archive/documents/<id>/pades`. The owner is an organization number in the path; the
 * archived document id is an opaque string from the sender portal, sent as one percent-encoded path segment.
 * (Java sends no `Accept` here; sending one is harmless and keeps error bodies readable.)
 *
 * @example
 * ```ts
 * import { ArchiveEndpoint } from "@signering/protocol"
 * const endpoint = ArchiveEndpoint.getPades(apiRoot, "123456785", "doc/42")
 * endpoint.url // ".../123456785/archive/documents/doc%2F42/pades"
 * ```
 * @since 0.1.0
 */
export const getPades = (apiRoot: string, owner: string, documentId: string): Endpoint<void> => ({
  ...makeFollowUp(
    "getPades",
    "GET",
    apiUrl(apiRoot, owner, `archive/documents/${encodeURIComponent(documentId)}/pades`),
    "stream",
    ACCEPT_PDF,
    () => Result.succeed(undefined),
  ),
  followUp: false,
  organizationNumber: owner,
})
