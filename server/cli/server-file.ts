import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Where a running server tells the CLI how to reach it (DATA_DIR/server.json). */
export const SERVER_FILE = 'server.json'

export function announceServer(dataDir: string, url: string): void {
  writeFileSync(path.join(dataDir, SERVER_FILE), JSON.stringify({ pid: process.pid, url }), { mode: 0o600 })
}

export function withdrawServer(dataDir: string): void {
  rmSync(path.join(dataDir, SERVER_FILE), { force: true })
}

/** The running server's URL, if its file names a live process. */
export function runningServer(dataDir: string): string | undefined {
  const file = path.join(dataDir, SERVER_FILE)
  if (!existsSync(file)) return undefined
  try {
    const { pid, url } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string }
    process.kill(pid, 0)
    return url
  } catch {
    return undefined
  }
}
