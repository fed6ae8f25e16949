import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { build } from 'vite'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** The newest modification time of the files under `dir`. */
function newest(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(path.join(dir, f)).mtimeMs))
}

/**
 * The server serves dist/dashboard (`npm run build` makes it): rebuilt only when a source is
 * newer, so other test files' servers do not see it half-written.
 */
export async function builtDashboard(): Promise<void> {
  const dist = path.join(ROOT, 'dist/dashboard/index.html')
  if (!existsSync(dist) || statSync(dist).mtimeMs < newest(path.join(ROOT, 'dashboard'))) {
    await build({ configFile: path.join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error' })
  }
}
