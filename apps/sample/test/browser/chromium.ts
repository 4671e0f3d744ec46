/** Debian's Chromium under playwright-core, quiet on the network, with a fresh profile per run. */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type BrowserContext, chromium, type Page } from "playwright-core"

export const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

const flags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

export const resultsDir = fileURLToPath(new URL("../../test-results/", import.meta.url))

export interface Chromium {
  readonly context: BrowserContext
  readonly close: () => Promise<void>
}

export const launch = async (): Promise<Chromium> => {
  if (!existsSync(executablePath))
    throw new Error(`Chromium is missing at ${executablePath}: install Debian's package (apt-get install -y chromium)`)
  // A fresh profile each run: launchPersistentContext owns --user-data-dir (playwright refuses it in args).
  const profile = mkdtempSync(join(tmpdir(), "sample-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: flags,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Saves numbered full-page screenshots of one flow under `test-results/<flow>/`. */
export const screenshots = (flow: string) => {
  const dir = join(resultsDir, flow)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  let n = 0
  return async (page: Page, step: string) => {
    n++
    await page.screenshot({ path: join(dir, `${String(n).padStart(2, "0")}-${step}.png`), fullPage: true })
  }
}
