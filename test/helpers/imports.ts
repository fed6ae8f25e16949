// Import fixtures moved to dates the clock gives: the fixtures are written from the formats'
// own sources with fixed dates (test/fixtures/imports/README.md); a test reads them as days a few
// weeks before today, so they are closed days inside the retention whatever day it runs.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { strToU8, zipSync } from 'fflate'
import { API_KEY } from './skaits.ts'

export const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'imports')

/** Replaces each fixture day (YYYY-MM-DD, and YYYYMMDD in file names) by the day `to` maps it to. */
export function moveDays(text: string, to: Record<string, string>): string {
  let out = text
  for (const [from, day] of Object.entries(to)) {
    out = out.replaceAll(from, day).replaceAll(from.replaceAll('-', ''), day.replaceAll('-', ''))
  }
  return out
}

/** Plausible's export zip from the fixture files, its days moved. */
export function plausibleZip(to: Record<string, string>, only?: (file: string) => boolean): Uint8Array {
  const dir = path.join(FIXTURES, 'plausible')
  const files: Record<string, Uint8Array> = {}
  for (const f of readdirSync(dir)) {
    if (only && !only(f)) continue
    files[moveDays(f, to)] = strToU8(moveDays(readFileSync(path.join(dir, f), 'utf8'), to))
  }
  return zipSync(files)
}

/** POSTs a file to the imports route as the dashboard and the CLI do; the answer's JSON. */
export async function uploadImport(
  url: string,
  site: string,
  body: Uint8Array | string,
  query: Record<string, string>,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/api/sites/${site}/imports?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/octet-stream' },
    body: typeof body === 'string' ? body : Buffer.from(body),
  })
  return { status: res.status, json: await res.json() }
}
