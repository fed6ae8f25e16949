import { Readable, Transform } from 'node:stream'
import { Hono, type Context } from 'hono'
import { stream } from 'hono/streaming'
import { say } from '../http/messages.ts'
import { managedSite, type SiteEnv } from '../sites/managed-site.ts'
import type { Sites } from '../sites/sites.ts'
import { addDays } from '../time.ts'
import { ImportRefused, type ImportOptions, type ImportProgress, type ImportService } from './service.ts'
import type { ImportInfo } from './store.ts'
import type { LiveSink } from './live.ts'
import { BUILT_IN_FORMATS, LogFormatError, type LogFormat } from './logs/formats.ts'
import { readLogFile } from './logs/reader.ts'
import { ImportInputError } from './types.ts'

/** An import as the API shows it (no hashes: they identify files, which the owner sees by name). */
export function importView(i: ImportInfo, progress?: ImportProgress) {
  return {
    id: i.id,
    name: i.name,
    source: i.source,
    status: i.status,
    error: i.error ?? null,
    error_code: i.said?.code ?? null,
    error_params: i.said?.params ?? null,
    from: i.from ?? null,
    to: i.to ?? null,
    days: i.days.length,
    periods: periodsOf(i.days),
    overlap: i.overlap,
    overlapping: periodsOf(i.overlapping),
    read: i.read,
    skipped: i.skipped,
    errors: i.errors,
    files: i.files.map((f) => ({ name: f.name, bytes: f.bytes, failed: f.failed ?? null, truncated: f.truncated ?? null })),
    created_at: new Date(i.createdAt).toISOString(),
    finished_at: i.finishedAt === undefined ? null : new Date(i.finishedAt).toISOString(),
    progress: progress ?? null,
  }
}

/** Days as [first, last] runs of consecutive days. */
export function periodsOf(days: readonly string[]): [string, string][] {
  const runs: [string, string][] = []
  for (const d of [...days].sort()) {
    const last = runs.at(-1)
    if (last && addDays(last[1], 1) === d) last[1] = d
    else runs.push([d, d])
  }
  return runs
}

const CHOICES = {
  source: ['plausible', 'goatcounter', 'log'],
  overlap: ['refuse', 'merge', 'skip'],
  on_error: ['skip', 'abort'],
} as const

function choice<K extends keyof typeof CHOICES>(c: Context, name: K): (typeof CHOICES)[K][number] | undefined {
  const v = c.req.query(name)
  if (v === undefined || v === '') return undefined
  if (!(CHOICES[name] as readonly string[]).includes(v)) throw new ImportRefused(say('import_option', { name, allowed: CHOICES[name].join(', ') }))
  return v as (typeof CHOICES)[K][number]
}

/**
 * A site's imports for managers (docs/design.md, "Imports"):
 * - `GET /api/sites/:domain/imports`: the imports, newest first, with the progress of one under way;
 * - `POST /api/sites/:domain/imports?source=plausible|goatcounter|log&file=<name>` with the file
 *   as the body, streamed (at most IMPORT_MAX_MB), and `name`, `overlap` (refuse, merge, skip),
 *   `on_error` (skip, abort), `format` (logs), `dry_run=1`. Answers when done; with
 *   `Accept: application/x-ndjson`, a line of progress a second, then the import;
 * - `DELETE /api/sites/:domain/imports/:id`: deletes it with everything it wrote;
 * - `POST /api/sites/:domain/imports/live?format=…` with a followed log's new lines (at most
 *   256 KiB): counted as live traffic (`skaits import log --follow`).
 */
export function importsRoute(deps: { sites: Sites; imports: ImportService; maxBytes: number; live: LiveSink }) {
  const app = new Hono<SiteEnv>()
  app.use('/:domain/imports', ...managedSite(deps.sites))
  app.use('/:domain/imports/*', ...managedSite(deps.sites))
  const refusals = async (c: Context, work: () => Promise<Response>) => {
    try {
      return await work()
    } catch (err) {
      if (err instanceof ImportRefused) return c.json(err.said, err.status)
      throw err
    }
  }
  app.get('/:domain/imports', async (c) => {
    const site = c.get('site').domain
    const list = await deps.imports.list(site)
    return c.json({ imports: list.map((i) => importView(i, deps.imports.progressOf(site, i.id))) })
  })
  app.delete('/:domain/imports/:id', (c) =>
    refusals(c, async () => c.json({ deleted: importView(await deps.imports.delete(c.get('site').domain, c.req.param('id'))) })),
  )
  app.post('/:domain/imports', (c) =>
    refusals(c, async () => {
      const source = choice(c, 'source')
      if (!source) throw new ImportRefused(say('import_source'))
      const options: ImportOptions = {
        source,
        name: c.req.query('name'),
        overlap: choice(c, 'overlap'),
        onError: choice(c, 'on_error'),
        format: c.req.query('format') || undefined,
        dryRun: ['1', 'true'].includes(c.req.query('dry_run') ?? ''),
        live: ['1', 'true'].includes(c.req.query('live') ?? ''),
      }
      const length = Number(c.req.header('content-length') ?? NaN)
      if (length > deps.maxBytes) return c.json(say('import_too_large', { mb: Math.round(deps.maxBytes / 2 ** 20) }), 413, { Connection: 'close' })
      const body = c.req.raw.body
      if (!body || length === 0) throw new ImportRefused(say('import_no_file'))
      const file = (c.req.query('file') || 'upload').slice(0, 200)
      const input = { name: file, stream: limited(Readable.fromWeb(body as never), deps.maxBytes, file), size: Number.isFinite(length) ? length : undefined }
      const site = c.get('site')
      if (!(c.req.header('accept') ?? '').includes('application/x-ndjson')) {
        const info = await deps.imports.run(site, options, [input])
        return c.json({ import: importView(info), dry_run: options.dryRun || undefined }, options.dryRun ? 200 : 201)
      }
      return stream(c, async (out) => {
        c.header('content-type', 'application/x-ndjson')
        let last = 0
        try {
          const info = await deps.imports.run(site, options, [input], (p) => {
            const now = performance.now()
            if (now - last < 1000) return
            last = now
            void out.write(`${JSON.stringify({ progress: p })}\n`)
          })
          await out.write(`${JSON.stringify({ import: importView(info), dry_run: options.dryRun || undefined })}\n`)
        } catch (err) {
          if (!(err instanceof ImportRefused)) throw err
          await out.write(`${JSON.stringify({ ...err.said, status: err.status })}\n`)
        }
      })
    }),
  )
  app.post('/:domain/imports/live', (c) =>
    refusals(c, async () => {
      const site = c.get('site')
      const format = c.req.query('format') || 'auto'
      const lines = readLogFile(Readable.from([Buffer.from(await c.req.arrayBuffer())]), { format: logFormat(format), file: 'live' })
      let counted = 0
      const skipped: Record<string, number> = {}
      try {
        for await (const item of lines) {
          const verdict = 'record' in item ? deps.live(site, item.record) : item.skip
          if (verdict === 'count') counted++
          else skipped[verdict] = (skipped[verdict] ?? 0) + 1
        }
      } catch (err) {
        if (err instanceof ImportInputError || err instanceof LogFormatError) throw new ImportRefused(say('import_input', { detail: err.message }))
        throw err
      }
      return c.json({ counted, skipped, errors: lines.counts.errors })
    }),
  )
  return app
}

/** A format as the API names it: a built-in's name, `auto`, or a log_format string. */
export function logFormat(format: string): LogFormat | 'auto' {
  if (format === 'auto' || format === 'caddy' || Object.hasOwn(BUILT_IN_FORMATS, format)) return format as LogFormat | 'auto'
  return { custom: format }
}

/** The upload, cut off with a clear error once it passes `max` bytes (a chunked body has no length up front). */
function limited(input: Readable, max: number, file: string): Readable {
  let bytes = 0
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      if (bytes > max) return cb(new ImportInputError(file, 0, `larger than ${Math.round(max / 2 ** 20)} MB (IMPORT_MAX_MB)`, true))
      cb(null, chunk)
    },
  })
  input.on('error', (err) => out.destroy(err))
  out.on('error', () => {
    // The rest of the upload is read and dropped (up to DRAIN_BYTES more), so that the client,
    // still sending, reads the refusal instead of a connection reset.
    let drained = 0
    input.unpipe(out)
    input.on('data', (chunk: Buffer) => {
      drained += chunk.length
      if (drained > DRAIN_BYTES) input.destroy()
    })
    input.resume()
  })
  return input.pipe(out)
}

/** How much of an upload past its limit is still read, to answer it; beyond, the connection is cut. */
const DRAIN_BYTES = 64 * 2 ** 20
