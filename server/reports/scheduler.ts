import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { queryRows, type Db } from '../db/client.ts'
import { errorText, type Logger } from '../log.ts'
import type { ReportSubscription, Site, Sites } from '../sites/sites.ts'
import { latestDue, type ReportPeriod } from './schedule.ts'

/**
 * Sends each subscription's weekly or monthly report once per period (issue 23). Asked every
 * minute: what is due (schedule.ts) and not yet in `reports_sent` goes out through `send`
 * (rendering and mail are the caller's). Once per period across restarts and nodes: a node
 * writes a claim, waits `settleMs` for claims other nodes wrote at the same moment, reads them
 * all back and sends only when its own is the first by (time, node); every node reads the same
 * claims, so exactly one goes on. A claim neither sent nor failed for an hour (a node died
 * mid-send) may be taken over.
 */
export interface ReportJob {
  site: Site
  subscription: ReportSubscription
  period: ReportPeriod
}

const CLAIM_STALE_MS = 3_600_000

export class ReportScheduler {
  private readonly node = randomUUID()

  constructor(
    private deps: {
      db: Db
      sites: Sites
      tz: string
      clock: () => number
      log: Logger
      send: (job: ReportJob) => Promise<void>
      /** how long a claim waits for other nodes' claims of the same moment (2 s) */
      settleMs?: number
    },
  ) {}

  /** Sends what is due now; answers the jobs sent. A failed send is logged and recorded, and tried again next period. */
  async run(): Promise<ReportJob[]> {
    const now = this.deps.clock()
    // Claims first, for every report due; one settling pause for all of them; then each is sent
    // by the node whose claim came first.
    const claimed: ReportJob[] = []
    for (const site of this.deps.sites.list()) {
      for (const subscription of site.settings.reports ?? []) {
        const period = latestDue(subscription.kind, now, this.deps.tz)
        // A subscription gets the periods due after it was made, not the one before.
        if (period.dueAt < subscription.createdAt) continue
        try {
          if (await this.claim(site.domain, subscription.id, period.from, now)) claimed.push({ site, subscription, period })
        } catch (err) {
          this.deps.log.error({ site: site.domain, err: errorText(err) }, 'report scheduling failed')
        }
      }
    }
    if (!claimed.length) return []
    await sleep(this.deps.settleMs ?? 2000)
    const sent: ReportJob[] = []
    for (const job of claimed) {
      const { site, subscription, period } = job
      try {
        if (!(await this.first(site.domain, subscription.id, period.from, now))) continue
        try {
          await this.deps.send(job)
          await this.mark(site.domain, subscription.id, period.from, 'sent')
          sent.push(job)
        } catch (err) {
          await this.mark(site.domain, subscription.id, period.from, 'failed')
          this.deps.log.error({ site: site.domain, kind: subscription.kind, period: period.from, err: errorText(err) }, 'report not sent')
        }
      } catch (err) {
        this.deps.log.error({ site: site.domain, err: errorText(err) }, 'report scheduling failed')
      }
    }
    return sent
  }

  /** Writes this node's claim unless the report was sent, failed, or is being sent by another node. */
  private async claim(site: string, subscription: string, period: string, now: number): Promise<boolean> {
    const before = await this.states({ site, subscription, period })
    if (before.some((r) => r.state !== 'claimed')) return false
    if (before.some((r) => now - Number(r.at_ms) < CLAIM_STALE_MS)) return false
    await this.mark(site, subscription, period, 'claimed')
    return true
  }

  /** Whether this node's claim is the first live one, once every node's claim of the moment is in. */
  private async first(site: string, subscription: string, period: string, now: number): Promise<boolean> {
    const claims = (await this.states({ site, subscription, period })).filter((r) => r.state === 'claimed' && now - Number(r.at_ms) < CLAIM_STALE_MS)
    claims.sort((a, b) => Number(a.at_ms) - Number(b.at_ms) || (a.node < b.node ? -1 : 1))
    return claims[0]?.node === this.node
  }

  private states(key: { site: string; subscription: string; period: string }) {
    return queryRows<{ node: string; state: string; at_ms: number }>(
      this.deps.db,
      `SELECT node, state, toUnixTimestamp64Milli(at) AS at_ms FROM reports_sent
       WHERE site = {site:String} AND subscription = {subscription:String} AND period = {period:Date}`,
      key,
    )
  }

  private async mark(site: string, subscription: string, period: string, state: 'claimed' | 'sent' | 'failed'): Promise<void> {
    await this.deps.db.insert(
      { table: 'reports_sent', values: [{ site, subscription, period, node: this.node, state, at: this.deps.clock() }], format: 'JSONEachRow' },
      'none',
    )
  }
}
