/**
 * The signatures.xml layout of the Java client (PROTOCOL.md Appendix A.4–A.6), as element trees rendered twice:
 * canonically for digests and the signature, and as the JDK writes the file.
 */
import { encodeMime } from "./base64.js"
import { type Element, element, withAttributes } from "./c14n.js"

export const ns = {
  asic: "http://uri.etsi.org/2918/v1.2.1#",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xades: "http://uri.etsi.org/01903/v1.3.2#",
} as const

export const algorithms = {
  c14n: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
  signedPropertiesType: "http://uri.etsi.org/01903#SignedProperties",
} as const

export interface SignedFile {
  readonly uri: string
  readonly mimeType: string
  /** base64 of SHA-256 over the raw bytes. */
  readonly digest: string
}

export interface SignedPropertiesInput {
  readonly signingTime: string
  /** base64 of SHA-1 over the signing certificate's DER. */
  readonly certDigest: string
  readonly issuerName: string
  readonly serialNumber: string
  readonly files: ReadonlyArray<SignedFile>
}

/** SignedProperties with the namespace declarations C14N renders on it (in the file they sit on QualifyingProperties). */
export const signedProperties = (input: SignedPropertiesInput): Element =>
  element(
    "SignedProperties",
    [
      ["xmlns", ns.xades],
      ["xmlns:ns2", ns.ds],
      ["Id", "SignedProperties"],
    ],
    [
      element(
        "SignedSignatureProperties",
        [],
        [
          element("SigningTime", [], input.signingTime),
          element(
            "SigningCertificate",
            [],
            [
              element(
                "Cert",
                [],
                [
                  element(
                    "CertDigest",
                    [],
                    [
                      element("ns2:DigestMethod", [["Algorithm", algorithms.sha1]]),
                      element("ns2:DigestValue", [], input.certDigest),
                    ],
                  ),
                  element(
                    "IssuerSerial",
                    [],
                    [
                      element("ns2:X509IssuerName", [], input.issuerName),
                      element("ns2:X509SerialNumber", [], input.serialNumber),
                    ],
                  ),
                ],
              ),
            ],
          ),
        ],
      ),
      element(
        "SignedDataObjectProperties",
        [],
        input.files.map((f, i) =>
          element("DataObjectFormat", [["ObjectReference", `#ID_${i}`]], [element("MimeType", [], f.mimeType)]),
        ),
      ),
    ],
  )

const digest = (value: string): ReadonlyArray<Element> => [
  element("DigestMethod", [["Algorithm", algorithms.sha256]]),
  element("DigestValue", [], value),
]

/** SignedInfo with the default namespace C14N renders on it (in the file it is inherited from Signature). */
export const signedInfo = (files: ReadonlyArray<SignedFile>, signedPropertiesDigest: string): Element =>
  element(
    "SignedInfo",
    [["xmlns", ns.ds]],
    [
      element("CanonicalizationMethod", [["Algorithm", algorithms.c14n]]),
      element("SignatureMethod", [["Algorithm", algorithms.rsaSha256]]),
      ...files.map((f, i) =>
        element(
          "Reference",
          [
            ["Id", `ID_${i}`],
            ["URI", f.uri],
          ],
          digest(f.digest),
        ),
      ),
      element(
        "Reference",
        [
          ["Type", algorithms.signedPropertiesType],
          ["URI", "#SignedProperties"],
        ],
        [
          element("Transforms", [], [element("Transform", [["Algorithm", algorithms.c14n]])]),
          ...digest(signedPropertiesDigest),
        ],
      ),
    ],
  )

/** The whole document tree as written to META-INF/signatures.xml. */
export const document = (input: {
  readonly signedInfo: Element
  readonly signatureValue: Uint8Array
  readonly chain: ReadonlyArray<Uint8Array>
  readonly signedProperties: Element
}): Element =>
  element(
    "XAdESSignatures",
    [["xmlns", ns.asic]],
    [
      element(
        "Signature",
        [
          ["xmlns", ns.ds],
          ["Id", "Signature"],
        ],
        [
          withAttributes(input.signedInfo, []),
          // Java's MIME base64: 76-character lines joined by CRLF, the CR serialized as `&#13;`.
          element("SignatureValue", [], encodeMime(input.signatureValue, "\r\n")),
          element(
            "KeyInfo",
            [],
            [
              element(
                "X509Data",
                [],
                input.chain.map((der) => element("X509Certificate", [], encodeMime(der, "\r\n"))),
              ),
            ],
          ),
          element(
            "Object",
            [],
            [
              element(
                "QualifyingProperties",
                [
                  ["xmlns", ns.xades],
                  ["xmlns:ns2", ns.ds],
                  ["Target", "#Signature"],
                ],
                [withAttributes(input.signedProperties, [["Id", "SignedProperties"]])],
              ),
            ],
          ),
        ],
      ),
    ],
  )

export const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'

const unreserved = /^[A-Za-z0-9.\-*_]*$/

/**
 * `java.net.URLEncoder.encode(name, UTF-8)`: the Java client's Reference URI (and manifest href). Names from the
 * safe-name alphabet come out unchanged.
 */
export const formUrlEncode = (name: string): string => {
  if (unreserved.test(name)) return name
  let out = ""
  for (const byte of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(byte)
    if (byte < 0x80 && /[A-Za-z0-9.\-*_]/.test(c)) out += c
    else if (c === " ") out += "+"
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0")
  }
  return out
}
