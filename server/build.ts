// Bundles the server into one ES module, dist/server/main.mjs, which `npm start` runs with
// plain Node. Running the TypeScript through tsx at start cost about 40 MB of resident
// memory (its loader keeps a second V8 isolate and the transformed sources) and slower starts.
// Packages stay external (node_modules is there at run time); paths the server resolves
// from its own file (migrations/, dist/dashboard/, dist/tracker/) are two directories up,
// from server/<dir>/ in the sources as from dist/server/ here.
// Run: npx tsx server/build.ts
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const serverOutfile = join(root, 'dist/server/main.mjs')

export async function buildServer(): Promise<void> {
  await build({
    entryPoints: [join(root, 'server/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: serverOutfile,
    logLevel: 'warning',
  })
}

/**
 * `npm start`'s Node command line without `node` itself: its flags and the bundle, from
 * package.json, so tests and benchmarks run the server exactly as users do.
 */
export function startArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const [node, ...args] = pkg.scripts.start.trim().split(/\s+/)
  if (node !== 'node' || !args.at(-1)?.endsWith('.mjs')) throw new Error(`package.json scripts.start is not 'node [flags] <bundle>.mjs': ${pkg.scripts.start}`)
  return args
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer()
