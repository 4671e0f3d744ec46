/**
 * TEMPORARY stand-in for the intake (owned by another helper); no verification. Removed when theirs land.
 */
import { XMLParser } from "fast-xml-parser"
import { unzipSync } from "fflate"

export interface IntakeInput {
  contentType: string
  body: Uint8Array
  clientCertificateDer: Uint8Array
  organizationInUrl: string
  now: Date
  signingTimeLeniencyMs: number
}
export type IntakeResult =
  | {
      ok: true
      request: {
        reference?: string
        exitUrls: { completionUrl: string; rejectionUrl: string; errorUrl: string }
        statusRetrievalMethod: "WAIT_FOR_CALLBACK" | "POLLING"
        pollingQueue?: string
      }
      manifest: {
        title: string
        description?: string
        senderOrganizationNumber: string
        signers: Array<{ personalIdentificationNumber?: string; customIdentifier?: string }>
        documents: Array<{ href: string; mime: string; title: string; bytes: Uint8Array }>
      }
    }
  | { ok: false; status: number; errorCode: string; errorMessage: string; errorType: "CLIENT" }

const bad = (m: string): IntakeResult => ({
  ok: false,
  status: 400,
  errorCode: "SCHEMA_VALIDATION_ERROR",
  errorMessage: m,
  errorType: "CLIENT",
})

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
})

const indexOf = (hay: Uint8Array, needle: Uint8Array, from: number) => {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

export const verifyCreateRequest = async (input: IntakeInput): Promise<IntakeResult> => {
  const boundary = /boundary="?([^";]+)"?/.exec(input.contentType)?.[1]
  if (boundary === undefined) return bad("not multipart")
  const enc = new TextEncoder()
  const delim = enc.encode(`--${boundary}`)
  const parts: Array<{ type: string; body: Uint8Array }> = []
  let pos = indexOf(input.body, delim, 0)
  while (pos !== -1) {
    const next = indexOf(input.body, delim, pos + delim.length)
    if (next === -1) break
    const chunk = input.body.subarray(pos + delim.length + 2, next - 2)
    const headerEnd = indexOf(chunk, enc.encode("\r\n\r\n"), 0)
    const headers = new TextDecoder().decode(chunk.subarray(0, headerEnd))
    parts.push({ type: /content-type:\s*([^;\r\n]+)/i.exec(headers)?.[1] ?? "", body: chunk.subarray(headerEnd + 4) })
    pos = next
  }
  const xmlPart = parts.find((p) => p.type === "application/xml")
  const zipPart = parts.find((p) => p.type === "application/octet-stream")
  if (xmlPart === undefined || zipPart === undefined) return bad("parts missing")
  const req = parser.parse(new TextDecoder().decode(xmlPart.body))["direct-signature-job-request"]
  const files = unzipSync(zipPart.body)
  const manifestBytes = files["manifest.xml"]
  if (req === undefined || manifestBytes === undefined) return bad("bad request")
  const man = parser.parse(new TextDecoder().decode(manifestBytes))["direct-signature-job-manifest"]
  const arr = <T>(x: T | Array<T> | undefined): Array<T> => (x === undefined ? [] : Array.isArray(x) ? x : [x])
  return {
    ok: true,
    request: {
      ...(req.reference === undefined ? {} : { reference: req.reference }),
      exitUrls: {
        completionUrl: req["exit-urls"]["completion-url"],
        rejectionUrl: req["exit-urls"]["rejection-url"],
        errorUrl: req["exit-urls"]["error-url"],
      },
      statusRetrievalMethod: req["status-retrieval-method"] ?? "WAIT_FOR_CALLBACK",
      ...(req["polling-queue"] === undefined ? {} : { pollingQueue: req["polling-queue"] }),
    },
    manifest: {
      title: man.title,
      ...(man.description === undefined ? {} : { description: man.description }),
      senderOrganizationNumber: man.sender["organization-number"],
      signers: arr<Record<string, string>>(man.signer).map((s) =>
        s["personal-identification-number"] !== undefined
          ? { personalIdentificationNumber: s["personal-identification-number"] }
          : { customIdentifier: s["signer-identifier"]! },
      ),
      documents: arr<Record<string, string>>(man.documents.document).map((d) => ({
        href: d["@href"]!,
        mime: d["@mime"]!,
        title: d.title!,
        bytes: files[decodeURIComponent(d["@href"]!.replace(/\+/g, " "))] ?? files[d["@href"]!]!,
      })),
    },
  }
}
