import type { Db } from '../db/client.ts'
import { errorText, type Logger } from '../log.ts'
import { Pacer, planRelabel, relabelSections, stepsOf } from './relabel.ts'
import type { SectionOf } from './rules.ts'

/** What the settings API says of a site's relabel (snake_case, as the rest of the API). */
export interface RelabelStatus {
  state: 'running' | 'done' | 'failed'
  /** steps done and to do: spans of hours of counts, months of visitors */
  done: number
  total: number
  /** the hours relabeled are those before this instant */
  before: string
  /** per-section visits and visitors are known from this day on */
  since: string
  pages: number
  started_at: string
  finished_at: string | null
  error: string | null
}

/** One site's relabel, as its rules and settings say it. */
export interface RelabelRequest {
  sectionOf: SectionOf
  cutoffS: number
  firstNewDay: string
  tz: string
  /** false once the site is gone (deleted, renamed): the job stops before its next statement */
  siteExists: () => boolean
  /** after a run to the end, e.g. to forget that the site's history waits for one */
  finished: () => Promise<void>
}

interface Job {
  status: RelabelStatus
  stop: AbortController
  ended: Promise<void>
}

/**
 * The relabels running in the background (relabel.ts), one per site at a time, all paced by
 * one Pacer so that together they hold the engine at most half the time. Their status stays
 * after they end, until the site's next one, for the settings page to show.
 */
export class RelabelJobs {
  private readonly jobs = new Map<string, Job>()
  private readonly pacer = new Pacer()

  constructor(private readonly deps: { db: Db; log: Logger; now: () => number }) {}

  status(site: string): RelabelStatus | undefined {
    return this.jobs.get(site)?.status
  }

  running(site: string): boolean {
    return this.jobs.get(site)?.status.state === 'running'
  }

  /**
   * Starts relabeling `site` unless a relabel of it runs: answers undefined then. Otherwise the
   * site is taken at once (a second call meanwhile is refused), `prepare` runs (it saves the
   * rules and says what to relabel), and the answer is the status as the job starts; when
   * `prepare` fails the site is free again and the answer rejects with its error.
   */
  start(site: string, prepare: () => Promise<RelabelRequest>): Promise<RelabelStatus> | undefined {
    if (this.running(site)) return undefined
    const now = new Date(this.deps.now()).toISOString()
    const status: RelabelStatus = { state: 'running', done: 0, total: 0, before: now, since: '', pages: 0, started_at: now, finished_at: null, error: null }
    const previous = this.jobs.get(site)
    let started!: (s: RelabelStatus) => void
    let refused!: (e: unknown) => void
    const answer = new Promise<RelabelStatus>((resolve, reject) => {
      started = resolve
      refused = reject
    })
    const job: Job = { status, stop: new AbortController(), ended: Promise.resolve() }
    this.jobs.set(site, job)
    job.ended = (async () => {
      let req: RelabelRequest
      try {
        req = await prepare()
      } catch (err) {
        if (previous) this.jobs.set(site, previous)
        else this.jobs.delete(site)
        refused(err)
        return
      }
      status.before = new Date(req.cutoffS * 1000).toISOString()
      status.since = req.firstNewDay
      await this.run(site, req, job, () => started({ ...status }))
    })()
    return answer
  }

  /** Stops every running relabel before its next statement (at shutdown); their history stays part relabeled. */
  async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.stop.abort(new Error('the server is stopping'))
    await Promise.all([...this.jobs.values()].map((j) => j.ended))
  }

  /** Plans the relabel (then `planned`, with the steps known, or with the failure), and runs it. */
  private async run(site: string, req: RelabelRequest, job: Job, planned: () => void): Promise<void> {
    const { db, log } = this.deps
    const status = job.status
    const t = performance.now()
    const signal = job.stop.signal
    let told = false
    const tell = () => {
      if (!told) planned()
      told = true
    }
    const stopUnlessSite = () => {
      if (!req.siteExists()) job.stop.abort(new Error('the site was removed or renamed'))
    }
    try {
      const plan = await this.pacer.run(() => planRelabel(db, site, req.cutoffS, req.firstNewDay, req.tz))
      status.total = stepsOf(plan)
      tell()
      stopUnlessSite()
      log.info({ site, steps: status.total, rows: plan.rows }, 'relabeling sections')
      const { pages } = await relabelSections(db, site, req.sectionOf, req.cutoffS, req.firstNewDay, req.tz, {
        plan,
        pacer: this.pacer,
        signal,
        onProgress: (p) => {
          Object.assign(status, p)
          stopUnlessSite()
        },
      })
      await req.finished()
      Object.assign(status, { state: 'done', pages, done: status.total })
      log.info({ site, steps: status.total, pages, ms: Math.round(performance.now() - t) }, 'sections relabeled')
    } catch (err) {
      const reason = signal.aborted ? errorText(signal.reason) : errorText(err)
      Object.assign(status, { state: 'failed', error: reason })
      if (signal.aborted) log.warn({ site, done: status.done, total: status.total, reason }, 'relabeling sections stopped')
      else log.error({ site, done: status.done, total: status.total, err: reason }, 'relabeling sections failed')
    } finally {
      status.finished_at = new Date(this.deps.now()).toISOString()
      tell()
    }
  }
}
