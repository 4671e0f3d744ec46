import type { PeerCertificate } from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import { ServerIdentity } from "../src/index.js"

const peer = (subject: Record<string, string | Array<string>>) => ({ subject }) as unknown as PeerCertificate

describe("ServerIdentity.organizationNumberOf", () => {
  it("reads the SEID 2 organizationIdentifier first", () => {
    expect(
      ServerIdentity.organizationNumberOf(
        peer({ organizationIdentifier: "NTRNO-984661185", serialNumber: "111111111", CN: "222222222" }).subject,
      ),
    ).toBe("984661185")
  })

  it("falls back to a 9-digit serialNumber, then to a common name starting with 9 digits", () => {
    expect(ServerIdentity.organizationNumberOf(peer({ serialNumber: "984661185", CN: "x" }).subject)).toBe("984661185")
    expect(ServerIdentity.organizationNumberOf(peer({ CN: "984661185 Posten" }).subject)).toBe("984661185")
    expect(ServerIdentity.organizationNumberOf(peer({ CN: "9846611850" }).subject)).toBeUndefined()
  })

  it("ignores identifiers of other registries and malformed values", () => {
    expect(ServerIdentity.organizationNumberOf(peer({ organizationIdentifier: "VATNO-984661185" }).subject)).toBe(
      undefined,
    )
    expect(ServerIdentity.organizationNumberOf(peer({ serialNumber: "UN:NO-9578-4505-00001pdP2" }).subject)).toBe(
      undefined,
    )
    expect(ServerIdentity.organizationNumberOf(undefined)).toBeUndefined()
  })

  it("handles multi-valued attributes", () => {
    expect(
      ServerIdentity.organizationNumberOf(peer({ organizationIdentifier: ["PSDNO-x", "NTRNO-984661185"] }).subject),
    ).toBe("984661185")
  })
})

describe("ServerIdentity.checkServerIdentity", () => {
  const check = ServerIdentity.checkServerIdentity(ServerIdentity.POSTEN_ORGANIZATION_NUMBER)

  it("accepts the expected organization whatever the host name", () => {
    expect(check("api.signering.posten.no", peer({ organizationIdentifier: "NTRNO-984661185" }))).toBeUndefined()
    expect(check("127.0.0.1", peer({ serialNumber: "984661185" }))).toBeUndefined()
  })

  it("returns a typed error naming both organizations", () => {
    const error = check("x", peer({ organizationIdentifier: "NTRNO-123456785", CN: "Other AS" }))
    expect(error).toBeInstanceOf(ServerIdentity.ServerIdentityError)
    expect(error?._tag).toBe("ServerIdentityError")
    expect(error?.reason).toBe("OrganizationMismatch")
    expect(error?.message).toMatch(/organization 123456785, expected 984661185/)
    expect(error?.code).toBe("ERR_SIGNERING_SERVER_IDENTITY")
  })

  it("says so when the certificate has no organization number", () => {
    const error = check("x", peer({ CN: "localhost" }))
    expect(error?.reason).toBe("NoOrganizationNumber")
    expect(error?.actualOrganizationNumber).toBeUndefined()
    expect(error?.message).toMatch(/CN=localhost/)
  })
})
