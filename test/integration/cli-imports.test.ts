// `skaits import …` and `skaits imports list|delete`: on the data directly (no server running),
// then through a running server (a streamed upload, its progress as NDJSON). Files are written
// with days from the clock.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { addDays, dayOf } from '../../server/time.ts'
import { plausibleZip } from '../helpers/imports.ts'
import { browserUA, query, runCli, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const dataDir = tempDir()
const files = tempDir('skaits-import-files-')
const TODAY = dayOf(Date.now(), 'UTC')
const D1 = addDays(TODAY, -5)
const D2 = addDays(TODAY, -4)
let server: SpawnedSkaits | undefined
const skaits = (args: string[]) => runCli(dataDir, args, '', { TIMEZONE: 'UTC' })

afterAll(async () => {
  await server?.stop()
})

/** A combined log of `n` visitors on `day`, one page each. */
function log(day: string, n: number, first = 1): string {
  const [y, m, d] = day.split('-')
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(m) - 1]
  return Array.from({ length: n }, (_, i) => `198.51.100.${first + i} - - [${d}/${mon}/${y}:10:${String(i % 60).padStart(2, '0')}:00 +0000] "GET /p${i % 3} HTTP/1.1" 200 100 "-" "${browserUA(i)}"\n`).join('')
}

describe('skaits import, with no server running', () => {
  it('imports an export and a log, lists them, deletes one; refuses usage errors with exit 2', () => {
    expect(skaits(['sites', 'add', 'example.lv']).code).toBe(0)
    const zip = path.join(files, 'plausible.zip')
    writeFileSync(zip, plausibleZip({ '2025-03-01': D1, '2025-03-02': D2 }))
    const imported = skaits(['import', 'plausible', '--site', 'example.lv', '--name', 'From Plausible', zip])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.json).toMatchObject({ status: 'done', name: 'From Plausible', from: D1, to: D2, days: 2 })
    // A dry run reads and reports, writes nothing: here it finds the days taken.
    const accessLog = path.join(files, 'access.log')
    writeFileSync(accessLog, log(D1, 6))
    const dry = skaits(['import', 'log', '--site', 'example.lv', '--dry-run', '--overlap', 'skip', accessLog])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json).toMatchObject({ read: 6, days: 0, overlapping: [[D1, D1]] })
    const listed = skaits(['imports', 'list', '--site', 'example.lv'])
    expect(listed.json.map((i: { name: string }) => i.name)).toEqual(['From Plausible'])
    expect(skaits(['imports', 'delete', '--site', 'example.lv', imported.json.id])).toMatchObject({ code: 0, json: { status: 'deleted' } })
    expect(skaits(['imports', 'list', '--site', 'example.lv']).json).toEqual([])
    expect(skaits(['imports', 'delete', '--site', 'example.lv', imported.json.id]).code).toBe(1)
    expect(skaits(['import', 'matomo', '--site', 'example.lv', zip]).code).toBe(2)
    expect(skaits(['import', 'log', accessLog]).code).toBe(2) // --site missing
    expect(skaits(['import', 'log', '--site', 'example.lv', path.join(files, 'missing.log')]).code).toBe(1)
    // --follow counts live traffic, which only a running server holds.
    expect(skaits(['import', 'log', '--site', 'example.lv', '--follow', accessLog])).toMatchObject({ code: 1, json: { error: expect.stringContaining('start the server first') } })
  })
})

describe('skaits import, through a running server', () => {
  it('streams the files to the server and prints its answer', async () => {
    server = await spawnServer({ DATA_DIR: dataDir, TIMEZONE: 'UTC', SKAITS_SITES: 'example.lv' })
    // Two files of a log, oldest first, one import; the second gzipped.
    const { gzipSync } = await import('node:zlib')
    const older = path.join(files, 'access.log.1.gz')
    writeFileSync(older, gzipSync(log(D1, 4)))
    const newer = path.join(files, 'access.log.0')
    writeFileSync(newer, log(D2, 3, 50))
    const r = skaits(['import', 'log', '--site', 'example.lv', older, newer])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({ status: 'done', from: D1, to: D2, read: 7, days: 2 })
    const { json } = await query(server.url, { metrics: ['visitors', 'pageviews'], date_range: [D1, D2] })
    expect(json.results[0].metrics).toEqual([7, 7])
  })
})
