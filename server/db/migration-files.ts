import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

export interface Migration {
  version: number
  name: string
  statements: string[]
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8')
    migrations.push({ version: Number(file.split('_')[0]), name: file, statements: splitStatements(sql) })
  }
  const versions = migrations.map((m) => m.version)
  if (new Set(versions).size !== versions.length) throw new Error('two migrations share a number')
  return migrations
}

/** Splits a file on `;` at the end of a line; comments are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean)
}
