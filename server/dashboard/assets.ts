import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

export interface Asset {
  type: string
  identity: Buffer
  gzip: Buffer
  br: Buffer
}

/** The built dashboard (`vite build --config dashboard/vite.config.ts`), held in memory. */
export interface DashboardBuild {
  /** index.html as Vite wrote it, with hashed asset URLs */
  index: string
  /** `/assets/<name>` → the file, compressed once at start */
  assets: Map<string, Asset>
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
}

/** Reads `dir` (dist/dashboard); undefined when it has not been built (or is being rebuilt). */
export function loadBuild(dir: string): DashboardBuild | undefined {
  try {
    return read(dir)
  } catch {
    // A build replacing the directory while we read it: serve the plain pages rather than crash.
    return undefined
  }
}

function read(dir: string): DashboardBuild | undefined {
  const indexFile = path.join(dir, 'index.html')
  if (!existsSync(indexFile)) return undefined
  const assets = new Map<string, Asset>()
  const assetsDir = path.join(dir, 'assets')
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const identity = readFileSync(path.join(assetsDir, name))
      const type = TYPES[path.extname(name)] ?? 'application/octet-stream'
      const text = type.startsWith('text/') || type.includes('json') || type.includes('svg')
      assets.set(`/assets/${name}`, {
        type,
        identity,
        // Only text compresses; images and fonts are served as they are.
        gzip: text ? gzipSync(identity, { level: 9 }) : identity,
        br: text ? brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }) : identity,
      })
    }
  }
  return { index: readFileSync(indexFile, 'utf8'), assets }
}
