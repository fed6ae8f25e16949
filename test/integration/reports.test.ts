import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, dayOf, startOfDay } from '../../server/time.ts'
import { loadConfig } from '../../server/config.ts'
import { smtpMailer } from '../../server/reports/mail.ts'
import { dashboardLink, renderReport } from '../../server/reports/render.ts'
import { reportData, reportPeriod, TOTALS, type ReportData } from '../../server/reports/report.ts'
import { decodePng, pixel } from '../helpers/png.ts'
import { adminCall, browserUA, query, runCli, sendEvent, startInProcess, tempDir, type RunningSkaits } from '../helpers/skaits.ts'
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts'
import { pino } from 'pino'

/**
 * Two weeks of traffic through the real server (the report's week and the one before, to
 * compare with), one weekly report made from it, sent over real SMTP to a server in this
 * process, received, parsed and checked against the Stats API's answers for the same days.
 */
const TZ = 'Europe/Riga'
const today = dayOf(Date.now(), TZ)
const period = reportPeriod('week', today)
const at = (day: string, hour: number) => startOfDay(day, TZ) + hour * 3_600_000
let now = at(period.previous.from, 8)
const dataDir = tempDir()
const USER = 'skaits'
const PASSWORD = 'smtp-secret-9c2e'
let server: RunningSkaits
let smtp: TestSmtp
let sentPageviews = 0

/** Day i of the two weeks: 2 to 5 visitors from Latvia and the Netherlands, from Google, Facebook or nowhere. */
async function seed() {
  for (let i = 0; i < 14; i++) {
    const day = addDays(period.previous.from, i)
    now = at(day, 9)
    for (let v = 0; v < 2 + (i % 4); v++) {
      const who = { ip: v % 2 ? `193.0.6.${10 + v}` : `87.110.0.${10 + v}`, ua: browserUA(i * 10 + v) }
      const r = ['https://www.google.com/', 'https://m.facebook.com/', undefined][v % 3]
      const send = async (body: Record<string, unknown>) => {
        const res = await sendEvent(server.url, { d: 'example.lv', ...body }, who)
        expect(res.status).toBe(202)
        now += 20_000
      }
      await send({ n: 'pageview', u: 'https://example.lv/', ...(r ? { r } : {}) })
      if (day >= period.from) sentPageviews++
      if (v % 2 === 0) {
        await send({ n: 'pageview', u: `https://example.lv/p/${v}` })
        if (day >= period.from) sentPageviews++
      }
      if (v === 1) await send({ n: 'Signup', u: 'https://example.lv/' })
      now += 30 * 60_000
    }
  }
  await server.skaits.buffer.flush()
}

async function apiRows(body: Record<string, unknown>, range: { from: string; to: string } = period) {
  const { status, json } = await query(server.url, { date_range: [range.from, range.to], ...body })
  expect(status, JSON.stringify(json)).toBe(200)
  return json.results as { metrics: number[]; dimensions: string[] }[]
}

async function expectApiNumbers(data: ReportData) {
  const [totals] = await apiRows({ metrics: [...TOTALS] })
  expect(TOTALS.map((m) => data.totals[m].value)).toEqual(totals!.metrics)
  const [before] = await apiRows({ metrics: [...TOTALS] }, period.previous)
  expect(TOTALS.map((m) => data.totals[m].previous)).toEqual(before!.metrics)
  const top = async (dimension: string) =>
    (await apiRows({ metrics: ['visitors'], dimensions: [dimension], pagination: { limit: 5, offset: 0 } })).map((r) => ({ value: r.dimensions[0], visitors: r.metrics[0] }))
  expect(data.pages).toEqual(await top('event:page'))
  expect(data.sources).toEqual(await top('visit:source'))
  expect(data.countries).toEqual(await top('visit:country'))
  const goals = await apiRows({ metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'] })
  expect(data.goals).toEqual(goals.map((r) => ({ name: r.dimensions[0], visitors: r.metrics[0], conversionRate: r.metrics[1] })))
  const daily = await apiRows({ metrics: ['visitors'], dimensions: ['time:day'] })
  expect(data.daily.filter((d) => d.visitors > 0)).toEqual(daily.map((r) => ({ day: r.dimensions[0], visitors: r.metrics[0] })))
}

describe('weekly report by e-mail', () => {
  beforeAll(async () => {
    smtp = await startSmtp(USER, PASSWORD)
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: { TIMEZONE: TZ } })
    expect((await adminCall(server.url, 'PUT', '/api/sites/example.lv/goals', { event: 'Signup' })).status).toBe(201)
    await seed()
    now = at(today, 8)
  })
  afterAll(async () => {
    await server?.stop()
    await smtp?.close()
  })

  it('has the Stats API’s numbers for the same week and the week before', async () => {
    const data = await reportData({ db: server.db, timezone: TZ, clock: () => now }, server.skaits.sites.get('example.lv')!, period, today)
    expect(data.period).toEqual(period)
    expect(data.daily.map((d) => d.day)).toEqual(Array.from({ length: 7 }, (_, i) => addDays(period.from, i)))
    // what was sent, counted by hand: a report of zeros would equal an API of zeros too
    expect(data.totals.pageviews.value).toBe(sentPageviews)
    expect(data.totals.visitors.value).toBeGreaterThan(0)
    expect(data.totals.visitors.change).not.toBeNull()
    expect(data.goals?.[0]?.name).toBe('Signup')
    await expectApiNumbers(data)
  })

  it('sends it over SMTP: both parts, the chart by cid, the unsubscribe headers; in English and Latvian', async () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      SMTP_URL: `smtp://${USER}:${PASSWORD}@127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'Skaits <reports@example.lv>',
      PUBLIC_URL: 'https://stats.example.lv',
    })
    const logs: string[] = []
    const mailer = smtpMailer(config.mail!, pino({ level: 'info' }, { write: (s: string) => void logs.push(s) }))
    const data = await reportData({ db: server.db, timezone: TZ, clock: () => now }, server.skaits.sites.get('example.lv')!, period, today)
    const links = { dashboard: dashboardLink(config.publicUrl!, period, 'example.lv'), unsubscribe: 'https://stats.example.lv/unsubscribe/test-token' }
    for (const lang of ['en', 'lv'] as const) {
      const rendered = renderReport(data, lang, links)
      const sent = await mailer.send({ ...rendered, to: 'owner@example.lv', unsubscribeUrl: links.unsubscribe })
      expect(sent, logs.join('\n')).toMatchObject({ ok: true })
    }
    mailer.close()
    expect(smtp.received).toHaveLength(2)
    const [en, lv] = smtp.received
    for (const mail of [en!, lv!]) {
      expect(mail.envelopeTo).toEqual(['owner@example.lv'])
      expect(mail.parsed.text).toBeTruthy()
      expect(mail.parsed.html).toBeTruthy()
      expect(mail.raw).toMatch(/^List-Unsubscribe: <https:\/\/stats\.example\.lv\/unsubscribe\/test-token>\r?$/m)
      expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m)
      const chart = mail.parsed.attachments.find((a) => a.contentType === 'image/png')!
      expect(chart.cid).toBe('chart@skaits')
      // mailparser puts an attachment in place of the cid: reference that names it
      expect(mail.parsed.html).toContain(`src="data:image/png;base64,${chart.content.toString('base64')}"`)
      const png = decodePng(chart.content)
      expect([png.width, png.height]).toEqual([1120, 240])
      // The busiest day's bar reaches the top (4 px under the edge), in the middle of its slot.
      const busiest = data.daily.reduce((best, d, i) => (d.visitors > data.daily[best]!.visitors ? i : best), 0)
      expect(pixel(png, Math.round((busiest + 0.5) * (1120 / 7)), 5)).toEqual([79, 70, 229, 255])
      expect(mail.parsed.html).toContain('href="https://stats.example.lv/?site=example.lv&amp;period=custom')
    }
    const n = (lang: string, v: number) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(v)
    expect(en!.parsed.subject).toMatch(/^Weekly report: example\.lv, /)
    expect(en!.parsed.text).toContain(`Visitors: ${n('en-GB', data.totals.visitors.value)} (`)
    expect(en!.parsed.text).toContain(`Pageviews: ${n('en-GB', sentPageviews)} (`)
    expect(en!.parsed.html).toContain('Latvia')
    expect(lv!.parsed.subject).toMatch(/^Nedēļas pārskats: example\.lv, /)
    expect(lv!.parsed.text).toContain(`Apmeklētāji: ${n('lv-LV', data.totals.visitors.value)} (`)
    expect(lv!.parsed.text).toContain(`Atteikumu līmenis: ${n('lv-LV', data.totals.bounce_rate.value)}%`)
    expect(lv!.parsed.html).toContain('Latvija')
    expect(logs.join('\n')).not.toContain(PASSWORD)
  })

  it('renders from the command line, on the data directory directly', async () => {
    await server.stop()
    const html = runCli(dataDir, ['reports', 'render', '--site', 'example.lv', '--period', 'week', '--at', today, '--lang', 'lv'], '', { TIMEZONE: TZ })
    expect(html.code, html.stderr).toBe(0)
    expect(html.json.subject).toMatch(/^Nedēļas pārskats: example\.lv, /)
    expect(html.json.html).toContain('<html lang="lv">')
    const bad = runCli(dataDir, ['reports', 'render', '--site', 'example.lv', '--period', 'year'], '', { TIMEZONE: TZ })
    expect(bad.code).toBe(2)
    server = await startInProcess({ dataDir, clock: () => now, timers: false, env: { TIMEZONE: TZ } })
  })
})
