#!/usr/bin/env node
/**
 * Writes BENCHMARKS.md at the repository root: every benchmark ratio of the packages side by side with its goal
 * and a pass/miss mark, and the machine it ran on. Run after the package benches (`pnpm bench` does both).
 *
 * Each package's numbers are read from `bench/results.json` when the package writes one (`{ "metrics": { <key>:
 * number } }`, keys as in GOALS below), otherwise parsed from its `bench/RESULTS.md`. A value that cannot be found is
 * reported as such, never guessed.
 *
 * `--profile`: for each missed goal that names a profile target, runs that bench once more under `node --cpu-prof`
 * (restoring the package's RESULTS.md and results.json afterwards, so the report keeps the unprofiled numbers) and
 * summarizes where the CPU time went: self time by component and the top frames.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))
const profile = process.argv.includes("--profile")

const read = (path) => (existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : undefined)
const json = (path) => {
  const text = read(path)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A number from results.json, else the first capture of `pattern` in RESULTS.md. */
const metric = (pkg, key, pattern) => {
  const fromJson = json(`${pkg}/bench/results.json`)?.metrics?.[key]
  if (typeof fromJson === "number") return { value: fromJson, source: `${pkg}/bench/results.json` }
  const md = read(`${pkg}/bench/RESULTS.md`)
  if (md === undefined) return { value: undefined, source: `${pkg}/bench/RESULTS.md (missing)` }
  const match = pattern?.exec(md)
  const value = match === null || match === undefined ? undefined : Number(match[1])
  return { value: Number.isFinite(value) ? value : undefined, source: `${pkg}/bench/RESULTS.md` }
}

const dateOf = (pkg) => {
  const fromJson = json(`${pkg}/bench/results.json`)?.date
  if (fromJson) return fromJson
  const md = read(`${pkg}/bench/RESULTS.md`) ?? ""
  return /Date:\s*([0-9T:.\-Z]+)/.exec(md)?.[1]
}

const GOALS = [
  {
    id: "bundleVsPrimitives",
    what: "Bundle build, 20 PDFs / 10 MB, vs the unavoidable primitives (SHA-256, CRC-32, deflate)",
    goal: "≤ 1.25×",
    pass: (v) => v <= 1.25,
    unit: "×",
    pkg: "packages/protocol",
    pattern: /bundle ≤ 1\.25× primitives: ([\d.]+)×/,
    profileTarget: { cwd: "packages/protocol", args: ["bench/index.ts", "bundle"], partial: true },
  },
  {
    id: "bundleVsJdk",
    what: "Bundle build vs the same bundle with the JDK's zip and XML-signature APIs, after warm-up",
    goal: "≤ 0.5×",
    pass: (v) => v <= 0.5,
    unit: "×",
    pkg: "packages/protocol",
    pattern: /bundle ≤ 0\.5× JDK: ([\d.]+)×/,
  },
  {
    id: "bundlePeakMemoryVsDocuments",
    what: "Bundle build peak memory vs document bytes",
    goal: "≤ 3×",
    pass: (v) => v <= 3,
    unit: "×",
    pkg: "packages/protocol",
    pattern: /peak memory ≤ 3× document bytes:[^\n]*?= ([\d.]+)×/,
  },
  {
    id: "decodeVsBareParse",
    what: "Decode of a 10-signer status response vs a bare fast-xml-parser parse",
    goal: "≤ 1.5×",
    pass: (v) => v <= 1.5,
    unit: "×",
    pkg: "packages/protocol",
    pattern: /\*\*Result: ([\d.]+)× the bare parse/,
    profileTarget: { cwd: "packages/protocol", args: ["bench/index.ts", "decode"], partial: true },
  },
  {
    id: "createVsRawUndici",
    what: "`create` vs raw undici, same prebuilt bytes, simulator in its own process (client bench)",
    goal: "≥ 0.9×",
    pass: (v) => v >= 0.9,
    unit: "×",
    pkg: "packages/client",
    pattern: /\*\*Client \/ raw undici: ([\d.]+)×/,
    explain: /(The client spends about[\s\S]*?\)\.)/,
    profileTarget: { cwd: "packages/client", args: ["bench/index.ts"] },
  },
  {
    id: "createVsRawUndiciInProcess",
    what: "`create` vs raw undici, same prebuilt bytes, simulator in the same process (client bench)",
    goal: "≥ 0.9×",
    pass: (v) => v >= 0.9,
    unit: "×",
    pkg: "packages/client",
    pattern: /same process[\s\S]*?\*\*Client \/ raw undici: ([\d.]+)×/,
    profileTarget: { cwd: "packages/client", args: ["bench/index.ts"] },
  },
  {
    id: "createVsRawUndiciSequential",
    what: "`create` vs raw undici, one create at a time, simulator in its own process (client bench)",
    goal: "≥ 0.9×",
    pass: (v) => v >= 0.9,
    unit: "×",
    pkg: "packages/client",
    pattern: /client \/ raw undici, one at a time: ([\d.]+)×/,
    profileTarget: { cwd: "packages/client", args: ["bench/index.ts"] },
  },
  {
    id: "createPacingCostPercent",
    what: "Pacing below its limit, one create at a time: wall time added vs `rateLimiter: false` (client bench)",
    goal: "≤ 2 %",
    pass: (v) => v <= 2,
    unit: " %",
    pkg: "packages/client",
    pattern: /pacing cost below the limit, one create at a time:\s*([-\d.]+) %/,
  },
  {
    id: "createVsRawUndiciNodeTls",
    what: "`create` over `NodeTlsTransport.layer` vs raw undici, same process (node-tls bench)",
    goal: "≥ 0.9×",
    pass: (v) => v >= 0.9,
    unit: "×",
    pkg: "packages/node-tls",
    pattern: /client \/ raw: ([\d.]+)×/,
    explain: /\(goal ≥ 0\.9×\)\.\s*([\s\S]*?)\n\n/,
    profileTarget: { cwd: "packages/node-tls", args: ["bench/index.ts"] },
  },
  {
    id: "createVsRawUndiciNodeTlsSequential",
    what: "`create` over `NodeTlsTransport.layer` vs raw undici, one create at a time, same process (node-tls bench)",
    goal: "≥ 0.9×",
    pass: (v) => v >= 0.9,
    unit: "×",
    pkg: "packages/node-tls",
    pattern: /client \/ raw, sequential: ([\d.]+)×/,
    profileTarget: { cwd: "packages/node-tls", args: ["bench/index.ts"] },
  },
  {
    id: "simulatorCreationsPerSecond",
    what: "Simulator job creations per second, keep-alive mTLS, full validation (first scenario)",
    goal: "≥ 200/s",
    pass: (v) => v >= 200,
    unit: "/s",
    pkg: "packages/simulator",
    pattern: /\|\s*\*\*([\d.]+)\*\*\s*\|/,
  },
  {
    id: "pollingIdlePollsVsPermitted",
    what: "Polling worker, empty queue: polls made vs polls permitted (two workers)",
    goal: "≤ 1.0× and 0 early polls",
    pass: (v) => v <= 1 && (metric("tests/reliability", "pollingPollsBeforePermittedTime").value ?? 1) === 0,
    unit: "×",
    pkg: "tests/reliability",
  },
  {
    id: "pollingChangesPerSecond",
    what: "Polling worker, full queue: changes handled and confirmed per second (no rate limit)",
    goal: "– (permitted: unbounded after a change)",
    unit: "/s",
    pkg: "tests/reliability",
  },
  {
    id: "pacingCreatesSucceeded",
    what: "Pacing, real rate limit (10 requests/s, 30 s block): of 40 concurrent creates, how many succeeded",
    goal: "40 and 0 refused",
    pass: (v) => v === 40 && (metric("tests/reliability", "pacingCreatesRefused").value ?? 1) === 0,
    unit: "",
    pkg: "tests/reliability",
  },
  {
    id: "pollingChangesPerSecondRateLimited",
    what: "Polling worker, full queue, real rate limit (10 requests/s, 30 s block), paced: changes per second",
    goal: "≥ 4/s and 0 refused",
    pass: (v) => v >= 4 && (metric("tests/reliability", "pollingRateLimitedRequests").value ?? 1) === 0,
    unit: "/s",
    pkg: "tests/reliability",
  },
  {
    id: "pacingCostShareOfCreatePercent",
    what: "Pacing below the limit: one turn of the limiter (measured alone) as a share of a create's time",
    goal: "< 2 %",
    pass: (v) => v < 2,
    unit: " %",
    pkg: "tests/reliability",
  },
  {
    id: "pacingCreateThroughputRatio",
    what: "Pacing below the limit: creates/s with a limiter never reached vs rateLimiter: false (medians of rounds)",
    goal: "– (noise of a shared machine; see the share above)",
    unit: "×",
    pkg: "tests/reliability",
  },
  {
    id: "pacingRedisTwoProcessesChangesPerSecond",
    what: "Pacing through Redis, two processes, real rate limit: changes per second summed",
    goal: "≥ 4/s and 0 refused",
    pass: (v) => v >= 4 && (metric("tests/reliability", "pacingRedisTwoProcessesRateLimited").value ?? 1) === 0,
    unit: "/s",
    pkg: "tests/reliability",
  },
]

// ---------------------------------------------------------------------------------------------------------------

/** Self time by component and the top frames of a .cpuprofile. */
const summarizeProfile = (file) => {
  const prof = JSON.parse(readFileSync(file, "utf8"))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const total = prof.samples.length
  for (const id of prof.samples) self.set(id, (self.get(id) ?? 0) + 1)
  const frames = new Map()
  const components = new Map()
  const componentOf = (url, name) => {
    if (name === "(garbage collector)") return "GC"
    if (name === "(idle)" || name === "(program)") return name
    if (url === "") return "native / runtime"
    if (url.startsWith("node:")) return `node (${url.replace(/^node:(internal\/)?/, "").split("/")[0]})`
    const pkg = /packages\/([^/]+)\/src/.exec(url)?.[1]
    if (pkg) return `@signering/${pkg}`
    const dep = /node_modules\/\.pnpm\/([^/]+?)@/.exec(url)?.[1] ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
    if (dep) return dep.replace("+", "/")
    return "other"
  }
  for (const [id, hits] of self) {
    const node = byId.get(id)
    const { functionName, url, lineNumber } = node.callFrame
    const name = functionName || "(anonymous)"
    const short = url.replace(/^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|packages\/)/, "")
    const key = `${name} ${short ? `${short}:${lineNumber + 1}` : ""}`.trim()
    frames.set(key, (frames.get(key) ?? 0) + hits)
    const c = componentOf(url, functionName)
    components.set(c, (components.get(c) ?? 0) + hits)
  }
  // Busy time only: idle waiting is not what limits throughput. The simulator runs in the same process in some
  // benches: its share is the server's, shown as a component and left out of the top frames.
  const busy = total - (components.get("(idle)") ?? 0)
  components.delete("(idle)")
  const pct = (n) => `${((n / busy) * 100).toFixed(1)} %`
  const top = (map, n, keep = () => true) =>
    [...map]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${pct(v)} ${k}`)
  const hottest = Math.max(
    0,
    ...[...frames].filter(([k]) => !k.startsWith("(") && !k.includes("simulator/src")).map(([, v]) => (v / busy) * 100),
  )
  const share = (names) => pct(names.reduce((n, c) => n + (components.get(c) ?? 0), 0))
  return {
    hottest,
    library: share(["effect", "@signering/client", "@signering/protocol", "@signering/node-tls", "@signering/fetch"]),
    transport: share(["undici", "native / runtime", "node (crypto)", "node (streams)", "node (net)", "node (tls)"]),
    server: share(["@signering/simulator"]),
    idle: `${(((total - busy) / total) * 100).toFixed(0)} %`,
    components: top(components, 9),
    frames: top(
      frames,
      12,
      (k) => !k.startsWith("(idle)") && !k.startsWith("(program)") && !k.includes("simulator/src"),
    ),
  }
}

const runProfile = (target) => {
  const dir = mkdtempSync(join(tmpdir(), "bench-prof-"))
  const keep = ["bench/RESULTS.md", "bench/results.json"].map((f) => join(root, target.cwd, f))
  const saved = keep.map((f) => (existsSync(f) ? readFileSync(f) : undefined))
  try {
    const run = spawnSync(
      process.execPath,
      ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--conditions=@signering/source", "--import", "tsx", ...target.args],
      { cwd: join(root, target.cwd), stdio: ["ignore", "ignore", "inherit"], timeout: 15 * 60_000 },
    )
    if (run.status !== 0) return undefined
    // The main process's profile is the largest (child processes, if any, write their own).
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(dir, f))
      .sort((a, b) => readFileSync(b).length - readFileSync(a).length)
    return files.length === 0 ? undefined : summarizeProfile(files[0])
  } finally {
    if (!target.partial) {
      for (const [i, f] of keep.entries()) {
        if (saved[i] === undefined) rmSync(f, { force: true })
        else writeFileSync(f, saved[i])
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------------------------

const rows = GOALS.map((g) => {
  const { value, source } = metric(g.pkg, g.id, g.pattern)
  const mark = value === undefined ? "not measured" : g.pass === undefined ? "–" : g.pass(value) ? "pass" : "**miss**"
  return { ...g, value, source, mark }
})

const cpu = cpus()
const [l1, l5, l15] = loadavg()
const lines = [
  "# Benchmarks",
  "",
  "Generated by `pnpm bench` (each package's bench through turbo, then `tooling/scripts/bench-report.mjs`). Every",
  "ratio below is measured within one package's run, both sides on the same machine at the same time; the packages",
  "ran one after the other.",
  "",
  "## Machine",
  "",
  `- CPU: ${cpu[0]?.model ?? "unknown"}, ${cpu.length} cores`,
  `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  `- Node ${process.version} on ${process.platform}/${process.arch}`,
  `- Report written: ${new Date().toISOString()}; load average when written: ${l1.toFixed(2)} / ${l5.toFixed(2)} / ${l15.toFixed(2)} (1 / 5 / 15 min)`,
  "- The machine is shared with other work while this runs: absolute numbers move with the load, ratios far less",
  "  (each bench interleaves its candidates).",
  "",
  "## Ratios and goals",
  "",
  "| What | Measured | Goal | Result | Source (run at) |",
  "| --- | ---: | --- | --- | --- |",
  ...rows.map(
    (r) =>
      `| ${r.what} | ${r.value === undefined ? "–" : `${r.value}${r.unit}`} | ${r.goal} | ${r.mark} | \`${r.source}\` (${dateOf(r.pkg) ?? "?"}) |`,
  ),
  "",
]

const missed = rows.filter((r) => r.mark === "**miss**" || r.mark === "not measured")
if (missed.length > 0) {
  lines.push("## Missed or not measured", "")
  for (const r of missed) {
    lines.push(`### ${r.what}`, "")
    if (r.value === undefined)
      lines.push(
        `Not found in \`${r.source}\`: the bench did not produce this number in its last run (see that file's notes).`,
        "",
      )
    else {
      lines.push(`Measured ${r.value}${r.unit} against ${r.goal}. The package's own notes: \`${r.source}\`.`, "")
      const explained = r.explain?.exec(read(`${r.pkg}/bench/RESULTS.md`) ?? "")?.[1]
      if (explained) lines.push(`From that file: ${explained.replace(/\s+/g, " ").trim()}`, "")
    }
    if (profile && r.profileTarget && r.value !== undefined) {
      process.stdout.write(`bench-report: profiling ${r.profileTarget.cwd} ${r.profileTarget.args.join(" ")} ...\n`)
      const summary = runProfile(r.profileTarget)
      if (summary === undefined) lines.push("(The profiling run failed; no profile.)", "")
      else
        lines.push(
          `CPU profile of the bench process (\`node --cpu-prof\`, \`${r.profileTarget.args.join(" ")}\` in ${r.profileTarget.cwd}: every candidate of that bench, raw and ours, so it shows what the whole path costs; self time as a share of the busy time, the process was idle ${summary.idle} of the run):`,
          "",
          `- Library code on the request path (effect, @signering/*): ${summary.library} of the busy time; undici, TLS, sockets and other native work: ${summary.transport}; the simulator's own code (when in process): ${summary.server}.${summary.hottest < 10 ? " No frame takes 10 % or more: no single hot spot, the gap to raw undici is the sum of small per-request costs (see the package's own breakdown)." : ""}`,
          `- By component: ${summary.components.join("; ")}`,
          "- Top frames outside the simulator:",
          ...summary.frames.map((f) => `  - ${f}`),
          "",
        )
    }
  }
}

writeFileSync(join(root, "BENCHMARKS.md"), `${lines.join("\n")}`)
process.stdout.write(
  `bench-report: wrote BENCHMARKS.md (${rows.filter((r) => r.mark === "pass").length} pass, ${rows.filter((r) => r.mark === "**miss**").length} miss, ${rows.filter((r) => r.mark === "not measured").length} not measured)\n`,
)
