import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { buildTracker, trackerOutfile } from '../tracker/build.ts'

/**
 * Sizes of the tracker `t.js` as the build makes it (esbuild, minified, in memory; nothing is
 * written): minified bytes, gzip -9 and brotli at quality 11. Also says whether the
 * dist/tracker/t.js on disk is the same build. Published sizes of other trackers are printed
 * for scale, each with its source; they were measured by others, in other ways, and are not
 * comparable byte for byte. GET /t.js serves these same gzip and brotli bytes
 * (server/script/route.ts). The last line printed is JSON.
 */

const ROOT = path.resolve(import.meta.dirname, '..')

interface Published {
  name: string
  /** what the source measured, in its own words and units */
  compressed: string
  uncompressed: string
  source: string
}

// Copied from the sources named; KB as each source writes it. "Transfer" is what a browser
// downloaded from the vendor's CDN, with whatever compression that CDN chose.
const PUBLISHED: Published[] = [
  {
    name: 'Plausible',
    compressed: '1.9 KB transfer',
    uncompressed: '2.9 KB decoded',
    source: 'https://scripts.nuxt.com/learn/analytics-script-performance (2026-03-18)',
  },
  {
    name: 'Umami',
    compressed: '2.4 KB transfer',
    uncompressed: '2.6 KB decoded',
    source: 'https://scripts.nuxt.com/learn/analytics-script-performance (2026-03-18)',
  },
  {
    name: 'Fathom',
    compressed: '3.0 KB transfer',
    uncompressed: '6.7 KB decoded',
    source: 'https://scripts.nuxt.com/learn/analytics-script-performance (2026-03-18)',
  },
  {
    name: 'Simple Analytics light.js',
    compressed: '1.9 KB gzip, 2.0 KB brotli',
    uncompressed: '3.3 KB',
    source: 'https://docs.simpleanalytics.com/light',
  },
]

const started = performance.now()
const built = await buildTracker({ write: false })
const buildMs = performance.now() - started

const onDisk = existsSync(trackerOutfile) ? readFileSync(trackerOutfile, 'utf8') : undefined
const distState = onDisk === undefined ? 'missing' : onDisk === built.code ? 'same' : 'stale'

const kb = (n: number) => `${(n / 1024).toFixed(2)} KiB`
console.log(`Skaits t.js (built from tracker/src/t.ts in ${buildMs.toFixed(0)} ms)`)
console.log(`  minified     ${String(built.minified).padStart(6)} B  ${kb(built.minified)}`)
console.log(`  gzip -9      ${String(built.gzip).padStart(6)} B  ${kb(built.gzip)}`)
console.log(`  brotli q11   ${String(built.brotli).padStart(6)} B  ${kb(built.brotli)}`)
console.log(`  ${path.relative(ROOT, trackerOutfile)}: ${distState === 'same' ? 'same as this build' : distState === 'stale' ? 'differs from this build (run npm run build)' : 'not built yet'}`)
console.log('')
console.log('Published sizes of other trackers (measured by others, not comparable byte for byte):')
for (const p of PUBLISHED) console.log(`  ${p.name.padEnd(26)} ${p.compressed.padEnd(27)} ${p.uncompressed.padEnd(15)} ${p.source}`)

console.log(
  JSON.stringify({
    minified_bytes: built.minified,
    gzip9_bytes: built.gzip,
    brotli11_bytes: built.brotli,
    dist: distState,
    build_ms: Math.round(buildMs),
    published: PUBLISHED,
  }),
)
