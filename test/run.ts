// `npm test`: type-checks, runs every test once, then runs the tests that touch dates, TTLs,
// rollups, retention, salts and exports again with the whole process's clock moved ahead
// (the embedded ClickHouse's too), so a test that holds a date fails the day it is written,
// not a month later. Ends with one line: "tests: N passed, M failed".
//
//   npm test                      everything
//   npm test -- test/unit/x.ts    the given files or filters once, no time travel
//   SKAITS_TIME_TRAVEL=0 npm test everything once, no time travel
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { clockShiftLib } from './helpers/clock.ts'

const DAY_S = 86_400
/** How far ahead the time-travel passes move the clock. */
export const SHIFTS: [string, number][] = [
  ['+30 days', 30 * DAY_S],
  ['+13 months', 396 * DAY_S],
  ['+3 years', 1096 * DAY_S],
]

/** The tests that write or read dates, TTLs, rollups, retention, salts or exports. */
export const TIME_SENSITIVE = [
  'test/unit',
  'test/dashboard/logic.test.ts',
  'test/dashboard/route.test.ts',
  'test/integration/stats-rollups.test.ts',
  'test/integration/outage.test.ts',
  'test/integration/salt-rotation.test.ts',
  'test/integration/salts-shared.test.ts',
  'test/integration/known-traffic.test.ts',
  'test/integration/export.test.ts',
  'test/integration/sections.test.ts',
  'test/integration/access.test.ts',
  'test/integration/visitors-hourly-resort.test.ts',
  'test/integration/privacy-audit.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/salt-key.test.ts',
  'test/integration/attack-hour-join.test.ts',
  'test/integration/attack-crowd.test.ts',
  'test/integration/export-csv.test.ts',
  'test/integration/access-nodes.test.ts',
]

const root = path.resolve(import.meta.dirname, '..')
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs')

function vitestRun(name: string, args: string[], env: Record<string, string> = {}): { passed: number; failed: number; ok: boolean } {
  const report = path.join(tmpdir(), `skaits-vitest-${process.pid}-${name.replace(/\W+/g, '_')}.json`)
  const run = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  })
  try {
    const r = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numTotalTests: number }
    // A file that failed to load has no failed test; count it as one, so it cannot pass unseen.
    const failed = r.numFailedTests + (run.status !== 0 && r.numFailedTests === 0 ? 1 : 0)
    return { passed: r.numPassedTests, failed, ok: run.status === 0 }
  } catch {
    return { passed: 0, failed: 1, ok: false }
  } finally {
    rmSync(report, { force: true })
  }
}

const args = process.argv.slice(2)
const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck'], { cwd: root, stdio: 'inherit' })
if (typecheck.status !== 0) {
  console.log('tests: 0 passed, 1 failed (type errors)')
  process.exit(1)
}
const totals = { passed: 0, failed: 0 }
const add = (r: { passed: number; failed: number }) => ((totals.passed += r.passed), (totals.failed += r.failed))
add(vitestRun('all', args))
if (!args.length && process.env.SKAITS_TIME_TRAVEL !== '0') {
  const lib = clockShiftLib()
  for (const [label, seconds] of SHIFTS) {
    console.log(`\n── time travel: the clock moved ${label} ──\n`)
    const r = vitestRun(label, TIME_SENSITIVE, { LD_PRELOAD: lib, CLOCKSHIFT_SECONDS: String(seconds) })
    console.log(`time travel ${label}: ${r.passed} passed, ${r.failed} failed`)
    add(r)
  }
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`)
process.exit(totals.failed ? 1 : 0)
