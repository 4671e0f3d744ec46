/**
 * Server identity as the signering service defines it.
 *
 * The service's certificate is a Norwegian enterprise certificate issued to an
 * organization, not to a DNS name, so host-name matching cannot work. A client
 * instead (1) validates the chain against the environment's trust anchors and
 * (2) checks the organization number in the leaf certificate's subject. This
 * module does (2); chain validation stays with OpenSSL (`rejectUnauthorized`).
 *
 * @since 0.1.0
 */
import type { PeerCertificate } from "node:tls"
import { ServerIdentityError as ClientServerIdentityError, Environment } from "@signering/client"
import { OrganizationNumber } from "@signering/protocol"

/**
 * Organization number of Posten Bring AS, the operator of the real service
 * (production, difitest and difiqa alike).
 *
 * @example
 * ```ts
 * import { ServerIdentity } from "@signering/node-tls"
 *
 * ServerIdentity.POSTEN_ORGANIZATION_NUMBER // "984661185"
 * ```
 *
 * @since 0.1.0
 */
export const POSTEN_ORGANIZATION_NUMBER: string = Environment.POSTEN_ORGANIZATION_NUMBER

/**
 * The server's certificate did not carry the expected organization number.
 * It is `@signering/client`'s class, so the client recognises it in the
 * failure's cause chain and reports a `TransportError` with reason `ServerIdentity`.
 *
 * It is returned from `checkServerIdentity`, so Node destroys the socket with
 * it and it ends up as the `cause` of the transport failure.
 *
 * @example
 * ```ts
 * import { ServerIdentity } from "@signering/node-tls"
 *
 * const check = ServerIdentity.checkServerIdentity("984661185")
 * const error = check("127.0.0.1", { subject: { CN: "evil" } } as never)
 * error instanceof ServerIdentity.ServerIdentityError // true
 * ```
 *
 * @since 0.1.0
 */
export const ServerIdentityError = ClientServerIdentityError

/** @since 0.1.0 */
export type ServerIdentityError = ClientServerIdentityError

type Subject = PeerCertificate["subject"] | undefined

const values = (subject: Subject, key: string): ReadonlyArray<string> => {
  const value = (subject as unknown as Record<string, string | ReadonlyArray<string> | undefined> | undefined)?.[key]
  if (value === undefined) return []
  return typeof value === "string" ? [value] : value
}

/**
 * The organization number in a certificate subject, by the rules of the
 * service (patterns as in Digipost's certificate-validator): the SEID 2
 * `organizationIdentifier` (OID 2.5.4.97) `NTRNO-<org>`, else a 9-digit
 * `serialNumber` (2.5.4.5), else a common name starting with 9 digits.
 *
 * @example
 * ```ts
 * import { ServerIdentity } from "@signering/node-tls"
 *
 * ServerIdentity.organizationNumberOf({ organizationIdentifier: "NTRNO-984661185" } as never) // "984661185"
 * ```
 *
 * @since 0.1.0
 */
export const organizationNumberOf = (subject: Subject): string | undefined => {
  for (const value of values(subject, "organizationIdentifier")) {
    const match = /^NTRNO-(\d{9})$/.exec(value.trim())
    if (match) return match[1]
  }
  for (const value of values(subject, "serialNumber")) {
    const match = /^(\d{9})$/.exec(value.trim())
    if (match) return match[1]
  }
  for (const value of values(subject, "CN")) {
    const match = /^(\d{9})(?!\d)/.exec(value.trim())
    if (match) return match[1]
  }
  return undefined
}

const describe = (subject: Subject): string =>
  subject === undefined
    ? "(none)"
    : Object.entries(subject)
        .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : String(value)}`)
        .join(", ")

/**
 * A `checkServerIdentity` function for `tls.connect` (and undici's `connect`
 * options) that replaces host-name matching with the organization-number check.
 *
 * Node calls it only after the chain has been verified against `ca`, so
 * together with `rejectUnauthorized: true` it gives the full check the service
 * requires. The host name is deliberately ignored: the certificate names no host.
 *
 * @example
 * ```ts
 * import { Agent } from "undici"
 * import { ServerIdentity } from "@signering/node-tls"
 *
 * const agent = new Agent({
 *   connect: {
 *     ca: trustAnchorsPem,
 *     rejectUnauthorized: true,
 *     checkServerIdentity: ServerIdentity.checkServerIdentity(ServerIdentity.POSTEN_ORGANIZATION_NUMBER),
 *   },
 * })
 * ```
 *
 * @since 0.1.0
 */
export const checkServerIdentity =
  (expectedOrganizationNumber: string) =>
  (_hostname: string, certificate: PeerCertificate): ClientServerIdentityError | undefined => {
    // Deno's Node compatibility leaves OID 2.5.4.97 out of `subject`: the DER in `raw` still has it.
    const actual =
      organizationNumberOf(certificate?.subject) ??
      (certificate?.raw === undefined ? undefined : OrganizationNumber.fromCertificate(certificate.raw))
    if (actual === expectedOrganizationNumber) return undefined
    return new ClientServerIdentityError({
      reason: actual === undefined ? "NoOrganizationNumber" : "OrganizationMismatch",
      expectedOrganizationNumber,
      actualOrganizationNumber: actual,
      subject: describe(certificate?.subject),
    })
  }
