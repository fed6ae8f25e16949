import type { Db } from '../db/client.ts'
import type { QueryCost } from '../stats/run.ts'
import { dayOf } from '../time.ts'
import type { Alert } from './alerts.ts'
import type { Mailer } from './mail.ts'
import { dashboardLink, renderReport } from './render.ts'
import { reportData, reportPeriod } from './report.ts'
import type { ReportJob } from './scheduler.ts'

/**
 * How a due report goes out (the scheduler's `send`): its numbers for the subscriber (under the
 * subscriber's minimum crowd), rendered in the subscriber's language, mailed with the one-click
 * unsubscribe link (RFC 8058 headers). A send the mailer gave up on is an error, recorded as
 * failed by the scheduler.
 */
export function reportSender(deps: { db: Db; timezone: string; clock: () => number; cost?: QueryCost; mailer: Mailer; publicUrl: string }) {
  return async ({ site, subscription, period }: ReportJob): Promise<void> => {
    const sendDay = dayOf(period.dueAt, deps.timezone)
    const p = reportPeriod(subscription.kind === 'weekly' ? 'week' : 'month', sendDay)
    const data = await reportData({ ...deps, minCrowd: subscription.minCrowd }, site, p, dayOf(deps.clock(), deps.timezone))
    const unsubscribe = `${deps.publicUrl}/unsubscribe/${subscription.token}`
    // Someone outside the owners has no login: the link goes to the instance, not to a dashboard it cannot open.
    const dashboard = subscription.minCrowd ? deps.publicUrl : dashboardLink(deps.publicUrl, p, site.domain)
    const r = renderReport(data, subscription.lang, { dashboard, unsubscribe })
    const sent = await deps.mailer.send({ to: subscription.email, subject: r.subject, html: r.html, text: r.text, attachments: r.attachments, unsubscribeUrl: unsubscribe })
    if (!sent.ok) throw new Error(sent.error)
  }
}

/** Alerts by e-mail to the instance's owners, beside the site's webhook. */
/** `recipients`: the addresses that hear of a site's alerts (its owners and admins). */
export function alertMailer(mailer: Mailer, recipients: (site: string) => string[]) {
  return async (alert: Alert): Promise<void> => {
    for (const to of recipients(alert.site)) {
      const sent = await mailer.send({ to, subject: `Skaits: ${alert.text}`, text: `${alert.text}\n`, html: `<p>${escape(alert.text)}</p>`, attachments: [] })
      if (!sent.ok) throw new Error(sent.error)
    }
  }
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)
