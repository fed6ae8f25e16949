import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { adminCall, browserUA, query, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts'

/**
 * The weekly report as an owner gets it: a week of traffic, the clock past Monday 07:00 in
 * Europe/Riga, the server's own scheduler, a real SMTP server in this process. Exactly one
 * report per subscriber; its numbers are the Stats API's; one click on the unsubscribe header
 * stops it; a restart sends nothing twice.
 */
const TZ = 'Europe/Riga'
const today = dayOf(Date.now(), TZ)
const monday = addDays(today, -((new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7))
const week = { from: addDays(monday, -7), to: addDays(monday, -1) }
const at = (day: string, hours: number, minutes = 0) => startOfDay(day, TZ) + hours * 3_600_000 + minutes * 60_000
let now = at(week.from, 8)
const dataDir = tempDir()
let smtp: TestSmtp
let server: RunningSkaits
let env: Record<string, string>

const start = () => startInProcess({ dataDir, clock: () => now, timers: false, env })

beforeAll(async () => {
  smtp = await startSmtp('skaits', 'smtp-pass-4411')
  env = {
    TIMEZONE: TZ,
    SMTP_URL: `smtp://skaits:smtp-pass-4411@127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Skaits <skaits@example.lv>',
    PUBLIC_URL: 'https://stats.example.lv',
    SKAITS_ADMIN_EMAIL: 'anna@example.lv',
    SKAITS_ADMIN_PASSWORD: 'a long enough password',
  }
  server = await start()
  for (let i = 0; i < 7; i++) {
    now = at(addDays(week.from, i), 10)
    for (let v = 0; v <= i % 3; v++) {
      const res = await sendEvent(server.url, { n: 'pageview', u: 'https://example.lv/', d: 'example.lv', r: 'https://www.google.com/' }, { ip: `87.110.${i}.${v + 1}`, ua: browserUA(i * 10 + v) })
      expect(res.status).toBe(202)
      now += 60_000
    }
  }
  await server.skaits.buffer.flush()
  now = at(monday, 6)
  for (const body of [
    { email: 'anna@example.lv', kind: 'weekly', lang: 'en' },
    { email: 'juris@example.lv', kind: 'weekly', lang: 'lv' },
    { email: 'partner@agency.lv', kind: 'weekly', lang: 'en', min_crowd: 5 },
  ]) {
    expect((await adminCall(server.url, 'POST', '/api/sites/example.lv/reports', body)).status).toBe(201)
  }
})

afterAll(async () => {
  await server?.stop()
  await smtp?.close()
})

describe('weekly reports by e-mail', () => {
  it('go out once per subscriber after Monday 07:00, with the Stats API’s numbers, both parts and one-click unsubscribe', async () => {
    now = at(monday, 6, 59)
    expect(await server.skaits.reports.run()).toEqual([])
    now = at(monday, 7, 2)
    expect((await server.skaits.reports.run()).map((j) => j.subscription.email).sort()).toEqual(['anna@example.lv', 'juris@example.lv', 'partner@agency.lv'])
    expect(smtp.received.map((m) => m.envelopeTo.join()).sort()).toEqual(['anna@example.lv', 'juris@example.lv', 'partner@agency.lv'])
    const anna = smtp.received.find((m) => m.envelopeTo.includes('anna@example.lv'))!.parsed
    const { json } = await query(server.url, { metrics: ['visitors', 'pageviews'], date_range: [week.from, week.to] })
    const [visitors, pageviews] = json.results[0].metrics as number[]
    expect(visitors).toBe(13) // 1 + 2 + 3 + 1 + 2 + 3 + 1
    expect(anna.text).toContain(`Visitors: ${visitors} `)
    expect(anna.text).toContain(`Pageviews: ${pageviews} `)
    expect(anna.html).toContain('example.lv')
    expect(anna.attachments.map((a) => a.contentType)).toEqual(['image/png'])
    expect(anna.subject).toContain('example.lv')
    const juris = smtp.received.find((m) => m.envelopeTo.includes('juris@example.lv'))!.parsed
    expect(juris.text).toContain(`Apmeklētāji: ${visitors} `)
    // The one-click unsubscribe of RFC 8058, as a mail client sends it.
    const raw = smtp.received.find((m) => m.envelopeTo.includes("anna@example.lv"))!.raw
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m)
    // A long header is folded onto the next line (RFC 5322).
    const link = /^List-Unsubscribe:\s*<https:\/\/stats\.example\.lv(\/unsubscribe\/[^>]+)>/m.exec(raw)![1]!
    const res = await fetch(`${server.url}${link}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
    expect(res.status).toBe(200)
  })

  it('sends nothing twice after a restart, and nothing more to who unsubscribed', async () => {
    await server.stop()
    server = await start()
    now = at(monday, 7, 30)
    expect(await server.skaits.reports.run()).toEqual([])
    expect(smtp.received).toHaveLength(3)
    now = at(addDays(monday, 7), 7, 1)
    expect((await server.skaits.reports.run()).map((j) => j.subscription.email).sort()).toEqual(['juris@example.lv', 'partner@agency.lv'])
    expect(smtp.received).toHaveLength(5)
  })
})
