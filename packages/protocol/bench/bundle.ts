/**
 * Document bundle benchmark: 20 PDF-like documents totalling 10 MB (mostly already-compressed stream data, four
 * text-heavy documents), bundled by `DocumentBundle.make`, next to
 * - the unavoidable primitives over the same bytes: SHA-256 of everything, CRC-32 of everything, and the deflate we
 *   apply (the entries we deflate, plus the sampling and trial compressions that decide it);
 * - references: node:zlib deflating everything at level 6, fflate's pure-JS zip, and the JDK's own stack
 *   (java.util.zip + javax.xml.crypto.dsig, `bench/java/BundleBench.java`, warmed up in its own JVM);
 * - peak memory of one bundle, measured in a fresh child process.
 *
 * `pnpm bench` runs it through bench/index.ts (exports `title` and `run`); run directly
 * (`node --conditions=@signering/source --import tsx bench/bundle.ts`) it replaces only its own section of
 * bench/RESULTS.md, between the `bundle:start` / `bundle:end` markers.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath, pathToFileURL } from "node:url"
import { deflateRawSync, crc32 as zlibCrc32 } from "node:zlib"
import { Effect } from "effect"
import { zipSync } from "fflate"
import { DirectJob, DirectXml, DocumentBundle, Keystore } from "../src/index.js"
import { crc32 } from "../src/internal/crc32.js"
import { deflateRaw, probe } from "../src/internal/zipDeflate.js"
import { benchmarkDocuments } from "../test/fixtures/bundle/pdfLike.js"
import { pkcs12, testPki } from "../test/support/pki.js"

export const title = "Document bundle: 20 PDF-like documents, 10 MB"

const here = fileURLToPath(new URL(".", import.meta.url))

const setup = () => {
  const documents = benchmarkDocuments()
  const job = DirectJob.makeOrThrow({
    title: "Benchmark",
    documents: documents.map((bytes, i) => ({ title: `Dokument ${i + 1}`, bytes })),
    signers: [{ customIdentifier: "signer-1" }],
    sender: { organizationNumber: "983163327" },
    exitUrls: {
      completionUrl: "https://sender.example/complete",
      rejectionUrl: "https://sender.example/reject",
      errorUrl: "https://sender.example/error",
    },
  })
  const pki = testPki()
  const keystore = Keystore.fromPemOrThrow({ certificates: pki.seid2.chainPem, privateKey: pki.seid2.keyPem })
  return { documents, job, keystore, pki }
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Interleaved async rounds: every candidate once per round, so load drift on the shared machine hits all alike. */
const compareAsync = async (
  candidates: ReadonlyArray<readonly [string, () => Promise<unknown> | unknown]>,
  rounds: number,
): Promise<Map<string, number>> => {
  for (let w = 0; w < 3; w++) for (const [, fn] of candidates) await fn()
  const samples = new Map<string, Array<number>>(candidates.map(([name]) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of candidates) {
      const t = performance.now()
      const result = await fn()
      const elapsed = performance.now() - t
      // A candidate that times itself (the JVM) reports its own figure, without the pipe round trip.
      const own = (result as { selfTimedMs?: number } | undefined)?.selfTimedMs
      samples.get(name)!.push(own ?? elapsed)
    }
  }
  return new Map([...samples].map(([name, s]) => [name, median(s)]))
}

const sha256All = (files: ReadonlyArray<Uint8Array>) =>
  Promise.all(files.map((f) => crypto.subtle.digest("SHA-256", f as Uint8Array<ArrayBuffer>)))

/** Peak memory of one bundle, in a fresh process so nothing else is on the heap. */
const memoryChild = async (): Promise<void> => {
  const { job, keystore } = setup()
  const gc = (globalThis as { gc?: () => void }).gc
  const make = () => Effect.runPromise(DocumentBundle.make(job, keystore))
  await make()
  gc?.()
  const base = process.memoryUsage()
  let peakRss = 0
  let peakJs = 0
  const sample = () => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss - base.rss)
    peakJs = Math.max(peakJs, m.heapUsed + m.external - base.heapUsed - base.external)
  }
  const timer = setInterval(sample, 1)
  const bundle = await make()
  sample()
  clearInterval(timer)
  process.stdout.write(JSON.stringify({ peakRss, peakJs, bundleBytes: bundle.bytes.length }))
}

/** A JVM running `BundleBench.java serve`: one bundle per `run()`, timed inside the JVM. */
const startJvm = async (
  job: DirectJob.DirectJob,
  documents: ReadonlyArray<Uint8Array>,
  manifest: Uint8Array,
  pki: ReturnType<typeof testPki>,
): Promise<{ run: () => Promise<{ ms: number; size: number }>; close: () => void } | undefined> => {
  const dir = mkdtempSync(join(tmpdir(), "signering-bench-"))
  const p12 = join(dir, "sender.p12")
  writeFileSync(p12, pkcs12(pki.seid2, "bench", "default"))
  const args = job.documents.flatMap((d, i) => {
    const path = join(dir, d.fileName)
    writeFileSync(path, documents[i]!)
    return [d.fileName, d.mediaType, path]
  })
  writeFileSync(join(dir, "manifest.xml"), manifest)
  args.push("manifest.xml", "application/xml", join(dir, "manifest.xml"))
  const child = spawn("java", [join(here, "java/BundleBench.java"), "serve", p12, "bench", "10", "0", ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => {
    const line = await lines.next()
    if (line.done) throw new Error("the JVM exited")
    return line.value as string
  }
  try {
    if ((await next()) !== "ready") return undefined
  } catch {
    return undefined
  }
  return {
    run: async () => {
      child.stdin.write("run\n")
      const [ms, size] = (await next()).split(" ")
      return { ms: Number(ms), size: Number(size) }
    },
    close: () => {
      child.stdin.end()
    },
  }
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`
const ms = (n: number): string => `${n.toFixed(1)} ms`

export const run = async (): Promise<string> => {
  const loadAtStart = loadavg()[0]!
  const { documents, job, keystore, pki } = setup()
  const documentBytes = documents.reduce((n, d) => n + d.length, 0)
  const make = (forceDeflate: boolean) =>
    Effect.runPromise(DocumentBundle.make(job, keystore, { forceDeflate, timeZone: "Europe/Oslo" }))
  const sample = await make(false)
  const entries = Object.fromEntries(
    sample.files.map((f, i) => [f.name, i < documents.length ? documents[i]! : new Uint8Array(f.size)]),
  )
  const manifest = DirectXml.encodeManifestBytes(job)
  const all = [...documents, manifest]
  const deflated = sample.files
    .map((f, i) => ({ f, bytes: i < documents.length ? documents[i]! : i === documents.length ? manifest : null }))
    .filter((x) => x.f.compression === "deflate" && x.bytes !== null)
    .map((x) => x.bytes!)
  const storedCount = sample.files.filter((f) => f.compression === "store").length

  // The JDK baseline, on the same documents and manifest, in one warmed-up JVM that builds a bundle per request so
  // its rounds interleave with ours (BENCH_QUICK=1 skips it, and the memory child).
  const quick = process.env.BENCH_QUICK !== undefined
  const jvm = quick ? undefined : await startJvm(job, documents, manifest, pki)
  let jdkBundleBytes = 0
  const rounds = 15
  const results = await compareAsync(
    [
      ["bundle", () => make(false)],
      ["bundle forceDeflate", () => make(true)],
      ["sha256", () => sha256All(all)],
      ["crc32", () => all.map((b) => crc32(b))],
      ["crc32 native", () => all.map((b) => zlibCrc32(b))],
      ["deflate applied", () => Promise.all(deflated.map(deflateRaw))],
      ["probes", () => Promise.all(all.map(probe))],
      ["deflate everything (CompressionStream)", () => Promise.all(all.map(deflateRaw))],
      ["node:zlib deflateRawSync level 6, everything", () => all.map((b) => deflateRawSync(b, { level: 6 }))],
      ["fflate zipSync level 6", () => zipSync(entries, { level: 6 })],
      ...(jvm === undefined
        ? []
        : [
            [
              "jdk",
              async () => {
                const { ms, size } = await jvm.run()
                jdkBundleBytes = size
                return { selfTimedMs: ms }
              },
            ] as const,
          ]),
    ],
    rounds,
  )
  jvm?.close()
  const t = (name: string) => results.get(name)!
  const jdk = jvm === undefined ? undefined : { medianMs: t("jdk"), bundleBytes: jdkBundleBytes }
  const primitives = t("sha256") + t("crc32") + t("deflate applied") + t("probes")
  const primitivesNativeCrc = primitives - t("crc32") + t("crc32 native")
  const primitivesForced = t("sha256") + t("crc32") + t("deflate everything (CompressionStream)")

  // The JDK baseline, on the same documents and manifest, warmed up in its own JVM.
  const dir = mkdtempSync(join(tmpdir(), "signering-bench-"))
  const p12 = join(dir, "sender.p12")
  writeFileSync(p12, pkcs12(pki.seid2, "bench", "default"))
  const args = job.documents.flatMap((d, i) => {
    const path = join(dir, d.fileName)
    writeFileSync(path, documents[i]!)
    return [d.fileName, d.mediaType, path]
  })
  writeFileSync(join(dir, "manifest.xml"), manifest)
  args.push("manifest.xml", "application/xml", join(dir, "manifest.xml"))
  const memory = quick
    ? { peakRss: Number.NaN, peakJs: Number.NaN, bundleBytes: 0 }
    : (JSON.parse(
        execFileSync(
          process.execPath,
          [
            "--expose-gc",
            "--conditions=@signering/source",
            "--import",
            "tsx",
            fileURLToPath(import.meta.url),
            "--memory",
          ],
          { encoding: "utf8" },
        ),
      ) as { peakRss: number; peakJs: number; bundleBytes: number })

  const bundle = t("bundle")
  const rows: Array<[string, string, string]> = [
    [
      "**DocumentBundle.make** (store what does not shrink, native deflate for the rest)",
      ms(bundle),
      `${mb(sample.bytes.length)} zip`,
    ],
    ["DocumentBundle.make with forceDeflate", ms(t("bundle forceDeflate")), ""],
    ["primitives: SHA-256 of all bytes (WebCrypto)", ms(t("sha256")), ""],
    ["primitives: CRC-32 of all bytes (ours, slicing-by-16)", ms(t("crc32")), ""],
    ["(reference: CRC-32 with node:zlib's native crc32, not available to portable code)", ms(t("crc32 native")), ""],
    [`primitives: deflate applied (${deflated.length} entries, CompressionStream)`, ms(t("deflate applied")), ""],
    [
      `primitives: deciding store or deflate (${all.length} entries: entropy of a 64 KB sample, trial deflate when in doubt)`,
      ms(t("probes")),
      "",
    ],
    ["**sum of primitives**", ms(primitives), ""],
    ["deflate everything (CompressionStream)", ms(t("deflate everything (CompressionStream)")), ""],
    ["node:zlib deflateRawSync level 6, everything", ms(t("node:zlib deflateRawSync level 6, everything")), ""],
    ["fflate zipSync level 6 (pure JS, zip only, no signature)", ms(t("fflate zipSync level 6")), ""],
    [
      "JDK 17: java.util.zip + javax.xml.crypto.dsig (the Java client's stack)",
      jdk ? ms(jdk.medianMs) : quick ? "skipped (BENCH_QUICK)" : "n/a (no java)",
      jdk ? `${mb(jdk.bundleBytes)} zip` : "",
    ],
  ]
  const goal = (ok: boolean) => (ok ? "met" : "**missed**")
  const ratio = bundle / primitives
  const jdkRatio = jdk ? bundle / jdk.medianMs : Number.NaN
  // The documents themselves count too: peak = the input plus the largest growth seen while bundling.
  const memRatio = (documentBytes + Math.max(memory.peakRss, memory.peakJs)) / documentBytes
  const body = [
    `Input: ${documents.length} documents, ${mb(documentBytes)} in total (${storedCount} of ${sample.files.length} entries stored, the rest deflated); ` +
      `medians of ${rounds} interleaved rounds after warm-up; load average at the start ${loadAtStart.toFixed(1)} on ` +
      "this shared machine.",
    "",
    "| What | median | note |",
    "| --- | ---: | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    "Library choice: the design card named jszip; it is not a dependency here (the issue measured it at ~680 ms on " +
      "its reference machine, against ~440 ms for fflate). Both compress every entry in JavaScript; the lever is " +
      "compressing less and natively, so the bundle uses its own small zip writer over `CompressionStream`.",
    "",
    "The bundle overlaps the primitives (native deflate and SHA-256 run on worker threads while the CRC runs on " +
      "the main thread), so it can finish below their sum, which times each on its own. The JDK rounds run in one " +
      "warmed-up JVM, interleaved with ours and timed inside the JVM.",
    "",
    "Goals:",
    `- bundle ≤ 1.25× primitives: ${ratio.toFixed(2)}× (${goal(ratio <= 1.25)}); stricter, not counting the store-or-deflate ` +
      `decision as a primitive: ${(bundle / (primitives - t("probes"))).toFixed(2)}×; with forceDeflate vs its primitives ` +
      `(SHA-256 + CRC-32 + deflate of everything): ${(t("bundle forceDeflate") / primitivesForced).toFixed(2)}×`,
    `  (against primitives with Node's native CRC-32 instead of ours: ${(bundle / primitivesNativeCrc).toFixed(2)}×)`,
    `- bundle ≤ 0.5× JDK: ${Number.isNaN(jdkRatio) ? "n/a" : `${jdkRatio.toFixed(2)}× (${goal(jdkRatio <= 0.5)})`}`,
    `- peak memory ≤ 3× document bytes: the ${mb(documentBytes)} of documents plus a peak growth of ` +
      `${mb(Math.max(memory.peakRss, memory.peakJs))} while bundling (RSS ${mb(memory.peakRss)}, heap + external ` +
      `${mb(memory.peakJs)}) = ${memRatio.toFixed(2)}× (${goal(memRatio <= 3)}; one bundle in a fresh process, ` +
      "sampled every millisecond)",
  ].join("\n")
  return `<!-- bundle:start -->\n${body}\n<!-- bundle:end -->`
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain && process.argv.includes("--memory")) {
  await memoryChild()
} else if (isMain) {
  const section = await run()
  process.stdout.write(`${section}\n`)
  const path = join(here, "RESULTS.md")
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# @signering/protocol benchmarks\n"
  const heading = `## ${title}\n\n_Source: \`bench/bundle.ts\`_\n\n`
  const next = /<!-- bundle:start -->[\s\S]*<!-- bundle:end -->/.test(current)
    ? current.replace(/<!-- bundle:start -->[\s\S]*<!-- bundle:end -->/, section)
    : `${current.trimEnd()}\n\n${heading}${section}\n`
  writeFileSync(path, next)
}
