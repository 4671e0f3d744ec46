/**
 * The direct flow's requests as data (see `Endpoint`): pure builders, no I/O. Follow-up URLs are the ones the
 * service returned, used verbatim.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import type { DirectJob, Sender } from "./DirectJob.js"
import type { JobResponse, JobStatusResponse, SignerResponse } from "./DirectResponse.js"
import * as DirectXml from "./DirectXml.js"
import {
  ACCEPT_XML,
  apiUrl,
  appendQuery,
  type Endpoint,
  isSuccess,
  jobMultipart,
  makeFollowUp,
  type Poll,
  poll,
} from "./Endpoint.js"

/**
 * Creates a direct job: `POST <root>/<org>/direct/signature-jobs`, multipart/mixed with the request XML and the
 * signed document bundle. Never retried once a byte may have reached the server.
 *
 * @example
 * ```ts
 * import { DirectEndpoint } from "@signering/protocol"
 * const endpoint = DirectEndpoint.create(apiRoot, job, bundle.bytes)
 * ```
 * @since 0.1.0
 */
export const create = (apiRoot: string, job: DirectJob, bundle: Uint8Array): Endpoint<JobResponse> => ({
  operation: "create",
  method: "POST",
  url: apiUrl(apiRoot, job.sender.organizationNumber, "direct/signature-jobs"),
  followUp: false,
  secrets: [],
  headers: {},
  accept: ACCEPT_XML,
  body: jobMultipart(DirectXml.encodeJobRequest(job), bundle),
  retry: "connectOnly",
  organizationNumber: job.sender.organizationNumber,
  accepts: isSuccess,
  read: "body",
  decode: (answer) => DirectXml.decodeJobResponse(answer.body),
})

/**
 * Asks for a fresh one-time redirect URL: POST of `direct-signer-update-request` to the signer's `href`.
 *
 * @example
 * ```ts
 * import { DirectEndpoint } from "@signering/protocol"
 * const endpoint = DirectEndpoint.requestNewRedirectUrl(job.signers[0].href)
 * ```
 * @since 0.1.0
 */
export const requestNewRedirectUrl = (signerUrl: string): Endpoint<SignerResponse> =>
  makeFollowUp(
    "requestNewRedirectUrl",
    "POST",
    signerUrl,
    "body",
    ACCEPT_XML,
    (answer) => DirectXml.decodeSignerResponse(answer.body),
    "connectOnly",
    { contentType: "application/xml", bytes: new TextEncoder().encode(DirectXml.encodeSignerUpdateRequest()) },
  )

/**
 * The job's status by the token the signer's browser brought back: `GET <status-url>?status_query_token=<T>`
 * (+ `&polling_queue=<q>` for a job on a named queue, as the docs require), appended to the URL as given.
 *
 * @example
 * ```ts
 * import { DirectEndpoint } from "@signering/protocol"
 * const endpoint = DirectEndpoint.getStatus(job.statusUrl, token, job.sender.pollingQueue)
 * ```
 * @since 0.1.0
 */
export const getStatus = (
  statusUrl: string,
  statusQueryToken: Redacted.Redacted<string>,
  pollingQueue?: string,
): Endpoint<JobStatusResponse> => {
  const params: Array<readonly [string, string]> = [["status_query_token", Redacted.value(statusQueryToken)]]
  if (pollingQueue !== undefined && pollingQueue !== "") params.push(["polling_queue", pollingQueue])
  return {
    ...makeFollowUp("getStatus", "GET", appendQuery(statusUrl, params), "body", ACCEPT_XML, (answer) =>
      DirectXml.decodeJobStatusResponse(answer.body),
    ),
    secrets: [statusQueryToken],
  }
}

/**
 * Polls the sender's queue of direct jobs: `GET <root>/<org>/direct/signature-jobs[?polling_queue=<q>]`.
 *
 * @example
 * ```ts
 * import { DirectEndpoint } from "@signering/protocol"
 * const endpoint = DirectEndpoint.getStatusChange(apiRoot, { organizationNumber: "123456785", pollingQueue: "app-1" })
 * ```
 * @since 0.1.0
 */
export const getStatusChange = (apiRoot: string, sender: Sender): Endpoint<Poll<JobStatusResponse>> =>
  poll(apiRoot, "direct", sender, (body) => DirectXml.decodeJobStatusResponse(body))

export {
  /**
   * Confirms a status change (the same request in every flow).
   *
   * @example
   * ```ts
   * import { DirectEndpoint } from "@signering/protocol"
   * const endpoint = DirectEndpoint.confirm(status.confirmationUrl)
   * ```
   */
  confirm,
  /**
   * Deletes the job's documents (the same request in every flow).
   *
   * @example
   * ```ts
   * import { DirectEndpoint } from "@signering/protocol"
   * const endpoint = DirectEndpoint.deleteDocuments(status.deleteDocumentsUrl)
   * ```
   */
  deleteDocuments,
  /**
   * Downloads a signed document (the same request in every flow).
   *
   * @example
   * ```ts
   * import { DirectEndpoint } from "@signering/protocol"
   * const endpoint = DirectEndpoint.download("getPades", status.padesUrl)
   * ```
   */
  download,
} from "./Endpoint.js"
