import { execFile } from "node:child_process"
import { promises as fs } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/** The signed byte ranges and the CMS of a PDF's (single) signature, checked for covering the whole file. */
export const pdfSignatureParts = (bytes: Uint8Array): { data: Buffer; cms: Buffer; range: Array<number> } => {
  const pdf = Buffer.from(bytes)
  const m = /\/ByteRange \[ (\d+) (\d+) (\d+) (\d+) \]/.exec(pdf.toString("latin1"))
  if (!m) throw new Error("no ByteRange")
  const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number]
  if (a !== 0 || c + d !== pdf.length) throw new Error(`ByteRange ${a} ${b} ${c} ${d} does not cover the file`)
  const hex = Buffer.from(pdf.subarray(b + 1, c - 1).toString("latin1"), "hex")
  // DER SEQUENCE with a two-byte long-form length (the CMS is between 256 B and 64 kB)
  if (hex[0] !== 0x30 || hex[1] !== 0x82) throw new Error("Contents is not a DER SEQUENCE")
  const cms = hex.subarray(0, 4 + hex.readUInt16BE(2))
  return { data: Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]), cms, range: [a, b, c, d] }
}

/** `openssl cms -verify` of a detached CMS over `data`, trusting only `caPem`. */
export const opensslCmsVerify = async (cms: Buffer, data: Buffer, caPem: string): Promise<boolean> => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "signering-cms-"))
  try {
    await fs.writeFile(path.join(work, "sig.der"), cms)
    await fs.writeFile(path.join(work, "data.bin"), data)
    await fs.writeFile(path.join(work, "ca.pem"), caPem)
    const ok = await run("openssl", [
      "cms",
      "-verify",
      "-binary",
      "-inform",
      "DER",
      "-in",
      path.join(work, "sig.der"),
      "-content",
      path.join(work, "data.bin"),
      "-CAfile",
      path.join(work, "ca.pem"),
      "-purpose",
      "any",
      "-out",
      path.join(work, "out.bin"),
    ]).then(
      () => true,
      () => false,
    )
    return ok
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
}
