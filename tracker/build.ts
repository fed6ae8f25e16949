// Builds tracker/src/t.ts into dist/tracker/t.js and reports its sizes.
// Run: npx tsx tracker/build.ts
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const trackerEntry = join(root, 'tracker/src/t.ts')
export const trackerOutfile = join(root, 'dist/tracker/t.js')

export type TrackerBuild = { code: string; minified: number; gzip: number; brotli: number }

export function trackerSizes(code: string): Omit<TrackerBuild, 'code'> {
  const buf = Buffer.from(code)
  return {
    minified: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  }
}

/** Bundles and minifies the tracker in memory; `write` also saves it to dist/tracker/t.js. */
export async function buildTracker({ write = true }: { write?: boolean } = {}): Promise<TrackerBuild> {
  const result = await build({
    entryPoints: [trackerEntry],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    // The repo tsconfig is strict, which would add a useless "use strict" to the bundle.
    tsconfigRaw: {},
  })
  const code = result.outputFiles[0]!.text.trimEnd()
  if (write) {
    await mkdir(dirname(trackerOutfile), { recursive: true })
    await writeFile(trackerOutfile, code)
  }
  return { code, ...trackerSizes(code) }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { minified, gzip, brotli } = await buildTracker()
  console.log(`minified ${minified} B`)
  console.log(`gzip -9  ${gzip} B`)
  console.log(`brotli   ${brotli} B`)
}
