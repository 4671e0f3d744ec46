import { defineProject } from "vitest/config"
import { shared } from "../../tooling/vitest.shared.ts"

// Real-browser tests: Debian's Chromium driven by playwright-core. Separate from `test` so that stays fast;
// CI runs them with `pnpm --filter @signering/sample test:browser`.
export default defineProject({
  ...shared,
  test: {
    ...shared.test,
    include: ["test/browser/**/*.browser.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
