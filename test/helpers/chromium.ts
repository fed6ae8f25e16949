// Launches the machine's own Chromium (Debian package) through playwright-core. Tests never
// download a browser; when Chromium is missing they fail with instructions instead of skipping.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Test host names; the resolver rules send both to 127.0.0.1, nothing leaves the machine. */
export const siteHost = 'site.test'
export const statsHost = 'stats.test'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}. Install it with ` +
        '`apt-get update && apt-get install -y chromium` or set CHROMIUM_PATH to its executable.',
    )
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-proxy-server',
      `--host-resolver-rules=MAP ${siteHost} 127.0.0.1, MAP ${statsHost} 127.0.0.1`,
    ],
  })
}
