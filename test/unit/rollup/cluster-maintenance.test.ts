import { describe, expect, it } from 'vitest'
import type { EventBuffer } from '../../../server/ingest/buffer.ts'
import type { Logger } from '../../../server/log.ts'
import type { SaltStore } from '../../../server/privacy/salts.ts'
import { Maintenance } from '../../../server/rollup/maintenance.ts'
import type { Sessions } from '../../../server/sessions/sessions.ts'
import { recordingDb } from '../db/recording-db.ts'

const closed = '2026-03-01'
const at = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00Z`)

/** A maintenance run over one closed day still in the sketches, rolled up `rolledAgoS` seconds ago (or never). */
function setup(cluster: boolean) {
  let rolledAgoS: number | undefined
  let now = at('00:02')
  const rec = recordingDb((sql) => {
    if (sql.includes('FROM visitor_sketches')) return [{ d: closed }]
    if (sql.includes('FROM rolled_days')) return rolledAgoS === undefined ? [] : [{ d: closed, age_s: rolledAgoS }]
    return []
  }, { cluster: cluster ? { cluster: 'skaits', database: 'analytics' } : undefined })
  const log = { info: () => {}, warn: () => {}, error: () => {} } as unknown as Logger
  const maintenance = new Maintenance({
    db: rec.db,
    salts: { destroyExpired: async () => [], refresh: async () => [] } as unknown as SaltStore,
    buffer: { flush: async () => {} } as unknown as EventBuffer,
    sessions: { sweep: () => 0 } as unknown as Sessions,
    clock: () => now,
    tz: 'UTC',
    log,
  })
  return {
    async run(hhmm: string, rolled?: number) {
      now = at(hhmm)
      rolledAgoS = rolled
      rec.commands.length = 0
      const report = await maintenance.run()
      return { report, sql: rec.commands.map((c) => c.query.trim().split(/\s+/).slice(0, 5).join(' ')) }
    },
  }
}

describe('daily maintenance on a cluster of ingest nodes', () => {
  it('rolls a day up only once every node can have inserted its last events, and drops its sketches later', async () => {
    const m = setup(true)
    expect(await m.run('00:02')).toEqual({ report: { rolledUp: [], saltsDestroyed: [], visitsForgotten: 0 }, sql: [] })
    const rolled = await m.run('00:06')
    expect(rolled.report.rolledUp).toEqual([closed])
    expect(rolled.sql).toEqual([
      'INSERT INTO visitors_daily (site, dimension,',
      'INSERT INTO visitors_hourly (site, dimension,',
      'INSERT INTO rolled_days (day, rolled_at)',
    ])
    // Rolled up a minute ago (here or by another node): nothing is computed again, nothing dropped yet.
    expect(await m.run('00:07', 60)).toMatchObject({ report: { rolledUp: [] }, sql: [] })
    expect((await m.run('00:11', 301)).sql).toEqual(['ALTER TABLE `analytics`.`visitor_sketches_local` ON CLUSTER'])
  })

  it('on one node rolls up and drops at once, as before', async () => {
    const m = setup(false)
    const { report, sql } = await m.run('00:02')
    expect(report.rolledUp).toEqual([closed])
    expect(sql).toEqual([
      'INSERT INTO visitors_daily (site, dimension,',
      'INSERT INTO visitors_hourly (site, dimension,',
      'INSERT INTO rolled_days (day, rolled_at)',
      "ALTER TABLE visitor_sketches DROP PARTITION",
    ])
  })
})
