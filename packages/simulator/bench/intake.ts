/**
 * Cost of the strict intake alone (no TLS, no HTTP): multipart parsing, schema validation (libxml2 in its worker),
 * unzip, XAdES verification and limits, per create request. Complements bench/index.ts, which measures whole
 * creations over mutual TLS.
 *
 * Run: node --conditions=@signering/source --import tsx bench/intake.ts (in packages/simulator).
 * Writes bench/INTAKE.md.
 */
import { writeFileSync } from "node:fs"
import * as os from "node:os"
import { verifyCreateRequest } from "../src/internal/intake/index.js"
import * as Pki from "../src/Pki.js"
import { makeCreateRequest } from "../test/support/bundleProtocol.js"

const pdfOfSize = (size: number): Uint8Array => {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = 32 + ((i * 7919) % 90)
  bytes.set(new TextEncoder().encode("%PDF-1.7\n"))
  return bytes
}

interface Row {
  readonly label: string
  readonly concurrency: number
  readonly perRequestMs: number
  readonly perSecond: number
}

const main = async () => {
  const coldStart = performance.now()
  await Pki.make()
  const cold = performance.now() - coldStart
  const warmStart = performance.now()
  const pki = await Pki.make()
  const warm = performance.now() - warmStart
  const sender = pki.senders[0]!
  const rows: Array<Row> = []

  const measure = async (
    label: string,
    requests: ReadonlyArray<{ contentType: string; body: Uint8Array }>,
    concurrency: number,
    durationMs: number,
  ) => {
    let next = 0
    let done = 0
    const check = async () => {
      const request = requests[next++ % requests.length]!
      const r = await verifyCreateRequest({
        contentType: request.contentType,
        body: request.body,
        clientCertificateDer: sender.certificateDer,
        organizationInUrl: sender.organizationNumber,
        now: new Date(),
        // prebuilt requests age during the run
        signingTimeLeniencyMs: 3_600_000,
      })
      if (!r.ok) throw new Error(`${label}: ${r.errorCode} ${r.errorMessage}`)
    }
    // warm-up
    for (let i = 0; i < Math.min(20, requests.length); i++) await check()
    const start = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - start < durationMs) {
          await check()
          done++
        }
      }),
    )
    const seconds = (performance.now() - start) / 1000
    rows.push({
      label,
      concurrency,
      perRequestMs: Number(((seconds * 1000) / done).toFixed(2)),
      perSecond: Number((done / seconds).toFixed(0)),
    })
    console.log(rows.at(-1))
  }

  const build = (n: number, documentBytes: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        makeCreateRequest({
          signer: sender,
          title: `Avtale ${i}`,
          reference: `bench-${i}-${Math.random().toString(36).slice(2, 8)}`,
          documents: [{ title: "Kontrakt", bytes: pdfOfSize(documentBytes) }],
        }),
      ),
    )

  const repeated = await build(16, 2_000)
  await measure("2 KB document, repeated request XML (schema verdict cached)", repeated, 1, 3_000)
  // 1500 distinct requests: more than the 512-entry verdict cache, so every validation runs libxml2
  const distinct = await build(1500, 2_000)
  await measure("2 KB document, every request distinct (libxml2 each time)", distinct, 1, 3_000)
  await measure("2 KB document, every request distinct (libxml2 each time)", distinct, 8, 3_000)
  await measure("1 MB document, 12 requests cycled (schema verdicts cached)", await build(12, 1_000_000), 4, 3_000)
  await measure("10 MB document, 3 requests cycled (schema verdicts cached)", await build(3, 10_000_000), 2, 3_000)

  const cpu = os.cpus()[0]?.model ?? "unknown CPU"
  const lines = [
    "# Intake benchmark: cost of verifying one create request",
    "",
    "Written by `node --conditions=@signering/source --import tsx bench/intake.ts`. In-process calls of the intake",
    "(multipart, XSD validation in the libxml2 worker, unzip with CRC checks, XAdES verification with our own C14N,",
    "limits), without TLS or HTTP. Requests are built beforehand with the protocol package's client code.",
    "",
    `- Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}, ${os.platform()} ${os.release()}`,
    `- Date: ${new Date().toISOString()}; 3 s per scenario after a warm-up.`,
    `- Load average at the end (1/5/15 min): ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}; anything well above the core count means other processes shared the machine.`,
    "",
    `Test PKI: the first \`Pki.make()\` in a process (8 RSA-2048 keys generated in parallel, certificates and PKCS#12 files) took ${cold.toFixed(0)} ms; a second one, reusing the keys, ${warm.toFixed(0)} ms.`,
    "",
    "| Scenario | Concurrency | ms per request | Requests/s |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.label} | ${r.concurrency} | ${r.perRequestMs} | **${r.perSecond}** |`),
    "",
  ]
  writeFileSync(new URL("./INTAKE.md", import.meta.url), lines.join("\n"))
  process.exit(0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
