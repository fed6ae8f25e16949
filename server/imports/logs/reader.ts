import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { ImportInputError, type HitRecord, type ReadCounts, type SkipReason } from '../types.ts'
import { makeClassifier, type FilterOptions } from './filter.ts'
import { compileFormat, detectFormat, type LogFormat } from './formats.ts'
import type { LineParser } from './parsed-line.ts'
import { LineSplitter, type BadLine } from './lines.ts'

export interface LogReadOptions {
  /** 'auto' (the default) picks a built-in format from the first lines */
  format?: LogFormat | 'auto'
  filter?: FilterOptions
  /** the file's name in errors; default the path's base name, or 'log' for a stream */
  file?: string
}

export interface LogReadCounts extends ReadCounts {
  /** bytes of the input read so far: compressed bytes for a .gz, for progress */
  bytes: number
  /** the input's size when known (a path), in the same bytes */
  totalBytes?: number
  /** the format lines are read as, once known */
  format?: LogFormat
}

export type LogItem = { record: HitRecord } | { skip: SkipReason; line: number }

export interface LogReader extends AsyncIterable<LogItem> {
  readonly counts: LogReadCounts
  /**
   * The same items, a chunk's worth at a time (a few hundred lines): what an import of a large
   * file iterates, one await per chunk rather than per line.
   */
  batches(): AsyncIterable<LogItem[]>
}

const MAX_ERRORS = 10
/** Lines auto-detection looks at: enough to see past a few odd lines at the start. */
const SAMPLE_LINES = 20

/** The input's bytes as they come off the disk, counted for progress. */
async function* countedBytes(source: Readable, counts: LogReadCounts): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    counts.bytes += bytes.length
    yield bytes
  }
}

/** The text's bytes: gunzipped when the input starts with gzip's magic bytes, whatever its name. */
async function* plainBytes(source: Readable, counts: LogReadCounts, file: string): AsyncGenerator<Buffer> {
  const raw = countedBytes(source, counts)
  const first = await raw.next()
  if (first.done) return
  const isGzip = first.value[0] === 0x1f && first.value[1] === 0x8b
  async function* all() {
    yield first.value as Buffer
    yield* raw
  }
  if (!isGzip) return yield* all()
  const gunzip = Readable.from(all()).pipe(createGunzip())
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // Anything else (a read error of the file itself) is no fault of the file's content.
    if (code !== 'Z_BUF_ERROR' && code !== 'Z_DATA_ERROR') throw err
    throw new ImportInputError(file, 0, code === 'Z_BUF_ERROR' ? 'the gzip file ends early (truncated?)' : 'the gzip data is corrupt')
  }
}

/** The lines of each chunk, together: one await per chunk, not per line. */
async function* lineBatches(bytes: AsyncIterable<Buffer>): AsyncGenerator<(string | BadLine)[]> {
  const splitter = new LineSplitter()
  for await (const chunk of bytes) {
    const lines = splitter.push(chunk)
    if (lines.length) yield lines
  }
  const last = splitter.end()
  if (last !== undefined) yield [last]
}

class Reading {
  readonly counts: LogReadCounts = { read: 0, skipped: {}, errors: [], bytes: 0 }
  private parse: LineParser | undefined
  private readonly classify

  constructor(
    private readonly file: string,
    private readonly options: LogReadOptions,
  ) {
    this.classify = makeClassifier(options.filter)
    if (options.format && options.format !== 'auto') this.useFormat(options.format)
  }

  useFormat(format: LogFormat): void {
    this.counts.format = format
    this.parse = compileFormat(format)
  }

  get needsSample(): boolean {
    return !this.parse
  }

  /** Picks the format from the first lines, when it was not given; throws when none reads them. */
  detect(sample: (string | BadLine)[]): void {
    if (this.parse) return
    const detected = detectFormat(sample.flatMap((l) => (typeof l === 'string' ? [l] : [])))
    if (!detected) throw new ImportInputError(this.file, 0, 'not an access log Skaits knows (combined, common, vhost_combined or Caddy JSON): give its format string')
    this.useFormat(detected.format)
  }

  item(n: number, line: string | BadLine): LogItem | undefined {
    if (line === '') return undefined
    this.counts.read++
    const parsed = typeof line === 'string' ? this.parse!(line) : line.problem
    if (typeof parsed === 'string') return this.malformed(n, parsed)
    const verdict = this.classify(parsed)
    if (verdict !== 'count') return this.skip(verdict, n)
    const record: HitRecord = { time: parsed.time, path: parsed.path, referrer: parsed.referrer, userAgent: parsed.userAgent, address: parsed.address }
    if (parsed.host !== undefined) record.host = parsed.host
    return { record }
  }

  private skip(reason: SkipReason, line: number): LogItem {
    this.counts.skipped[reason] = (this.counts.skipped[reason] ?? 0) + 1
    return { skip: reason, line }
  }

  private malformed(line: number, message: string): LogItem {
    if (this.counts.errors.length < MAX_ERRORS) this.counts.errors.push({ file: this.file, line, message })
    return this.skip('malformed', line)
  }
}

/**
 * The page views of an access log (plain or gzip), streamed: memory stays flat whatever the
 * file's size. Every line is either a record or a skip with its line number; `counts` keeps
 * the tally as it goes. Throws ImportInputError for a file that is not a log it can read,
 * or a gzip that ends early (after yielding the lines before).
 */
export function readLogFile(input: string | Readable, options: LogReadOptions = {}): LogReader {
  const file = options.file ?? (typeof input === 'string' ? path.basename(input) : 'log')
  const reading = new Reading(file, options)
  async function* batches(): AsyncGenerator<LogItem[]> {
    if (typeof input === 'string') reading.counts.totalBytes = (await stat(input)).size
    const source = typeof input === 'string' ? createReadStream(input) : input
    let n = 0
    const itemsOf = (lines: (string | BadLine)[]) => {
      const out: LogItem[] = []
      for (const line of lines) {
        const item = reading.item(++n, line)
        if (item) out.push(item)
      }
      return out
    }
    try {
      const chunks = lineBatches(plainBytes(source, reading.counts, file))
      const sample: (string | BadLine)[] = []
      let failed: unknown
      try {
        while (reading.needsSample && sample.length < SAMPLE_LINES) {
          const next = await chunks.next()
          if (next.done) break
          sample.push(...next.value)
        }
      } catch (err) {
        failed = err // a gzip truncated within the sample: its lines still count
      }
      if (sample.length) reading.detect(sample.slice(0, SAMPLE_LINES))
      if (sample.length) yield itemsOf(sample)
      if (failed) throw failed
      for await (const lines of chunks) yield itemsOf(lines)
    } finally {
      source.destroy()
    }
  }
  async function* items(): AsyncGenerator<LogItem> {
    for await (const batch of batches()) yield* batch
  }
  return { counts: reading.counts, batches, [Symbol.asyncIterator]: items }
}
