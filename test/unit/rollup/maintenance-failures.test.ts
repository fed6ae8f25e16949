import { describe, expect, it } from 'vitest'
import type { EventBuffer } from '../../../server/ingest/buffer.ts'
import type { Logger } from '../../../server/log.ts'
import type { SaltStore } from '../../../server/privacy/salts.ts'
import { Maintenance } from '../../../server/rollup/maintenance.ts'
import type { Sessions } from '../../../server/sessions/sessions.ts'
import { dayOf, addDays } from '../../../server/time.ts'
import { recordingDb } from '../db/recording-db.ts'

const now = Date.now()
const today = dayOf(now, 'UTC')
const open = [addDays(today, -5), addDays(today, -4), addDays(today, -1)]

/** A maintenance over three closed days still in the sketches, whose rollup of `failing` throws while `failures` > 0. */
function setup(failing: string, failures: number) {
  let left = failures
  const rec = recordingDb((sql) => (sql.includes('FROM visitor_sketches') ? open.map((d) => ({ d })) : []))
  const command = rec.db.command.bind(rec.db)
  rec.db.command = (async (p: { query: string; query_params?: { day?: string } }) => {
    if (p.query_params?.day === failing && p.query.includes('INSERT INTO visitors_daily') && left-- > 0) throw new Error('Code: 241. Memory limit exceeded')
    return command(p)
  }) as typeof rec.db.command
  const logged: { level: string; fields: Record<string, unknown>; msg: string }[] = []
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => logged.push({ level, fields, msg })
  const log = { info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger
  let saltRuns = 0
  const maintenance = new Maintenance({
    db: rec.db,
    salts: { destroyExpired: async () => (saltRuns++, [addDays(today, -2)]), refresh: async () => [] } as unknown as SaltStore,
    buffer: { flush: async () => {} } as unknown as EventBuffer,
    sessions: { sweep: () => 0 } as unknown as Sessions,
    clock: () => now,
    tz: 'UTC',
    log,
  })
  const dropped = () => rec.commands.filter((c) => c.query.includes('DROP PARTITION')).map((c) => /'(.*)'/.exec(c.query)![1])
  return { maintenance, logged, dropped, saltRuns: () => saltRuns }
}

describe('daily maintenance when a rollup fails', () => {
  it('rolls up the other days, keeps the failing day’s sketches, still destroys salts, and says why', async () => {
    const m = setup(open[1]!, 1)
    await expect(m.maintenance.run()).rejects.toThrow(`rollup: rollup failed for ${open[1]}`)
    expect(m.dropped()).toEqual([open[0], open[2]])
    expect(m.saltRuns()).toBe(1)
    const errors = m.logged.filter((l) => l.level === 'error')
    expect(errors.map((e) => e.fields.day ?? null)).toEqual([open[1], null])
    expect(String(errors[0]!.fields.err)).toContain('Memory limit exceeded')
    expect(m.maintenance.health).toMatchObject({ failures: 1, daysAwaitingRollup: 1 })
    // The next run closes it.
    expect((await m.maintenance.run()).rolledUp).toEqual(open)
    expect(m.dropped()).toEqual([open[0], open[2], ...open])
    expect(m.maintenance.health).toMatchObject({ failures: 1, lastError: undefined, daysAwaitingRollup: 0 })
  })

  it('at start, retries with a pause and resolves once a try succeeds', async () => {
    const m = setup(open[0]!, 2)
    const report = await m.maintenance.runAtStart(3, 1)
    expect(report?.rolledUp).toEqual(open)
    expect(m.maintenance.health.failures).toBe(2)
    expect(m.logged.filter((l) => l.msg === 'start-up maintenance failed; retrying every minute')).toEqual([])
  })

  it('at start, gives up after its tries with the reason logged, and does not throw', async () => {
    const m = setup(open[0]!, 99)
    expect(await m.maintenance.runAtStart(3, 1)).toBeUndefined()
    const last = m.logged.find((l) => l.msg === 'start-up maintenance failed; retrying every minute')
    expect(String(last?.fields.err)).toContain('Memory limit exceeded')
    expect(m.saltRuns()).toBe(3)
  })
})
