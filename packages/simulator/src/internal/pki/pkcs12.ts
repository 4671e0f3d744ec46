/**
 * PKCS#12 (RFC 7292) writer with the three layouts enterprise-certificate users actually meet:
 * - `aes-256`: what `openssl pkcs12 -export` writes since OpenSSL 3 (PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC
 *   for both the certificate bag and the shrouded key, MAC SHA-256);
 * - `3des`: certificates and key with pbeWithSHAAnd3-KeyTripleDES-CBC, MAC SHA-1;
 * - `rc2-40`: what `openssl pkcs12 -export -legacy` writes and what older Buypass/Commfides files hold
 *   (certificates with pbeWithSHAAnd40BitRC2-CBC, key with 3DES, MAC SHA-1). OpenSSL 3 and Node read it
 *   only with the legacy provider, which is exactly why a client must be tested against it.
 */
import * as crypto from "node:crypto"
import * as Forge from "node-forge"
import * as Der from "./der.js"

// node-forge is CommonJS without detectable named exports: native ESM sees only `default`.
const forge: typeof Forge = (Forge as unknown as { default?: typeof Forge }).default ?? Forge

export type Pkcs12Encryption = "aes-256" | "3des" | "rc2-40"

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  certBag: "1.2.840.113549.1.12.10.1.3",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  friendlyName: "1.2.840.113549.1.9.20",
  pbeWithSHAAnd3KeyTripleDESCBC: "1.2.840.113549.1.12.1.3",
  pbeWithSHAAnd40BitRC2CBC: "1.2.840.113549.1.12.1.6",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA256: "1.2.840.113549.2.9",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const

const ITERATIONS = 2048

/** RFC 7292 appendix B.2 key derivation (password as NUL-terminated BMPString). */
const pkcs12Kdf = (
  hash: "sha1" | "sha256",
  password: string,
  salt: Uint8Array,
  id: 1 | 2 | 3,
  iterations: number,
  size: number,
): Uint8Array => {
  const u = hash === "sha1" ? 20 : 32
  const v = 64
  const pass = new Uint8Array((password.length + 1) * 2)
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i)
    pass[i * 2] = c >> 8
    pass[i * 2 + 1] = c & 0xff
  }
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(v * Math.ceil(src.length / v))
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!
    return out
  }
  const S = salt.length > 0 ? fill(salt) : new Uint8Array(0)
  const P = pass.length > 0 ? fill(pass) : new Uint8Array(0)
  const I = new Uint8Array(S.length + P.length)
  I.set(S, 0)
  I.set(P, S.length)
  const D = new Uint8Array(v).fill(id)
  const out = new Uint8Array(size)
  let produced = 0
  while (produced < size) {
    let A: Uint8Array = crypto.createHash(hash).update(D).update(I).digest()
    for (let r = 1; r < iterations; r++) A = crypto.createHash(hash).update(A).digest()
    out.set(A.subarray(0, Math.min(u, size - produced)), produced)
    produced += u
    if (produced >= size) break
    const B = new Uint8Array(v)
    for (let i = 0; i < v; i++) B[i] = A[i % u]!
    for (let j = 0; j < I.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry
        I[j + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return out
}

interface Encrypted {
  readonly algorithm: Uint8Array
  readonly ciphertext: Uint8Array
}

const encrypt3des = (password: string, plaintext: Uint8Array): Encrypted => {
  const salt = crypto.randomBytes(8)
  const key = pkcs12Kdf("sha1", password, salt, 1, ITERATIONS, 24)
  const iv = pkcs12Kdf("sha1", password, salt, 2, ITERATIONS, 8)
  const cipher = crypto.createCipheriv("des-ede3-cbc", key, iv)
  return {
    algorithm: Der.sequence(
      Der.oid(OID.pbeWithSHAAnd3KeyTripleDESCBC),
      Der.sequence(Der.octetString(salt), Der.integer(ITERATIONS)),
    ),
    ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
  }
}

// OpenSSL 3 ships RC2 only in its legacy provider, so node:crypto cannot do it: node-forge's RC2 can.
const encryptRc2_40 = (password: string, plaintext: Uint8Array): Encrypted => {
  const salt = crypto.randomBytes(8)
  const key = pkcs12Kdf("sha1", password, salt, 1, ITERATIONS, 5)
  const iv = pkcs12Kdf("sha1", password, salt, 2, ITERATIONS, 8)
  const cipher = forge.rc2.createEncryptionCipher(forge.util.createBuffer(Buffer.from(key).toString("binary")), 40)
  cipher.start(forge.util.createBuffer(Buffer.from(iv).toString("binary")))
  cipher.update(forge.util.createBuffer(Buffer.from(plaintext).toString("binary")))
  cipher.finish()
  return {
    algorithm: Der.sequence(
      Der.oid(OID.pbeWithSHAAnd40BitRC2CBC),
      Der.sequence(Der.octetString(salt), Der.integer(ITERATIONS)),
    ),
    ciphertext: Buffer.from(cipher.output.getBytes(), "binary"),
  }
}

const encryptAes256 = (password: string, plaintext: Uint8Array): Encrypted => {
  const salt = crypto.randomBytes(16)
  const iv = crypto.randomBytes(16)
  // PBES2 takes the password as UTF-8 bytes (unlike the BMPString of the PKCS#12 KDF).
  const key = crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, ITERATIONS, 32, "sha256")
  const cipher = crypto.createCipheriv("aes-256-cbc", key, iv)
  return {
    algorithm: Der.sequence(
      Der.oid(OID.pbes2),
      Der.sequence(
        Der.sequence(
          Der.oid(OID.pbkdf2),
          Der.sequence(
            Der.octetString(salt),
            Der.integer(ITERATIONS),
            Der.sequence(Der.oid(OID.hmacWithSHA256), Der.nullValue()),
          ),
        ),
        Der.sequence(Der.oid(OID.aes256Cbc), Der.octetString(iv)),
      ),
    ),
    ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
  }
}

export interface Pkcs12Input {
  /** PKCS#8 DER of the private key. */
  readonly privateKeyPkcs8Der: Uint8Array
  /** Leaf first, then the issuing CA(s). */
  readonly certificatesDer: ReadonlyArray<Uint8Array>
  readonly passphrase: string
  readonly encryption: Pkcs12Encryption
  readonly friendlyName: string
}

/** Builds a password-protected PKCS#12 file (DER bytes). */
export const write = (input: Pkcs12Input): Uint8Array => {
  const { passphrase, encryption } = input
  const leaf = input.certificatesDer[0]
  const localKeyId = leaf ? crypto.createHash("sha1").update(leaf).digest() : crypto.randomBytes(20)
  const leafAttributes = Der.setOf(
    Der.sequence(Der.oid(OID.friendlyName), Der.setOf(Der.bmpString(input.friendlyName))),
    Der.sequence(Der.oid(OID.localKeyId), Der.setOf(Der.octetString(localKeyId))),
  )

  const certBags = input.certificatesDer.map((der, i) =>
    Der.sequence(
      Der.oid(OID.certBag),
      Der.explicit(0, Der.sequence(Der.oid(OID.x509Certificate), Der.explicit(0, Der.octetString(der)))),
      ...(i === 0 ? [leafAttributes] : []),
    ),
  )
  const certSafeContents = Der.sequence(...certBags)
  const certEncrypted =
    encryption === "aes-256"
      ? encryptAes256(passphrase, certSafeContents)
      : encryption === "3des"
        ? encrypt3des(passphrase, certSafeContents)
        : encryptRc2_40(passphrase, certSafeContents)
  const certContentInfo = Der.sequence(
    Der.oid(OID.encryptedData),
    Der.explicit(
      0,
      Der.sequence(
        Der.integer(0),
        Der.sequence(Der.oid(OID.data), certEncrypted.algorithm, Der.implicitOctets(0, certEncrypted.ciphertext)),
      ),
    ),
  )

  const keyEncrypted =
    encryption === "aes-256"
      ? encryptAes256(passphrase, input.privateKeyPkcs8Der)
      : encrypt3des(passphrase, input.privateKeyPkcs8Der)
  const keyBag = Der.sequence(
    Der.oid(OID.pkcs8ShroudedKeyBag),
    Der.explicit(0, Der.sequence(keyEncrypted.algorithm, Der.octetString(keyEncrypted.ciphertext))),
    leafAttributes,
  )
  const keyContentInfo = Der.sequence(Der.oid(OID.data), Der.explicit(0, Der.octetString(Der.sequence(keyBag))))

  const authenticatedSafe = Der.sequence(certContentInfo, keyContentInfo)
  const macHash = encryption === "aes-256" ? "sha256" : "sha1"
  const macSalt = crypto.randomBytes(8)
  const macKey = pkcs12Kdf(macHash, passphrase, macSalt, 3, ITERATIONS, macHash === "sha1" ? 20 : 32)
  const mac = crypto.createHmac(macHash, macKey).update(authenticatedSafe).digest()
  return Der.sequence(
    Der.integer(3),
    Der.sequence(Der.oid(OID.data), Der.explicit(0, Der.octetString(authenticatedSafe))),
    Der.sequence(
      Der.sequence(
        Der.sequence(Der.oid(macHash === "sha1" ? OID.sha1 : OID.sha256), Der.nullValue()),
        Der.octetString(mac),
      ),
      Der.octetString(macSalt),
      Der.integer(ITERATIONS),
    ),
  )
}
