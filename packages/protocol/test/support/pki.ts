/**
 * Test PKI generated at test time with the openssl CLI (keys from Node's fast generator): nothing committed can
 * expire. Two chains shaped like the real Norwegian enterprise certificates:
 * - SEID 1: root CA → leaf with `serialNumber=<orgnr>` in the subject.
 * - SEID 2: root CA → intermediate CA with `organizationIdentifier=NTRNO-…` → leaf with `organizationIdentifier`,
 *   so the leaf's issuer DN carries 2.5.4.97 (rendered by Java as `2.5.4.97=#…`).
 */
import { execFileSync } from "node:child_process"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface TestEntity {
  readonly keyPem: string
  /** PKCS#1 form of the same key. */
  readonly keyPkcs1Pem: string
  readonly certPem: string
  readonly certPath: string
  readonly keyPath: string
  /** Leaf followed by its issuers up to (and including) the root. */
  readonly chainPem: string
  readonly chainPath: string
  /** The issuers only (no leaf), for openssl's `-certfile`. */
  readonly issuersPath: string
}

export interface TestPki {
  readonly dir: string
  readonly rootPem: string
  readonly rootPath: string
  readonly seid1RootPath: string
  readonly seid1: TestEntity
  readonly seid2: TestEntity
  readonly intermediatePem: string
  /** A second key/certificate that matches nothing else, to provoke key/certificate mismatches. */
  readonly stranger: TestEntity
}

export const openssl = (args: ReadonlyArray<string>, cwd?: string): string =>
  execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

const newKey = (dir: string, name: string) => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  const keyPkcs1Pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString()
  const keyPath = join(dir, `${name}.key`)
  writeFileSync(keyPath, keyPem)
  return { keyPem, keyPkcs1Pem, keyPath }
}

const caExtensions = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
const leafExtensions = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"

const selfSigned = (dir: string, name: string, subject: string) => {
  const key = newKey(dir, name)
  const certPath = join(dir, `${name}.pem`)
  writeFileSync(join(dir, `${name}.ext`), caExtensions)
  openssl(
    ["req", "-x509", "-new", "-utf8", "-key", key.keyPath, "-subj", subject, "-days", "3650", "-sha256"]
      .concat(["-set_serial", "1", "-addext", "basicConstraints=critical,CA:TRUE"])
      .concat(["-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", certPath]),
  )
  return { ...key, certPath, certPem: readFileSync(certPath, "utf8") }
}

const issued = (
  dir: string,
  name: string,
  subject: string,
  issuer: { keyPath: string; certPath: string },
  serial: string,
  ca: boolean,
) => {
  const key = newKey(dir, name)
  const csrPath = join(dir, `${name}.csr`)
  const certPath = join(dir, `${name}.pem`)
  const extPath = join(dir, `${name}.ext`)
  writeFileSync(extPath, ca ? caExtensions : leafExtensions)
  openssl(["req", "-new", "-utf8", "-key", key.keyPath, "-subj", subject, "-out", csrPath])
  openssl(
    ["x509", "-req", "-in", csrPath, "-CA", issuer.certPath, "-CAkey", issuer.keyPath, "-set_serial", serial].concat([
      "-days",
      "365",
      "-sha256",
      "-extfile",
      extPath,
      "-out",
      certPath,
    ]),
  )
  return { ...key, certPath, certPem: readFileSync(certPath, "utf8") }
}

const entity = (
  dir: string,
  name: string,
  leaf: { keyPem: string; keyPkcs1Pem: string; keyPath: string; certPem: string; certPath: string },
  issuers: ReadonlyArray<string>,
): TestEntity => {
  const chainPem = [leaf.certPem, ...issuers].join("")
  const chainPath = join(dir, `${name}-chain.pem`)
  writeFileSync(chainPath, chainPem)
  const issuersPath = join(dir, `${name}-issuers.pem`)
  writeFileSync(issuersPath, issuers.join(""))
  return { ...leaf, chainPem, chainPath, issuersPath }
}

let cached: TestPki | undefined

/** Builds the test PKI once per test file (about a second: six RSA keys and a few openssl calls). */
export const testPki = (): TestPki => {
  if (cached) return cached
  const dir = mkdtempSync(join(tmpdir(), "signering-pki-"))
  const root = selfSigned(dir, "root", "/C=NO/O=Testsertifikat Rot AS, Norge/CN=Test Root CA G2 ST")
  const intermediate = issued(
    dir,
    "intermediate",
    "/C=NO/O=Buypass AS/organizationIdentifier=NTRNO-983163327/CN=Buypass Class 3 Test4 CA G2 ST Business",
    root,
    "0x0a1b2c3d",
    true,
  )
  const seid2 = issued(
    dir,
    "seid2",
    "/C=NO/O=Sørlandet Test \\+ Co AS/organizationIdentifier=NTRNO-123456785/CN=Sørlandet Test AS",
    intermediate,
    "0x8f3e0c2d5a6b7c8d9e0f11223344556677",
    false,
  )
  const seid1Root = selfSigned(
    dir,
    "seid1root",
    "/C=NO/O=Buypass AS-983163327/OU=Test & Utvikling <QA>/CN=Buypass Class 3 Test4 CA 3",
  )
  const seid1 = issued(
    dir,
    "seid1",
    "/C=NO/O=Testbedrift AS/OU=Signering/serialNumber=987654321/CN=Testbedrift AS",
    seid1Root,
    "0x1d4c2e",
    false,
  )
  const strangerRoot = selfSigned(dir, "strangerroot", "/C=NO/O=Stranger/CN=Stranger Root")
  const stranger = issued(dir, "stranger", "/C=NO/O=Stranger/CN=912345678 Stranger", strangerRoot, "7", false)
  cached = {
    dir,
    rootPem: root.certPem,
    rootPath: root.certPath,
    seid1RootPath: seid1Root.certPath,
    seid1: entity(dir, "seid1", seid1, [seid1Root.certPem]),
    seid2: entity(dir, "seid2", seid2, [intermediate.certPem, root.certPem]),
    intermediatePem: intermediate.certPem,
    stranger: entity(dir, "stranger", stranger, [strangerRoot.certPem]),
  }
  return cached
}

export type Pkcs12Encryption = "default" | "legacy" | "3des"

/** A PKCS#12 file for `e`, encrypted the way openssl does by default, with `-legacy` (RC2-40) or with 3DES. */
export const pkcs12 = (e: TestEntity, passphrase: string, encryption: Pkcs12Encryption): Uint8Array => {
  const extra =
    encryption === "legacy"
      ? ["-legacy"]
      : encryption === "3des"
        ? ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"]
        : []
  const out = join(testPki().dir, `${Math.random().toString(36).slice(2)}.p12`)
  openssl(
    ["pkcs12", "-export", "-inkey", e.keyPath, "-in", e.certPath, "-certfile", e.issuersPath, "-passout"].concat([
      `pass:${passphrase}`,
      "-out",
      out,
      ...extra,
    ]),
  )
  return new Uint8Array(readFileSync(out))
}

/** The DER of a PEM certificate. */
export const pemToDer = (pem: string): Uint8Array =>
  new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"))
