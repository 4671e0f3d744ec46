import { defineProject } from "vitest/config"
import { shared } from "../../tooling/vitest.shared.ts"

// Not part of the default `pnpm test`: these tests run for minutes (`pnpm test:reliability`).
// One file at a time: the load test wants both cores, and the secrets scan reads what every file recorded.
export default defineProject({
  ...shared,
  test: {
    ...shared.test,
    include: ["test/**/*.reliability.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
