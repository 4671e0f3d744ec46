/**
 * The client's identity: the organization number in the TLS client certificate's subject.
 */
import { X509Certificate } from "node:crypto"
import type { TLSSocket } from "node:tls"

export interface PeerIdentity {
  readonly der: Uint8Array
  /** Undefined when the subject carries no organization number in any known form. */
  readonly organizationNumber: string | undefined
}

/**
 * Same order as digipost's certificate-validator: `organizationIdentifier (2.5.4.97)=NTRNO-<org>` (SEID 2),
 * else `serialNumber (2.5.4.5)=<org>` (SEID 1), else a CN starting with the number.
 */
export const organizationNumberOf = (subject: string): string | undefined => {
  const lines = subject.split("\n")
  const value = (names: ReadonlyArray<string>) => {
    for (const line of lines) {
      const eq = line.indexOf("=")
      if (eq !== -1 && names.includes(line.slice(0, eq))) return line.slice(eq + 1)
    }
    return undefined
  }
  const seid2 = value(["organizationIdentifier", "2.5.4.97"])?.match(/^NTRNO-([0-9]{9})$/)
  if (seid2) return seid2[1]
  const seid1 = value(["serialNumber", "2.5.4.5"])?.match(/^([0-9]{9})$/)
  if (seid1) return seid1[1]
  const cn = value(["CN"])?.match(/^([0-9]{9})\b/)
  return cn ? cn[1] : undefined
}

const cache = new WeakMap<TLSSocket, PeerIdentity | undefined>()

/** The verified peer certificate of a TLS socket (the listener rejects unverified ones at the handshake). */
export const peerIdentity = (socket: TLSSocket): PeerIdentity | undefined => {
  if (cache.has(socket)) return cache.get(socket)
  let identity: PeerIdentity | undefined
  if (typeof socket.getPeerCertificate === "function" && socket.authorized) {
    const peer = socket.getPeerCertificate(false)
    if (peer?.raw !== undefined && peer.raw.length > 0) {
      const der = new Uint8Array(peer.raw)
      identity = { der, organizationNumber: organizationNumberOf(new X509Certificate(peer.raw).subject) }
    }
  }
  cache.set(socket, identity)
  return identity
}
