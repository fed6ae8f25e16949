import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { adminCall, browserUA, query, sendEvent, startInProcess, tempDir } from '../helpers/skaits.ts'

/** An SMTP server that accepts connections and never answers holds up nothing else. */
const TZ = 'Europe/Riga'
const today = dayOf(Date.now(), TZ)
const monday = addDays(today, -((new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7))
const at = (day: string, hours: number, minutes = 0) => startOfDay(day, TZ) + hours * 3_600_000 + minutes * 60_000

describe('an SMTP server that does not answer', () => {
  it('holds up neither ingest nor the dashboard while a report waits for it', async () => {
    // Accepts connections and says nothing: the worst kind of mail server.
    const silent = createServer(() => {})
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const port = (silent.address() as { port: number }).port
    let t = at(monday, 6)
    const s = await startInProcess({
      dataDir: tempDir(),
      clock: () => t,
      timers: false,
      env: { TIMEZONE: TZ, SMTP_URL: `smtp://u:p@127.0.0.1:${port}`, MAIL_FROM: 'r@example.lv', PUBLIC_URL: 'https://stats.example.lv', MAIL_TIMEOUT_MS: '3000' },
    })
    try {
      expect((await adminCall(s.url, 'POST', '/api/sites/example.lv/reports', { email: 'anna@example.lv', kind: 'weekly' })).status).toBe(201)
      t = at(monday, 7, 5)
      const sending = s.skaits.reports.run()
      await new Promise((r) => setTimeout(r, 2500)) // the claim has settled; the send now waits on the silent server
      const started = performance.now()
      expect((await sendEvent(s.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }, { ua: browserUA(1) })).status).toBe(202)
      expect((await query(s.url, { metrics: ['visitors'], date_range: 'day' })).status).toBe(200)
      expect(performance.now() - started).toBeLessThan(1000)
      void sending.catch(() => {})
    } finally {
      await s.stop()
      silent.close()
    }
  }, 30_000)
})
