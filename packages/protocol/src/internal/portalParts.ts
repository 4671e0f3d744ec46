/**
 * Pieces of the portal messages both codec sides use: the `notifications` type (an `email @address` and/or an
 * `sms @number`), which is also how a status change identifies a contact signer.
 */
import type { ContactInformation } from "../PortalJob.js"
import type { Reader } from "./xmlDecode.js"
import { escapeAttribute } from "./xmlText.js"

/** `notifications` content: e-mail first, then SMS (the schema's choice of (email, sms?) or sms). */
export const encodeContact = (contact: ContactInformation): string =>
  (contact.email === undefined ? "" : `<email address="${escapeAttribute(contact.email)}"/>`) +
  (contact.sms === undefined ? "" : `<sms number="${escapeAttribute(contact.sms)}"/>`)

/** The `email @address` / `sms @number` pair of a `notifications`-typed element; at least one must be there. */
export const readContact = (r: Reader): ContactInformation => {
  const email = r.optional("email")?.requiredAttribute("address")
  const sms = r.optional("sms")?.requiredAttribute("number")
  if (email === undefined && sms === undefined) r.fail("MissingElement", `${r.path} needs email or sms`)
  return { ...(email === undefined ? {} : { email }), ...(sms === undefined ? {} : { sms }) }
}
