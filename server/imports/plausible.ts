/**
 * Plausible's CSV export ("Export data": a zip of `imported_<table>_YYYYMMDD_YYYYMMDD.csv`) →
 * day rows, one dimension value each: Skaits keeps no cross-tabulations, so a row of
 * imported_sources (source × referrer × utm_*) adds to one row per column instead.
 *
 * The columns and what they mean are those of Plausible's exporter (plausible/analytics
 * lib/plausible/exports.ex, export_*_q): visit_duration is a sum of seconds, bounces and visits
 * counts of sessions, `visits` of imported_pages the sessions that viewed the page,
 * total_scroll_depth the sum over sessions of each one's deepest scroll on the page and
 * total_scroll_depth_visits those sessions (what Skaits' scroll_sum and scroll_n are),
 * total_time_on_page whole seconds of engagement and total_time_on_page_visits the sessions
 * engaged. Columns are matched by name, as ClickHouse's CSVWithNames input does, so older
 * exports (pages with scroll_depth and pageleave_visitors, browsers without versions) read too.
 *
 * Skaits' own partner export writes the same layout (export/build.ts, csvFiles) plus
 * `skaits_<name>` files for dimensions Plausible has no file for; those read back into the
 * dimension they came from, so a partner export without noise imports back unchanged.
 *
 * A (day, dimension, value) may come in more than one DayRow: a page's pageviews from
 * imported_pages and its entries from imported_entry_pages, or one day's rows of a file that is
 * not in date order. Whoever stores them adds them up (mergeDayRows does); visitors add up too,
 * which is what Plausible itself does with imported rows (it sums `visitors` of imported_*).
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { domainToUnicode } from 'node:url'
import { UNKNOWN } from '../enrich/devices.ts'
import { classifySource, DIRECT } from '../enrich/sources.ts'
import { tableOf } from '../export/build.ts'
import type { Increments } from '../sessions/cells.ts'
import { isValidDay } from '../time.ts'
import { DIMENSIONS, PROP_PREFIX, type DimensionName } from '../vocabulary/dimensions.ts'
import { readCsv } from './csv-read.ts'
import { ImportInputError, type DayRow, type ReadCounts } from './types.ts'
import { bufferSource, entryStream, fileSource, zipEntries, type ByteSource } from './zip.ts'

export interface PlausibleInput {
  /** as said in errors: `export.zip:imported_pages_20250101_20251231.csv`, or a path */
  name: string
  data: Readable
}

export interface PlausibleOptions {
  counts: ReadCounts
  /**
   * Whether `visit:channel` is worked out from imported_sources' source and utm_* columns, as
   * enrich/sources.ts does for live traffic. Not for Skaits' own export: it has its channels in
   * skaits_channel, and its imported_sources holds the source alone. Default: true.
   */
  deriveChannel?: boolean
}

/** Plausible's tables, with the key columns a file of each cannot be read without. */
const PLAUSIBLE_TABLES = {
  visitors: [],
  sources: ['source'],
  pages: ['page'],
  entry_pages: ['entry_page'],
  exit_pages: ['exit_page'],
  custom_events: ['name'],
  locations: ['country'],
  devices: ['device'],
  browsers: ['browser'],
  operating_systems: ['operating_system'],
} as const satisfies Record<string, readonly string[]>
type PlausibleTable = keyof typeof PLAUSIBLE_TABLES

/** skaits_<name> → the dimension export/build.ts writes there, from the vocabulary itself. */
const SKAITS_TABLES = new Map<string, { dimension: DimensionName; key: string }>()
for (const dimension of Object.keys(DIMENSIONS) as DimensionName[]) {
  const t = tableOf(dimension)
  if (t.file.startsWith('skaits_')) SKAITS_TABLES.set(t.file, { dimension, key: t.key })
}

const PLAUSIBLE_NAME = new RegExp(`^(?:imported_)?(${Object.keys(PLAUSIBLE_TABLES).join('|')})(?:_(\\d{8})_(\\d{8}))?\\.csv$`)
const SKAITS_NAME = /^(skaits_[a-z0-9_]+?)(?:_(\d{8})_(\d{8}))?\.csv$/
const MANIFEST = 'manifest.json'
const MAX_MANIFEST = 1 << 20

type FileKind =
  | { table: PlausibleTable; from?: string; to?: string }
  | { table: 'skaits'; dimension: DimensionName; key: string; from?: string; to?: string }

/** The file's own name, without the zip's or the folders' (`a.zip:dir/imported_x.csv` → `imported_x.csv`). */
const ownName = (name: string) => name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf(':'), name.lastIndexOf('\\')) + 1)

const isoOf = (yyyymmdd: string | undefined) => (yyyymmdd ? `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}` : undefined)

function fileKind(name: string): FileKind | undefined {
  const own = ownName(name)
  const p = PLAUSIBLE_NAME.exec(own)
  if (p) return { table: p[1] as PlausibleTable, ...range(p[2], p[3]) }
  const s = SKAITS_NAME.exec(own)
  const skaits = s && SKAITS_TABLES.get(s[1]!)
  if (s && skaits) return { table: 'skaits', ...skaits, ...range(s[2], s[3]) }
  return undefined
}

function range(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
  const f = isoOf(from)
  const t = isoOf(to)
  return f && t && isValidDay(f) && isValidDay(t) ? { from: f, to: t } : {}
}

/** The days the export's file names say it covers; undefined when none of them says. */
export function plausibleRange(fileNames: readonly string[]): { from: string; to: string } | undefined {
  let out: { from: string; to: string } | undefined
  for (const name of fileNames) {
    const kind = fileKind(name)
    if (!kind?.from || !kind.to) continue
    out = out ? { from: kind.from < out.from ? kind.from : out.from, to: kind.to > out.to ? kind.to : out.to } : { from: kind.from, to: kind.to }
  }
  return out
}

/** Whether the names are of a Skaits partner export (its manifest or a skaits_ file). */
export function isSkaitsExport(fileNames: readonly string[]): boolean {
  return fileNames.some((n) => ownName(n) === MANIFEST || fileKind(n)?.table === 'skaits')
}

/** Adds up the rows of each (day, dimension, value). */
export function mergeDayRows(rows: Iterable<DayRow>): DayRow[] {
  const out = new Map<string, DayRow>()
  for (const r of rows) {
    const key = `${r.day}\u0000${r.dimension}\u0000${r.value}`
    const m = out.get(key)
    if (!m) out.set(key, { ...r, sums: { ...r.sums } })
    else addTo(m, r.sums, r.visitors)
  }
  return [...out.values()]
}

function addTo(row: DayRow, sums: Partial<Increments>, visitors: number | undefined): void {
  for (const [k, v] of Object.entries(sums) as [keyof Increments, number][]) row.sums[k] = (row.sums[k] ?? 0) + v
  if (visitors !== undefined) row.visitors = (row.visitors ?? 0) + visitors
}

/**
 * Day rows of every file of a Plausible (or Skaits) export, in file order, a file's rows in
 * its date order. Unknown files are left out with a note in `counts.errors`; anything wrong in
 * a file it reads is an ImportInputError naming the file and line.
 */
export async function* parsePlausibleFiles(
  inputs: Iterable<PlausibleInput> | AsyncIterable<PlausibleInput>,
  options: PlausibleOptions,
): AsyncGenerator<DayRow> {
  for await (const input of inputs) {
    if (ownName(input.name) === MANIFEST) {
      await checkManifest(input)
      continue
    }
    const kind = fileKind(input.name)
    if (!kind) {
      input.data.destroy()
      note(options.counts, input.name, 0, 'not a file of a Plausible export: left out')
      continue
    }
    yield* parseFile(input, kind, options)
  }
}

function note(counts: ReadCounts, file: string, line: number, message: string): void {
  if (counts.errors.length < 20) counts.errors.push({ file, line, message })
}

/** A Skaits export by week or month has a period's counts on its first day: they are no days. */
async function checkManifest(input: PlausibleInput): Promise<void> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input.data as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_MANIFEST) throw new ImportInputError(input.name, 0, 'manifest too large')
    chunks.push(chunk)
  }
  let manifest: unknown
  try {
    manifest = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ImportInputError(input.name, 0, 'not valid JSON')
  }
  const granularity = (manifest as { granularity?: unknown } | null)?.granularity
  if (granularity !== undefined && granularity !== 'day') {
    throw new ImportInputError(input.name, 0, `a Skaits export by ${String(granularity)} holds no days: download it by day to import it`)
  }
}

/** One record of a file: its cells by column name. */
class Row {
  constructor(
    private readonly columns: ReadonlyMap<string, number>,
    private readonly fields: string[],
    readonly file: string,
    readonly line: number,
  ) {}

  has(column: string): boolean {
    return this.columns.has(column)
  }

  /** A text cell, with the `'` Skaits' CSV puts before a would-be formula taken off (export/csv.ts). */
  text(column: string): string {
    const i = this.columns.get(column)
    const s = i === undefined ? '' : this.fields[i]!
    return s.startsWith("'") && /^[=+\-@\t\r]/.test(s.slice(1)) ? s.slice(1) : s
  }

  /** A count: a non-negative integer; undefined when the column or the value is missing (`\N` is ClickHouse's NULL). */
  count(column: string): number | undefined {
    const i = this.columns.get(column)
    if (i === undefined) return undefined
    const s = this.fields[i]!
    if (s === '' || s === '\\N') return undefined
    const n = Number(s)
    if (!/^\d{1,16}$/.test(s) || !Number.isSafeInteger(n)) throw new ImportInputError(this.file, this.line, `column ${column}: not a count: ${JSON.stringify(s.slice(0, 40))}`)
    return n
  }
}

type Add = (dimension: string, value: string, sums: Partial<Increments>, visitors?: number) => void

async function* parseFile(input: PlausibleInput, kind: FileKind, options: PlausibleOptions): AsyncGenerator<DayRow> {
  const file = input.name
  const records = readCsv(input.data, file)
  const first = await records.next()
  if (first.done) throw new ImportInputError(file, 1, 'empty file: no header')
  const header = first.value.fields.map((h) => h.trim())
  const columns = new Map(header.map((h, i) => [h, i]))
  const required = ['date', ...(kind.table === 'skaits' ? [kind.key] : PLAUSIBLE_TABLES[kind.table])]
  for (const c of required) if (!columns.has(c)) throw new ImportInputError(file, 1, `missing column ${c} (header: ${JSON.stringify(header.join(',').slice(0, 200))})`)
  const rowsOf = handler(kind, options)

  let day = ''
  let pending = new Map<string, DayRow>()
  const add: Add = (dimension, value, sums, visitors) => {
    const clean = nonZero(sums)
    if (!clean && visitors === undefined) return
    const key = `${dimension}\u0000${value}`
    const row = pending.get(key)
    if (row) addTo(row, clean ?? {}, visitors)
    else pending.set(key, { day, dimension, value, sums: clean ?? {}, ...(visitors === undefined ? {} : { visitors }) })
  }
  for await (const { fields, line } of records) {
    if (fields.length !== header.length) throw new ImportInputError(file, line, `${fields.length} fields where the header has ${header.length}`)
    const row = new Row(columns, fields, file, line)
    const date = row.text('date')
    if (!isValidDay(date)) throw new ImportInputError(file, line, `column date: not a day (YYYY-MM-DD): ${JSON.stringify(date.slice(0, 40))}`)
    if (kind.from && kind.to && (date < kind.from || date > kind.to)) {
      throw new ImportInputError(file, line, `date ${date} is outside the file's range ${kind.from} to ${kind.to}`)
    }
    options.counts.read++
    if (date !== day) {
      yield* pending.values()
      pending = new Map()
      day = date
    }
    rowsOf(row, add, options.counts)
  }
  yield* pending.values()
}

function nonZero(sums: Partial<Increments>): Partial<Increments> | undefined {
  let out: Partial<Increments> | undefined
  for (const [k, v] of Object.entries(sums) as [keyof Increments, number | undefined][]) if (v) (out ??= {})[k] = v
  return out
}

/** What a visit-level row (sessions_v2 in Plausible) adds: Skaits counts every pageview as an event too. */
function visitSums(r: Row): Partial<Increments> {
  const pageviews = r.count('pageviews')
  return { visits: r.count('visits'), pageviews, bounces: r.count('bounces'), duration: r.count('visit_duration'), events: pageviews }
}

type Handler = (r: Row, add: Add, counts: ReadCounts) => void

function handler(kind: FileKind, options: PlausibleOptions): Handler {
  switch (kind.table) {
    case 'skaits': {
      const { dimension, key } = kind
      return (r, add) => add(dimension, r.text(key), visitSums(r), r.count('visitors'))
    }
    case 'visitors':
      return (r, add) => {
        const visitors = r.count('visitors')
        const sums = visitSums(r)
        add('', '', sums, visitors)
        // Skaits counts a pageview as an event named "pageview" (sessions/sessions.ts, addEventRows).
        add('event:name', 'pageview', { events: sums.pageviews }, visitors)
      }
    case 'sources':
      return sourcesHandler(options.deriveChannel ?? true)
    case 'pages':
      return pagesRow
    case 'entry_pages':
      return (r, add, counts) => {
        const page = keyOf(r, 'entry_page', counts)
        if (page === undefined) return
        const entrances = r.count('entrances')
        const bounces = r.count('bounces')
        add('visit:entry_page', page, { ...visitSums(r), visits: entrances }, r.count('visitors'))
        // A page's bounce rate is that of the visits entering on it (vocabulary/metrics.ts).
        add('event:page', page, { entries: entrances, bounces })
      }
    case 'exit_pages':
      return (r, add, counts) => {
        const page = keyOf(r, 'exit_page', counts)
        if (page === undefined) return
        const exits = r.count('exits')
        // No visitors: Skaits counts none per exit page (its visitors: false, vocabulary/dimensions.ts).
        add('visit:exit_page', page, { ...visitSums(r), visits: exits })
        add('event:page', page, { exits })
      }
    case 'custom_events':
      return customEventRow
    case 'locations':
      return (r, add, counts) => {
        // Region and city are left out: Skaits keeps geography no finer than the country.
        const country = r.text('country').trim().toUpperCase()
        if (!/^[A-Z]{2}$/.test(country) || country === 'ZZ') return skip(counts, 'unsupported')
        add('visit:country', country, visitSums(r), r.count('visitors'))
      }
    case 'devices':
      return (r, add) => add('visit:device', r.text('device') || UNKNOWN, visitSums(r), r.count('visitors'))
    case 'browsers':
      return (r, add) => familyAndVersion(r, add, 'browser', 'browser_version')
    case 'operating_systems':
      return (r, add) => familyAndVersion(r, add, 'operating_system', 'operating_system_version')
  }
}

function skip(counts: ReadCounts, reason: 'malformed' | 'unsupported'): void {
  counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1
}

/** A page or event name; a row without one is counted as malformed and left out. */
function keyOf(r: Row, column: string, counts: ReadCounts): string | undefined {
  const v = r.text(column)
  if (v) return v
  skip(counts, 'malformed')
  note(counts, r.file, r.line, `column ${column} is empty`)
  return undefined
}

const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const

function sourcesHandler(deriveChannel: boolean): Handler {
  const channels = new Map<string, string>()
  return (r, add) => {
    const sums = visitSums(r)
    const visitors = r.count('visitors')
    const source = r.text('source')
    add('visit:source', source || DIRECT, sums, visitors)
    const referrer = referrerHost(r.text('referrer'))
    if (referrer) add('visit:referrer', referrer, sums, visitors)
    for (const u of UTM) {
      const v = r.text(u)
      if (v) add(`visit:${u}`, v, sums, visitors)
    }
    const channel = r.has('channel') ? r.text('channel') : deriveChannel ? channelOf(channels, source, r) : ''
    if (channel) add('visit:channel', channel, sums, visitors)
  }
}

/**
 * The channel enrich/sources.ts gives a visit with this source and these tags: the source goes
 * in as a `ref` tag (Plausible's source is already a name: "Google", "Facebook", a host), the
 * utm_* as they are. A click id (gclid: Paid Search) is not in the export, so not in here.
 */
function channelOf(memo: Map<string, string>, source: string, r: Row): string {
  const query = new URLSearchParams()
  for (const u of ['utm_source', 'utm_medium', 'utm_campaign'] as const) if (r.text(u)) query.set(u, r.text(u))
  if (source && source !== DIRECT) query.set('ref', source)
  const key = query.toString()
  let channel = memo.get(key)
  if (channel === undefined) {
    channel = classifySource(new URL(`https://import.invalid/?${key}`), undefined, 'import.invalid').channel
    if (memo.size >= 10_000) memo.clear()
    memo.set(key, channel)
  }
  return channel
}

/** Skaits keeps a referrer's host only (enrich/sources.ts); Plausible's column has host and path. */
function referrerHost(referrer: string): string {
  if (!referrer) return ''
  try {
    let host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(referrer) ? referrer : `https://${referrer}`).hostname.toLowerCase()
    if (host.startsWith('www.')) host = host.slice(4)
    return host.includes('xn--') ? domainToUnicode(host) || host : host
  } catch {
    return ''
  }
}

function pagesRow(r: Row, add: Add, counts: ReadCounts): void {
  const page = keyOf(r, 'page', counts)
  if (page === undefined) return
  const pageviews = r.count('pageviews')
  const engagement: Partial<Increments> = {}
  const seconds = r.count('total_time_on_page')
  if (seconds !== undefined) {
    engagement.engaged_ms = seconds * 1000
    engagement.engaged_n = r.count('total_time_on_page_visits')
  }
  if (r.has('total_scroll_depth')) {
    engagement.scroll_sum = r.count('total_scroll_depth')
    engagement.scroll_n = r.count('total_scroll_depth_visits')
  } else {
    // Older exports: scroll_depth is the average of the sessions' deepest scroll (NULL for none).
    const depth = r.count('scroll_depth')
    const sessions = r.count('pageleave_visitors')
    if (depth !== undefined && sessions) {
      engagement.scroll_sum = depth * sessions
      engagement.scroll_n = sessions
    }
  }
  add('event:page', page, { pageviews, visits: r.count('visits'), events: pageviews, ...engagement }, r.count('visitors'))
  // Skaits adds engaged time and scroll depth to the site total too (sessions/sessions.ts, engage).
  add('', '', engagement)
}

const NOT_CUSTOM = new Set(['pageview', 'engagement'])

function customEventRow(r: Row, add: Add, counts: ReadCounts): void {
  const name = keyOf(r, 'name', counts)
  if (name === undefined) return
  if (NOT_CUSTOM.has(name)) return skip(counts, 'unsupported')
  const events = r.count('events')
  const visitors = r.count('visitors')
  add('event:name', name, { events }, visitors)
  add('', '', { events })
  const url = r.text('link_url')
  if (url) add(`${PROP_PREFIX}url`, url, { events }, visitors)
  const path = r.text('path')
  if (path) add(`${PROP_PREFIX}path`, path, { events }, visitors)
}

/**
 * visit:browser and visit:browser_version (or the OS's): Skaits keeps the major version alone
 * (enrich/devices.ts). A row without a version adds to no version row: Skaits' own export
 * writes its browsers so, and a `(unknown)` version would appear that Skaits never counted.
 */
function familyAndVersion(r: Row, add: Add, familyColumn: string, versionColumn: string): void {
  const sums = visitSums(r)
  const visitors = r.count('visitors')
  const family = r.text(familyColumn) || UNKNOWN
  add(familyColumn === 'browser' ? 'visit:browser' : 'visit:os', family, sums, visitors)
  const raw = r.text(versionColumn).trim()
  if (!raw) return
  add(familyColumn === 'browser' ? 'visit:browser_version' : 'visit:os_version', majorVersion(family, raw), sums, visitors)
}

function majorVersion(family: string, version: string): string {
  // Every browser reports macOS as 10.15: Skaits counts that as unknown (enrich/devices.ts).
  if (family === 'macOS' && /^10[._]15(?:[._]\d+)?$/.test(version)) return UNKNOWN
  const m = /^(\d{1,5})(?:[._]|$)/.exec(version)
  if (m) return String(Number(m[1]))
  return version === '(not set)' ? UNKNOWN : version
}

/** A Plausible export opened: its files' names first, so a caller can see its range and kind before reading. */
export interface PlausibleExport {
  names: string[]
  files: AsyncIterable<PlausibleInput>
  close(): Promise<void>
}

/**
 * Opens a `.zip` path, a list of `.csv` paths, or a zip's bytes (a Buffer, or a Readable of an
 * upload, spooled to a temporary file so that it is read entry by entry, not held in memory).
 * In a zip, manifest.json comes first whatever its place: it says whether the rest are days.
 */
export async function openPlausibleExport(input: string | readonly string[] | Uint8Array | Readable, label = 'upload.zip'): Promise<PlausibleExport> {
  if (Array.isArray(input) || (typeof input === 'string' && !/\.zip$/i.test(input))) {
    const paths: readonly string[] = typeof input === 'string' ? [input] : input
    return {
      names: paths.map((p) => basename(p)),
      files: (async function* () {
        for (const p of paths) yield { name: p, data: createReadStream(p) }
      })(),
      close: async () => {},
    }
  }
  if (typeof input === 'string') return openZip(await fileSource(input), basename(input), async () => {})
  if (input instanceof Uint8Array) return openZip(bufferSource(input), label, async () => {})
  const dir = await mkdtemp(join(tmpdir(), 'skaits-import-'))
  const path = join(dir, 'upload.zip')
  try {
    await pipeline(input as Readable, createWriteStream(path))
    return await openZip(await fileSource(path), label, () => rm(dir, { recursive: true, force: true }))
  } catch (e) {
    await rm(dir, { recursive: true, force: true })
    throw e
  }
}

async function openZip(src: ByteSource, label: string, cleanup: () => Promise<void>): Promise<PlausibleExport> {
  let entries
  try {
    entries = await zipEntries(src, label)
  } catch (e) {
    await src.close()
    await cleanup()
    throw e
  }
  entries.sort((a, b) => Number(ownName(b.name) === MANIFEST) - Number(ownName(a.name) === MANIFEST))
  return {
    names: entries.map((e) => e.name),
    files: (async function* () {
      for (const entry of entries) yield { name: `${label}:${entry.name}`, data: await entryStream(src, entry, label) }
    })(),
    close: async () => {
      await src.close()
      await cleanup()
    },
  }
}

/** Opens and reads a whole export: day rows, with channels derived unless it is Skaits' own. */
export async function* readPlausibleExport(
  input: string | readonly string[] | Uint8Array | Readable,
  counts: ReadCounts,
  label?: string,
): AsyncGenerator<DayRow> {
  const opened = await openPlausibleExport(input, label)
  try {
    yield* parsePlausibleFiles(opened.files, { counts, deriveChannel: !isSkaitsExport(opened.names) })
  } finally {
    await opened.close()
  }
}
