import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { Hono, type Handler } from 'hono'
import type { Logger } from '../log.ts'

export const TRACKER_DIR = fileURLToPath(new URL('../../dist/tracker/', import.meta.url))
/** The tracker builds (tracker/build.ts): t.js, and t.goals.js with the automatic goals. */
export const TRACKER_SCRIPTS = ['t.js', 't.goals.js'] as const
/** Their URL paths, which carry no credentials or pages (server/app.ts). */
export const TRACKER_PATHS: ReadonlySet<string> = new Set(TRACKER_SCRIPTS.map((name) => '/' + name))

interface Variants {
  etag: string
  identity: Buffer
  gzip: Buffer
  br: Buffer
}

function load(file: string): Variants {
  const identity = readFileSync(file)
  return {
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  }
}

/**
 * `GET /t.js` and `GET /t.goals.js`: the built tracker (`npm run build`), compressed once at
 * start, cached by browsers for a day and revalidated by ETag. The URLs are not versioned, so
 * a longer max-age would keep old trackers alive after an upgrade.
 */
export function scriptRoute(log: Logger, dir = TRACKER_DIR) {
  const app = new Hono()
  for (const name of TRACKER_SCRIPTS) app.get('/' + name, scriptHandler(log, join(dir, name)))
  return app
}

function scriptHandler(log: Logger, file: string): Handler {
  let variants: Variants | undefined
  try {
    variants = load(file)
  } catch {
    log.warn({ file }, `tracker not built: run \`npm run build\`; /${basename(file)} answers 503 until then`)
  }
  return (c) => {
    if (!variants) return c.text('// the Skaits tracker is not built on this server (npm run build)\n', 503)
    const headers: Record<string, string> = {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=86400, stale-while-revalidate=604800',
      ETag: variants.etag,
      Vary: 'Accept-Encoding',
      // Sites that isolate themselves (COEP) may still load the script.
      'Cross-Origin-Resource-Policy': 'cross-origin',
    }
    if (c.req.header('if-none-match')?.split(/\s*,\s*/).includes(variants.etag)) return c.body(null, 304, headers)
    const accept = c.req.header('accept-encoding') ?? ''
    const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : undefined
    if (encoding) headers['Content-Encoding'] = encoding
    const body = encoding ? variants[encoding] : variants.identity
    return c.body(new Uint8Array(body), 200, headers)
  }
}
