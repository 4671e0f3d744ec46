import { execFile } from "node:child_process"
import * as crypto from "node:crypto"
import { promises as fs } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import { promisify } from "node:util"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as Pki from "../src/Pki.js"

const run = promisify(execFile)

let pki: Pki.Pki
let dir: string

beforeAll(async () => {
  pki = await Pki.make()
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "signering-pki-"))
  return () => fs.rm(dir, { recursive: true, force: true })
})

const openssl = async (...args: Array<string>): Promise<string> => {
  const { stdout, stderr } = await run("openssl", args)
  return stdout + stderr
}

describe("Pki.make", () => {
  it("creates two default senders with valid organization numbers, one SEID 1 and one SEID 2 subject", () => {
    expect(pki.senders.map((s) => s.organizationNumber)).toEqual(
      Pki.defaultOrganizations.map((o) => o.organizationNumber),
    )
    for (const s of pki.senders) expect(Pki.isValidOrganizationNumber(s.organizationNumber)).toBe(true)
    const [seid2, seid1] = pki.senders
    const subject2 = new crypto.X509Certificate(seid2!.certificatePem).subject
    const subject1 = new crypto.X509Certificate(seid1!.certificatePem).subject
    expect(subject2).toMatch(new RegExp(`(2\\.5\\.4\\.97|organizationIdentifier)=NTRNO-${seid2!.organizationNumber}`))
    expect(subject1).toContain(`serialNumber=${seid1!.organizationNumber}`)
    expect(subject1).not.toContain("NTRNO-")
    expect(pki.sender(seid1!.organizationNumber)).toBe(seid1)
    expect(() => pki.sender("000000000")).toThrow(/no sender certificate/)
  })

  it("issues a server certificate for org. 984661185 with no host name, usable for server and client auth", () => {
    const server = new crypto.X509Certificate(pki.server.certificatePem)
    expect(server.subject).toMatch(/(2\.5\.4\.97|organizationIdentifier)=NTRNO-984661185/)
    expect(server.subject).toContain("O=Posten Bring AS")
    expect(server.subjectAltName).toBeUndefined()
    expect(server.checkHost("localhost")).toBeUndefined()
    expect(server.checkIP("127.0.0.1")).toBeUndefined()
    expect(server.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]))
    expect(server.checkIssued(new crypto.X509Certificate(pki.caCertificatePem))).toBe(true)
  })

  it("gives sender certificates clientAuth only and chains them to the CA, not to the foreign CA", () => {
    const ca = new crypto.X509Certificate(pki.caCertificatePem)
    const foreignCa = new crypto.X509Certificate(pki.foreign.caCertificatePem)
    for (const s of pki.senders) {
      const cert = new crypto.X509Certificate(s.certificatePem)
      expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"])
      expect(cert.verify(ca.publicKey)).toBe(true)
      expect(cert.verify(foreignCa.publicKey)).toBe(false)
      expect(Buffer.from(cert.raw).equals(Buffer.from(s.certificateDer))).toBe(true)
      expect(s.chainPem.startsWith(s.certificatePem)).toBe(true)
      expect(s.chainPem.endsWith(pki.caCertificatePem)).toBe(true)
      // the key matches the certificate
      const signature = crypto.sign("sha256", Buffer.from("x"), s.privateKeyPem)
      expect(crypto.verify("sha256", Buffer.from("x"), cert.publicKey, signature)).toBe(true)
      expect(s.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    }
    const foreign = new crypto.X509Certificate(pki.foreign.sender.certificatePem)
    expect(foreign.verify(foreignCa.publicKey)).toBe(true)
    expect(foreign.checkIssued(ca)).toBe(false)
  })

  it("signs the e-ID seal from a separate e-ID CA", () => {
    const eid = new crypto.X509Certificate(pki.eid.certificatePem)
    expect(eid.checkIssued(new crypto.X509Certificate(pki.eidCaCertificatePem))).toBe(true)
    expect(eid.checkIssued(new crypto.X509Certificate(pki.caCertificatePem))).toBe(false)
  })

  it("keeps CAs of two PKIs in one process apart", async () => {
    const other = await Pki.make()
    const otherCa = new crypto.X509Certificate(other.caCertificatePem)
    const sender = new crypto.X509Certificate(pki.senders[0]!.certificatePem)
    expect(sender.checkIssued(otherCa)).toBe(false)
    await fs.writeFile(path.join(dir, "other-ca.pem"), other.caCertificatePem)
    await fs.writeFile(path.join(dir, "mine.pem"), pki.senders[0]!.certificatePem)
    await expect(
      openssl("verify", "-CAfile", path.join(dir, "other-ca.pem"), path.join(dir, "mine.pem")),
    ).rejects.toThrow()
  })

  it("uses valid organization numbers everywhere and keeps keys and passphrases out of logs", async () => {
    for (const c of [pki.server, pki.eid, ...pki.senders, pki.foreign.sender]) {
      expect(Pki.isValidOrganizationNumber(c.organizationNumber)).toBe(true)
    }
    const { inspect } = await import("node:util")
    const sender = pki.senders[0]!
    for (const shown of [inspect(sender), JSON.stringify(sender), inspect(pki.server)]) {
      expect(shown).not.toContain("PRIVATE KEY")
      expect(shown).not.toContain(sender.pkcs12Passphrase)
      expect(shown).toContain("<redacted>")
    }
    expect(sender.privateKeyPem).toContain("PRIVATE KEY")
  })

  it("rejects a malformed organization number", async () => {
    await expect(Pki.make({ organizations: [{ organizationNumber: "12345" }] })).rejects.toThrow(/9 digits/)
  })
})

describe("Pki.issueClientCertificate", () => {
  it("issues an expired certificate with the requested subject style and PKCS#12 encryption", () => {
    const notBefore = new Date("2020-01-01T00:00:00Z")
    const notAfter = new Date("2021-01-01T00:00:00Z")
    const expired = pki.issueClientCertificate({
      organizationNumber: "984661185",
      subjectStyle: "SEID1",
      notBefore,
      notAfter,
      pkcs12Encryption: "3des",
    })
    const cert = new crypto.X509Certificate(expired.certificatePem)
    expect(new Date(cert.validTo).getTime()).toBe(notAfter.getTime())
    expect(cert.subject).toContain("serialNumber=984661185")
    expect(expired.pkcs12Encryption).toBe("3des")
    expect(cert.checkIssued(new crypto.X509Certificate(pki.caCertificatePem))).toBe(true)
  })
})

describe("Pki PKCS#12 and files", () => {
  it("writes the files, keys and PKCS#12 with mode 0600, which openssl chains and reads", async () => {
    const extra = pki.issueClientCertificate({ organizationNumber: "984661185", pkcs12Encryption: "3des" })
    const files = await pki.writeTo(dir)
    const p12ExtraPath = path.join(dir, "extra.p12")
    await fs.writeFile(p12ExtraPath, extra.pkcs12)
    for (const [name, file] of Object.entries(files)) {
      const mode = (await fs.stat(file)).mode & 0o777
      const secret = /privatekey|pkcs12/i.test(name)
      expect(mode, name).toBe(secret ? 0o600 : 0o644)
    }
    expect(await fs.readFile(files["caCertificate"]!, "utf8")).toBe(pki.caCertificatePem)

    const verified = await openssl(
      "verify",
      "-CAfile",
      files["caCertificate"]!,
      files["serverCertificate"]!,
      ...pki.senders.map((s) => files[`sender.${s.organizationNumber}.certificate`]!),
    )
    expect(verified.match(/: OK/g)).toHaveLength(1 + pki.senders.length)

    const info = async (file: string, passphrase: string) =>
      openssl("pkcs12", "-in", file, "-info", "-noout", "-legacy", "-passin", `pass:${passphrase}`)
    const [aes, rc2] = pki.senders
    const aesInfo = await info(files[`sender.${aes!.organizationNumber}.pkcs12`]!, aes!.pkcs12Passphrase)
    expect(aesInfo).toContain("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC")
    expect(aesInfo).toContain("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC")
    expect(aesInfo.match(/Certificate bag/g)).toHaveLength(2)
    const rc2Info = await info(files[`sender.${rc2!.organizationNumber}.pkcs12`]!, rc2!.pkcs12Passphrase)
    expect(rc2Info).toContain("PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC")
    expect(rc2Info).toContain("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC")
    const desInfo = await info(p12ExtraPath, extra.pkcs12Passphrase)
    expect(desInfo).toContain("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC")
    expect(desInfo).toContain("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC")
    await expect(info(p12ExtraPath, "wrong")).rejects.toThrow()

    // the key inside the PKCS#12 is the sender's key
    const { stdout } = await run("openssl", [
      "pkcs12",
      "-in",
      files[`sender.${rc2!.organizationNumber}.pkcs12`]!,
      "-nocerts",
      "-nodes",
      "-legacy",
      "-passin",
      `pass:${rc2!.pkcs12Passphrase}`,
    ])
    const key = crypto.createPrivateKey(stdout)
    expect(key.export({ type: "pkcs8", format: "pem" })).toBe(rc2!.privateKeyPem)
  })

  it("produces AES-256 and 3DES PKCS#12 files that Node's TLS stack loads directly", () => {
    const aes = pki.senders.find((s) => s.pkcs12Encryption === "aes-256")!
    const des = pki.issueClientCertificate({ organizationNumber: "984661185", pkcs12Encryption: "3des" })
    for (const c of [aes, des]) {
      expect(() =>
        tls.createSecureContext({ pfx: Buffer.from(c.pkcs12), passphrase: c.pkcs12Passphrase }),
      ).not.toThrow()
    }
  })
})
