import { X509Certificate } from "node:crypto"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { extname, join } from "node:path"

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Why a trust anchor or certificate could not be used; the caller names the option. */
export class PemProblem {
  constructor(readonly detail: string) {}
}

/** Splits PEM text into certificates, rejecting blocks OpenSSL cannot parse. */
export const certificatesFromPem = (text: string, source: string): ReadonlyArray<X509Certificate> | PemProblem => {
  const blocks = text.match(PEM_BLOCK) ?? []
  if (blocks.length === 0) return new PemProblem(`${source} contains no "BEGIN CERTIFICATE" block`)
  const certificates: Array<X509Certificate> = []
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block))
    } catch (cause) {
      return new PemProblem(`certificate ${index + 1} in ${source} cannot be parsed (${(cause as Error).message})`)
    }
  }
  return certificates
}

const CERTIFICATE_FILE = new Set([".pem", ".cer", ".crt", ".der"])

// Digdir and the official Java client ship the anchors as .cer files, some DER and some PEM.
const certificatesFromFile = (path: string): ReadonlyArray<X509Certificate> | PemProblem => {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (cause) {
    return new PemProblem(`file ${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`)
  }
  const text = bytes.toString("latin1")
  if (text.includes("-----BEGIN")) return certificatesFromPem(text, `file ${path}`)
  try {
    return [new X509Certificate(bytes)]
  } catch {
    return new PemProblem(`file ${path} is neither PEM nor a DER certificate`)
  }
}

/**
 * Loads certificates from PEM text, a file (PEM or DER) or a directory of
 * certificate files. Strings holding a PEM block are text; others are paths.
 */
export const loadCertificates = (input: string): ReadonlyArray<X509Certificate> | PemProblem => {
  if (input.includes("-----BEGIN")) return certificatesFromPem(input, "the PEM text")
  let isDirectory: boolean
  try {
    isDirectory = statSync(input).isDirectory()
  } catch (cause) {
    return new PemProblem(
      `"${input}" is neither PEM text nor a readable path (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
    )
  }
  if (!isDirectory) return certificatesFromFile(input)
  const files = readdirSync(input)
    .filter((name) => CERTIFICATE_FILE.has(extname(name).toLowerCase()))
    .sort()
  if (files.length === 0) return new PemProblem(`directory ${input} holds no .pem, .cer, .crt or .der file`)
  const certificates: Array<X509Certificate> = []
  for (const file of files) {
    const loaded = certificatesFromFile(join(input, file))
    if (loaded instanceof PemProblem) return loaded
    certificates.push(...loaded)
  }
  return certificates
}
