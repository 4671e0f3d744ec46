/**
 * The simulator's test PKI, generated at start (nothing committed): a CA, a server certificate that, like the
 * real service's, is an enterprise certificate for Posten Bring AS (org. no. 984661185) and is not issued for a
 * host name, sender certificates (SEID 1 and SEID 2 subjects) exported as PEM and PKCS#12, a simulated e-ID
 * CA whose key seals the per-signer XAdES, and a foreign CA whose certificates the simulator must refuse.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import { promises as fs } from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import * as Forge from "node-forge"
import * as Pkcs12 from "./internal/pki/pkcs12.js"

// node-forge is CommonJS without detectable named exports: native ESM sees only `default`.
const forge: typeof Forge = (Forge as unknown as { default?: typeof Forge }).default ?? Forge

/**
 * An enterprise certificate with its key. `chainPem` is the leaf followed by its CA, the shape a TLS client
 * sends and the XAdES `KeyInfo` carries.
 *
 * @since 0.1.0
 */
export interface Credentials {
  readonly organizationNumber: string
  readonly subjectStyle: SubjectStyle
  /** The leaf certificate. */
  readonly certificatePem: string
  /** Leaf + issuing CA. */
  readonly chainPem: string
  /** PKCS#8. */
  readonly privateKeyPem: string
  readonly certificateDer: Uint8Array
  readonly notBefore: Date
  readonly notAfter: Date
}

/**
 * A sender's credentials, also as a password-protected PKCS#12 file (what a real enterprise certificate
 * comes as).
 *
 * @since 0.1.0
 */
export interface SenderCredentials extends Credentials {
  readonly pkcs12: Uint8Array
  readonly pkcs12Passphrase: string
  readonly pkcs12Encryption: Pkcs12Encryption
}

/**
 * How the organization number appears in the subject: SEID 1 as `serialNumber=<org>`, SEID 2 as
 * `organizationIdentifier (2.5.4.97)=NTRNO-<org>`.
 *
 * @since 0.1.0
 */
export type SubjectStyle = "SEID1" | "SEID2"

/**
 * PKCS#12 encryption: `aes-256` (OpenSSL 3 default), `3des`, or the legacy `rc2-40` (`openssl pkcs12 -legacy`).
 *
 * @since 0.1.0
 */
export type Pkcs12Encryption = Pkcs12.Pkcs12Encryption

/**
 * Options for {@link Pki.issueClientCertificate}.
 *
 * @since 0.1.0
 */
export interface IssueOptions {
  readonly organizationNumber: string
  readonly subjectStyle?: SubjectStyle | undefined
  readonly notBefore?: Date | undefined
  readonly notAfter?: Date | undefined
  readonly pkcs12Encryption?: Pkcs12Encryption | undefined
  /** Organization name in `O`/`CN`. Default: a generated test name. */
  readonly organizationName?: string | undefined
}

/**
 * The generated PKI.
 *
 * @since 0.1.0
 */
export interface Pki {
  readonly caCertificatePem: string
  /** The API's server certificate: org. 984661185 (by default), no host name. */
  readonly server: Credentials
  readonly senders: ReadonlyArray<SenderCredentials>
  /** The configured sender for an organization number; throws for an unknown one (a test set-up error). */
  readonly sender: (organizationNumber: string) => SenderCredentials
  /** The simulated e-ID seal that signs the per-signer XAdES; `chainPem` ends in the e-ID CA. */
  readonly eid: Credentials
  readonly eidCaCertificatePem: string
  /** Issues another client certificate from the simulator's CA (e.g. an expired one, or for a broker). */
  readonly issueClientCertificate: (options: IssueOptions) => SenderCredentials
  /** A separate CA and a sender certificate from it (same org. number as the first sender) that must be refused. */
  readonly foreign: { readonly caCertificatePem: string; readonly sender: SenderCredentials }
  /**
   * Writes the CA, server and sender files into `dir` (created if missing; keys, PKCS#12 files and
   * passphrases with mode 0600). Returns logical name → absolute path.
   */
  readonly writeTo: (dir: string) => Promise<Record<string, string>>
}

/**
 * Options for {@link make}.
 *
 * @since 0.1.0
 */
export interface MakeOptions {
  readonly organizations?:
    | ReadonlyArray<{
        readonly organizationNumber: string
        readonly subjectStyle?: SubjectStyle | undefined
        readonly pkcs12Encryption?: Pkcs12Encryption | undefined
      }>
    | undefined
  readonly serverOrganizationNumber?: string | undefined
}

/**
 * Posten Bring AS, the organization the real service's certificate belongs to.
 *
 * @example
 * ```ts
 * import { Pki } from "@signering/simulator"
 * const pki = await Pki.make()
 * pki.server.organizationNumber === Pki.serverOrganizationNumber // true
 * ```
 *
 * @since 0.1.0
 */
export const serverOrganizationNumber = "984661185"

/**
 * The default senders: two synthetic organization numbers with valid mod-11 check digits, one with a SEID 2
 * subject and an AES-256 PKCS#12, one with a SEID 1 subject and a legacy RC2-40 PKCS#12.
 *
 * @example
 * ```ts
 * import { Pki } from "@signering/simulator"
 * const pki = await Pki.make() // same as Pki.make({ organizations: Pki.defaultOrganizations })
 * const legacy = pki.sender(Pki.defaultOrganizations[1]!.organizationNumber) // pkcs12Encryption "rc2-40"
 * ```
 *
 * @since 0.1.0
 */
export const defaultOrganizations: ReadonlyArray<{
  readonly organizationNumber: string
  readonly subjectStyle: SubjectStyle
  readonly pkcs12Encryption: Pkcs12Encryption
}> = [
  { organizationNumber: "123456785", subjectStyle: "SEID2", pkcs12Encryption: "aes-256" },
  { organizationNumber: "987654325", subjectStyle: "SEID1", pkcs12Encryption: "rc2-40" },
]

/**
 * Whether a Norwegian organization number is 9 digits with a correct mod-11 check digit.
 *
 * @example
 * ```ts
 * import { Pki } from "@signering/simulator"
 * Pki.isValidOrganizationNumber("984661185") // true
 * ```
 *
 * @since 0.1.0
 */
export const isValidOrganizationNumber = (organizationNumber: string): boolean => {
  if (!/^[0-9]{9}$/.test(organizationNumber)) return false
  const weights = [3, 2, 7, 6, 5, 4, 3, 2]
  const sum = weights.reduce((acc, w, i) => acc + w * Number(organizationNumber[i]), 0)
  const check = (11 - (sum % 11)) % 11
  return check !== 10 && check === Number(organizationNumber[8])
}

// The simulated CAs' own (synthetic, valid) organization numbers.
const CA_ORGANIZATION_NUMBER = "999999999"
const EID_ORGANIZATION_NUMBER = "111111111"

interface KeyPair {
  readonly privateKey: crypto.KeyObject
  readonly publicKeyPem: string
}

const toKeyPair = (k: { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }): KeyPair => ({
  privateKey: k.privateKey,
  publicKeyPem: k.publicKey.export({ type: "spki", format: "pem" }).toString(),
})

const generateKeyPair = promisify(crypto.generateKeyPair)

// RSA key generation dominates start-up (~0.2 s per key on two cores), so keys are cached for the process
// and reused by later PKIs. Certificates never chain across PKIs all the same: every CA name carries a
// per-PKI suffix, and chain building matches issuer names first.
const keyCache: Array<Promise<KeyPair>> = []
const cachedKey = (index: number): Promise<KeyPair> => {
  while (keyCache.length <= index) {
    keyCache.push(generateKeyPair("rsa", { modulusLength: 2048 }).then(toKeyPair))
  }
  return keyCache[index]!
}

const ORGANIZATION_IDENTIFIER = "2.5.4.97"

type Attribute = Forge.pki.CertificateField

// @types/node-forge types `valueTagClass` as a tag class; forge reads it as the universal type of the value.
const tagged = (type: string, value: string, tag: Forge.asn1.Type): Attribute => ({
  type,
  value,
  valueTagClass: tag as unknown as Forge.asn1.Class,
})
const utf8 = (type: string, value: string): Attribute => tagged(type, value, forge.asn1.Type.UTF8)
const printable = (type: string, value: string): Attribute => tagged(type, value, forge.asn1.Type.PRINTABLESTRING)

const subjectFor = (style: SubjectStyle, organizationNumber: string, name: string): Array<Attribute> => [
  printable("2.5.4.6", "NO"),
  utf8("2.5.4.10", name),
  style === "SEID2"
    ? utf8(ORGANIZATION_IDENTIFIER, `NTRNO-${organizationNumber}`)
    : printable("2.5.4.5", organizationNumber),
  utf8("2.5.4.3", name),
]

interface Issuer {
  readonly certificate: Forge.pki.Certificate
  readonly privateKey: crypto.KeyObject
  readonly pem: string
}

interface CertificateSpec {
  readonly subject: Array<Attribute>
  readonly keys: KeyPair
  readonly notBefore: Date
  readonly notAfter: Date
  readonly extensions: Array<object>
  /** Absent: self-signed. */
  readonly issuer?: Issuer | undefined
}

const serialNumber = (): string => {
  const bytes = crypto.randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString("hex")
}

const getTbs = (forge.pki as unknown as { getTBSCertificate(c: Forge.pki.Certificate): Forge.asn1.Asn1 })
  .getTBSCertificate

const issue = (spec: CertificateSpec): { certificate: Forge.pki.Certificate; pem: string; der: Uint8Array } => {
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(spec.keys.publicKeyPem)
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = spec.notBefore
  cert.validity.notAfter = spec.notAfter
  cert.setSubject(spec.subject)
  cert.setIssuer(spec.issuer ? spec.issuer.certificate.subject.attributes : spec.subject)
  const authorityKeyId = spec.issuer
    ? spec.issuer.certificate.generateSubjectKeyIdentifier().getBytes()
    : cert.generateSubjectKeyIdentifier().getBytes()
  cert.setExtensions([
    ...spec.extensions,
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: authorityKeyId },
  ])
  // Sign the TBSCertificate with node:crypto: forge's pure-JS RSA would cost ~20 ms per certificate.
  const sha256WithRSA = forge.pki.oids["sha256WithRSAEncryption"]!
  cert.signatureOid = sha256WithRSA
  cert.siginfo.algorithmOid = sha256WithRSA
  const tbs = Buffer.from(forge.asn1.toDer(getTbs(cert)).getBytes(), "binary")
  const signer = spec.issuer ? spec.issuer.privateKey : spec.keys.privateKey
  cert.signature = crypto.sign("sha256", tbs, signer).toString("binary")
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary")
  return { certificate: cert, pem: toPem("CERTIFICATE", der), der: new Uint8Array(der) }
}

const toPem = (label: string, der: Uint8Array): string => {
  const b64 = Buffer.from(der).toString("base64")
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`
}

const caExtensions = [
  { name: "basicConstraints", cA: true, critical: true },
  { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
]

const makeCa = (name: string, organizationNumber: string, keys: KeyPair, now: Date): Issuer => {
  const { certificate, pem } = issue({
    subject: subjectFor("SEID2", organizationNumber, name),
    keys,
    notBefore: new Date(now.getTime() - 24 * 3600_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 24 * 3600_000),
    extensions: caExtensions,
  })
  return { certificate, privateKey: keys.privateKey, pem }
}

const leafValidity = (now: Date): { notBefore: Date; notAfter: Date } => ({
  // An hour back absorbs clock skew; five years forward outlives any injected test clock.
  notBefore: new Date(now.getTime() - 3600_000),
  notAfter: new Date(now.getTime() + 5 * 365 * 24 * 3600_000),
})

const credentials = (
  issuer: Issuer,
  keys: KeyPair,
  organizationNumber: string,
  subjectStyle: SubjectStyle,
  name: string,
  validity: { notBefore: Date; notAfter: Date },
  extensions: Array<object>,
): Credentials => {
  const { pem, der } = issue({
    subject: subjectFor(subjectStyle, organizationNumber, name),
    keys,
    ...validity,
    extensions,
    issuer,
  })
  return redactSecrets({
    organizationNumber,
    subjectStyle,
    certificatePem: pem,
    chainPem: pem + issuer.pem,
    privateKeyPem: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certificateDer: der,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
  })
}

const clientExtensions = [
  { name: "basicConstraints", cA: false },
  { name: "keyUsage", digitalSignature: true, critical: true },
  { name: "extKeyUsage", clientAuth: true },
]

const senderCredentials = (issuer: Issuer, keys: KeyPair, options: IssueOptions, now: Date): SenderCredentials => {
  const subjectStyle = options.subjectStyle ?? "SEID2"
  const name = options.organizationName ?? `Testvirksomhet ${options.organizationNumber} AS`
  const defaults = leafValidity(now)
  const validity = {
    notBefore: options.notBefore ?? defaults.notBefore,
    notAfter: options.notAfter ?? defaults.notAfter,
  }
  const base = credentials(issuer, keys, options.organizationNumber, subjectStyle, name, validity, clientExtensions)
  const pkcs12Encryption = options.pkcs12Encryption ?? "aes-256"
  const pkcs12Passphrase = crypto.randomBytes(18).toString("base64url")
  const pkcs12 = Pkcs12.write({
    privateKeyPkcs8Der: keys.privateKey.export({ type: "pkcs8", format: "der" }),
    certificatesDer: [base.certificateDer, pemToDer(issuer.pem)],
    passphrase: pkcs12Passphrase,
    encryption: pkcs12Encryption,
    friendlyName: `signering-${options.organizationNumber}`,
  })
  return redactSecrets({ ...base, pkcs12, pkcs12Passphrase, pkcs12Encryption })
}

const REDACTED = "<redacted>"

// Keys and passphrases stay out of console.log, util.inspect and JSON.stringify output (the properties are still
// there to read). Non-enumerable, so spreading a credential copies only its data.
const redactSecrets = <A extends Credentials>(credentials: A): A => {
  const view = () => ({
    ...credentials,
    privateKeyPem: REDACTED,
    ...("pkcs12Passphrase" in credentials ? { pkcs12Passphrase: REDACTED } : {}),
  })
  Object.defineProperty(credentials, Symbol.for("nodejs.util.inspect.custom"), { value: view, enumerable: false })
  Object.defineProperty(credentials, "toJSON", { value: view, enumerable: false })
  return credentials
}

const pemToDer = (pem: string): Uint8Array =>
  new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"))

/**
 * Generates a fresh PKI. The first call in a process generates the RSA keys (about a second on two cores);
 * later calls reuse them (new certificates, new CA names) and take a few tens of milliseconds.
 *
 * @example
 * ```ts
 * import { Pki } from "@signering/simulator"
 *
 * const pki = await Pki.make({ organizations: [{ organizationNumber: "123456785" }] })
 * const sender = pki.sender("123456785")
 * // sender.pkcs12 / sender.pkcs12Passphrase for the client, pki.caCertificatePem as its trust anchor
 * ```
 *
 * @since 0.1.0
 */
export const make = async (options: MakeOptions = {}): Promise<Pki> => {
  const organizations = options.organizations ?? defaultOrganizations
  if (organizations.length === 0) throw new Error("Pki.make: at least one sender organization is required")
  for (const o of organizations) {
    if (!/^[0-9]{9}$/.test(o.organizationNumber)) {
      throw new Error(`Pki.make: organizationNumber must be 9 digits, got ${JSON.stringify(o.organizationNumber)}`)
    }
  }
  const serverOrg = options.serverOrganizationNumber ?? serverOrganizationNumber
  const now = new Date()
  // Key cache layout: 0 CA, 1 e-ID CA, 2 foreign CA, 3 server, 4 e-ID seal, 5 foreign sender, 6.. senders.
  const [caKeys, eidCaKeys, foreignCaKeys, serverKeys, eidKeys, foreignSenderKeys, ...senderKeys] = await Promise.all(
    Array.from({ length: 6 + organizations.length }, (_, i) => cachedKey(i)),
  )
  // A per-PKI suffix keeps CA names distinct across PKIs in one process.
  const instance = crypto.randomBytes(3).toString("hex")
  const ca = makeCa(`Signering Simulator Test CA ${instance}`, CA_ORGANIZATION_NUMBER, caKeys!, now)
  const eidCa = makeCa(`Signering Simulator e-ID CA ${instance}`, EID_ORGANIZATION_NUMBER, eidCaKeys!, now)
  const foreignCa = makeCa(`Foreign Test CA ${instance}`, CA_ORGANIZATION_NUMBER, foreignCaKeys!, now)

  const server = credentials(ca, serverKeys!, serverOrg, "SEID2", "Posten Bring AS", leafValidity(now), [
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
  ])
  const eid = credentials(
    eidCa,
    eidKeys!,
    EID_ORGANIZATION_NUMBER,
    "SEID2",
    "Signering Simulator e-ID",
    leafValidity(now),
    [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, nonRepudiation: true, critical: true },
    ],
  )
  const senders = organizations.map((o, i) =>
    senderCredentials(
      ca,
      senderKeys[i]!,
      {
        organizationNumber: o.organizationNumber,
        subjectStyle: o.subjectStyle ?? (i % 2 === 0 ? "SEID2" : "SEID1"),
        pkcs12Encryption: o.pkcs12Encryption ?? "aes-256",
      },
      now,
    ),
  )
  const foreignSender = senderCredentials(
    foreignCa,
    foreignSenderKeys!,
    { organizationNumber: organizations[0]!.organizationNumber, subjectStyle: "SEID2" },
    now,
  )

  const sender = (organizationNumber: string): SenderCredentials => {
    const found = senders.find((s) => s.organizationNumber === organizationNumber)
    if (!found) {
      throw new Error(
        `Pki: no sender certificate for organization ${organizationNumber}; configured: ${senders.map((s) => s.organizationNumber).join(", ")}`,
      )
    }
    return found
  }

  const issueClientCertificate = (o: IssueOptions): SenderCredentials => {
    const keys = toKeyPair(crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }))
    return senderCredentials(ca, keys, o, new Date())
  }

  const writeTo = async (dir: string): Promise<Record<string, string>> => {
    const root = path.resolve(dir)
    await fs.mkdir(root, { recursive: true })
    const written: Record<string, string> = {}
    const put = async (name: string, file: string, data: string | Uint8Array, secret: boolean) => {
      const target = path.join(root, file)
      await fs.writeFile(target, data, { mode: secret ? 0o600 : 0o644 })
      // writeFile keeps the mode of an existing file: force it.
      await fs.chmod(target, secret ? 0o600 : 0o644)
      written[name] = target
    }
    await put("caCertificate", "ca.pem", ca.pem, false)
    await put("serverCertificate", "server.pem", server.certificatePem, false)
    await put("serverChain", "server-chain.pem", server.chainPem, false)
    await put("serverPrivateKey", "server-key.pem", server.privateKeyPem, true)
    await put("eidCaCertificate", "eid-ca.pem", eidCa.pem, false)
    for (const s of senders) {
      const org = s.organizationNumber
      await put(`sender.${org}.certificate`, `sender-${org}.pem`, s.certificatePem, false)
      await put(`sender.${org}.chain`, `sender-${org}-chain.pem`, s.chainPem, false)
      await put(`sender.${org}.privateKey`, `sender-${org}-key.pem`, s.privateKeyPem, true)
      await put(`sender.${org}.pkcs12`, `sender-${org}.p12`, s.pkcs12, true)
      await put(`sender.${org}.pkcs12Passphrase`, `sender-${org}.p12.pass`, `${s.pkcs12Passphrase}\n`, true)
    }
    return written
  }

  return {
    caCertificatePem: ca.pem,
    server,
    senders,
    sender,
    eid,
    eidCaCertificatePem: eidCa.pem,
    issueClientCertificate,
    foreign: { caCertificatePem: foreignCa.pem, sender: foreignSender },
    writeTo,
  }
}
