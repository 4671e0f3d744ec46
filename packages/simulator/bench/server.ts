/**
 * The simulator under benchmark, in its own process (as a real server would be): frozen clock at the instant given
 * on the command line, PKI written to the given directory, one JSON line on stdout once listening.
 */
import { validationStats } from "../src/internal/intake/schema.js"
import * as Pki from "../src/Pki.js"
import * as Simulator from "../src/Simulator.js"

const [dir, instant] = process.argv.slice(2)
if (dir === undefined || instant === undefined) throw new Error("usage: server.ts <dir> <epoch-ms>")
const pki = await Pki.make()
const sim = await Simulator.start({ pki, clock: Simulator.testClock(Number(instant)), requestLogLimit: 100 })
const files = await pki.writeTo(dir)
process.stdout.write(
  `${JSON.stringify({ url: sim.url, files, organizationNumber: pki.senders[0]!.organizationNumber })}\n`,
)
process.on("message", (m) => {
  // CPU time of the whole process (every thread, the xmllint worker included), independent of other load.
  if (m === "counters")
    process.send?.({
      ...sim.counters(),
      cpuMicros: process.cpuUsage().user + process.cpuUsage().system,
      xmllintRuns: validationStats.runs,
      fallbacks: validationStats.fallbacks,
    })
})
process.once("SIGTERM", () => void sim.close().then(() => process.exit(0)))
