import { availableParallelism } from "node:os"
import type { UserWorkspaceConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through this export condition,
// so tests and typechecks never depend on a previous build.
const conditions = ["@signering/source", "module", "node", "import", "default"]

export const shared: UserWorkspaceConfig = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["node"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Vitest's default is one worker per core but one, which on the 2-core CI machine runs every file after the
    // other: most files wait on loopback servers, child processes and timers, so two overlap well (client tests
    // 116 → 66 s on a loaded machine). Machines with more cores keep the default. Suites that must run alone set
    // `fileParallelism: false`.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
}
