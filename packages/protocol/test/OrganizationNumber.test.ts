// Certificates from the openssl-generated test PKI: SEID 2 (organizationIdentifier), SEID 1 (serialNumber) and a
// CN that starts with the number; Node's own X509Certificate gives the subject object Node's TLS would.
import { X509Certificate } from "node:crypto"
import { describe, expect, it } from "vitest"
import { OrganizationNumber } from "../src/index.js"
import { pemToDer, testPki } from "./support/pki.js"

const pki = testPki()

describe("OrganizationNumber.fromCertificate", () => {
  it("reads SEID 2's organizationIdentifier, SEID 1's serialNumber and a leading CN number from the DER", () => {
    expect(OrganizationNumber.fromCertificate(pemToDer(pki.seid2.certPem))).toBe("123456785")
    expect(OrganizationNumber.fromCertificate(pemToDer(pki.seid1.certPem))).toBe("987654321")
    expect(OrganizationNumber.fromCertificate(pemToDer(pki.stranger.certPem))).toBe("912345678")
  })

  it("gives undefined for a certificate without an organization number and for bytes that are no certificate", () => {
    expect(OrganizationNumber.fromCertificate(pemToDer(pki.rootPem))).toBeUndefined()
    expect(OrganizationNumber.fromCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toBeUndefined()
    expect(OrganizationNumber.fromCertificate(new Uint8Array(0))).toBeUndefined()
  })
})

describe("OrganizationNumber.fromSubject", () => {
  it("accepts Node's attribute names and Bun's dotted OIDs", () => {
    expect(OrganizationNumber.fromSubject({ "2.5.4.97": "NTRNO-984661185", CN: "Posten Bring AS" })).toBe("984661185")
    expect(OrganizationNumber.fromSubject({ organizationIdentifier: "NTRNO-984661185" })).toBe("984661185")
    expect(OrganizationNumber.fromSubject({ serialNumber: ["x", "987654321"] })).toBe("987654321")
    expect(OrganizationNumber.fromSubject({ CN: "9876543210 too long" })).toBeUndefined()
    expect(OrganizationNumber.fromSubject({ organizationIdentifier: "NTRNO-98466118" })).toBeUndefined()
    expect(OrganizationNumber.fromSubject(undefined)).toBeUndefined()
  })

  it("agrees with the DER for Node's view of the test certificates", () => {
    for (const pem of [pki.seid1.certPem, pki.seid2.certPem, pki.stranger.certPem]) {
      const subject = Object.fromEntries(
        new X509Certificate(pem).subject.split("\n").map((line) => line.split("=", 2) as [string, string]),
      )
      expect(OrganizationNumber.fromSubject(subject)).toBe(OrganizationNumber.fromCertificate(pemToDer(pem)))
    }
  })
})

describe("OrganizationNumber.ofPeerCertificate", () => {
  it("prefers the DER (Deno's subject drops 2.5.4.97) and falls back to the subject", () => {
    const raw = pemToDer(pki.seid2.certPem)
    expect(OrganizationNumber.ofPeerCertificate({ raw, subject: { CN: "Sørlandet Test AS" } })).toBe("123456785")
    expect(OrganizationNumber.ofPeerCertificate({ subject: { serialNumber: "987654321" } })).toBe("987654321")
    expect(OrganizationNumber.ofPeerCertificate(undefined)).toBeUndefined()
  })
})
