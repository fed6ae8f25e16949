import { createHash, type Hash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import { queryRows, type Db } from '../db/client.ts'
import type { Enricher } from '../enrich/enricher.ts'
import { say, UserError, type Said } from '../http/messages.ts'
import type { Logger } from '../log.ts'
import { TOTAL } from '../sessions/cells.ts'
import type { Site, Sites } from '../sites/sites.ts'
import { addDays, dayOf, startOfDay } from '../time.ts'
import type { LiveSink } from './live.ts'
import { Replay, type KnownFacts } from './replay.ts'
import { HEAD_BYTES, newImportId, type ImportFile, type ImportInfo, type ImportStore, type Overlap } from './store.ts'
import { ImportInputError, type DayRow, type HitRecord, type ImportSource, type ReadCounts, type SkipReason } from './types.ts'
import { daysWithCounts, dropStaged, stageRows, stagedDays, takeBack, VISITORS_OF, writeImport, type StagedRow } from './writer.ts'

/** One input file: its name as given and its bytes as a stream (a path opened, or an upload). */
export interface ImportInput {
  name: string
  stream: Readable
  /** its size in bytes when known (progress and ETA) */
  size?: number
}

/** Records to replay, or why a record is not counted, several at a time (a chunk of a log: one await for them all). */
export type HitBatch = ({ record: HitRecord; known?: KnownFacts } | { skip: SkipReason })[]

/** What a source's parser makes of one input: aggregated day rows, or records to replay. */
export type Parsed = { kind: 'rows'; rows: AsyncIterable<DayRow> } | { kind: 'hits'; hits: AsyncIterable<HitBatch> }

/** How a source reads an input (server/imports/sources.ts), counting what it reads into `counts`. */
export type SourceParser = (input: ImportInput, counts: ReadCounts, options: ImportOptions) => Parsed

export interface ImportOptions {
  source: ImportSource
  name?: string
  /** days that already hold counts: refused (default for aggregated exports), merged (default for logs), or left out */
  overlap?: Overlap
  /** on an error in a file: 'skip' counts the rest (a bad file of an export is left out whole); 'abort' writes nothing */
  onError?: 'skip' | 'abort'
  /** report what would be written, write nothing */
  dryRun?: boolean
  /** access logs: the format (`combined`, `common`, `vhost_combined`, `caddy`, a custom format string), or detected */
  format?: string
  /** event-level sources: today's records counted as live traffic (ImportServiceDeps.live), not left out */
  live?: boolean
}

/** What an import is doing, while it runs (for the CLI's progress bar and the dashboard). */
export interface ImportProgress {
  file: string
  bytes: number
  totalBytes: number | undefined
  read: number
  /** records per second since the start */
  rate: number
  /** seconds left, when the total is known */
  eta: number | undefined
}

/** A refusal the owner can act on: a 4xx with the message (in both languages by its code), never a crash. */
export class ImportRefused extends UserError {
  constructor(
    message: Said,
    readonly status: 400 | 404 | 409 | 413 = 400,
  ) {
    super(message)
  }
}

export interface ImportServiceDeps {
  db: Db
  store: ImportStore
  /** whose settings say where a site's history begins (historySince) */
  sites?: Pick<Sites, 'get' | 'updateSettings'>
  parse: SourceParser
  enricher: Pick<Enricher, 'isBot' | 'visitDimensions'>
  tz: string
  retentionMonths: number
  sessionIdleMs: number
  sessionMax: number
  clock: () => number
  /** where today's records go with `live` (imports/live.ts) */
  live?: LiveSink
  log?: Logger
}

/** Rows staged per insert while reading. */
const STAGE_EVERY = 20_000

/**
 * Runs imports (docs/design.md, "Imports"): reads each input with its source's parser, stages
 * what it would write (import_rows), decides which days to write (closed days within the
 * retention; days that already hold counts refused, merged or left out), then writes them as
 * the rollup leaves a closed day (writer.ts). One import per site at a time. An import is a
 * named object: listed, and deleted with everything it wrote.
 */
export class ImportService {
  private readonly running = new Map<string, { id: string; progress: ImportProgress | undefined }>()

  constructor(private readonly d: ImportServiceDeps) {}

  /** The progress of a site's import under way, if any. */
  progressOf(site: string, id: string): ImportProgress | undefined {
    const r = this.running.get(site)
    return r?.id === id ? r.progress : undefined
  }

  async list(site: string): Promise<ImportInfo[]> {
    return this.d.store.list(site)
  }

  async run(site: Site, options: ImportOptions, inputs: ImportInput[], onProgress?: (p: ImportProgress) => void): Promise<ImportInfo> {
    if (!inputs.length) throw new ImportRefused(say('import_no_file'))
    if (this.running.has(site.domain)) throw new ImportRefused(say('import_running', { site: site.domain }), 409)
    const entry = { id: newImportId(), progress: undefined as ImportProgress | undefined }
    this.running.set(site.domain, entry)
    try {
      return await this.runOne(site, options, inputs, entry.id, (p) => {
        entry.progress = p
        onProgress?.(p)
      })
    } finally {
      this.running.delete(site.domain)
    }
  }

  private async runOne(site: Site, options: ImportOptions, inputs: ImportInput[], id: string, onProgress: (p: ImportProgress) => void): Promise<ImportInfo> {
    const { db, store, clock } = this.d
    const source = options.source
    const info: ImportInfo = {
      id,
      site: site.domain,
      name: options.name?.trim() || `${source}: ${inputs.map((i) => i.name).join(', ')}`.slice(0, 200),
      source,
      files: [],
      overlap: options.overlap ?? (source === 'log' ? 'merge' : 'refuse'),
      atomic: options.onError === 'abort' ? 'all' : 'file',
      status: 'staging',
      days: [],
      overlapping: [],
      read: 0,
      skipped: {},
      errors: [],
      written: { counts: false, daily: false, hourly: false },
      createdAt: clock(),
    }
    const dry = Boolean(options.dryRun)
    const save = () => (dry ? Promise.resolve() : store.save(info))
    await save()
    const days = this.dayRules()
    const counts: ReadCounts = { read: 0, skipped: {}, errors: [] }
    const started = clock()
    const replay = source === 'log' || source === 'goatcounter' ? this.replayFor(site) : undefined
    try {
      for (const [i, input] of inputs.entries()) {
        const file = await this.readFile(site, info, i, input, options, counts, await days, replay, (bytes) =>
          onProgress(progressOf(input, bytes, counts.read, started, clock())),
        )
        info.files.push(file)
        if (file.failed && info.atomic === 'all') throw new ImportRefused(say('import_input', { detail: file.failed }))
        // 'abort': a malformed line too stops the import before anything is written.
        const bad = counts.errors[0]
        if (info.atomic === 'all' && counts.skipped.malformed && bad) {
          throw new ImportRefused(say('import_input', { detail: `${bad.file}, line ${bad.line}: ${bad.message}` }))
        }
      }
      const usable = info.files.filter((f) => !f.failed)
      // Nothing could be read at all: the owner gets the reason as a refusal, not an empty import.
      if (!usable.length && info.files.every((f) => f.duplicateOf === undefined)) {
        throw new ImportRefused(say('import_input', { detail: info.files[0]!.failed! }))
      }
      if (replay) await this.stageDays(site, info, inputs.length - 1, await replay.takeDays(true), counts, await days)
      info.read = counts.read
      info.skipped = counts.skipped
      info.errors = counts.errors
      await this.chooseDays(info)
      const tooOld = counts.skipped.too_old
      if (tooOld) {
        const said = say('import_too_old', { n: tooOld, before: (await days).oldest, months: this.d.retentionMonths })
        // Nothing else to write: a refusal that says why; else a note beside what is written.
        if (!info.days.length) throw new ImportRefused(said)
        counts.errors.unshift({ file: info.files.map((f) => f.name).join(', '), line: 0, message: said.error })
      }
      if (dry) {
        await dropStaged(db, info)
        return info
      }
      info.status = 'writing'
      await save()
      await writeImport(db, info, save)
      info.status = 'done'
      info.finishedAt = clock()
      await save()
      await this.historyBegins(site.domain)
      return info
    } catch (err) {
      info.status = 'failed'
      info.error = err instanceof Error ? err.message : String(err)
      if (err instanceof UserError) info.said = err.said
      else if (err instanceof ImportInputError) info.said = say('import_input', { detail: err.message })
      info.finishedAt = clock()
      info.read = counts.read
      info.skipped = counts.skipped
      info.errors = counts.errors
      // What was written is taken back: a failed import leaves nothing counted, and is deletable.
      await takeBack(db, info, save).catch((e) => this.d.log?.error({ import: info.id, err: String(e) }, 'import: taking back a failed import failed; delete it to retry'))
      await save().catch(() => {})
      if (err instanceof ImportInputError) throw new ImportRefused(say('import_input', { detail: err.message }))
      throw err
    } finally {
      replay?.destroy()
    }
  }

  /** Reads one input: hashes it, parses it, stages its rows. A bad file is marked failed, never thrown further. */
  private async readFile(
    site: Site,
    info: ImportInfo,
    index: number,
    input: ImportInput,
    options: ImportOptions,
    counts: ReadCounts,
    days: DayRules,
    replay: Replay | undefined,
    onBytes: (bytes: number) => void,
  ): Promise<ImportFile> {
    const hashed = hashing(input.stream, onBytes)
    const file: ImportFile = { name: input.name, bytes: 0, sha256: '', head: '', consumed: 0 }
    try {
      const parsed = this.d.parse({ ...input, stream: hashed.stream }, counts, options)
      if (parsed.kind === 'rows') file.content = await this.stageAggregated(site, info, index, parsed.rows, counts, days)
      else {
        if (!replay) throw new Error(`${info.source}: not an event-level source`)
        let n = 0
        for await (const batch of parsed.hits) {
          for (const item of batch) {
            if ('skip' in item) {
              skip(counts, item.skip)
              continue
            }
            // Today's records: counted live when asked (a followed log), else left for no one.
            const outcome =
              item.record.time < days.todayStart
                ? replay.hit(item.record, item.known)
                : options.live && this.d.live
                  ? this.d.live(site, item.record)
                  : 'open_day'
            if (outcome !== 'count') skip(counts, outcome)
            if (++n % STAGE_EVERY === 0) await this.stageDays(site, info, index, await replay.takeDays(false), counts, days)
          }
        }
      }
      // A parser that stopped early (a file of no interest in a zip) leaves the rest unread.
      hashed.stream.resume()
      await hashed.done
    } catch (err) {
      if (!(err instanceof ImportInputError) && !(err instanceof ImportRefused)) throw err
      if (err instanceof ImportInputError && err.fatal) throw new ImportRefused(say('import_input', { detail: err.message }), 413)
      counts.errors.push({ file: err instanceof ImportInputError ? err.file : input.name, line: err instanceof ImportInputError ? err.line : 0, message: err.message })
      // An export's bad file is left out whole; a log's records before the error are counted
      // (a visit may go on into the next file), unless the owner chose to abort.
      if (replay) file.truncated = err.message
      else file.failed = err.message
      if (replay && info.atomic === 'all') file.failed = err.message
      input.stream.resume()
    }
    file.bytes = hashed.bytes()
    file.sha256 = hashed.sha256()
    file.head = hashed.head()
    file.consumed = file.bytes
    // The same export again: its rows are left out. (A log's days are checked by its head: chooseDays.)
    const again = file.failed || replay ? undefined : await this.importedBefore(site.domain, info.id, file.content ?? file.sha256)
    if (again) {
      file.duplicateOf = again.id
      file.failed = `${input.name} was imported already, as "${again.name}" (${again.id}): nothing of it is counted twice`
    }
    return file
  }

  /**
   * An aggregated export's day rows, with section rows made from its page rows, staged as they
   * come. Returns the hash of the rows read: the same export downloaded twice is zipped anew
   * (other bytes), but holds the same rows.
   */
  private async stageAggregated(site: Site, info: ImportInfo, file: number, rows: AsyncIterable<DayRow>, counts: ReadCounts, days: DayRules): Promise<string> {
    let batch: StagedRow[] = []
    const content = createHash('sha256')
    for await (const r of rows) {
      content.update(JSON.stringify([r.day, r.dimension, r.value, r.sums, r.visitors ?? null]))
      const why = days.refuse(r.day)
      if (why) {
        skip(counts, why)
        continue
      }
      const hour = Math.floor(startOfDay(r.day, this.d.tz) / 1000)
      const visitorsOf = r.visitors === undefined ? VISITORS_OF.none : r.dimension === TOTAL ? VISITORS_OF.both : VISITORS_OF.day
      batch.push({ day: r.day, hour, dimension: r.dimension, value: r.value, sums: r.sums, visitors: r.visitors ?? 0, visitorsOf })
      if (r.dimension === 'event:page') {
        // A section's pageviews, entries and exits are its pages' sums; its visits and visitors
        // are not (a visit to two of its pages is one), so the export's sections say none.
        const { pageviews, entries, exits } = r.sums
        batch.push({ day: r.day, hour, dimension: 'event:section', value: site.sectionOf(r.value), sums: { pageviews, entries, exits }, visitors: 0, visitorsOf: VISITORS_OF.none })
      }
      if (batch.length >= STAGE_EVERY) {
        await stageRows(this.d.db, info.site, info.id, file, batch)
        batch = []
      }
    }
    await stageRows(this.d.db, info.site, info.id, file, batch)
    return content.digest('hex')
  }

  /** Days a replay has settled, staged; days outside what may be written are counted as skipped. */
  private async stageDays(site: Site, info: ImportInfo, file: number, settled: { day: string; rows: StagedRow[] }[], counts: ReadCounts, days: DayRules): Promise<void> {
    for (const { day, rows } of settled) {
      const why = days.refuse(day)
      if (why) {
        // Every pageview of the day is a record not counted.
        const total = rows.reduce((n, r) => n + (r.dimension === TOTAL ? (r.sums.pageviews ?? 0) + (r.sums.events ?? 0) : 0), 0)
        skip(counts, why, total)
        continue
      }
      await stageRows(this.d.db, site.domain, info.id, file, rows)
    }
  }

  /**
   * The days the import writes: those staged, less the days a previous import of the same log
   * wrote (a log that has grown since, or been rotated), then by the overlap rule against days
   * that hold counts already. A refusal names the days.
   */
  private async chooseDays(info: ImportInfo): Promise<void> {
    const failed = info.files.flatMap((f, i) => (f.failed ? [i] : []))
    let days = await stagedDays(this.d.db, info, failed)
    if (info.source !== 'plausible') {
      const earlier = new Set((await this.sameStream(info)).flatMap((e) => e.days))
      info.overlapping.push(...days.filter((d) => earlier.has(d)))
      days = days.filter((d) => !earlier.has(d))
    }
    const held = await daysWithCounts(this.d.db, info.site, days, this.d.tz)
    if (held.length && info.overlap === 'refuse') {
      throw new ImportRefused(say('import_overlap', { site: info.site, n: held.length, days: dayRanges(held) }), 409)
    }
    if (info.overlap === 'skip') {
      const heldSet = new Set(held)
      info.overlapping.push(...held)
      days = days.filter((d) => !heldSet.has(d))
    }
    info.days = days
    info.from = days[0]
    info.to = days.at(-1)
  }

  /**
   * Earlier imports (done) of this site from an event-level file whose first bytes are those of
   * one of this import's files: the same log grown since or rotated, the same GoatCounter export
   * or a later one of the same site. Their days are not written again.
   */
  private async sameStream(info: ImportInfo): Promise<ImportInfo[]> {
    const heads = new Set(info.files.filter((f) => !f.failed && f.head).map((f) => f.head))
    return (await this.d.store.list(info.site)).filter((e) => e.id !== info.id && e.status === 'done' && e.source === info.source && e.files.some((f) => heads.has(f.head)))
  }

  /** A done import of the site with a file of this content (an export's rows, else the file's bytes). */
  private async importedBefore(site: string, id: string, sha256: string): Promise<ImportInfo | undefined> {
    return (await this.d.store.list(site)).find((e) => e.id !== id && e.status === 'done' && e.files.some((f) => !f.failed && (f.content ?? f.sha256) === sha256))
  }

  private replayFor(site: Site): Replay {
    return new Replay({ site, tz: this.d.tz, enricher: this.d.enricher, sessionIdleMs: this.d.sessionIdleMs, sessionMax: this.d.sessionMax })
  }

  /** Which days may be written now: closed (rolled up or never opened), within the retention, not in the future. */
  private async dayRules(): Promise<DayRules> {
    const today = dayOf(this.d.clock(), this.d.tz)
    const open = new Set(
      (await queryRows<{ d: string }>(this.d.db, 'SELECT DISTINCT toString(day) AS d FROM visitor_sketches')).map((r) => r.d),
    )
    const oldest = monthsBefore(today, this.d.retentionMonths)
    return {
      todayStart: startOfDay(today, this.d.tz),
      oldest,
      refuse: (day) => (day < oldest ? 'too_old' : day >= today || open.has(day) ? 'open_day' : undefined),
    }
  }

  /** Deletes an import with everything it wrote. */
  async delete(site: string, id: string): Promise<ImportInfo> {
    if (this.running.get(site)?.id === id) throw new ImportRefused(say('import_still_running'), 409)
    const info = await this.d.store.get(site, id)
    if (!info) throw new ImportRefused(say('import_not_found', { id, site }), 404)
    info.status = 'deleting'
    const save = () => this.d.store.save(info)
    await save()
    await takeBack(this.d.db, info, save)
    info.status = 'deleted'
    await save()
    await this.historyBegins(site)
    return info
  }

  /** Keeps the site's historySince at the first day its imports hold (none: the site's creation). */
  private async historyBegins(domain: string): Promise<void> {
    const site = this.d.sites?.get(domain)
    if (!site) return
    const firsts = (await this.d.store.list(domain)).filter((i) => i.status === 'done' && i.from).map((i) => i.from!)
    const since = firsts.length ? firsts.sort()[0] : undefined
    if (since === site.settings.historySince) return
    const { historySince: _old, ...rest } = site.settings
    await this.d.sites!.updateSettings(domain, since ? { ...rest, historySince: since } : rest, this.d.clock())
  }

  /**
   * Imports a stopped process left in the middle: staging or writing ones are taken back and
   * marked failed, deletions finished. Runs at start.
   */
  async recover(): Promise<number> {
    const left = await this.d.store.unfinished()
    for (const info of left) {
      const save = () => this.d.store.save(info)
      await takeBack(this.d.db, info, save)
      if (info.status === 'deleting') info.status = 'deleted'
      else {
        info.status = 'failed'
        info.said = say('import_interrupted')
        info.error = info.said.error
      }
      await save()
    }
    return left.length
  }
}

interface DayRules {
  /** Unix ms of today's start: records from then on belong to a day not closed yet */
  todayStart: number
  /** the first day within RETENTION_MONTHS */
  oldest: string
  refuse(day: string): SkipReason | undefined
}

function skip(counts: Pick<ReadCounts, 'skipped'>, why: SkipReason, n = 1): void {
  counts.skipped[why] = (counts.skipped[why] ?? 0) + n
}

/** The first day still kept `months` months before `today` (RETENTION_MONTHS: older rows are deleted by the TTL at once). */
export function monthsBefore(today: string, months: number): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(y, m - 1 - months, d))
  return addDays(date.toISOString().slice(0, 10), 1)
}

/** Days as short ranges: `2025-01-01…2025-01-31, 2025-03-04`. */
export function dayRanges(days: readonly string[], max = 6): string {
  const runs: [string, string][] = []
  for (const d of [...days].sort()) {
    const last = runs.at(-1)
    if (last && addDays(last[1], 1) === d) last[1] = d
    else runs.push([d, d])
  }
  const shown = runs.slice(0, max).map(([a, b]) => (a === b ? a : `${a}…${b}`))
  return runs.length > max ? `${shown.join(', ')} and ${runs.length - max} more` : shown.join(', ')
}

function progressOf(input: ImportInput, bytes: number, read: number, started: number, now: number): ImportProgress {
  const seconds = Math.max(0.001, (now - started) / 1000)
  const total = input.size
  const eta = total && bytes ? Math.max(0, ((total - bytes) * seconds) / bytes) : undefined
  return { file: input.name, bytes, totalBytes: total, read, rate: Math.round(read / seconds), eta: eta === undefined ? undefined : Math.round(eta) }
}

/** A stream passed through unchanged, hashed whole and over its first HEAD_BYTES, its bytes counted. */
function hashing(stream: Readable, onBytes: (bytes: number) => void): { stream: Readable; done: Promise<void>; bytes: () => number; sha256: () => string; head: () => string } {
  const whole: Hash = createHash('sha256')
  const head: Hash = createHash('sha256')
  let bytes = 0
  let lastReport = 0
  let sums: { whole: string; head: string } | undefined
  const pass = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      whole.update(chunk)
      if (bytes < HEAD_BYTES) head.update(chunk.subarray(0, HEAD_BYTES - bytes))
      bytes += chunk.length
      if (bytes - lastReport >= 1 << 20) {
        lastReport = bytes
        onBytes(bytes)
      }
      cb(null, chunk)
    },
  })
  const done = new Promise<void>((resolve, reject) => {
    pass.on('end', () => resolve())
    pass.on('error', reject)
  })
  // Awaited only when the parser read to the end; an error is the parser's to report.
  done.catch(() => {})
  stream.on('error', (err) => pass.destroy(err))
  stream.pipe(pass)
  const finish = () => (sums ??= { whole: whole.digest('hex'), head: head.digest('hex') })
  return { stream: pass, done, bytes: () => bytes, sha256: () => finish().whole, head: () => finish().head }
}
