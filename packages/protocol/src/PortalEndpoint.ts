/**
 * The portal flow's requests as data (see `Endpoint`): pure builders, no I/O. Follow-up URLs (confirmation,
 * cancellation, downloads, delete) are the ones the service returned, used verbatim.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import type { Sender } from "./Common.js"
import {
  ACCEPT_XML,
  apiUrl,
  type Endpoint,
  isSuccess,
  jobMultipart,
  makeFollowUp,
  type Poll,
  poll,
} from "./Endpoint.js"
import type { PortalJob } from "./PortalJob.js"
import type { JobResponse, StatusChangeResponse } from "./PortalResponse.js"
import * as PortalXml from "./PortalXml.js"

/**
 * Creates a portal job: `POST <root>/<org>/portal/signature-jobs`, multipart/mixed with the request XML and the
 * signed document bundle. Never retried once a byte may have reached the server.
 *
 * @example
 * ```ts
 * import { PortalEndpoint } from "@signering/protocol"
 * const endpoint = PortalEndpoint.create(apiRoot, job, bundle.bytes)
 * ```
 * @since 0.1.0
 */
export const create = (apiRoot: string, job: PortalJob, bundle: Uint8Array): Endpoint<JobResponse> => ({
  operation: "create",
  method: "POST",
  url: apiUrl(apiRoot, job.sender.organizationNumber, "portal/signature-jobs"),
  followUp: false,
  secrets: [],
  headers: {},
  accept: ACCEPT_XML,
  body: jobMultipart(PortalXml.encodeJobRequest(job), bundle),
  retry: "connectOnly",
  organizationNumber: job.sender.organizationNumber,
  accepts: isSuccess,
  read: "body",
  decode: (answer) => PortalXml.decodeJobResponse(answer.body),
})

/**
 * Polls the sender's queue of portal jobs: `GET <root>/<org>/portal/signature-jobs[?polling_queue=<q>]`.
 *
 * @example
 * ```ts
 * import { PortalEndpoint } from "@signering/protocol"
 * const endpoint = PortalEndpoint.getStatusChange(apiRoot, { organizationNumber: "123456785" })
 * ```
 * @since 0.1.0
 */
export const getStatusChange = (apiRoot: string, sender: Sender): Endpoint<Poll<StatusChangeResponse>> =>
  poll(apiRoot, "portal", sender, (body) => PortalXml.decodeStatusChangeResponse(body))

/**
 * Cancels a portal job: POST with an empty body to its `cancellation-url` (409 once the job is completed).
 *
 * @example
 * ```ts
 * import { PortalEndpoint } from "@signering/protocol"
 * const endpoint = PortalEndpoint.cancel(created.cancellationUrl)
 * ```
 * @since 0.1.0
 */
export const cancel = (cancellationUrl: string): Endpoint<void> =>
  makeFollowUp("cancel", "POST", cancellationUrl, "none", ACCEPT_XML, () => Result.succeed(undefined))

export {
  /**
   * Confirms a status change (the same request in every flow).
   *
   * @example
   * ```ts
   * import { PortalEndpoint } from "@signering/protocol"
   * const endpoint = PortalEndpoint.confirm(change.confirmationUrl)
   * ```
   */
  confirm,
  /**
   * Deletes the job's documents (the same request in every flow).
   *
   * @example
   * ```ts
   * import { PortalEndpoint } from "@signering/protocol"
   * const endpoint = PortalEndpoint.deleteDocuments(change.deleteDocumentsUrl)
   * ```
   */
  deleteDocuments,
  /**
   * Downloads a signed document (the same request in every flow).
   *
   * @example
   * ```ts
   * import { PortalEndpoint } from "@signering/protocol"
   * const endpoint = PortalEndpoint.download("getPades", change.padesUrl)
   * ```
   */
  download,
} from "./Endpoint.js"
