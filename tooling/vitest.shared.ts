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
  },
}
