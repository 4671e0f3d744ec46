/**
 * `signering cert`: what an enterprise certificate file holds, whatever form it comes in (PKCS#12 as the CAs issue
 * it, PEM, or DER as Digdir publishes CA certificates).
 */
import { X509Certificate } from "node:crypto"
import { readFile } from "node:fs/promises"
import { TrustAnchors } from "@signering/client"
import { Keystore } from "@signering/protocol"
import { Effect, Redacted } from "effect"
import { CliFailure, ExitCode } from "./output.js"

/** The `--json` contract of `signering cert`: exactly these keys. */
export interface CertificateInfo {
  readonly organizationNumber: string | null
  readonly subject: string
  readonly issuer: string
  readonly notBefore: string
  readonly notAfter: string
  readonly expired: boolean
  readonly environment: "production" | "test" | "unknown"
}

/** How the organization number appears in the subject (SEID 2, SEID 1 or a CN starting with it). */
export interface OrganizationNumberSource {
  readonly style: "SEID2" | "SEID1" | "CN"
  readonly attribute: string
}

// Node renders names one attribute per line, the root-most first; people read them most specific first.
const renderName = (name: string) => name.split("\n").reverse().join(", ")

/**
 * The organization number the way the Java and .NET clients read it: SEID 2 `organizationIdentifier` (2.5.4.97,
 * `NTRNO-<9 digits>`), else SEID 1 `serialNumber`, else a `CN` that starts with 9 digits.
 */
export const organizationNumberOf = (
  subject: string,
): { readonly organizationNumber: string; readonly source: OrganizationNumberSource } | undefined => {
  const seid2 = /^(?:organizationIdentifier|2\.5\.4\.97)=(NTRNO-(\d{9}))$/m.exec(subject)
  if (seid2 !== null) {
    return {
      organizationNumber: seid2[2]!,
      source: { style: "SEID2", attribute: `organizationIdentifier=${seid2[1]}` },
    }
  }
  const seid1 = /^serialNumber=((\d{9})(?!\d).*)$/m.exec(subject)
  if (seid1 !== null) {
    return { organizationNumber: seid1[2]!, source: { style: "SEID1", attribute: `serialNumber=${seid1[1]}` } }
  }
  const cn = /^CN=((\d{9})(?!\d).*)$/m.exec(subject)
  return cn === null ? undefined : { organizationNumber: cn[2]!, source: { style: "CN", attribute: `CN=${cn[1]}` } }
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * The certificate chain (leaf first) in `bytes`: PEM text, one DER certificate, or a PKCS#12 keystore opened with
 * `passphrase`. Failures name the file and the passphrase's source, never the passphrase.
 */
export const readChain = (
  file: string,
  bytes: Uint8Array,
  passphrase: { readonly value: Redacted.Redacted<string>; readonly source: string } | undefined,
): ReadonlyArray<X509Certificate> => {
  const text = Buffer.from(bytes).toString("latin1")
  if (text.includes("-----BEGIN")) {
    const blocks = text.match(PEM_BLOCK) ?? []
    if (blocks.length === 0) throw new CliFailure(ExitCode.Configuration, `${file} holds no PEM certificate`)
    try {
      return blocks.map((block) => new X509Certificate(block))
    } catch {
      throw new CliFailure(ExitCode.Configuration, `${file}: a PEM certificate cannot be read`)
    }
  }
  try {
    return [new X509Certificate(bytes)]
  } catch {
    // not DER: try PKCS#12 below
  }
  const opened = Keystore.fromPkcs12(bytes, passphrase?.value ?? Redacted.make(""))
  if (opened._tag === "Success") return opened.success.chain.map((certificate) => new X509Certificate(certificate.der))
  const error = opened.failure
  if (error.reason === "WrongPassphrase") {
    throw new CliFailure(
      ExitCode.Configuration,
      passphrase === undefined
        ? `${file} is a PKCS#12 keystore protected by a passphrase: set ${"SIGNERING_KEYSTORE_PASSPHRASE"}`
        : `${file}: the passphrase from ${passphrase.source} does not open this PKCS#12 keystore`,
      "KeystoreError",
      "WrongPassphrase",
    )
  }
  if (error.reason === "Malformed") {
    throw new CliFailure(
      ExitCode.Configuration,
      `${file} is neither a certificate (PEM or DER) nor a PKCS#12 keystore`,
      "KeystoreError",
      "Malformed",
    )
  }
  throw new CliFailure(ExitCode.Configuration, `${file}: ${error.message}`, "KeystoreError", error.reason)
}

/** Reads and describes a certificate file. */
export const inspect = async (
  file: string,
  passphrase: { readonly value: Redacted.Redacted<string>; readonly source: string } | undefined,
  now: Date,
): Promise<{ readonly info: CertificateInfo; readonly source: OrganizationNumberSource | undefined }> => {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (cause) {
    throw new CliFailure(
      ExitCode.Configuration,
      `${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
    )
  }
  const chain = readChain(file, bytes, passphrase)
  const leaf = chain[0]!
  const organization = organizationNumberOf(leaf.subject)
  const notAfter = new Date(leaf.validTo)
  const environment = await Effect.runPromise(
    TrustAnchors.classify(chain.map((certificate) => new Uint8Array(certificate.raw))),
  )
  return {
    info: {
      organizationNumber: organization?.organizationNumber ?? null,
      subject: renderName(leaf.subject),
      issuer: renderName(leaf.issuer),
      notBefore: new Date(leaf.validFrom).toISOString(),
      notAfter: notAfter.toISOString(),
      expired: now.getTime() > notAfter.getTime(),
      environment,
    },
    source: organization?.source,
  }
}
