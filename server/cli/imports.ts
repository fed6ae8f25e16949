import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import path from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { createGunzip, gunzipSync } from 'node:zlib'
import { zipSync } from 'fflate'
import { openImports } from '../app.ts'
import type { Config } from '../config.ts'
import { createDb } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'
import { detectFormat } from '../imports/logs/formats.ts'
import { followLog } from '../imports/logs/tail.ts'
import { importView } from '../imports/route.ts'
import { ImportRefused, type ImportOptions, type ImportProgress } from '../imports/service.ts'
import { normalizeDomain } from '../sites/domain.ts'
import { Sites } from '../sites/sites.ts'

export const IMPORTS_USAGE = `  import plausible|goatcounter|log --site <domain> [--name <name>] FILE...
         [--overlap refuse|merge|skip] [--on-error skip|abort] [--dry-run]
         [--format combined|common|vhost_combined|host_combined|caddy|'<log_format string>']
         [--follow]                     plausible: the export's zip or its CSV files;
                                        goatcounter: its CSV export (.csv or .csv.gz);
                                        log: access logs, plain or .gz, oldest first.
                                        Days that already hold counts are refused (exports) or
                                        added to (logs) unless --overlap says otherwise. Today's
                                        lines are counted once the day is closed; --follow (with
                                        the server running) counts them live, then every line
                                        the last file gets, across rotations.
  imports list --site <domain>
  imports delete --site <domain> <id>   deletes the import with everything it wrote`

export class ImportUsage extends Error {}

export interface ImportCliOptions {
  site?: string
  name?: string
  overlap?: string
  'on-error'?: string
  format?: string
  'dry-run'?: boolean
  follow?: boolean
  json?: boolean
}

/** How the CLI reaches the data: the running server (URL and token), or the data directory itself. */
export type Reach = { url: string; token: string } | undefined

const SOURCES = ['plausible', 'goatcounter', 'log'] as const

/** `import …` and `imports list|delete`: the result to print, or an exit code for a follow that ended. */
export async function importsCommand(args: string[], o: ImportCliOptions, config: Config, reach: Reach, signal?: AbortSignal): Promise<unknown> {
  const [noun, verb, ...rest] = args
  const site = o.site ? normalizeDomain(o.site) : undefined
  if (!site) throw new ImportUsage(`${noun} ${verb ?? ''} needs --site`.replace('  ', ' '))
  if (noun === 'imports') {
    if (verb === 'list') return reach ? (await call(reach, 'GET', `/api/sites/${enc(site)}/imports`)).imports : direct(config, async (x) => (await x.imports.list(site)).map((i) => importView(i)))
    if (verb === 'delete') {
      const id = rest[0]
      if (!id) throw new ImportUsage('imports delete needs the import id')
      if (reach) return (await call(reach, 'DELETE', `/api/sites/${enc(site)}/imports/${enc(id)}`)).deleted
      return direct(config, async (x) => importView(await x.imports.delete(site, id)))
    }
    throw new ImportUsage(`unknown command: imports ${verb ?? ''}`.trim())
  }
  const source = verb as (typeof SOURCES)[number]
  if (!SOURCES.includes(source)) throw new ImportUsage('import plausible|goatcounter|log')
  const files = rest
  if (!files.length) throw new ImportUsage(`import ${source} needs the files to import`)
  for (const f of files) statSync(f)
  if (o.follow && source !== 'log') throw new ImportUsage('--follow is for access logs')
  if (o.follow && gzipped(files.at(-1)!)) throw new ImportUsage('--follow follows the log being written: give it, uncompressed, last')
  if (o.follow && !reach) throw new ImportRefused({ error: '--follow counts lines as live traffic: start the server first (npm start), then run this again', code: 'invalid_request' })
  const format = source === 'log' ? (o.format ?? detectedFormat(files[0]!)) : undefined
  const options: ImportOptions = {
    source,
    name: o.name,
    overlap: pick(o.overlap, ['refuse', 'merge', 'skip'], '--overlap'),
    onError: pick(o['on-error'], ['skip', 'abort'], '--on-error'),
    format,
    dryRun: o['dry-run'],
    live: o.follow,
  }
  const bar = progressBar(!o.json && process.stderr.isTTY)
  // A followed log is still being written: the import reads it up to its last whole line as
  // it is now, and the follower goes on from exactly there. (Sized before the upload and read
  // to its end by it, the lines written in between were counted by both.)
  const followFrom = o.follow ? wholeLinesEnd(files.at(-1)!) : undefined
  const result = reach ? await viaServer(reach, site, options, files, bar, followFrom) : await direct(config, (x) => x.run(site, options, files, bar))
  bar.done()
  if (!o.follow) return result
  // Every line the last file gets from here on, across rotations, as live traffic.
  const last = files.at(-1)!
  process.stderr.write(`following ${last} (Ctrl-C to stop)\n`)
  await follow(reach!, site, last, followFrom!, format!, signal)
  return result
}

function pick<T extends string>(v: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (v === undefined) return undefined
  if (!(allowed as readonly string[]).includes(v)) throw new ImportUsage(`${name} is one of ${allowed.join(', ')}`)
  return v as T
}

/** The format of a log from its first lines (plain or gzip), or refused with what was seen. */
function detectedFormat(file: string): string {
  const fd = openSync(file, 'r')
  const head = Buffer.alloc(64 * 1024)
  const n = readSync(fd, head, 0, head.length, 0)
  closeSync(fd)
  let text = head.subarray(0, n)
  if (text[0] === 0x1f && text[1] === 0x8b) {
    try {
      text = gunzipSync(text, { finishFlush: 2 })
    } catch {
      // A gzip whose first 64 KiB do not inflate alone: the server detects it as it reads.
      return 'auto'
    }
  }
  const detected = detectFormat(text.toString('utf8').split('\n').slice(0, 20))
  if (!detected) throw new ImportUsage(`${path.basename(file)}: not a log format Skaits knows; give --format with your log_format string`)
  return detected.format
}

const enc = encodeURIComponent

async function call(reach: NonNullable<Reach>, method: string, p: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<any> {
  let res: Response
  try {
    res = await fetch(reach.url + p, { method, headers: { authorization: `Bearer ${reach.token}`, ...headers }, body, duplex: 'half' } as RequestInit)
  } catch {
    throw new Error(`the server at ${reach.url} does not answer`)
  }
  const json = (await res.json().catch(() => ({}))) as { error?: string; code?: string }
  if (!res.ok) throw new ImportRefused({ error: json.error ?? `refused (${res.status})`, code: 'invalid_request' }, res.status === 404 ? 404 : res.status === 409 ? 409 : 400)
  return json
}

/**
 * The files as one upload: a log's files decompressed and joined in order (one import, whose
 * visits continue across a rotation), an export's CSV files zipped, or the one file as it is.
 */
function uploadOf(source: string, files: string[], lastEnd?: number): { stream: Readable; name: string } {
  if (source === 'plausible' && files.length > 1) {
    const zip = zipSync(Object.fromEntries(files.map((f) => [path.basename(f), new Uint8Array(readFileSync(f))])))
    return { stream: Readable.from([Buffer.from(zip)]), name: 'export.zip' }
  }
  if (files.length === 1) return { stream: readTo(files[0]!, lastEnd), name: path.basename(files[0]!) }
  if (source !== 'log') throw new ImportUsage(`import ${source} takes one file`)
  const out = new PassThrough()
  void (async () => {
    for (const [i, f] of files.entries()) {
      const raw = i === files.length - 1 ? readTo(f, lastEnd) : createReadStream(f)
      const plain = gzipped(f) ? raw.pipe(createGunzip()) : raw
      for await (const chunk of plain) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r))
    }
    out.end()
  })().catch((err) => out.destroy(err))
  return { stream: out, name: files.map((f) => path.basename(f)).join('+') }
}

function gzipped(file: string): boolean {
  const fd = openSync(file, 'r')
  const magic = Buffer.alloc(2)
  readSync(fd, magic, 0, 2, 0)
  closeSync(fd)
  return magic[0] === 0x1f && magic[1] === 0x8b
}

/** A file's bytes up to `end` (exclusive), or all of them. */
function readTo(file: string, end: number | undefined): Readable {
  if (end === undefined) return createReadStream(file)
  return end > 0 ? createReadStream(file, { start: 0, end: end - 1 }) : Readable.from([])
}

/** The offset just past a file's last newline as it is now (0 when it has none): where its whole lines end. */
export function wholeLinesEnd(file: string): number {
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(64 * 1024)
    for (let end = fstatSync(fd).size; end > 0; ) {
      const start = Math.max(0, end - buffer.length)
      const n = readSync(fd, buffer, 0, end - start, start)
      const nl = buffer.subarray(0, n).lastIndexOf(0x0a)
      if (nl >= 0) return start + nl + 1
      end = start
    }
    return 0
  } finally {
    closeSync(fd)
  }
}

async function viaServer(reach: NonNullable<Reach>, site: string, o: ImportOptions, files: string[], bar: ProgressBar, lastEnd?: number): Promise<unknown> {
  const upload = uploadOf(o.source, files, lastEnd)
  const q = new URLSearchParams({ source: o.source, file: upload.name })
  if (o.name) q.set('name', o.name)
  if (o.overlap) q.set('overlap', o.overlap)
  if (o.onError) q.set('on_error', o.onError)
  if (o.format) q.set('format', o.format)
  if (o.dryRun) q.set('dry_run', '1')
  if (o.live) q.set('live', '1')
  const total = files.reduce((n, f) => n + statSync(f).size, 0)
  let res: Response
  try {
    res = await fetch(`${reach.url}/api/sites/${enc(site)}/imports?${q}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reach.token}`, accept: 'application/x-ndjson', 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(upload.stream) as ReadableStream,
      duplex: 'half',
    } as RequestInit)
  } catch {
    throw new Error(`the server at ${reach.url} does not answer`)
  }
  if (!res.ok || !res.body) {
    const json = (await res.json().catch(() => ({}))) as { error?: string }
    throw new ImportRefused({ error: json.error ?? `refused (${res.status})`, code: 'invalid_request' }, res.status === 409 ? 409 : 400)
  }
  let final: any
  let buffered = ''
  for await (const chunk of Readable.fromWeb(res.body as never)) {
    buffered += chunk.toString()
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
      if (line.progress) bar({ ...line.progress, totalBytes: line.progress.totalBytes ?? total })
      else final = line
    }
  }
  if (!final) throw new Error('the server ended the import without an answer')
  if (final.error) throw new ImportRefused({ error: final.error, code: final.code ?? 'invalid_request' }, final.status ?? 400)
  return final.import
}

/** Runs `work` on the data directory itself (no server running). */
async function direct<T>(config: Config, work: (x: Awaited<ReturnType<typeof openImports>> & { run: (site: string, o: ImportOptions, files: string[], bar: ProgressBar) => Promise<unknown> }) => Promise<T>): Promise<T> {
  const db = createDb(config)
  try {
    await migrate(db)
    const sites = new Sites(db)
    await sites.load()
    const opened = await openImports(config, db, Date.now, { sites })
    try {
      return await work({
        ...opened,
        run: async (domain, o, files, bar) => {
          const site = sites.get(domain)
          if (!site) throw new ImportRefused({ error: `no site ${domain}`, code: 'invalid_request' }, 404)
          const inputs = files.map((f) => ({ name: path.basename(f), stream: createReadStream(f), size: statSync(f).size }))
          return importView(await opened.imports.run(site, o, inputs, bar))
        },
      })
    } finally {
      opened.close()
    }
  } finally {
    await db.close().catch(() => {})
  }
}

/**
 * Sends a followed log's new lines (from byte `from` of `file` on, across rotations) to the
 * server once a second, as live traffic, until `signal` aborts. Sends go one at a time, in
 * order; resolves once every line read has been sent, with the pageviews the server counted.
 */
export async function followToServer(
  reach: NonNullable<Reach>,
  site: string,
  file: string,
  from: number,
  format: string,
  signal: AbortSignal,
  warn: (message: string) => void = (m) => process.stderr.write(`skaits: ${m}\n`),
  retryMs = 1000,
): Promise<number> {
  let batch: string[] = []
  let bytes = 0
  let counted = 0
  // Requests not yet taken by the server, oldest first: a server restarting or unreachable loses
  // no line; they are sent again, in order, once it answers (at most FOLLOW_QUEUE_BYTES held).
  const queue: { body: string; lines: number }[] = []
  let queued = 0
  let down = false
  const url = `${reach.url}/api/sites/${enc(site)}/imports/live?format=${enc(format)}`
  /** Sends the oldest queued request: true when the server took it (or refused it for good). */
  const sendOne = async (): Promise<boolean> => {
    const { body, lines } = queue[0]!
    let res: Response
    try {
      res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${reach.token}`, 'content-type': 'text/plain' }, body })
    } catch {
      res = new Response(null, { status: 503 })
    }
    // Busy, failing or restarting: the same lines again later.
    if (res.status >= 500 || res.status === 429) {
      if (!down) warn(`the server at ${reach.url} does not take the lines now (${res.status}); ${queue.length} request(s) held, sent again once it answers`)
      down = true
      return false
    }
    queue.shift()
    queued -= body.length
    const json = (await res.json().catch(() => ({}))) as { counted?: number; error?: string }
    if (!res.ok) warn(`${lines} lines refused: ${json.error ?? res.status}`)
    else counted += json.counted ?? 0
    if (down) warn('the server takes the lines again')
    down = false
    return true
  }
  let sending = Promise.resolve()
  // Chained: a send the timer started is still under way when the follow ends; the last one
  // waits for it, so the caller's return means every line has reached the server or is said lost.
  const send = () =>
    (sending = sending.then(async () => {
      if (batch.length) {
        const body = `${batch.join('\n')}\n`
        queue.push({ body, lines: batch.length })
        queued += body.length
        batch = []
        bytes = 0
        while (queued > FOLLOW_QUEUE_BYTES && queue.length > 1) {
          const dropped = queue.shift()!
          queued -= dropped.body.length
          warn(`${dropped.lines} lines dropped: more than ${FOLLOW_QUEUE_BYTES / 2 ** 20} MiB held while the server did not answer`)
        }
      }
      while (queue.length && (await sendOne()));
    }))
  const timer = setInterval(() => void send(), retryMs)
  try {
    for await (const line of followLog(file, { fromOffset: from, signal })) {
      batch.push(line)
      bytes += Buffer.byteLength(line) + 1
      // The live route takes 256 KiB a request; a line is at most 64 KiB.
      if (bytes >= LIVE_BATCH_BYTES) await send()
    }
  } finally {
    clearInterval(timer)
    // The last lines: a few more tries, then said lost rather than waited for for ever.
    for (let tries = 0; tries < 10; tries++) {
      await send()
      if (!queue.length) break
      await new Promise((r) => setTimeout(r, retryMs))
    }
    const lost = queue.reduce((n, q) => n + q.lines, 0)
    if (lost) warn(`${lost} lines not sent: the server did not answer when the follow ended`)
  }
  return counted
}

/** What a followed log holds at most while the server does not answer (then the oldest lines go). */
const FOLLOW_QUEUE_BYTES = 64 * 2 ** 20

/** What a followed log sends at most per request (the route's limit is 256 KiB, a line at most 64 KiB). */
const LIVE_BATCH_BYTES = 192 * 1024

/** Follows until Ctrl-C (or SIGTERM, or `signal`). */
async function follow(reach: NonNullable<Reach>, site: string, file: string, from: number, format: string, signal?: AbortSignal): Promise<void> {
  const stop = new AbortController()
  const abort = () => stop.abort()
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
  signal?.addEventListener('abort', abort, { once: true })
  let counted = 0
  try {
    counted = await followToServer(reach, site, file, from, format, stop.signal)
  } finally {
    process.off('SIGINT', abort)
    process.off('SIGTERM', abort)
    signal?.removeEventListener('abort', abort)
    process.stderr.write(`stopped following ${file}: ${counted} pageviews counted\n`)
  }
}

type ProgressBar = ((p: ImportProgress) => void) & { done: () => void }

/** A one-line progress bar on stderr (bytes, records a second, ETA), when it is a terminal. */
function progressBar(tty: boolean): ProgressBar {
  let shown = false
  const bar = ((p: ImportProgress) => {
    if (!tty) return
    const total = p.totalBytes
    const share = total ? Math.min(1, p.bytes / total) : undefined
    const width = 24
    const filled = share === undefined ? 0 : Math.round(share * width)
    const line =
      `${share === undefined ? '' : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  `}` +
      `${mb(p.bytes)}${total ? ` / ${mb(total)}` : ''}  ${p.read.toLocaleString('en')} rows  ${p.rate.toLocaleString('en')} rows/s` +
      `${p.eta === undefined ? '' : `  ETA ${Math.floor(p.eta / 60)}:${String(p.eta % 60).padStart(2, '0')}`}`
    process.stderr.write(`\r${line.padEnd(100)}`)
    shown = true
  }) as ProgressBar
  bar.done = () => {
    if (shown) process.stderr.write('\n')
  }
  return bar
}

const mb = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GB` : `${(b / 2 ** 20).toFixed(1)} MB`)
