import type { Ingestor } from '../ingest/ingestor.ts'
import type { Site } from '../sites/sites.ts'
import { dayOf, startOfDay } from '../time.ts'
import { hitRequest, verdictOf } from './replay.ts'
import type { HitRecord, SkipReason } from './types.ts'

/** Counts a record of today as live traffic (a followed log's line), or says why not. */
export type LiveSink = (site: Site, record: HitRecord) => 'count' | SkipReason

/**
 * Today's records of an access log go where live traffic goes (the ingestor, its sessions, salt
 * and buffer), at the time the log says: a site without JavaScript is counted as it is served
 * (`skaits import log --follow`), and a log's lines of today, which no import may write until
 * the day is closed, are counted at once. Not after now; a line of an earlier day is refused.
 */
export function liveSink(ingestor: Pick<Ingestor, 'ingest'>, tz: string, clock: () => number): LiveSink {
  return (site, r) => {
    const now = clock()
    if (r.time < startOfDay(dayOf(now, tz), tz)) return 'open_day'
    const made = hitRequest(r, site.domain)
    if (!made) return 'malformed'
    return verdictOf(ingestor.ingest(made.event, made.facts, Math.min(r.time, now)))
  }
}
