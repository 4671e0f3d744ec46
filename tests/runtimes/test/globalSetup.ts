import type { TestProject } from "vitest/node"
import * as Runtimes from "../src/Runtimes.js"
import * as SimulatorProcess from "../src/SimulatorProcess.js"

declare module "vitest" {
  export interface ProvidedContext {
    binaries: Runtimes.Binaries
    simulator: Omit<SimulatorProcess.Started, "stop">
  }
}

// Installs the pinned runtimes and starts one simulator process for every test file.
export default async function setup(project: TestProject) {
  const started = Date.now()
  const binaries = Runtimes.install((line) => console.log(`[runtimes] ${line}`))
  const simulator = await SimulatorProcess.start()
  console.log(`[runtimes] runtimes ready and simulator at ${simulator.apiRoot} in ${Date.now() - started} ms`)
  project.provide("binaries", binaries)
  const { stop, ...printed } = simulator
  project.provide("simulator", printed)
  return stop
}
