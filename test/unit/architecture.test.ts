// Imports point one way (.dependency-cruiser.cjs): the real tree keeps the rules, and a tree
// that breaks them is caught, so a cycle or an upward import fails `npm test`.
import { createRequire } from 'node:module'
import path from 'node:path'
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const config = createRequire(import.meta.url)(path.join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration & {
  layers: { PARTS: Record<string, string>; LAYERS: string[][] }
}

async function violations(baseDir: string, dirs: string[]): Promise<string[]> {
  const { output } = await cruise(dirs, { ...config.options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden ?? [] } })
  const result = output as ICruiseResult
  expect(result.summary.totalCruised).toBeGreaterThan(0)
  return result.summary.violations.map((v) => `${v.rule.name}: ${[v.from, ...(v.cycle?.map((c) => c.name) ?? [v.to])].join(' → ')}`)
}

describe('architecture', () => {
  it('the tree keeps the import rules', async () => {
    const found = await violations(ROOT, ['server', 'dashboard/src', 'tracker'])
    expect(found, `violations of .dependency-cruiser.cjs:\n${found.join('\n')}`).toEqual([])
  }, 60_000)

  it('every part of LAYERS names a path that exists, once', () => {
    const { PARTS, LAYERS } = config.layers
    const placed = LAYERS.flat()
    expect(new Set(placed).size).toBe(placed.length)
    expect(placed.sort()).toEqual(Object.keys(PARTS).sort())
  })

  it('a cycle, an upward import and an unplaced folder each fail', async () => {
    const found = await violations(path.join(ROOT, 'test/fixtures/architecture'), ['server'])
    expect(found).toContain('no-circular: server/db/client.ts → server/stats/run.ts → server/db/client.ts')
    expect(found).toContain('layers: db: server/db/client.ts → server/stats/run.ts')
    expect(found).toContain('unplaced: server/unplaced/unplaced.ts → server/db/client.ts')
  }, 60_000)
})
