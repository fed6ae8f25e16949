// Builds tracker/src/t.ts into dist/tracker/t.js (no automatic goals) and
// dist/tracker/t.goals.js (all of them) and reports their sizes.
// Run: npx tsx tracker/build.ts        (add --goals to also measure each goal alone)
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const trackerEntry = join(root, 'tracker/src/t.ts')
export const trackerOutfile = join(root, 'dist/tracker/t.js')
export const goalsOutfile = join(root, 'dist/tracker/t.goals.js')

/** The automatic goals, each turned on by its `data-` attribute in the goals build only. */
export const GOALS = ['forms', '404', 'tagged'] as const
export type Goal = (typeof GOALS)[number]
const FLAGS: Record<Goal, string> = { forms: 'GOAL_FORMS', '404': 'GOAL_404', tagged: 'GOAL_TAGGED' }

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

/**
 * Bundles and minifies the tracker in memory with the given automatic goals compiled in
 * (none: t.js; all: t.goals.js). `write` saves those two builds to dist/tracker/; another
 * mix of goals is only for measuring.
 */
export async function buildTracker({ write = true, goals = [] }: { write?: boolean; goals?: readonly Goal[] } = {}): Promise<TrackerBuild> {
  const result = await build({
    entryPoints: [trackerEntry],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    define: Object.fromEntries(GOALS.map((g) => [FLAGS[g], String(goals.includes(g))])),
    // The repo tsconfig is strict, which would add a useless "use strict" to the bundle.
    tsconfigRaw: {},
  })
  const code = result.outputFiles[0]!.text.trimEnd()
  if (write) {
    const all = GOALS.every((g) => goals.includes(g))
    if (goals.length && !all) throw new Error(`only t.js (no goals) and t.goals.js (all goals) are written, not ${goals.join('+')}`)
    const file = all ? goalsOutfile : trackerOutfile
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, code)
  }
  return { code, ...trackerSizes(code) }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const line = (name: string, b: TrackerBuild) =>
    console.log(`${name.padEnd(16)} ${b.minified} B minified, ${b.gzip} B gzip -9, ${b.brotli} B brotli`)
  const plain = await buildTracker()
  line('t.js', plain)
  line('t.goals.js', await buildTracker({ goals: GOALS }))
  if (process.argv.includes('--goals')) {
    for (const g of GOALS) {
      const alone = await buildTracker({ write: false, goals: [g] })
      line(`t.js + ${g}`, alone)
      console.log(`${''.padEnd(16)} +${alone.gzip - plain.gzip} B gzip -9`)
    }
  }
}
