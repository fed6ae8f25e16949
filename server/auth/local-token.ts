import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { newToken } from './tokens.ts'

export const LOCAL_TOKEN_FILE = 'admin-token'

/**
 * The credential the CLI uses to talk to a running server: made at first start, kept under
 * DATA_DIR readable by its owner only, never logged. Anyone who can read DATA_DIR can read
 * the counts anyway.
 */
export function loadLocalToken(dataDir: string): string {
  const file = path.join(dataDir, LOCAL_TOKEN_FILE)
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    writeFileSync(file, `${newToken('adm')}\n`, { mode: 0o600, flag: 'wx' })
  }
  chmodSync(file, 0o600)
  return readFileSync(file, 'utf8').trim()
}
