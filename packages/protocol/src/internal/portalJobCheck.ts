/**
 * The checks of a portal job (PROTOCOL.md §12.2 and §12.6): signers with their notifications and order groups, and
 * the availability window, on top of the parts both flows share (`jobCheck`). Every issue is collected, none stops
 * the others.
 */
import { Redacted } from "effect"
import type { ValidateOptions } from "../Common.js"
import type { Availability, Notifications, PortalJob, PortalJobInput, PortalSigner } from "../PortalJob.js"
import { maskPin } from "./checkDigits.js"
import {
  checkDescriptionAndReference,
  checkDocuments,
  checkPin,
  checkSender,
  checkSignerKind,
  checkSigningOptions,
  Issues,
  isRecord,
  sharedLimits,
} from "./jobCheck.js"
import type { Checked } from "./jobConstructors.js"

/** Every documented limit of a portal job (published as `PortalJob.limits`). */
export const portalLimits = {
  ...sharedLimits,
  nonsensitiveTitleMaxLength: 80,
  minOrder: 0,
  maxOrder: 9,
  maxAvailableSeconds: 7_776_000,
} as const

const limits = portalLimits

type SignerOptions = Pick<PortalSigner, "order" | "signatureType" | "onBehalfOf">

// No source gives a pattern (plain xs:string, Java checks nothing): only the shape, loosely, to catch mix-ups.
const emailShape = /^[^\s@]+@[^\s@]+$/
// The docs' own examples `00000000` and `999999999` must pass; a leading + for international numbers.
const mobileShape = /^\+?[0-9]+$/

const checkContact = (
  issues: Issues,
  path: string,
  value: unknown,
  what: string,
): { readonly email?: string; readonly sms?: string } | undefined => {
  if (!isRecord(value)) {
    issues.add(path, "type", `${what} must be an object with email and/or sms`)
    return undefined
  }
  const email = issues.optionalText(`${path}.email`, value.email, { min: 1 }, "e-mail address")
  if (email !== undefined && email.length > 0 && !emailShape.test(email)) {
    issues.add(`${path}.email`, "email", "e-mail address must have the shape local@domain")
  }
  const sms = issues.optionalText(`${path}.sms`, value.sms, { min: 1 }, "mobile number")
  if (sms !== undefined && sms.length > 0 && !mobileShape.test(sms)) {
    issues.add(`${path}.sms`, "mobile", "mobile number must be digits with an optional leading +")
  }
  if (value.email === undefined && value.sms === undefined) {
    issues.add(path, "required", `${what} needs an e-mail address or a mobile number`)
    return undefined
  }
  return { ...(email === undefined ? {} : { email }), ...(sms === undefined ? {} : { sms }) }
}

const checkAvailability = (issues: Issues, value: unknown): Availability => {
  if (value === undefined) return {}
  if (!isRecord(value)) {
    issues.add("availability", "type", "availability must be an object")
    return {}
  }
  let activationTime: Date | undefined
  if (value.activationTime !== undefined) {
    const t = value.activationTime
    if (!(t instanceof Date) || Number.isNaN(t.getTime())) {
      issues.add("availability.activationTime", "type", "activation time must be a valid Date")
    } else {
      activationTime = t
    }
  }
  let availableSeconds: number | undefined
  if (value.availableSeconds !== undefined) {
    const s = value.availableSeconds
    if (typeof s !== "number" || !Number.isInteger(s)) {
      issues.add("availability.availableSeconds", "type", "available seconds must be an integer")
    } else if (s < 0 || s > limits.maxAvailableSeconds) {
      issues.add(
        "availability.availableSeconds",
        "out-of-range",
        `available seconds must be 0 to ${limits.maxAvailableSeconds} (90 days) (is ${s})`,
      )
    } else {
      availableSeconds = s
    }
  }
  return {
    ...(activationTime === undefined ? {} : { activationTime }),
    ...(availableSeconds === undefined ? {} : { availableSeconds }),
  }
}

const checkSigners = (issues: Issues, value: unknown, options: ValidateOptions | undefined): Array<PortalSigner> => {
  const signers: Array<PortalSigner> = []
  const raw = issues.sized<unknown>("signers", value, limits.minSigners, limits.maxSigners, "signers")
  if (raw === undefined) return signers
  // Identifiers must tell signers apart: the status answer names each by PIN, or by e-mail / mobile verbatim.
  const seenPins = new Map<string, number>()
  const seenEmails = new Map<string, number>()
  const seenMobiles = new Map<string, number>()
  const unique = (seen: Map<string, number>, key: string, i: number, path: string, what: string) => {
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else issues.add(path, "duplicate", `${what} must be unique among the job's signers (same as signers[${first}])`)
  }
  raw.forEach((s: unknown, i) => {
    const path = `signers[${i}]`
    if (!isRecord(s)) {
      issues.add(path, "type", "a signer must be an object")
      return
    }
    const kind = checkSignerKind(issues, path, s)
    let order = 0
    if (s.order !== undefined) {
      if (
        typeof s.order !== "number" ||
        !Number.isInteger(s.order) ||
        s.order < limits.minOrder ||
        s.order > limits.maxOrder
      ) {
        issues.add(`${path}.order`, "out-of-range", `order must be an integer ${limits.minOrder} to ${limits.maxOrder}`)
      } else {
        order = s.order
      }
    }
    const common: SignerOptions = { order, ...kind }
    const hasPin = s.personalIdentificationNumber !== undefined
    const hasContact = s.contactInformation !== undefined
    if (hasPin === hasContact) {
      issues.add(
        path,
        "signer-identifier",
        "a signer needs exactly one of personalIdentificationNumber and contactInformation",
      )
      return
    }
    if (hasContact) {
      if (s.notifications !== undefined || s.notificationsUsingLookup !== undefined) {
        issues.add(
          path,
          "notifications",
          "a signer identified by contactInformation is notified there: notifications and notificationsUsingLookup are not allowed",
        )
      }
      const contact = checkContact(issues, `${path}.contactInformation`, s.contactInformation, "contactInformation")
      if (contact === undefined) return
      if (contact.email !== undefined)
        unique(seenEmails, contact.email, i, `${path}.contactInformation.email`, "e-mail address")
      if (contact.sms !== undefined)
        unique(seenMobiles, contact.sms, i, `${path}.contactInformation.sms`, "mobile number")
      signers.push({ _tag: "ContactInformation", contactInformation: contact, ...common })
      return
    }
    const pinPath = `${path}.personalIdentificationNumber`
    const pin = checkPin(issues, pinPath, s.personalIdentificationNumber, options)
    if (pin !== undefined)
      unique(
        seenPins,
        Redacted.value(pin),
        i,
        pinPath,
        `personal identification number ${maskPin(Redacted.value(pin))}`,
      )
    const hasNotifications = s.notifications !== undefined
    const hasLookup = s.notificationsUsingLookup !== undefined
    let notifications: Notifications | undefined
    if (hasNotifications === hasLookup) {
      issues.add(
        path,
        hasNotifications ? "notifications" : "required",
        hasNotifications
          ? "give either notifications or notificationsUsingLookup, not both"
          : "a signer identified by personalIdentificationNumber needs notifications or notificationsUsingLookup (a way to be notified)",
      )
    } else if (hasNotifications) {
      const contact = checkContact(issues, `${path}.notifications`, s.notifications, "notifications")
      if (contact !== undefined) notifications = { _tag: "Notifications", ...contact }
    } else {
      const lookup = s.notificationsUsingLookup
      const lookupPath = `${path}.notificationsUsingLookup`
      if (!isRecord(lookup)) {
        issues.add(lookupPath, "type", "notificationsUsingLookup must be an object { email: true, sms?: boolean }")
      } else {
        if (lookup.email !== true)
          issues.add(
            `${lookupPath}.email`,
            "required",
            "notificationsUsingLookup.email must be true (the register always notifies by e-mail)",
          )
        if (lookup.sms !== undefined && typeof lookup.sms !== "boolean")
          issues.add(`${lookupPath}.sms`, "type", "notificationsUsingLookup.sms must be a boolean")
        // As the Java client: a signer on behalf of another is not looked up in the register.
        if (kind.onBehalfOf === "OTHER")
          issues.add(lookupPath, "on-behalf-of", "notificationsUsingLookup cannot be combined with onBehalfOf OTHER")
        notifications = { _tag: "NotificationsUsingLookup", sms: lookup.sms === true }
      }
    }
    if (pin !== undefined && notifications !== undefined) {
      signers.push({
        _tag: "PersonalIdentificationNumber",
        personalIdentificationNumber: pin,
        notifications,
        ...common,
      })
    }
  })
  return signers
}

export const checkPortalJob = (input: PortalJobInput, options?: ValidateOptions): Checked<PortalJob> => {
  const issues = new Issues()
  if (!isRecord(input)) {
    issues.add("", "type", "the job must be an object")
    return { issues: issues.list }
  }
  const title = issues.text("title", input.title, { min: 1, max: limits.titleMaxLength }, "title")
  // An empty non-sensitive title is invalid, not absent (the schema's minLength 1).
  const nonsensitiveTitle = issues.optionalText(
    "nonsensitiveTitle",
    input.nonsensitiveTitle,
    { min: 1, max: limits.nonsensitiveTitleMaxLength },
    "non-sensitive title",
  )
  const texts = checkDescriptionAndReference(issues, input)
  const sender = checkSender(issues, input.sender)
  const availability = checkAvailability(issues, input.availability)
  const signingOptions = checkSigningOptions(issues, input)
  const signers = checkSigners(issues, input.signers, options)
  const documents = checkDocuments(issues, input.documents)

  if (issues.list.length > 0 || title === undefined || sender === undefined) return { issues: issues.list }
  const job: PortalJob = {
    _tag: "PortalJob",
    title,
    ...(nonsensitiveTitle === undefined ? {} : { nonsensitiveTitle }),
    ...texts,
    documents,
    signers,
    sender,
    availability,
    ...signingOptions,
  }
  return { issues: [], job }
}
