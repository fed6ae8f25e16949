// The dashboard's JavaScript budget (issue 6): at most 80 KiB gzipped, uPlot included. Builds
// into a temporary directory so it never races the browser test's build of dist/dashboard.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { describe, expect, it } from 'vitest'
import { JS_BUDGET_GZIP } from '../../dashboard/vite.config.ts'
import { tempDir } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

describe('dashboard build', () => {
  it('ships at most 80 KiB of gzipped JavaScript and no inline script', async () => {
    const outDir = tempDir('skaits-dashboard-build-')
    await build({ configFile: path.join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } })
    const assets = readdirSync(path.join(outDir, 'assets'))
    const js = assets.filter((f) => f.endsWith('.js'))
    expect(js.length).toBeGreaterThan(0)
    const gz = js.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(outDir, 'assets', f)), { level: 9 }).length, 0)
    console.log(`dashboard JS: ${js.length} file(s), ${(gz / 1024).toFixed(1)} KiB gzip of ${JS_BUDGET_GZIP / 1024} KiB`)
    expect(gz).toBeLessThanOrEqual(JS_BUDGET_GZIP)
    expect(JS_BUDGET_GZIP).toBe(80 * 1024)
    // uPlot is in the bundle, not fetched from elsewhere.
    expect(js.map((f) => readFileSync(path.join(outDir, 'assets', f), 'utf8')).join('')).toContain('u-over')
    // The CSP allows scripts from our origin only: every script tag has a src, with a hashed name.
    const index = readFileSync(path.join(outDir, 'index.html'), 'utf8')
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(index).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]{8}\.js"><\/script>/)
    expect(index).toContain('<div id="app"></div>')
  })
})
