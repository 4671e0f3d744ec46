/**
 * The portal flow's answers (PROTOCOL.md §12.3–§12.4), written by the simulator itself in the element order of
 * portal.xsd, and the status change it answers a poll with.
 */
import { formatDateTime } from "./clock.js"
import { confirmationUrl, jobBase, type Urls } from "./responses.js"
import { type JobRecord, jobStatusOf, type State, type StatusChange } from "./state.js"

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const el = (name: string, value: string | undefined) =>
  value === undefined ? "" : `<${name}>${escapeXml(value)}</${name}>`

const HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
const NS = 'xmlns="http://signering.posten.no/schema/v1"'

export const portalJobResponse = (urls: Urls, job: JobRecord): string =>
  `${HEAD}<portal-signature-job-response ${NS}>${el("reference", job.reference)}` +
  `${el("signature-job-id", job.id)}${el("cancellation-url", `${jobBase(urls, job)}/cancel`)}` +
  "</portal-signature-job-response>"

/**
 * A status change as polled. Statuses and `since` are the change's; URLs reflect the job as it is now (documents
 * may have been deleted since). The final change of a signed job carries `delete-documents-url` (a DELETE before
 * the documents may go is refused with 409); `cancellation-url` only while the job could still be cancelled.
 */
export const portalStatusChange = (urls: Urls, state: State, job: JobRecord, change: StatusChange): string => {
  const base = jobBase(urls, job)
  const documentsPresent = job.documents !== undefined
  const signatures = change.signers
    .map((s, i) => {
      const signer = job.signers[i]!
      const given = signer.portal?.notifications
      const identifier =
        signer.kind === "PersonalIdentificationNumber"
          ? el("personal-identification-number", signer.value)
          : `<identifier>${given?.email === undefined ? "" : `<email address="${escapeXml(given.email)}"/>`}` +
            `${given?.sms === undefined ? "" : `<sms number="${escapeXml(given.sms)}"/>`}</identifier>`
      const xades = documentsPresent && s.status === "SIGNED" ? el("xades-url", `${base}/xades/${signer.xadesId}`) : ""
      return `<signature><status since="${formatDateTime(s.since)}">${escapeXml(s.status)}</status>${identifier}${xades}</signature>`
    })
    .join("")
  const signed = change.signers.some((s) => s.status === "SIGNED")
  const pades = documentsPresent && signed ? el("pades-url", `${base}/pades`) : ""
  const open = change.jobStatus === "IN_PROGRESS" && jobStatusOf(job.signers) === "IN_PROGRESS"
  const deletable = change.jobStatus === "COMPLETED_SUCCESSFULLY" && documentsPresent
  return (
    `${HEAD}<portal-signature-job-status-change-response ${NS}>${el("reference", job.reference)}` +
    `${el("signature-job-id", job.id)}${el("status", change.jobStatus)}` +
    `${el("confirmation-url", confirmationUrl(state, base, change))}` +
    `${open ? el("cancellation-url", `${base}/cancel`) : ""}` +
    `${deletable ? el("delete-documents-url", `${base}/delete-documents`) : ""}` +
    `<signatures>${signatures}${pades}</signatures></portal-signature-job-status-change-response>`
  )
}
