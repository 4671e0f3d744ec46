import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as PortalServerXml from "../src/PortalServerXml.js"
import * as PortalXml from "../src/PortalXml.js"
import type { DecodeError } from "../src/ProtocolError.js"
import { readPortalFixture } from "./support/portal.js"
import { describeErrors, validatePortal } from "./support/xsd.js"

const ok = <A>(r: Result.Result<A, DecodeError>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${r.failure.message}`)
  return r.success
}
const failure = <A>(r: Result.Result<A, DecodeError>): DecodeError => {
  if (Result.isSuccess(r)) throw new Error("expected a DecodeError")
  return r.failure
}

describe("PortalServerXml.decodeManifest", () => {
  it("reads the deprecated single-document form (schema-valid) into the same shape", async () => {
    const xml = readPortalFixture("manifest.legacy.xml")
    const ours = await validatePortal([{ name: "legacy", xml }])
    expect(ours.valid, describeErrors(ours)).toBe(true)
    expect(ok(PortalServerXml.decodeManifest(xml))).toEqual({
      legacy: true,
      signers: [
        {
          order: 1,
          signer: { _tag: "PersonalIdentificationNumber", value: "12345678910" },
          notifications: { _tag: "Notifications", email: "signer1@example.com", sms: "00000000" },
        },
        {
          signer: { _tag: "ContactInformation" },
          notifications: { _tag: "Notifications", sms: "999999999" },
          onBehalfOf: "OTHER",
        },
      ],
      organizationNumber: "983163327",
      title: "Tittel",
      nonsensitiveTitle: "Dokument",
      description: "Melding til signatar",
      documents: [{ href: "document.pdf", mime: "application/pdf", title: "Tittel" }],
      availability: { activationTime: new Date("2026-02-10T11:00:00.000Z"), availableSeconds: 864000 },
    })
  })

  it("refuses a signer with both or neither kind of notification, or a bad order", () => {
    const ns = PortalXml.namespace
    const manifest = (signer: string) =>
      `<portal-signature-job-manifest xmlns="${ns}"><signers>${signer}</signers><sender><organization-number>983163327</organization-number></sender><title>T</title><documents><document href="a.pdf" mime="application/pdf"><title>D</title></document></documents></portal-signature-job-manifest>`
    expect(
      failure(PortalServerXml.decodeManifest(manifest("<signer><identified-by-contact-information/></signer>"))).reason,
    ).toBe("InvalidValue")
    expect(
      failure(
        PortalServerXml.decodeManifest(
          manifest(
            '<signer order="x"><identified-by-contact-information/><notifications><sms number="1"/></notifications></signer>',
          ),
        ),
      ).reason,
    ).toBe("InvalidValue")
    expect(
      ok(
        PortalServerXml.decodeManifest(
          manifest(
            "<signer><personal-identification-number>01017012343</personal-identification-number><notifications-using-lookup><email/><sms/></notifications-using-lookup></signer>",
          ),
        ),
      ).signers[0]!.notifications,
    ).toEqual({ _tag: "NotificationsUsingLookup", sms: true })
  })
})
