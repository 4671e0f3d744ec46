import { describe, expect, it } from "@effect/vitest"
import { Redacted, Result } from "effect"
import * as PortalResponse from "../src/PortalResponse.js"
import * as PortalXml from "../src/PortalXml.js"
import { readPortalFixture } from "./support/portal.js"

const change = Result.getOrThrow(
  PortalXml.decodeStatusChangeResponse(readPortalFixture("status-change-response.spec.xml")),
)

describe("PortalResponse.getSignatureFrom", () => {
  it("finds a signature by PIN (plain or Redacted), e-mail address or mobile number, verbatim", () => {
    expect(PortalResponse.getSignatureFrom(change, "12345678910")?.status).toBe("SIGNED")
    expect(PortalResponse.getSignatureFrom(change, Redacted.make("12345678910"))?.status).toBe("SIGNED")
    expect(PortalResponse.getSignatureFrom(change, { personalIdentificationNumber: "12345678910" })?.status).toBe(
      "SIGNED",
    )
    expect(PortalResponse.getSignatureFrom(change, "kari@example.com")?.signer).toEqual({
      _tag: "ContactInformation",
      email: "kari@example.com",
      sms: "00000000",
    })
    expect(PortalResponse.getSignatureFrom(change, "00000000")?.since).toEqual(new Date("2026-12-01T08:15:00.000Z"))
    expect(PortalResponse.getSignatureFrom(change, { sms: "+4799999999" })?.signer).toEqual({
      _tag: "ContactInformation",
      sms: "+4799999999",
    })
    expect(PortalResponse.getSignatureFrom(change, { email: "kari@example.com", sms: "00000000" })).toBeDefined()
    // Verbatim: no normalisation of case or country code; a partial mismatch is no match.
    expect(PortalResponse.getSignatureFrom(change, "KARI@example.com")).toBeUndefined()
    expect(PortalResponse.getSignatureFrom(change, "99999999")).toBeUndefined()
    expect(PortalResponse.getSignatureFrom(change, { email: "kari@example.com", sms: "11111111" })).toBeUndefined()
    expect(PortalResponse.getSignatureFrom(change, {})).toBeUndefined()
    // A PIN never matches a contact signer, nor a contact value a PIN signer.
    expect(PortalResponse.getSignatureFrom(change, { personalIdentificationNumber: "00000000" })).toBeUndefined()
  })
})

describe("PortalResponse.isPadesAvailable", () => {
  it("is true exactly when the change carries a PAdES URL", () => {
    expect(PortalResponse.isPadesAvailable(change)).toBe(true)
    expect(PortalResponse.isPadesAvailable({ padesUrl: undefined })).toBe(false)
    expect(PortalResponse.knownSignatureStatuses).toContain("CONTACT_INFORMATION_MISSING")
  })
})
