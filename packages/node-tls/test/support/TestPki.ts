// A throwaway PKI made at test time: node:crypto makes the RSA keys (fast),
// node-forge signs the certificates. Nothing here is ever committed.
import { generateKeyPairSync, randomBytes } from "node:crypto"
import { createRequire } from "node:module"

// node-forge is CommonJS without named ESM exports; require keeps its types exact.
const forge = createRequire(import.meta.url)("node-forge") as typeof import("node-forge")

export interface Issued {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

export interface Authority extends Issued {
  readonly issue: (options: {
    readonly subject: ReadonlyArray<{ readonly type: string; readonly value: string }>
    readonly usage: "server" | "client"
    readonly validity?: Validity | undefined
  }) => Issued
}

const keyPair = () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }) as string),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  }
}

const attributes = (subject: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  subject.map(({ type, value }) => ({ type, value }))

/** Default: from a minute ago for a day. */
export interface Validity {
  readonly notBefore: Date
  readonly notAfter: Date
}

const certificate = (publicKey: import("node-forge").pki.PublicKey, validity?: Validity) => {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`
  cert.validity.notBefore = validity?.notBefore ?? new Date(Date.now() - 60_000)
  cert.validity.notAfter = validity?.notAfter ?? new Date(Date.now() + 24 * 3600_000)
  return cert
}

export const makeAuthority = (name: string, validity?: Validity): Authority => {
  const { publicKey, privateKeyPem } = keyPair()
  const signingKey = forge.pki.privateKeyFromPem(privateKeyPem)
  const ca = certificate(publicKey, validity)
  const subject = [
    { type: "2.5.4.3", value: name },
    { type: "2.5.4.10", value: "Test PKI" },
  ]
  ca.setSubject(subject)
  ca.setIssuer(subject)
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ])
  ca.sign(signingKey, forge.md.sha256.create())
  return {
    certificatePem: forge.pki.certificateToPem(ca),
    privateKeyPem,
    issue: (options) => {
      const leaf = keyPair()
      const cert = certificate(leaf.publicKey, options.validity)
      cert.setSubject(attributes(options.subject))
      cert.setIssuer(ca.subject.attributes)
      cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        options.usage === "server"
          ? { name: "extKeyUsage", serverAuth: true }
          : { name: "extKeyUsage", clientAuth: true },
        { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
      ])
      cert.sign(signingKey, forge.md.sha256.create())
      return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: leaf.privateKeyPem }
    },
  }
}

/** Subject of an enterprise certificate (SEID 2 style) for an organization number. */
export const enterprise = (organizationNumber: string, name = "Test AS") => [
  { type: "2.5.4.97", value: `NTRNO-${organizationNumber}` },
  { type: "2.5.4.10", value: name },
  { type: "2.5.4.3", value: name },
  { type: "2.5.4.6", value: "NO" },
]

export interface TestPki {
  readonly ca: Authority
  readonly foreignCa: Authority
  readonly server: Issued
  readonly serverOrganizationNumber: string
  readonly client: Issued
  readonly foreignClient: Issued
}

export const makeTestPki = (serverOrganizationNumber = "984661185"): TestPki => {
  const ca = makeAuthority("Test Root CA")
  const foreignCa = makeAuthority("Foreign Root CA")
  return {
    ca,
    foreignCa,
    server: ca.issue({ subject: enterprise(serverOrganizationNumber, "Posten Bring AS"), usage: "server" }),
    serverOrganizationNumber,
    client: ca.issue({ subject: enterprise("123456785", "Avsender AS"), usage: "client" }),
    foreignClient: foreignCa.issue({ subject: enterprise("123456785", "Avsender AS"), usage: "client" }),
  }
}
