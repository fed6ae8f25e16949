import { writeFileSync } from 'node:fs'
import { MAIL_OFF, type Config } from '../config.ts'
import { createDb } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'
import { createLogger } from '../log.ts'
import { smtpMailer } from '../reports/mail.ts'
import { dashboardLink, LANGS, renderReport, type Lang } from '../reports/render.ts'
import { PERIOD_KINDS, reportData, reportPeriod, type PeriodKind } from '../reports/report.ts'
import { normalizeDomain } from '../sites/domain.ts'
import { Sites } from '../sites/sites.ts'
import { dayOf, isValidDay } from '../time.ts'

export const REPORTS_USAGE = `  reports render --site <domain> --period week|month [--lang en|lv] [--at YYYY-MM-DD]
                 [--text] [--out file] [--send --to <email>]
                                        the report sent on --at (default today, in TIMEZONE):
                                        week: Monday-Sunday before; month: the month before.
                                        Prints the HTML (--text: the text part); --send mails
                                        it now through SMTP_URL. Opens the data directly: with
                                        the embedded engine, stop the server first.`

export interface ReportOptions {
  site?: string
  period?: string
  lang?: string
  at?: string
  out?: string
  text?: boolean
  send?: boolean
  to?: string
}

export class ReportUsage extends Error {}
export class ReportRefused extends Error {}

/** `reports render`: what it printed or wrote, as the command's result. */
export async function reportsCommand(verb: string | undefined, o: ReportOptions, config: Config): Promise<Record<string, unknown>> {
  if (verb !== 'render') throw new ReportUsage(`unknown command: reports ${verb ?? ''}`.trim())
  const domain = o.site ? normalizeDomain(o.site) : undefined
  if (!domain) throw new ReportUsage('reports render needs --site')
  if (!PERIOD_KINDS.includes(o.period as PeriodKind)) throw new ReportUsage('--period is week or month')
  const lang = (o.lang ?? 'en') as Lang
  if (!LANGS.includes(lang)) throw new ReportUsage('--lang is en or lv')
  const today = dayOf(Date.now(), config.timezone)
  const at = o.at ?? today
  if (!isValidDay(at)) throw new ReportUsage('--at is a day, YYYY-MM-DD')
  if (o.send && !o.to) throw new ReportUsage('--send needs --to <email>')
  if (o.send && !config.mail) throw new ReportRefused(MAIL_OFF)
  const period = reportPeriod(o.period as PeriodKind, at)
  const db = createDb(config)
  try {
    await migrate(db)
    const sites = new Sites(db)
    await sites.load()
    const site = sites.get(domain)
    if (!site) throw new ReportRefused(`no site ${domain}`)
    const data = await reportData({ db, timezone: config.timezone, clock: Date.now, cost: config.stats }, site, period, today)
    const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`
    // The unsubscribe endpoint comes with subscriptions (issue 23, part B); until then the link says so.
    const links = { dashboard: dashboardLink(publicUrl, period, domain), unsubscribe: `${publicUrl}/settings` }
    const rendered = renderReport(data, lang, links)
    const body = o.text ? rendered.text : rendered.html
    if (o.out) writeFileSync(o.out, body)
    const result: Record<string, unknown> = { subject: rendered.subject, from: period.from, to: period.to, ...(o.out ? { out: o.out } : { [o.text ? 'text' : 'html']: body }) }
    if (o.send) {
      const mailer = smtpMailer(config.mail!, createLogger(config.logLevel))
      const sent = await mailer.send({ ...rendered, to: o.to!, unsubscribeUrl: links.unsubscribe })
      mailer.close()
      if (!sent.ok) throw new ReportRefused(`not sent after ${sent.attempts} tries: ${sent.error}`)
      result.sent = { to: o.to, messageId: sent.messageId }
    }
    return result
  } finally {
    await db.close().catch(() => {})
  }
}
