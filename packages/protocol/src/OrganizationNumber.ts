/**
 * The organization number in a server certificate: how a client checks the service's identity.
 *
 * The service's certificate is a Norwegian enterprise certificate issued to an organization, not to a host
 * name, so a transport replaces host-name matching with this check. Runtimes describe a peer certificate
 * differently (Node names OID 2.5.4.97 `organizationIdentifier`, Bun keeps the dotted OID, Deno drops it), so
 * the certificate's DER is the one input every runtime can give: {@link fromCertificate} reads it.
 *
 * @since 0.1.0
 */
import { Asn1Error, type Name, parseCertificate } from "./internal/asn1.js"

const ORGANIZATION_IDENTIFIER = "2.5.4.97"
const SERIAL_NUMBER = "2.5.4.5"
const COMMON_NAME = "2.5.4.3"

const fromValues = (values: {
  readonly organizationIdentifier: ReadonlyArray<string>
  readonly serialNumber: ReadonlyArray<string>
  readonly commonName: ReadonlyArray<string>
}): string | undefined => {
  // The service's rules (Digipost's certificate-validator): SEID 2 first, then SEID 1's serialNumber, then a CN
  // that starts with the number.
  for (const value of values.organizationIdentifier) {
    const match = /^NTRNO-(\d{9})$/.exec(value.trim())
    if (match) return match[1]
  }
  for (const value of values.serialNumber) {
    const match = /^(\d{9})$/.exec(value.trim())
    if (match) return match[1]
  }
  for (const value of values.commonName) {
    const match = /^(\d{9})(?!\d)/.exec(value.trim())
    if (match) return match[1]
  }
  return undefined
}

const decoder = new TextDecoder("utf-8", { fatal: false })

const attributeValues = (name: Name, oid: string): Array<string> =>
  name.flatMap((rdn) => rdn.filter((attribute) => attribute.oid === oid)).map((a) => decoder.decode(a.content))

/**
 * The organization number of a certificate's subject, read from its DER: the SEID 2 `organizationIdentifier`
 * (OID 2.5.4.97) `NTRNO-<org>`, else a 9-digit `serialNumber` (2.5.4.5), else a common name starting with
 * 9 digits. `undefined` when there is none or the bytes are not a DER certificate.
 *
 * @example
 * ```ts
 * import { OrganizationNumber } from "@signering/protocol"
 *
 * // In a runtime's checkServerIdentity(host, certificate): certificate.raw is the DER
 * OrganizationNumber.fromCertificate(certificate.raw) // "984661185"
 * ```
 *
 * @since 0.1.0
 */
export const fromCertificate = (der: Uint8Array): string | undefined => {
  let subject: Name
  try {
    subject = parseCertificate(der instanceof Uint8Array ? der : new Uint8Array(der)).subject
  } catch (error) {
    if (error instanceof Asn1Error || error instanceof RangeError) return undefined
    throw error
  }
  return fromValues({
    organizationIdentifier: attributeValues(subject, ORGANIZATION_IDENTIFIER),
    serialNumber: attributeValues(subject, SERIAL_NUMBER),
    commonName: attributeValues(subject, COMMON_NAME),
  })
}

/**
 * A subject as Node's and Bun's `PeerCertificate.subject` give it: attribute name (or dotted OID) to value(s).
 *
 * @example
 * ```ts
 * const subject: OrganizationNumber.Subject = { CN: "Posten Bring AS", "2.5.4.97": "NTRNO-984661185" }
 * ```
 *
 * @since 0.1.0
 */
export type Subject = { readonly [attribute: string]: string | ReadonlyArray<string> | undefined }

const valuesOf = (subject: Subject | undefined, ...keys: ReadonlyArray<string>): Array<string> =>
  keys.flatMap((key) => {
    const value = subject?.[key]
    return value === undefined ? [] : typeof value === "string" ? [value] : [...value]
  })

/**
 * The organization number of a subject object, by the same rules as {@link fromCertificate}. Accepts Node's
 * attribute names and Bun's dotted OIDs; prefer {@link fromCertificate} where the DER is at hand.
 *
 * @example
 * ```ts
 * import { OrganizationNumber } from "@signering/protocol"
 *
 * OrganizationNumber.fromSubject({ "2.5.4.97": "NTRNO-984661185" }) // "984661185"
 * OrganizationNumber.fromSubject({ organizationIdentifier: "NTRNO-984661185" }) // "984661185"
 * ```
 *
 * @since 0.1.0
 */
export const fromSubject = (subject: Subject | undefined): string | undefined =>
  fromValues({
    organizationIdentifier: valuesOf(subject, "organizationIdentifier", ORGANIZATION_IDENTIFIER),
    serialNumber: valuesOf(subject, "serialNumber", SERIAL_NUMBER),
    commonName: valuesOf(subject, "CN", COMMON_NAME),
  })

/**
 * A peer certificate as the runtimes' `checkServerIdentity` hands it over (Node, Bun, Deno's Node
 * compatibility): the DER in `raw` when present, else the subject object.
 *
 * @example
 * ```ts
 * const check = (host: string, certificate: OrganizationNumber.PeerCertificate) =>
 *   OrganizationNumber.ofPeerCertificate(certificate) === "984661185" ? undefined : new Error("wrong server")
 * ```
 *
 * @since 0.1.0
 */
export interface PeerCertificate {
  readonly raw?: Uint8Array | undefined
  readonly subject?: Subject | undefined
}

/**
 * The organization number of a peer certificate: from its DER (`raw`) when the runtime gives it, else from
 * its subject object.
 *
 * @example
 * ```ts
 * import { OrganizationNumber } from "@signering/protocol"
 *
 * tls.connect({ ...options, checkServerIdentity: (_host, cert) =>
 *   OrganizationNumber.ofPeerCertificate(cert) === "984661185" ? undefined : new Error("not the service") })
 * ```
 *
 * @since 0.1.0
 */
export const ofPeerCertificate = (certificate: PeerCertificate | undefined): string | undefined =>
  (certificate?.raw === undefined ? undefined : fromCertificate(certificate.raw)) ?? fromSubject(certificate?.subject)
