import { queryRows, type Db } from '../db/client.ts'
import { errorText, type Logger } from '../log.ts'
import type { AlertSettings, Site, Sites } from '../sites/sites.ts'

/**
 * Alerts (issue 23): the owner hears when something is wrong without opening the dashboard.
 * - **Quiet tracker**: a site that usually has events (on at least 3 of the 7 days before its
 *   last one) has had none for `quietHours` hours — a theme update removed the snippet, a
 *   consent banner blocks it, a DNS change sends events elsewhere. A site that never had
 *   traffic never gets it.
 * - **Spike**: current visitors (visits active in the last 5 minutes) at or above
 *   `spikeVisitors`.
 * Each kind goes out at most once per its period (quiet: `quietHours`; spike: `spikeHours`,
 * 6 by default), recorded in `alerts_sent` (migration 019) so a restart or another node does
 * not send it again. Delivery: a webhook (a JSON POST with Slack's `{"text": …}`) and, once
 * reports' mail is wired, e-mail (`notify`).
 */

export type AlertKind = 'quiet' | 'spike'

export interface Alert {
  site: string
  kind: AlertKind
  text: string
  /** quiet: the last hour with events (ISO); spike: the current visitors */
  detail: Record<string, string | number>
}

const HOUR = 3_600_000

export class Alerts {
  constructor(
    private deps: {
      db: Db
      sites: Sites
      /** visits of a site active in the last `windowMs` (the session map) */
      activeVisits: (site: string, windowMs: number) => number
      clock: () => number
      log: Logger
      /** other deliveries (e-mail), besides the site's webhook */
      notify?: (alert: Alert) => Promise<void>
      fetch?: typeof fetch
    },
  ) {}

  /** Checks every site's alerts; answers those sent. Never throws: a failure is logged, the next check tries again. */
  async check(): Promise<Alert[]> {
    const sent: Alert[] = []
    for (const site of this.deps.sites.list()) {
      const settings = site.settings.alerts
      if (!settings) continue
      try {
        for (const alert of await this.due(site, settings)) {
          await this.record(alert)
          await this.deliver(alert, settings)
          sent.push(alert)
        }
      } catch (err) {
        this.deps.log.error({ site: site.domain, err: errorText(err) }, 'alert check failed')
      }
    }
    return sent
  }

  private async due(site: Site, s: AlertSettings): Promise<Alert[]> {
    const now = this.deps.clock()
    const out: Alert[] = []
    if (s.spikeVisitors) {
      const current = this.deps.activeVisits(site.domain, 5 * 60_000)
      if (current >= s.spikeVisitors && !(await this.sentWithin(site.domain, 'spike', (s.spikeHours ?? 6) * HOUR, now))) {
        out.push({
          site: site.domain,
          kind: 'spike',
          text: `${site.domain}: ${current} visitors right now (alert at ${s.spikeVisitors})`,
          detail: { current_visitors: current, threshold: s.spikeVisitors },
        })
      }
    }
    if (s.quietHours) {
      const last = await this.lastEventHour(site.domain)
      // The hour of the last event is known, not its minute: quiet since the end of that hour.
      if (last !== undefined && now - (last + HOUR) >= s.quietHours * HOUR && (await this.usuallyBusy(site.domain, last))) {
        if (!(await this.sentWithin(site.domain, 'quiet', s.quietHours * HOUR, now))) {
          out.push({
            site: site.domain,
            kind: 'quiet',
            text: `${site.domain}: no events for ${Math.floor((now - last - HOUR) / HOUR)} hours (since ${new Date(last + HOUR).toISOString().slice(0, 16).replace('T', ' ')} UTC); is the tracker still on the pages?`,
            detail: { last_event_hour: new Date(last).toISOString(), quiet_hours: s.quietHours },
          })
        }
      }
    }
    return out
  }

  /** The start (Unix ms) of the last hour with any event of the site, from its site-total rows. */
  private async lastEventHour(site: string): Promise<number | undefined> {
    const [row] = await queryRows<{ h: number }>(
      this.deps.db,
      `SELECT toUnixTimestamp(max(hour)) AS h FROM counts_hourly WHERE site = {site:String} AND dimension = '' AND (pageviews != 0 OR events != 0)`,
      { site },
    )
    const h = Number(row?.h ?? 0)
    return h > 0 ? h * 1000 : undefined
  }

  /** Whether the site had events on at least 3 of the 7 days before `last` (a site that usually has them). */
  private async usuallyBusy(site: string, last: number): Promise<boolean> {
    const [row] = await queryRows<{ days: number }>(
      this.deps.db,
      `SELECT uniqExact(toDate(hour)) AS days FROM counts_hourly
       WHERE site = {site:String} AND dimension = '' AND (pageviews != 0 OR events != 0)
         AND hour >= toDateTime({from:UInt32}) AND hour <= toDateTime({to:UInt32})`,
      { site, from: Math.floor((last - 7 * 24 * HOUR) / 1000), to: Math.floor(last / 1000) },
    )
    return Number(row?.days ?? 0) >= 3
  }

  private async sentWithin(site: string, kind: AlertKind, periodMs: number, now: number): Promise<boolean> {
    const [row] = await queryRows<{ n: number }>(
      this.deps.db,
      'SELECT count() AS n FROM alerts_sent WHERE site = {site:String} AND kind = {kind:String} AND sent_at > toDateTime({since:UInt32})',
      { site, kind, since: Math.floor((now - periodMs) / 1000) },
    )
    return Number(row?.n ?? 0) > 0
  }

  /** Recorded before delivering: a delivery that fails is logged, not repeated each minute. */
  private async record(alert: Alert): Promise<void> {
    await this.deps.db.insert(
      { table: 'alerts_sent', values: [{ site: alert.site, kind: alert.kind, sent_at: Math.floor(this.deps.clock() / 1000) }], format: 'JSONEachRow' },
      'none',
    )
  }

  private async deliver(alert: Alert, s: AlertSettings): Promise<void> {
    if (s.webhook) {
      try {
        const res = await (this.deps.fetch ?? fetch)(s.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: alert.text, site: alert.site, kind: alert.kind, ...alert.detail }),
          signal: AbortSignal.timeout(5000),
        })
        if (!res.ok) this.deps.log.warn({ site: alert.site, kind: alert.kind, status: res.status }, 'alert webhook refused')
      } catch (err) {
        this.deps.log.warn({ site: alert.site, kind: alert.kind, err: errorText(err) }, 'alert webhook failed')
      }
    }
    await this.deps.notify?.(alert).catch((err: unknown) => this.deps.log.warn({ site: alert.site, err: errorText(err) }, 'alert e-mail failed'))
  }
}
