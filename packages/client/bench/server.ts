/**
 * The simulator for the benchmark in its own process, as a real server would be: PKI written to the directory given
 * on the command line, one JSON line on stdout once listening, stops when its stdin closes.
 */
import { Simulator } from "@signering/simulator"

const dir = process.argv[2]
if (dir === undefined) throw new Error("usage: server.ts <dir>")
// The benchmark reuses one signed bundle for minutes: accept its SigningTime for a day.
const sim = await Simulator.start({ signingTimeLeniencyMs: 24 * 60 * 60 * 1000, requestLogLimit: 100 })
const files = await sim.pki.writeTo(dir)
process.stdout.write(`${JSON.stringify({ url: sim.url, files })}\n`)
process.stdin.resume()
process.stdin.once("end", () => void sim.close().then(() => process.exit(0)))
