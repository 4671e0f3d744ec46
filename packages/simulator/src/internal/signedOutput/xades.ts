/**
 * The per-signer XAdES: an enveloping XML signature by the simulated e-ID seal that covers
 * - a `ds:Manifest` with the SHA-256 digest of every document the signer saw,
 * - a signed object naming the signer,
 * - XAdES SignedProperties (signing time, the e-ID certificate digest).
 *
 * The document is written so that every signed element is already in canonical form apart from the
 * namespace declarations inherited from its ancestors (no whitespace between elements, explicit end tags,
 * sorted attributes, C14N escaping). Its inclusive C14N 1.0 is then that string with the inherited
 * declarations added on the apex element, which is what `canonical` does. No C14N library needed to sign;
 * the test verifies the result with xmlsec1.
 */
import * as crypto from "node:crypto"
import * as Forge from "node-forge"
import type { Credentials } from "../../Pki.js"

const forge: typeof Forge = (Forge as unknown as { default?: typeof Forge }).default ?? Forge

const DS = "http://www.w3.org/2000/09/xmldsig#"
const XADES = "http://uri.etsi.org/01903/v1.3.2#"
const SIM = "urn:signering:simulator:v1"
const C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
const SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

export interface SignerXadesInput {
  readonly eid: Credentials
  readonly signer: { readonly displayName: string; readonly identifier: string }
  readonly documents: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>
  readonly signedAt: Date
}

// Characters XML 1.0 cannot carry at all are dropped rather than producing an unparsable document.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g

/** C14N text escaping (also valid XML). */
export const escapeText = (s: string): string =>
  s.replace(INVALID_XML, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;")

/** C14N attribute-value escaping (also valid XML). */
export const escapeAttribute = (s: string): string =>
  s
    .replace(INVALID_XML, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#x9;")
    .replace(/\n/g, "&#xA;")
    .replace(/\r/g, "&#xD;")

type Attrs = ReadonlyArray<readonly [string, string]>

// C14N order: namespace declarations first (by prefix), then attributes; ours are all unqualified, so
// plain lexicographic order of the names.
const isNamespace = (name: string): boolean => name === "xmlns" || name.startsWith("xmlns:")
const el = (name: string, attrs: Attrs, ...children: ReadonlyArray<string>): string => {
  const byName = ([a]: readonly [string, string], [b]: readonly [string, string]) => (a < b ? -1 : a > b ? 1 : 0)
  const sorted = [
    ...attrs.filter(([k]) => isNamespace(k)).sort(byName),
    ...attrs.filter(([k]) => !isNamespace(k)).sort(byName),
  ]
  const rendered = sorted.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join("")
  return `<${name}${rendered}>${children.join("")}</${name}>`
}
const text = (name: string, value: string, attrs: Attrs = []): string => el(name, attrs, escapeText(value))

/** Adds the namespace declarations inherited from ancestors to the apex element, as inclusive C14N does. */
const canonical = (element: string, inherited: string): string => {
  const end = element.search(/[ >]/)
  return `${element.slice(0, end)} ${inherited}${element.slice(end)}`
}

const digest = (algorithm: "sha256" | "sha1", data: Uint8Array | string): string =>
  crypto.createHash(algorithm).update(data).digest("base64")

const reference = (attrs: Attrs, digestValue: string, transformed: boolean): string =>
  el(
    "ds:Reference",
    attrs,
    transformed ? el("ds:Transforms", [], el("ds:Transform", [["Algorithm", C14N]])) : "",
    el("ds:DigestMethod", [["Algorithm", SHA256]]),
    text("ds:DigestValue", digestValue),
  )

const RFC2253_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
}

/** The issuer DN as Java's `X500Principal.getName()` (RFC 2253) renders it: reversed, unknown types as OID=#hex. */
const rfc2253 = (attributes: ReadonlyArray<Forge.pki.CertificateField>): string =>
  [...attributes]
    .reverse()
    .map((a) => {
      const value = String(a.value ?? "")
      const name = a.type ? RFC2253_NAMES[a.type] : undefined
      if (name) return `${name}=${value.replace(/([,+"\\<>;])/g, "\\$1").replace(/^([ #])/, "\\$1")}`
      const bytes = Buffer.from(value, "utf8")
      const tag = (a.valueTagClass as unknown as number | undefined) ?? forge.asn1.Type.UTF8
      return `${a.type}=#${Buffer.concat([Buffer.from([tag, bytes.length]), bytes]).toString("hex")}`
    })
    .join(",")

const base64Der = (pem: string): ReadonlyArray<string> =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) =>
    block.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""),
  )

/** xs:dateTime with an explicit offset and milliseconds, as the real service's timestamps look. */
const dateTime = (d: Date): string => d.toISOString().replace("Z", "+00:00")

export const makeSignerXades = async (input: SignerXadesInput): Promise<string> => {
  const inheritedDs = `xmlns:ds="${DS}"`
  const leaf = forge.pki.certificateFromPem(input.eid.certificatePem)

  const manifest = el(
    "ds:Manifest",
    [["Id", "Documents"]],
    ...input.documents.map((d) =>
      reference([["URI", encodeURIComponent(d.name).replace(/%2F/g, "/")]], digest("sha256", d.bytes), false),
    ),
  )
  const signerObject = el(
    "ds:Object",
    [["Id", "Signer"]],
    el(
      "sim:Signer",
      [
        ["xmlns:sim", SIM],
        ["identifier", input.signer.identifier],
      ],
      text("sim:Name", input.signer.displayName),
      text("sim:SignedAt", dateTime(input.signedAt)),
    ),
  )
  const signedProperties = el(
    "xades:SignedProperties",
    [["Id", "SignedProperties"]],
    el(
      "xades:SignedSignatureProperties",
      [],
      text("xades:SigningTime", dateTime(input.signedAt)),
      el(
        "xades:SigningCertificate",
        [],
        el(
          "xades:Cert",
          [],
          el(
            "xades:CertDigest",
            [],
            el("ds:DigestMethod", [["Algorithm", SHA1]]),
            text("ds:DigestValue", digest("sha1", input.eid.certificateDer)),
          ),
          el(
            "xades:IssuerSerial",
            [],
            text("ds:X509IssuerName", rfc2253(leaf.issuer.attributes)),
            text("ds:X509SerialNumber", BigInt(`0x${leaf.serialNumber}`).toString(10)),
          ),
        ),
      ),
    ),
  )

  const signedInfo = el(
    "ds:SignedInfo",
    [],
    el("ds:CanonicalizationMethod", [["Algorithm", C14N]]),
    el("ds:SignatureMethod", [["Algorithm", RSA_SHA256]]),
    reference(
      [
        ["Type", `${DS}Manifest`],
        ["URI", "#Documents"],
      ],
      digest("sha256", canonical(manifest, inheritedDs)),
      true,
    ),
    reference([["URI", "#Signer"]], digest("sha256", canonical(signerObject, inheritedDs)), true),
    reference(
      [
        ["Type", "http://uri.etsi.org/01903#SignedProperties"],
        ["URI", "#SignedProperties"],
      ],
      digest("sha256", canonical(signedProperties, `${inheritedDs} xmlns:xades="${XADES}"`)),
      true,
    ),
  )
  const signatureValue = crypto
    .sign("sha256", Buffer.from(canonical(signedInfo, inheritedDs), "utf8"), input.eid.privateKeyPem)
    .toString("base64")

  const signature = el(
    "ds:Signature",
    [
      ["Id", "Signature"],
      ["xmlns:ds", DS],
    ],
    signedInfo,
    text("ds:SignatureValue", signatureValue),
    el(
      "ds:KeyInfo",
      [],
      el("ds:X509Data", [], ...base64Der(input.eid.chainPem).map((b64) => text("ds:X509Certificate", b64))),
    ),
    el("ds:Object", [], manifest),
    signerObject,
    el(
      "ds:Object",
      [],
      el(
        "xades:QualifyingProperties",
        [
          ["Target", "#Signature"],
          ["xmlns:xades", XADES],
        ],
        signedProperties,
      ),
    ),
  )
  return `<?xml version="1.0" encoding="UTF-8"?>\n${signature}\n`
}
