/**
 * Intake of "create portal signature job" (P1): the portal request and manifest (PROTOCOL.md §12.1–§12.2) read with
 * the simulator's own XML parser, over the shared bundle checks of `bundle.ts`.
 *
 * The documents are validated against the protocol package's `portal.xsd` when it ships one; the reader below also
 * refuses every structural problem it meets on its own (with `SCHEMA_VALIDATION_ERROR`), so the intake stays strict
 * either way. On top of the direct refusals:
 *
 * | HTTP | errorCode | When |
 * |---|---|---|
 * | 400 | `SCHEMA_VALIDATION_ERROR` | a structural problem, an order outside 0–9, available-seconds over 7 776 000, a bad activation-time |
 * | 400 | `INVALID_SIGNER` | `OTHER` combined with `notifications-using-lookup`, or a contact signer without an address or number |
 */
import { type IntakeDocument, type IntakeInput, type IntakeRefusal, refuse, verifyBundleRequest } from "./bundle.js"
import { hasPortalSchema, validatePortal } from "./schema.js"
import { attribute, childElements, type Element, parse, textContent, XmlError } from "./xml.js"

const NS = "http://signering.posten.no/schema/v1"

/** 90 days: the longest availability the service accepts (PROTOCOL.md §12.2). */
export const MAX_AVAILABLE_SECONDS = 7_776_000
/** Without `available-seconds`: 30 days. */
export const DEFAULT_AVAILABLE_SECONDS = 2_592_000

export interface PortalIntakeRequest {
  readonly reference: string | undefined
  readonly pollingQueue: string | undefined
}

export interface PortalIntakeSigner {
  readonly personalIdentificationNumber: string | undefined
  readonly order: number
  readonly signatureType: string | undefined
  /** As given (for contact signers, also the identity). */
  readonly notifications: { readonly email?: string | undefined; readonly sms?: string | undefined } | undefined
  readonly lookup: { readonly email: boolean; readonly sms: boolean } | undefined
  readonly onBehalfOf: string | undefined
}

export interface PortalIntakeManifest {
  readonly organizationNumber: string
  readonly title: string
  readonly nonsensitiveTitle: string | undefined
  readonly description: string | undefined
  readonly documents: ReadonlyArray<{ readonly href: string; readonly mime: string; readonly title: string }>
  readonly signers: ReadonlyArray<PortalIntakeSigner>
  readonly requiredAuthentication: string | undefined
  readonly activationTime: Date | undefined
  readonly availableSeconds: number
  readonly identifierInSignedDocuments: string | undefined
}

export type PortalIntakeResult =
  | {
      readonly ok: true
      readonly request: PortalIntakeRequest
      readonly manifest: PortalIntakeManifest
      readonly documents: Array<IntakeDocument>
    }
  | IntakeRefusal

/** A structural problem: its message becomes the schema error's text. */
class Invalid extends Error {}

const invalid = (message: string): never => {
  throw new Invalid(message)
}

const root = (xml: Uint8Array, name: string): Element => {
  let el: Element
  try {
    el = parse(xml)
  } catch (e) {
    return invalid(e instanceof XmlError ? e.message : "the XML cannot be read")
  }
  if (el.namespace !== NS || el.localName !== name)
    invalid(`the root element must be {${NS}}${name}, got {${el.namespace}}${el.localName}`)
  return el
}

/** The children of an element in the service's namespace, checked against a list of allowed names in order. */
const children = (el: Element): Array<Element> => {
  const out = childElements(el)
  for (const c of out)
    if (c.namespace !== NS) invalid(`element {${c.namespace}}${c.localName} is not expected in ${el.localName}`)
  for (const t of el.children)
    if (t.kind === "text" && t.value.trim() !== "") invalid(`element ${el.localName} must not contain text`)
  return out
}

const one = (els: ReadonlyArray<Element>, name: string, parent: string): Element => {
  const found = els.filter((e) => e.localName === name)
  if (found.length !== 1) invalid(`element ${parent} must have exactly one ${name}, has ${found.length}`)
  return found[0]!
}

const optional = (els: ReadonlyArray<Element>, name: string, parent: string): Element | undefined => {
  const found = els.filter((e) => e.localName === name)
  if (found.length > 1) invalid(`element ${parent} may have at most one ${name}`)
  return found[0]
}

const text = (el: Element | undefined, min: number, max: number): string | undefined => {
  if (el === undefined) return undefined
  const value = textContent(el)
  if (value.length < min || value.length > max)
    invalid(`the value of ${el.localName} must be ${min}–${max} characters long, is ${value.length}`)
  return value
}

const oneOf = (el: Element | undefined, values: ReadonlyArray<string>): string | undefined => {
  if (el === undefined) return undefined
  const value = textContent(el).trim()
  if (!values.includes(value)) invalid(`${el.localName} must be one of ${values.join(", ")}`)
  return value
}

/** xs:dateTime; without an offset it is read as UTC (the schema type allows that; Java always writes one). */
const dateTime = (el: Element | undefined): Date | undefined => {
  if (el === undefined) return undefined
  const m = /^(-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$/.exec(textContent(el).trim())
  const d = m === null ? undefined : new Date(`${m[1]}${m[2] ?? "Z"}`)
  if (d === undefined || Number.isNaN(d.getTime())) invalid(`${el.localName} is not an xs:dateTime`)
  return d
}

const decodeRequest = (xml: Uint8Array): PortalIntakeRequest | string => {
  try {
    const el = root(xml, "portal-signature-job-request")
    const c = children(el)
    for (const x of c)
      if (x.localName !== "reference" && x.localName !== "polling-queue")
        invalid(`element ${x.localName} is not expected in portal-signature-job-request`)
    const queue = optional(c, "polling-queue", el.localName)
    return {
      reference: text(optional(c, "reference", el.localName), 0, 50),
      pollingQueue: queue === undefined ? undefined : textContent(queue),
    }
  } catch (e) {
    if (e instanceof Invalid) return e.message
    throw e
  }
}

const SIGNATURE_TYPES = ["ADVANCED_ELECTRONIC_SIGNATURE", "AUTHENTICATED_ELECTRONIC_SIGNATURE"]

const contact = (el: Element): { email?: string; sms?: string } => {
  const c = children(el)
  const email = optional(c, "email", el.localName)
  const sms = optional(c, "sms", el.localName)
  if (c.length !== (email ? 1 : 0) + (sms ? 1 : 0) || (email === undefined && sms === undefined))
    invalid(`${el.localName} must hold an email and/or an sms element`)
  const address = email === undefined ? undefined : attribute(email, "address")
  const number = sms === undefined ? undefined : attribute(sms, "number")
  if (email !== undefined && address === undefined) invalid("email must have an address attribute")
  if (sms !== undefined && number === undefined) invalid("sms must have a number attribute")
  return { ...(address === undefined ? {} : { email: address }), ...(number === undefined ? {} : { sms: number }) }
}

const signer = (el: Element, index: number): PortalIntakeSigner => {
  const c = children(el)
  const at = `signer ${index + 1}`
  const orderText = attribute(el, "order")
  const order = orderText === undefined ? 0 : Number(orderText.trim())
  if (!Number.isInteger(order) || order < 0 || order > 9) invalid(`${at}: order must be an integer from 0 to 9`)
  const pin = optional(c, "personal-identification-number", at)
  const byContact = optional(c, "identified-by-contact-information", at)
  if ((pin === undefined) === (byContact === undefined))
    invalid(`${at} must have exactly one of personal-identification-number and identified-by-contact-information`)
  const pinValue = pin === undefined ? undefined : textContent(pin).trim()
  if (pinValue !== undefined && !/^[0-9]{11}$/.test(pinValue))
    invalid(`${at}: personal-identification-number must be 11 digits`)
  const lookupEl = optional(c, "notifications-using-lookup", at)
  const notificationsEl = optional(c, "notifications", at)
  if ((lookupEl === undefined) === (notificationsEl === undefined))
    invalid(`${at} must have exactly one of notifications and notifications-using-lookup`)
  let lookup: PortalIntakeSigner["lookup"]
  if (lookupEl !== undefined) {
    const l = children(lookupEl)
    if (optional(l, "email", "notifications-using-lookup") === undefined)
      invalid(`${at}: notifications-using-lookup must have an email element`)
    lookup = { email: true, sms: optional(l, "sms", "notifications-using-lookup") !== undefined }
  }
  const onBehalfOf = oneOf(optional(c, "on-behalf-of", at), ["SELF", "OTHER"])
  for (const x of c)
    if (
      ![
        "personal-identification-number",
        "identified-by-contact-information",
        "signature-type",
        "notifications-using-lookup",
        "notifications",
        "on-behalf-of",
      ].includes(x.localName)
    )
      invalid(`element ${x.localName} is not expected in signer`)
  if (byContact !== undefined && lookup !== undefined)
    refuse("INVALID_SIGNER", `${at} is identified by contact information and cannot use notifications-using-lookup`)
  if (onBehalfOf === "OTHER" && lookup !== undefined)
    refuse("INVALID_SIGNER", `${at}: on-behalf-of OTHER cannot be combined with notifications-using-lookup`)
  return {
    personalIdentificationNumber: pinValue,
    order,
    signatureType: oneOf(optional(c, "signature-type", at), SIGNATURE_TYPES),
    notifications: notificationsEl === undefined ? undefined : contact(notificationsEl),
    lookup,
    onBehalfOf,
  }
}

const decodeManifest = (xml: Uint8Array): PortalIntakeManifest | string => {
  try {
    const el = root(xml, "portal-signature-job-manifest")
    const c = children(el)
    const signersEl = one(c, "signers", el.localName)
    const signerEls = children(signersEl)
    if (signerEls.some((s) => s.localName !== "signer") || signerEls.length < 1)
      invalid("signers must hold one or more signer elements")
    const senderEl = one(c, "sender", el.localName)
    const organizationNumber = textContent(one(children(senderEl), "organization-number", "sender")).trim()
    if (!/^[0-9]{9}$/.test(organizationNumber)) invalid("organization-number must be 9 digits")
    const documentsEl = optional(c, "documents", el.localName)
    // The deprecated single-document form: title, non-sensitive title and description sit on the document.
    const legacy = optional(c, "document", el.localName)
    if ((documentsEl === undefined) === (legacy === undefined))
      invalid("the manifest must have either title and documents, or the deprecated single document")
    const document = (d: Element) => {
      const href = attribute(d, "href") ?? invalid("document must have an href attribute")
      const mime = attribute(d, "mime") ?? invalid("document must have a mime attribute")
      if (href.length < 4 || href.length > 100) invalid("document href must be 4–100 characters long")
      if (mime.length < 1 || mime.length > 100) invalid("document mime must be 1–100 characters long")
      return { href, mime, title: text(one(children(d), "title", "document"), 1, 80)! }
    }
    const documents =
      documentsEl === undefined
        ? [document(legacy!)]
        : children(documentsEl).map((d) => {
            if (d.localName !== "document") invalid(`element ${d.localName} is not expected in documents`)
            return document(d)
          })
    if (documents.length < 1) invalid("documents must hold one or more document elements")
    const texts = legacy === undefined ? c : children(legacy)
    const availability = optional(c, "availability", el.localName)
    const a = availability === undefined ? [] : children(availability)
    const secondsEl = optional(a, "available-seconds", "availability")
    const seconds = secondsEl === undefined ? DEFAULT_AVAILABLE_SECONDS : Number(textContent(secondsEl).trim())
    if (secondsEl !== undefined && !/^\s*[0-9]+\s*$/.test(textContent(secondsEl)))
      invalid("available-seconds must be a non-negative integer")
    if (seconds > MAX_AVAILABLE_SECONDS)
      invalid(`available-seconds must be at most ${MAX_AVAILABLE_SECONDS} (90 days), is ${seconds}`)
    const known = [
      "signers",
      "sender",
      "title",
      "nonsensitive-title",
      "description",
      "documents",
      "document",
      "required-authentication",
      "availability",
      "identifier-in-signed-documents",
    ]
    for (const x of c) if (!known.includes(x.localName)) invalid(`element ${x.localName} is not expected in manifest`)
    return {
      organizationNumber,
      title: text(one(texts, "title", el.localName), 1, 80)!,
      nonsensitiveTitle: text(optional(texts, "nonsensitive-title", el.localName), 1, 80),
      description: text(optional(texts, "description", el.localName), 0, 220),
      documents,
      signers: signerEls.map(signer),
      requiredAuthentication: oneOf(optional(c, "required-authentication", el.localName), ["3", "4"]),
      activationTime: dateTime(optional(a, "activation-time", "availability")),
      availableSeconds: seconds,
      identifierInSignedDocuments: oneOf(optional(c, "identifier-in-signed-documents", el.localName), [
        "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME",
        "DATE_OF_BIRTH_AND_NAME",
        "NAME",
      ]),
    }
  } catch (e) {
    if (e instanceof Invalid) return e.message
    throw e
  }
}

/** A signer's identity for the uniqueness check: PIN, else its e-mail address, else its mobile number, as given. */
export const signerKey = (s: PortalIntakeSigner): string =>
  s.personalIdentificationNumber !== undefined
    ? `pin:${s.personalIdentificationNumber}`
    : `contact:${s.notifications?.email ?? s.notifications?.sms ?? ""}`

/** Verifies a portal create request completely. Never throws. */
export const verifyPortalCreateRequest = (input: IntakeInput): Promise<PortalIntakeResult> =>
  verifyBundleRequest<PortalIntakeRequest, PortalIntakeManifest>(input, {
    validate: (files) => (hasPortalSchema() ? validatePortal(files) : Promise.resolve({ valid: true, errors: [] })),
    decodeRequest,
    decodeManifest,
    sender: (m) => m.organizationNumber,
    signerKeys: (m) => m.signers.map(signerKey),
    documents: (m) => m.documents,
  })
