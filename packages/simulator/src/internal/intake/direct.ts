/**
 * Intake of "create direct signature job" (D1): the direct schema and message decoders over the shared bundle checks.
 */
import { DirectServerXml } from "@signering/protocol/server"
import { type IntakeDocument, type IntakeInput, type IntakeRefusal, verifyBundleRequest } from "./bundle.js"
import { validateDirect } from "./schema.js"

export interface IntakeRequest {
  readonly reference?: string
  readonly exitUrls: { readonly completionUrl: string; readonly rejectionUrl: string; readonly errorUrl: string }
  readonly statusRetrievalMethod: "WAIT_FOR_CALLBACK" | "POLLING"
  readonly pollingQueue?: string
}

export interface IntakeSigner {
  readonly personalIdentificationNumber?: string
  readonly customIdentifier?: string
  readonly signatureType?: string
  readonly onBehalfOf?: string
}

export interface IntakeManifest {
  readonly title: string
  readonly description?: string
  readonly senderOrganizationNumber: string
  readonly signers: Array<IntakeSigner>
  readonly documents: Array<IntakeDocument>
  readonly requiredAuthentication?: string
  readonly identifierInSignedDocuments?: string
}

export type IntakeResult =
  | { readonly ok: true; readonly request: IntakeRequest; readonly manifest: IntakeManifest }
  | IntakeRefusal

type Request = Extract<ReturnType<typeof DirectServerXml.decodeJobRequest>, { _tag: "Success" }>["success"]
type Manifest = Extract<ReturnType<typeof DirectServerXml.decodeManifest>, { _tag: "Success" }>["success"]

/** Verifies a direct create request completely (see `bundle.ts` for every refusal). Never throws. */
export const verifyCreateRequest = async (input: IntakeInput): Promise<IntakeResult> => {
  const result = await verifyBundleRequest<Request, Manifest>(input, {
    validate: validateDirect,
    decodeRequest: (xml) => {
      const r = DirectServerXml.decodeJobRequest(xml)
      return r._tag === "Failure" ? r.failure.message : r.success
    },
    decodeManifest: (xml) => {
      const m = DirectServerXml.decodeManifest(xml)
      return m._tag === "Failure" ? m.failure.message : m.success
    },
    sender: (m) => m.organizationNumber,
    signerKeys: (m) => m.signers.map((s) => `${s.signer._tag}:${s.signer.value}`),
    documents: (m) => m.documents,
  })
  if (!result.ok) return result
  const { request: r, manifest: m, documents } = result
  return {
    ok: true,
    request: {
      ...(r.reference === undefined ? {} : { reference: r.reference }),
      exitUrls: r.exitUrls,
      statusRetrievalMethod: r.statusRetrievalMethod ?? "WAIT_FOR_CALLBACK",
      ...(r.pollingQueue === undefined ? {} : { pollingQueue: r.pollingQueue }),
    },
    manifest: {
      title: m.title,
      ...(m.description === undefined ? {} : { description: m.description }),
      senderOrganizationNumber: m.organizationNumber,
      signers: m.signers.map((s) => ({
        ...(s.signer._tag === "PersonalIdentificationNumber"
          ? { personalIdentificationNumber: s.signer.value }
          : { customIdentifier: s.signer.value }),
        ...(s.signatureType === undefined ? {} : { signatureType: s.signatureType }),
        ...(s.onBehalfOf === undefined ? {} : { onBehalfOf: s.onBehalfOf }),
      })),
      documents,
      ...(m.requiredAuthentication === undefined ? {} : { requiredAuthentication: m.requiredAuthentication }),
      ...(m.identifierInSignedDocuments === undefined
        ? {}
        : { identifierInSignedDocuments: m.identifierInSignedDocuments }),
    },
  }
}
