import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { IspLookup } from '../enrich/isp.ts'
import type { EventBuffer } from '../ingest/buffer.ts'
import type { Ingestor } from '../ingest/ingestor.ts'
import type { ValueCap } from '../ingest/value-cap.ts'
import type { QueryLimits } from '../stats/limits.ts'
import type { Maintenance } from '../rollup/maintenance.ts'
import type { Sessions } from '../sessions/sessions.ts'

export interface Metrics {
  registry: Registry
  observeFlush(seconds: number): void
  observeQuery(seconds: number): void
  clickhouseError(): void
}

/**
 * Prometheus metrics, one registry per app. Counts of events and operations only: no
 * address, site visitor or query content is ever a label.
 */
export function createMetrics(deps: {
  ingestor: Ingestor
  buffer: EventBuffer
  sessions: Sessions
  isps: IspLookup | undefined
  maintenance: Pick<Maintenance, 'health'>
  values?: Pick<ValueCap, 'capped'>
  queryLimits?: Pick<QueryLimits, 'refused'>
}): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'skaits_process_' })
  new Counter({
    name: 'skaits_events_accepted_total',
    help: 'Events accepted by POST /api/event',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(deps.ingestor.counters.accepted)
    },
  })
  new Counter({
    name: 'skaits_events_dropped_total',
    help: 'Events not counted, by reason (gpc, bot, unknown_site, hostname, buffer_full, rate_limited)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(deps.ingestor.counters.dropped)) this.inc({ reason }, n)
    },
  })
  new Counter({
    name: 'skaits_values_capped_total',
    help: 'Values counted as (other) because their site had seen MAX_VALUES_PER_DAY others of the dimension today (event:props: property values, event:props:(names): property names)',
    labelNames: ['dimension'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [dimension, n] of Object.entries(deps.values?.capped ?? {})) this.inc({ dimension }, n)
    },
  })
  new Counter({
    name: 'skaits_queries_refused_total',
    help: 'Stats API queries refused with 429, by reason (rate_limited: STATS_RATE_PER_MINUTE; busy: too many at once)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(deps.queryLimits?.refused ?? {})) this.inc({ reason }, n)
    },
  })
  new Counter({
    name: 'skaits_events_inserted_total',
    help: 'Events inserted into ClickHouse',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(deps.buffer.stats.inserted)
    },
  })
  new Gauge({
    name: 'skaits_buffer_depth',
    help: 'Accepted events waiting to be inserted',
    registers: [registry],
    collect() {
      this.set(deps.buffer.depth)
    },
  })
  new Gauge({
    name: 'skaits_visits_in_memory',
    help: 'Visits held in the in-memory session map',
    registers: [registry],
    collect() {
      this.set(deps.sessions.size)
    },
  })
  new Counter({
    name: 'skaits_isp_lookups_total',
    help: 'ISP domain lookups by result',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset()
      const s = deps.isps?.stats()
      if (!s) return
      this.inc({ result: 'cache_hit' }, s.hits)
      this.inc({ result: 'asked' }, s.misses)
      this.inc({ result: 'timeout' }, s.timeouts)
      this.inc({ result: 'dropped' }, s.dropped)
    },
  })
  new Counter({
    name: 'skaits_maintenance_failures_total',
    help: 'Runs of the daily maintenance (rollup, salt destruction) that failed; each is retried the next minute',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(deps.maintenance.health.failures)
    },
  })
  new Gauge({
    name: 'skaits_days_awaiting_rollup',
    help: 'Closed days whose unique-visitor sketches are not yet rolled up into integers',
    registers: [registry],
    collect() {
      this.set(deps.maintenance.health.daysAwaitingRollup)
    },
  })
  const errors = new Counter({ name: 'skaits_clickhouse_errors_total', help: 'Failed ClickHouse inserts and queries', registers: [registry] })
  const flush = new Histogram({
    name: 'skaits_flush_duration_seconds',
    help: 'Time to insert one batch of events',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const query = new Histogram({
    name: 'skaits_query_duration_seconds',
    help: 'Time to answer one Stats API query',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  return {
    registry,
    observeFlush: (s) => flush.observe(s),
    observeQuery: (s) => query.observe(s),
    clickhouseError: () => errors.inc(),
  }
}
