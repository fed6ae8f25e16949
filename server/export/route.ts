import { Hono } from 'hono'
import type { Db } from '../db/client.ts'
import type { Sites } from '../sites/sites.ts'
import { isValidDay } from '../time.ts'
import { blocksFor, buildExport, csvFiles, granularitiesOf, sha256, shareCellEpsilon, zip, type ExportCell } from './build.ts'
import { lastClosedDay, loadDays, type DayRow } from './data.ts'
import type { Goal } from '../goals/goals.ts'
import { micros, type PartnerShare, type Partners } from './partners.ts'
import { cellsPerPeriod, DP_DIMENSIONS, DP_METRICS, DP_WITHHELD_METRICS } from './privacy.ts'
import type { Granularity } from './suppress/index.ts'

const fromMicros = (n: number) => String(n / 1_000_000)

/**
 * `GET /export/<token>?from=&to=&granularity=&format=csv|json`: a partner's download of
 * anonymised counts, under the share's rules. The token is the only credential and reaches
 * one site and the share's dimensions, nothing else.
 */
export function exportRoute(deps: { db: Db; sites: Sites; partners: Partners; timezone: string }) {
  const app = new Hono()
  app.get('/:token', async (c) => {
    const share = deps.partners.byToken(c.req.param('token'))
    if (!share || !deps.sites.get(share.site)) return c.json({ error: 'no such export (revoked or mistyped link)' }, 404)
    const q = c.req.query()
    const from = q.from ?? ''
    const to = q.to ?? ''
    if (!isValidDay(from) || !isValidDay(to) || from > to) return c.json({ error: 'from and to must be days (YYYY-MM-DD), from ≤ to' }, 400)
    const granularity = (q.granularity ?? share.finest) as Granularity
    if (!granularitiesOf(share).includes(granularity)) {
      return c.json({ error: `granularity must be one of ${granularitiesOf(share).join(', ')} for this export` }, 403)
    }
    const format = q.format ?? 'csv'
    if (format !== 'csv' && format !== 'json') return c.json({ error: 'format must be csv or json' }, 400)
    const dimensions = q.dimensions ? q.dimensions.split(',').filter(Boolean) : share.dimensions
    const outside = dimensions.filter((d) => !share.dimensions.includes(d))
    if (outside.length) return c.json({ error: `this export does not include ${outside.join(', ')}` }, 403)

    const lastClosed = await lastClosedDay(deps.db)
    const blocks = lastClosed ? blocksFor(share, from, to, lastClosed) : []
    if (!blocks.length) {
      return c.json({ error: `no complete ${share.coarsest} in this range yet: periods are released once they are over (last closed day: ${lastClosed ?? 'none'})` }, 400)
    }
    const blockIds = blocks.map((b) => `${share.coarsest}|${b.first}|${b.last}`)
    const budget = micros(share.budget)
    // Checked against the stored ledger and recorded before the data is read (see Partners.spend).
    const spending = await deps.partners.spend(share, blockIds)
    if (!spending.ok) {
      return c.json({ error: 'this download would overspend the privacy budget', epsilon_spent: fromMicros(spending.spentMicros), budget: share.budget }, 409)
    }
    const first = blocks[0]!.first
    const last = blocks.at(-1)!.last
    // Every allowed dimension takes part (the partner may download each); only those asked are returned.
    const days = goalsByName(await loadDays(deps.db, share.site, ['', ...share.dimensions], first, last, deps.timezone), deps.sites.get(share.site)!.settings.goals ?? [])
    const range = { from: from > first ? from : first, to: to < last ? to : last }
    const built = buildExport(share, days, blocks, granularity, range)
    const cells = built.cells.filter((cell) => cell.dimension === '' || dimensions.includes(cell.dimension))
    const generatedAt = new Date(Math.max(...blockIds.map((b) => deps.partners.firstReleased(share.id, b) ?? 0)))
    const spent = deps.partners.spentMicros(share.id)
    const manifest = (files: Record<string, string>) => ({
      site: share.site,
      export: share.name,
      granularity,
      period: range,
      k: share.k,
      epsilon: share.epsilon || null,
      epsilon_spent: share.epsilon ? fromMicros(spent) : null,
      epsilon_remaining: share.epsilon ? fromMicros(budget - spent) : null,
      suppressed_cells: cells.filter((x) => x.suppressed).length,
      generated_at: generatedAt.toISOString(),
      guarantee: share.epsilon
        ? `epsilon-differential privacy with epsilon ${share.epsilon} per download for every visitor-day (one IP address and ` +
          `browser on one day), over every cell it counts in, at every granularity and in every dimension of the export ` +
          `(periods released before are free: their noise is fixed); only visitors are published; k and the suppression ` +
          `apply to the noisy counts, so a published cell shows at least ${share.k} but may stand for fewer visitors`
        : `every published cell counts at least ${share.k} unique visitors; no suppressed value can be recovered ` +
          `from published totals or differences`,
      differential_privacy: share.epsilon ? dpManifest(share) : null,
      files: Object.fromEntries(Object.entries(files).map(([name, text]) => [name, sha256(text)])),
    })
    const name = `skaits-${share.site}-${range.from}-${range.to}-${granularity}`
    if (format === 'json') {
      const data = JSON.stringify(byDimension(cells))
      const body = JSON.stringify({ manifest: manifest({ 'data.json': data }), data: JSON.parse(data) })
      return c.body(body, 200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name}.json"`,
        'Cache-Control': 'no-store',
      })
    }
    const files = csvFiles(share.site, cells, range)
    const archive = zip({ ...files, 'manifest.json': `${JSON.stringify(manifest(files), null, 2)}\n` }, generatedAt)
    return c.body(archive as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${name}.zip"`,
      'Cache-Control': 'no-store',
    })
  })
  return app
}

/** What the noise covers, with the numbers that make ε the loss of a whole download. */
function dpManifest(share: PartnerShare) {
  const epsilon = shareCellEpsilon(share)!
  const granularities = granularitiesOf(share)
  return {
    unit: 'visitor-day',
    epsilon_per_download: share.epsilon,
    granularities,
    dimensions: share.dimensions.filter((d) => DP_DIMENSIONS[d]),
    cells_per_visitor_day: granularities.length * cellsPerPeriod(share.dimensions),
    epsilon_per_cell: `${epsilon.num}/${epsilon.den}`,
    accounting:
      'epsilon_per_cell = epsilon_per_download / cells_per_visitor_day; cells_per_visitor_day = granularities × ' +
      '(1 total + the values one visitor-day can count under in each dimension); each cell changes by at most 1',
    published_metrics: [...DP_METRICS],
    withheld_metrics: [...DP_WITHHELD_METRICS],
    withheld_dimensions: share.dimensions.filter((d) => !DP_DIMENSIONS[d]),
    budget: share.budget,
  }
}

function byDimension(cells: ExportCell[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const c of cells) {
    const key = c.dimension || 'total'
    ;(out[key] ??= []).push(
      c.suppressed ? { period: c.period, value: c.value, suppressed: true } : { period: c.period, value: c.value, ...c.metrics },
    )
  }
  return out
}

/** Goal rows are stored by goal id; a partner reads the goal's name (rows of deleted goals are left out). */
function goalsByName(days: DayRow[], goals: readonly Goal[]): DayRow[] {
  if (!days.some((d) => d.dimension === 'event:goal')) return days
  const names = new Map(goals.map((g) => [String(g.id), g.name]))
  return days.flatMap((d) => (d.dimension !== 'event:goal' ? [d] : names.has(d.value) ? [{ ...d, value: names.get(d.value)! }] : []))
}
