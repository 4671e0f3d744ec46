import { defineProject } from "vitest/config"
import { shared } from "../../tooling/vitest.shared.ts"

export default defineProject({
  ...shared,
  test: {
    ...shared.test,
    globalSetup: ["test/globalSetup.ts"],
    // Each test starts a runtime process; one at a time keeps the 2-core CI machine predictable.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
})
