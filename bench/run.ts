import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './lib.ts'

/**
 * `npm run bench`: every part of the performance suite, one after the other (they would
 * compete for the two cores otherwise), each in its own process as `npm run bench:<part>`
 * runs it. Prints each part's table as it goes, then the goals against the figures, and
 * ends with one JSON line holding every figure. Writes the same, with a description of the
 * machine, to bench/RESULTS.md. BENCH_PARTS=ingest,tracker runs a subset.
 *
 * Bounded: each part has its own time limit, and the whole run stops at 700 s.
 */
interface Part {
  name: string
  entry: string
  /** seconds before the part is stopped as failed */
  limitS: number
  /** node flags it needs */
  flags?: string[]
  /** environment it runs with, besides this process's */
  env?: Record<string, string>
}

const PARTS: Part[] = [
  { name: 'tracker', entry: 'bench/tracker.ts', limitS: 60 },
  { name: 'memory', entry: 'bench/visit-memory.ts', limitS: 60, flags: ['--expose-gc'] },
  { name: 'ingest', entry: 'bench/ingest.ts', limitS: 200 },
  { name: 'queries', entry: 'bench/queries.ts', limitS: 330 },
  { name: 'storage', entry: 'bench/storage.ts', limitS: 300 },
  // A 128 MiB log here (about 40 s in all); `npm run bench:import` alone imports 1 GiB.
  { name: 'import', entry: 'bench/import-log.ts', limitS: 180, env: { BENCH_LOG_MB: process.env.BENCH_LOG_MB ?? '128' } },
]
const TOTAL_LIMIT_S = 700

type Figures = Record<string, any>

interface Goal {
  text: string
  /** the measured figure as shown */
  measured: (f: Record<string, Figures>) => string
  met: (f: Record<string, Figures>) => boolean
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN)
const fmt = (v: unknown, digits = 0): string => (Number.isFinite(num(v)) ? num(v).toFixed(digits) : 'n/a')

const viewGoal = (f: Record<string, Figures>, site: string, range: string): Figures | undefined =>
  (f.queries?.view_goals as Figures[] | undefined)?.find((g) => g.site === site && g.range === range)

/** The issue's goals, read from the parts' JSON lines. A missing figure is a missed goal. */
const GOALS: Goal[] = [
  {
    text: 'ingest throughput ≥ 0.7 × bare Hono',
    measured: (f) => `${fmt(f.ingest?.ratio, 2)} (${fmt(f.ingest?.events_per_s)} vs ${fmt(f.ingest?.baseline_per_s)} events/s)`,
    met: (f) => num(f.ingest?.ratio) >= 0.7,
  },
  {
    text: 'ingest with 5 goals and 5 funnels < 10 % below ingest without (same run)',
    measured: (f) => {
      const g = f.ingest?.goals as Figures | undefined
      return `${fmt(num(g?.drop_vs_no_goals) * 100, 1)} % (ratio ${fmt(g?.ratio, 2)} vs ${fmt(f.ingest?.ratio, 2)})`
    },
    met: (f) => num((f.ingest?.goals as Figures | undefined)?.drop_vs_no_goals) < 0.1,
  },
  {
    text: 'memory a visit adds following 5 goals and 5 funnels (reported)',
    measured: (f) => `+${fmt(f.memory?.added_bytes)} B (a visit: ${fmt(f.memory?.bytes_per_visit)} B)`,
    met: (f) => Number.isFinite(num(f.memory?.added_bytes)),
  },
  {
    text: 'ingest p99 < 20 ms at 2,000 events/s',
    measured: (f) => `${fmt(f.ingest?.p99_ms)} ms`,
    met: (f) => num(f.ingest?.p99_ms) < 20,
  },
  {
    text: 'server RSS < 400 MB under load',
    measured: (f) => `${fmt(f.ingest?.rss_mb)} MB`,
    met: (f) => num(f.ingest?.rss_mb) < 400,
  },
  {
    text: '30-day first view of a 1M pageviews/day site < 200 ms p95',
    measured: (f) => `${fmt(f.queries?.goal?.first_view_30d_1m_p95_ms)} ms`,
    met: (f) => num(f.queries?.goal?.first_view_30d_1m_p95_ms) < 200,
  },
  ...[
    ['1k/day', '30d', 60],
    ['100k/day', '30d', 150],
    ['1M/day', '30d', 200],
    ['1M/day', '12mo', 400],
  ].map(([site, range, ms]) => ({
    text: `${range} first view of the ${site} site ≤ ${ms} ms p95 (issue 19)`,
    measured: (f: Record<string, Figures>) => `${fmt(viewGoal(f, site as string, range as string)?.p95)} ms`,
    met: (f: Record<string, Figures>) => num(viewGoal(f, site as string, range as string)?.p95) <= (ms as number),
  })),
  {
    text: 'query time grows sub-linearly with the range (12 months < 12 × 30 days)',
    measured: (f) => `12mo/30d ${fmt(f.queries?.goal?.growth_12mo_over_30d, 1)}×, 30d/1d ${fmt(f.queries?.goal?.growth_30d_over_1d, 1)}×`,
    met: (f) => num(f.queries?.goal?.growth_12mo_over_30d) < 12 && num(f.queries?.goal?.growth_30d_over_1d) < 30,
  },
  {
    text: 'access-log import ≥ 50,000 lines/s (here a 128 MiB combined log; `npm run bench:import` alone: 1 GiB)',
    measured: (f) => `${fmt(f.import?.lines_per_s)} lines/s, ${fmt(f.import?.mb_per_s, 1)} MB/s (${fmt(f.import?.big?.mib)} MiB)`,
    met: (f) => num(f.import?.lines_per_s) >= 50_000,
  },
  {
    text: 'access-log import ≥ 10 × the live path over HTTP (same run)',
    measured: (f) => `${fmt(f.import?.ratio_to_live, 1)} × (${fmt(f.import?.live_events_per_s)} events/s live)`,
    met: (f) => num(f.import?.ratio_to_live) >= 10,
  },
  {
    text: 'access-log import memory flat in the file size (peak RSS < 1.5 × that of a log 1/8 the size)',
    measured: (f) => `${fmt(f.import?.peak_rss_mb)} MB vs ${fmt(f.import?.small_peak_rss_mb)} MB (×${fmt(f.import?.peak_ratio, 2)} for ×${fmt(f.import?.size_ratio, 1)} the size)`,
    met: (f) => num(f.import?.peak_ratio) < 1.5,
  },
  {
    text: 'storage ≤ 1/20 of raw Plausible-style events',
    measured: (f) => `1/${fmt(1 / num(f.storage?.goal?.storage_ratio), 0)}`,
    met: (f) => num(f.storage?.goal?.storage_ratio) <= 1 / 20,
  },
  {
    text: 'faster than raw events on every dashboard query',
    measured: (f) => `slowest ratio ${fmt(f.storage?.goal?.slowest_time_ratio, 2)} (Skaits time / raw time)`,
    met: (f) => f.storage?.goal?.faster_on_every_query === true,
  },
]

/** Figures the parts report that no goal bounds, shown with the goals. */
const REPORTED: Omit<Goal, 'met'>[] = [
  {
    text: 'storage the 5 declared goals add (their rows, per million pageviews)',
    measured: (f) => {
      const g = f.storage?.goals as Figures | undefined
      return `${fmt(num(g?.bytes_per_million_pageviews) / 1000, 0)} kB, ${fmt(num(g?.share_of_skaits) * 100, 1)} % of Skaits's storage (${fmt(g?.conversions)} conversions)`
    },
  },
]

function machine(): string[] {
  const cpus = os.cpus()
  let chdb = 'unknown'
  try {
    chdb = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/chdb/package.json'), 'utf8')).version
  } catch {}
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node.js ${process.version}, chdb (npm) ${chdb}`,
    `- load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ]
}

/**
 * A fixed piece of CPU work, SHA-256 of 256 MiB (the best of 3 runs, in ms): how fast this machine
 * runs at that moment. A shared machine's speed can change by half within minutes; figures of
 * parts measured at different speeds are not comparable, ratios within a part are.
 */
function referenceMs(): number {
  const data = Buffer.alloc(32 * 2 ** 20, 7)
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    const hash = createHash('sha256')
    for (let j = 0; j < 8; j++) hash.update(data)
    hash.digest()
    best = Math.min(best, performance.now() - t)
  }
  return Math.round(best)
}

function runPart(part: Part, deadline: number): Promise<{ output: string; figures?: Figures; error?: string }> {
  return new Promise((resolve) => {
    const limitMs = Math.min(part.limitS * 1000, deadline - Date.now())
    const child = spawn(process.execPath, [...(part.flags ?? []), '--import', 'tsx', part.entry], {
      cwd: ROOT,
      env: { ...process.env, ...part.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => {
      process.stdout.write(d)
      output += d
    })
    const timer = setTimeout(() => child.kill('SIGTERM'), Math.max(limitMs, 1000))
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const last = output.trim().split('\n').at(-1) ?? ''
      let figures: Figures | undefined
      try {
        figures = JSON.parse(last)
      } catch {}
      if (code === 0 && figures) return resolve({ output, figures })
      const why = signal ? `stopped after ${Math.round(limitMs / 1000)} s` : `exited with ${code}`
      resolve({ output, figures, error: figures ? why : `${why}, no JSON line` })
    })
  })
}

const only = process.env.BENCH_PARTS?.split(',').map((s) => s.trim())
const parts = only ? PARTS.filter((p) => only.includes(p.name)) : PARTS
const started = Date.now()
const deadline = started + TOTAL_LIMIT_S * 1000
const description = machine()
const figures: Record<string, Figures> = {}
const outputs: Record<string, string> = {}
const errors: Record<string, string> = {}
const reference: Record<string, number> = {}
for (const part of parts) {
  reference[part.name] = referenceMs()
  console.log(`\n=== ${part.name} (npm run bench:${part.name}) === (reference work ${reference[part.name]} ms)`)
  const t = Date.now()
  const result = await runPart(part, deadline)
  outputs[part.name] = result.output
  if (result.figures) figures[part.name] = result.figures
  if (result.error) errors[part.name] = result.error
  console.log(`--- ${part.name}: ${((Date.now() - t) / 1000).toFixed(0)} s${result.error ? `, FAILED: ${result.error}` : ''}`)
}
const seconds = Math.round((Date.now() - started) / 1000)

const goalRows = GOALS.map((g) => ({ goal: g.text, measured: g.measured(figures), met: g.met(figures) }))
const reportedRows = REPORTED.map((r) => ({ figure: r.text, measured: r.measured(figures) }))
console.log(`\n=== goals (${seconds} s in all) ===`)
for (const r of goalRows) console.log(`${r.met ? 'met   ' : 'MISSED'}  ${r.goal}: ${r.measured}`)
for (const r of reportedRows) console.log(`figure  ${r.figure}: ${r.measured}`)
for (const [name, error] of Object.entries(errors)) console.log(`FAILED  part ${name}: ${error}`)

const md = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${seconds} s.`,
  'Every part runs on loopback against the real server and the embedded engine (chDB).',
  '',
  '## Machine',
  '',
  ...description,
  `- reference work (SHA-256 of 256 MiB, best of 3; lower is faster), before each part: ${Object.entries(reference)
    .map(([name, ms]) => `${name} ${ms} ms`)
    .join(', ')}`,
  '',
  '## Goals',
  '',
  '| goal | measured | |',
  '|---|---|---|',
  ...goalRows.map((r) => `| ${r.goal} | ${r.measured} | ${r.met ? 'met' : '**missed**'} |`),
  ...reportedRows.map((r) => `| ${r.figure} | ${r.measured} | reported |`),
  ...Object.entries(errors).map(([name, error]) => `| part \`${name}\` ran | ${error} | **failed** |`),
  '',
  ...parts.flatMap((p) => [`## ${p.name} (\`npm run bench:${p.name}\`)`, '', '```', (outputs[p.name] ?? '').trim(), '```', '']),
]
if (!only) writeFileSync(path.join(ROOT, 'bench/RESULTS.md'), md.join('\n'))
console.log(JSON.stringify({ seconds, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, reference_ms: reference }, goals: goalRows, reported: reportedRows, ...figures }))
process.exit(Object.keys(errors).length ? 1 : 0)
