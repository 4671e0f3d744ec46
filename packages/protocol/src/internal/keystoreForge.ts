/**
 * PKCS#12 and PEM reading with node-forge: pure JS, and unlike Node's own `pfx` option it still reads the legacy
 * RC2-40 / 3DES encrypted files Buypass and Commfides certificates are often delivered in.
 *
 * Everything here throws `KeystoreFailure`; the public module turns it into a `KeystoreError`. Messages never
 * include the passphrase or key material (forge's own messages do not either).
 */
import * as Forge from "node-forge"
import { children, type ParsedCertificate, parseCertificate, readTlv } from "./asn1.js"
import { decode as decodeBase64 } from "./base64.js"

// node-forge is CommonJS without detectable named exports: native ESM sees only `default`, bundlers may inline it.
const forge: typeof Forge = (Forge as unknown as { default?: typeof Forge }).default ?? Forge

export type KeystoreFailureReason =
  | "WrongPassphrase"
  | "Malformed"
  | "NoPrivateKey"
  | "NoCertificate"
  | "KeyCertificateMismatch"
  | "UnsupportedKey"

export class KeystoreFailure {
  constructor(
    readonly reason: KeystoreFailureReason,
    readonly detail: string,
  ) {}
}

/** The loaded material: the private key as PKCS#8 DER and the chain, leaf first. */
export interface LoadedKeystore {
  readonly privateKeyPkcs8: Uint8Array
  readonly chain: ReadonlyArray<ParsedCertificate>
}

const toBinary = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return out
}

const fromBinary = (binary: string): Uint8Array => {
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const parse = (der: Uint8Array, what: string): ParsedCertificate => {
  try {
    return parseCertificate(der)
  } catch (e) {
    throw new KeystoreFailure("Malformed", `${what} is not a readable X.509 certificate: ${errorText(e)}`)
  }
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const modulusOf = (key: Forge.pki.rsa.PrivateKey): bigint => BigInt("0x" + key.n.toString(16))

const certificateModulus = (cert: ParsedCertificate): bigint | undefined =>
  cert.rsaModulus.length === 0 ? undefined : BigInt("0x" + toHex(cert.rsaModulus))

const toHex = (bytes: Uint8Array): string => {
  let out = ""
  for (const b of bytes) out += b.toString(16).padStart(2, "0")
  return out
}

/**
 * Picks the certificate whose public key matches one of the keys, then links issuers to it: the chain is leaf first,
 * as Java's `KeyStore.getCertificateChain` returns it. Certificates that are not part of the chain are dropped.
 */
const assemble = (keys: ReadonlyArray<Forge.pki.rsa.PrivateKey>, certs: ReadonlyArray<ParsedCertificate>) => {
  if (keys.length === 0) throw new KeystoreFailure("NoPrivateKey", "the keystore holds no private key")
  if (certs.length === 0) throw new KeystoreFailure("NoCertificate", "the keystore holds no certificate")
  for (const key of keys) {
    const modulus = modulusOf(key)
    const leaf = certs.find((c) => certificateModulus(c) === modulus)
    if (leaf === undefined) continue
    const chain = [leaf]
    let current = leaf
    while (!equalBytes(current.issuerDer, current.subjectDer)) {
      const issuer = certs.find((c) => !chain.includes(c) && equalBytes(c.subjectDer, current.issuerDer))
      if (issuer === undefined) break
      chain.push(issuer)
      current = issuer
    }
    const pkcs8 = forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))).getBytes()
    return { privateKeyPkcs8: fromBinary(pkcs8), chain }
  }
  throw new KeystoreFailure(
    "KeyCertificateMismatch",
    `none of the ${certs.length} certificate(s) matches the private key's public key`,
  )
}

const derLength = (n: number): Array<number> =>
  n < 0x80
    ? [n]
    : n < 0x100
      ? [0x81, n]
      : n < 0x10000
        ? [0x82, n >> 8, n & 0xff]
        : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]

/**
 * The certificate's DER as issued. forge keeps the parsed TBSCertificate (so those bytes are exact) but rebuilds the
 * outer signature algorithm from its OID, which can differ from the original (absent NULL parameters, RSA-PSS), and
 * a changed certificate breaks chain validation and the XAdES CertDigest. RFC 5280 requires the outer algorithm to
 * equal the one inside TBSCertificate, so that copy is used.
 */
const originalDer = (cert: Forge.pki.Certificate, what: string): Uint8Array => {
  const cached = (cert as { tbsCertificate?: Forge.asn1.Asn1 }).tbsCertificate
  if (cached === undefined) throw new KeystoreFailure("Malformed", `${what} is unreadable`)
  const tbs = fromBinary(forge.asn1.toDer(cached).getBytes())
  const fields = children(tbs, readTlv(tbs, 0))
  const algorithm = fields[fields[0]?.tag === 0xa0 ? 2 : 1]
  if (algorithm === undefined) throw new KeystoreFailure("Malformed", `${what} has no signature algorithm`)
  const signature = [0, ...fromBinary(cert.signature as string)]
  const signatureValue = [0x03, ...derLength(signature.length), ...signature]
  const body = [...tbs, ...tbs.subarray(algorithm.start, algorithm.end), ...signatureValue]
  return new Uint8Array([0x30, ...derLength(body.length), ...body])
}

const wrongPassphrase = /invalid password|wrong password|could not be verified|failed to decrypt/i

// PKCS#12's own key derivation takes the passphrase as UTF-16 (forge does this right), but PBES2 (AES, openssl's
// default since 3.0) and PEM encryption take its UTF-8 bytes, which forge expects as a binary string.
const utf8Binary = (text: string): string => toBinary(new TextEncoder().encode(text))

const pkcs12Failure = (e: unknown): KeystoreFailure => {
  const text = errorText(e)
  if (wrongPassphrase.test(text)) {
    return new KeystoreFailure("WrongPassphrase", "the PKCS#12 passphrase is wrong (integrity check failed)")
  }
  if (/unsupported|unknown oid/i.test(text)) {
    return new KeystoreFailure("Malformed", `the PKCS#12 file uses an unsupported algorithm: ${text}`)
  }
  return new KeystoreFailure("Malformed", `not a readable PKCS#12 (.p12/.pfx) file: ${text}`)
}

const readPkcs12 = (bytes: Uint8Array, passphrase: string): Forge.pkcs12.Pkcs12Pfx => {
  let asn1: Forge.asn1.Asn1
  try {
    asn1 = forge.asn1.fromDer(toBinary(bytes), false)
  } catch (e) {
    throw pkcs12Failure(e)
  }
  try {
    return forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase)
  } catch (e) {
    const binary = utf8Binary(passphrase)
    // The MAC (checked first) passed, so the passphrase is right: a PBES2 bag needs its UTF-8 form.
    if (binary === passphrase || /MAC could not be verified/i.test(errorText(e))) throw pkcs12Failure(e)
    try {
      const withoutMac = { ...asn1, value: (asn1.value as Array<Forge.asn1.Asn1>).slice(0, 2) }
      return forge.pkcs12.pkcs12FromAsn1(withoutMac, false, binary)
    } catch {
      throw pkcs12Failure(e)
    }
  }
}

export const loadPkcs12 = (bytes: Uint8Array, passphrase: string, alias?: string): LoadedKeystore => {
  const p12 = readPkcs12(bytes, passphrase)
  const keys: Array<Forge.pki.rsa.PrivateKey> = []
  const aliases: Array<string> = []
  let unsupportedKeys = 0
  for (const bagType of [forge.pki.oids.pkcs8ShroudedKeyBag!, forge.pki.oids.keyBag!]) {
    for (const bag of p12.getBags({ bagType })[bagType] ?? []) {
      // Java's PKCS12 KeyStore names an entry by its friendlyName, compared without regard to case.
      const friendlyName = bag.attributes?.friendlyName?.[0]
      if (friendlyName !== undefined) aliases.push(friendlyName)
      if (alias !== undefined && friendlyName?.toLowerCase() !== alias.toLowerCase()) continue
      if (bag.key) keys.push(bag.key as Forge.pki.rsa.PrivateKey)
      else unsupportedKeys++
    }
  }
  if (alias !== undefined && keys.length === 0 && unsupportedKeys === 0) {
    throw new KeystoreFailure(
      "NoPrivateKey",
      `no private key with alias "${alias}" (aliases in the file: ${aliases.map((a) => `"${a}"`).join(", ") || "none"})`,
    )
  }
  if (keys.length === 0 && unsupportedKeys > 0) {
    throw new KeystoreFailure("UnsupportedKey", "the private key is not an RSA key (the service requires RSA)")
  }
  const certBag = forge.pki.oids.certBag!
  const certs = (p12.getBags({ bagType: certBag })[certBag] ?? []).map((bag: Forge.pkcs12.Bag, i: number) => {
    const what = `certificate ${i} in the PKCS#12 file`
    if (bag.asn1 !== undefined) return parse(fromBinary(forge.asn1.toDer(bag.asn1).getBytes()), what)
    if (!bag.cert) throw new KeystoreFailure("Malformed", `${what} is unreadable`)
    return parse(originalDer(bag.cert, what), what)
  })
  return assemble(keys, certs)
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g

export const loadPem = (
  certificates: ReadonlyArray<string>,
  privateKey: string,
  passphrase: string | undefined,
): LoadedKeystore => {
  const certs: Array<ParsedCertificate> = []
  for (const text of certificates) {
    for (const m of text.matchAll(pemBlock)) {
      if (m[1] !== "CERTIFICATE") continue
      certs.push(parse(decodeBase64(m[2]!), `certificate ${certs.length} in the PEM input`))
    }
  }
  const labels = [...privateKey.matchAll(pemBlock)].map((m) => m[1])
  const label = labels.find((l) => l?.endsWith("PRIVATE KEY"))
  if (label === undefined) throw new KeystoreFailure("NoPrivateKey", "the key PEM holds no PRIVATE KEY block")
  if (label === "EC PRIVATE KEY" || label === "DSA PRIVATE KEY" || label === "OPENSSH PRIVATE KEY") {
    throw new KeystoreFailure("UnsupportedKey", `a ${label} is not an RSA key (the service requires RSA)`)
  }
  const encrypted = label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(privateKey)
  let key: Forge.pki.rsa.PrivateKey | null
  try {
    if (encrypted) {
      if (passphrase === undefined) {
        throw new KeystoreFailure("WrongPassphrase", "the private key is encrypted and no passphrase was given")
      }
      key = (forge.pki.decryptRsaPrivateKey(privateKey, utf8Binary(passphrase)) ??
        forge.pki.decryptRsaPrivateKey(privateKey, passphrase)) as Forge.pki.rsa.PrivateKey | null
      if (!key) throw new KeystoreFailure("WrongPassphrase", "the private key passphrase is wrong")
    } else {
      key = forge.pki.privateKeyFromPem(privateKey) as Forge.pki.rsa.PrivateKey
    }
  } catch (e) {
    if (e instanceof KeystoreFailure) throw e
    const text = errorText(e)
    if (/oid|not rsa|RSAPrivateKey/i.test(text)) {
      throw new KeystoreFailure("UnsupportedKey", "the private key is not an RSA key (the service requires RSA)")
    }
    if (encrypted && /decrypt|password|pad/i.test(text)) {
      throw new KeystoreFailure("WrongPassphrase", "the private key passphrase is wrong")
    }
    throw new KeystoreFailure("Malformed", `the private key PEM is unreadable: ${text}`)
  }
  return assemble([key], certs)
}
