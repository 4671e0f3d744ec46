/**
 * Portal-flow requests written by hand (deliberately not the protocol package's encoder), and their answers read back.
 */
import { type BuiltRequest, buildRequest, defaultDocuments } from "./bundle.js"
import { attr, call, type Reply, xmlAll, xmlText } from "./client.js"
import type { Harness } from "./setup.js"

const NS = "http://signering.posten.no/schema/v1"
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;")

export type PortalSignerSpec =
  | {
      readonly pin: string
      readonly order?: number
      readonly email?: string
      readonly sms?: string
      readonly lookup?: { readonly sms?: boolean }
      readonly onBehalfOf?: "SELF" | "OTHER"
    }
  | { readonly contact: { readonly email?: string; readonly sms?: string }; readonly order?: number }

export interface PortalSpec {
  readonly signers?: ReadonlyArray<PortalSignerSpec>
  readonly title?: string
  readonly nonsensitiveTitle?: string
  readonly reference?: string
  readonly pollingQueue?: string
  readonly activationTime?: string
  readonly availableSeconds?: number | string
  readonly sender?: string
}

const notifications = (c: { readonly email?: string | undefined; readonly sms?: string | undefined }) =>
  `<notifications>${c.email === undefined ? "" : `<email address="${esc(c.email)}"/>`}` +
  `${c.sms === undefined ? "" : `<sms number="${esc(c.sms)}"/>`}</notifications>`

export const portalManifestXml = (spec: PortalSpec, organizationNumber: string): string => {
  const signers = spec.signers ?? [{ pin: "01013300002", email: "kari@example.com" }]
  const availability =
    spec.activationTime === undefined && spec.availableSeconds === undefined
      ? "<availability/>"
      : `<availability>${spec.activationTime === undefined ? "" : `<activation-time>${spec.activationTime}</activation-time>`}` +
        `${spec.availableSeconds === undefined ? "" : `<available-seconds>${spec.availableSeconds}</available-seconds>`}</availability>`
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><portal-signature-job-manifest xmlns="${NS}"><signers>` +
    signers
      .map((s) =>
        "contact" in s
          ? `<signer order="${s.order ?? 0}"><identified-by-contact-information/>${notifications(s.contact)}</signer>`
          : `<signer order="${s.order ?? 0}"><personal-identification-number>${s.pin}</personal-identification-number>` +
            (s.lookup !== undefined
              ? `<notifications-using-lookup><email/>${s.lookup.sms ? "<sms/>" : ""}</notifications-using-lookup>`
              : notifications({ email: s.email ?? (s.sms === undefined ? "x@example.com" : undefined), sms: s.sms })) +
            (s.onBehalfOf === undefined ? "" : `<on-behalf-of>${s.onBehalfOf}</on-behalf-of>`) +
            "</signer>",
      )
      .join("") +
    `</signers><sender><organization-number>${spec.sender ?? organizationNumber}</organization-number></sender>` +
    `<title>${esc(spec.title ?? "Kjøpekontrakt")}</title>` +
    (spec.nonsensitiveTitle === undefined
      ? ""
      : `<nonsensitive-title>${esc(spec.nonsensitiveTitle)}</nonsensitive-title>`) +
    `<documents>${defaultDocuments()
      .map((d) => `<document href="${d.fileName}" mime="application/pdf"><title>${esc(d.title)}</title></document>`)
      .join("")}</documents>${availability}</portal-signature-job-manifest>`
  )
}

export const portalRequestXml = (spec: PortalSpec): string =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><portal-signature-job-request xmlns="${NS}">` +
  (spec.reference === undefined ? "" : `<reference>${esc(spec.reference)}</reference>`) +
  (spec.pollingQueue === undefined ? "" : `<polling-queue>${esc(spec.pollingQueue)}</polling-queue>`) +
  "</portal-signature-job-request>"

export const buildPortalRequest = (h: Harness, spec: PortalSpec = {}): BuiltRequest =>
  buildRequest(h.spec({ requestXml: portalRequestXml(spec), manifestXml: portalManifestXml(spec, h.orgA) }))

export const postPortal = (h: Harness, request: BuiltRequest, org = h.orgA): Promise<Reply> =>
  call(h.a, "POST", `${h.sim.url}/${org}/portal/signature-jobs`, {
    body: request.body,
    headers: { "content-type": request.contentType },
  })

export interface PortalCreated {
  readonly jobId: string
  readonly cancellationUrl: string
}

export const createPortal = async (h: Harness, spec: PortalSpec = {}): Promise<PortalCreated> => {
  const reply = await postPortal(h, buildPortalRequest(h, spec))
  if (reply.status !== 200) throw new Error(`portal create failed: ${reply.status} ${reply.text}`)
  return {
    jobId: xmlText(reply.text, "signature-job-id") ?? "",
    cancellationUrl: xmlText(reply.text, "cancellation-url") ?? "",
  }
}

export const pollPortal = (h: Harness, queue?: string) =>
  call(
    h.a,
    "GET",
    `${h.sim.url}/${h.orgA}/portal/signature-jobs${queue === undefined ? "" : `?polling_queue=${queue}`}`,
  )

/** A polled change, read loosely. */
export const portalChangeOf = (xml: string) => ({
  jobId: xmlText(xml, "signature-job-id"),
  status: xmlText(xml, "status"),
  confirmationUrl: xmlText(xml, "confirmation-url"),
  cancellationUrl: xmlText(xml, "cancellation-url"),
  deleteDocumentsUrl: xmlText(xml, "delete-documents-url"),
  padesUrl: xmlText(xml, "pades-url"),
  signatures: [...xml.matchAll(/<signature>(.*?)<\/signature>/g)].map((m) => {
    const status = xmlAll(m[1]!, "status")[0]
    return {
      status: status?.text,
      since: attr(status?.attrs ?? "", "since"),
      pin: xmlText(m[1]!, "personal-identification-number"),
      email: /<email address="([^"]*)"/.exec(m[1]!)?.[1],
      sms: /<sms number="([^"]*)"/.exec(m[1]!)?.[1],
      xadesUrl: xmlText(m[1]!, "xades-url"),
    }
  }),
})

/** Polls the next change (the queue must hold one), reads it and confirms it (so it never comes back later). */
export const nextChange = async (h: Harness, queue?: string) => {
  const reply = await pollPortal(h, queue)
  if (reply.status !== 200) throw new Error(`expected a change, got ${reply.status}`)
  const change = portalChangeOf(reply.text)
  await call(h.a, "POST", change.confirmationUrl!)
  return change
}
