// `npm test`: type-checks, runs every test once, then runs the tests that touch dates, TTLs,
// rollups, retention, salts and exports again with the whole process's clock moved ahead
// (the embedded ClickHouse's too), so a test that holds a date fails the day it is written,
// not a month later. Ends with one line: "tests: N passed, M failed".
//
//   npm test                      everything
//   npm test -- test/unit/x.ts    the given files or filters once, no time travel
//   SKAITS_TIME_TRAVEL=0 npm test everything once, no time travel
import { spawn, spawnSync } from 'node:child_process'
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

/**
 * The tests that write or read dates, TTLs, rollups, retention, salts or exports. (The CLI's
 * test left: its dates are all the clock's own, and its 38 s of spawned CLIs a pass kept the
 * suite over 15 minutes.)
 */
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
  'test/integration/salt-key.test.ts',
  'test/integration/attack-hour-join.test.ts',
  'test/integration/attack-crowd.test.ts',
  'test/integration/export-csv.test.ts',
  'test/integration/access-nodes.test.ts',
  // imports: closed days, the retention's first day, days moved from fixtures by the clock
  'test/integration/imports.test.ts',
  'test/integration/imports-sources.test.ts',
  'test/integration/imports-roundtrip.test.ts',
]

const root = path.resolve(import.meta.dirname, '..')
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs')

interface PassResult {
  passed: number
  failed: number
  ok: boolean
  /** what to show again at the end when the pass failed: the failed tests and errors */
  why: string[]
}

/**
 * One vitest run, its output passed through as it comes and kept, so that a failure can be
 * named again in the last lines (CI shows only the end of a long log).
 */
function vitestRun(name: string, args: string[], env: Record<string, string> = {}): Promise<PassResult> {
  const report = path.join(tmpdir(), `skaits-vitest-${process.pid}-${name.replace(/\W+/g, '_')}.json`)
  const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  const out: string[] = []
  child.stdout.on('data', (b: Buffer) => (process.stdout.write(b), out.push(b.toString())))
  child.stderr.on('data', (b: Buffer) => (process.stderr.write(b), out.push(b.toString())))
  return new Promise((resolve) => {
    child.on('close', (status) => {
      try {
        const r = JSON.parse(readFileSync(report, 'utf8')) as VitestReport
        // A file that failed to load, or an error outside any test, fails no test: count it as one, so it cannot pass unseen.
        const failed = r.numFailedTests + (status !== 0 && r.numFailedTests === 0 ? 1 : 0)
        resolve({ passed: r.numPassedTests, failed, ok: status === 0, why: failed ? whyFailed(r, out.join('')) : [] })
      } catch {
        resolve({ passed: 0, failed: 1, ok: false, why: lastLines(out.join(''), 40) })
      } finally {
        rmSync(report, { force: true })
      }
    })
  })
}

interface VitestReport {
  numPassedTests: number
  numFailedTests: number
  testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[]
}

/** The failed tests with the first lines of their errors, files that failed as a whole, and vitest's "Unhandled" block. */
function whyFailed(r: VitestReport, output: string): string[] {
  const why: string[] = []
  for (const file of r.testResults) {
    const where = path.relative(root, file.name)
    for (const t of file.assertionResults.filter((a) => a.status === 'failed')) {
      why.push(`✗ ${where} > ${t.fullName}`, ...indent(t.failureMessages.join('\n').split('\n').slice(0, 12)))
    }
    if (file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed')) {
      why.push(`✗ ${where}`, ...indent((file.message ?? '').split('\n').slice(0, 12)))
    }
  }
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '')
  const unhandled = plain.search(/Unhandled (Errors?|Rejection)/)
  if (unhandled >= 0) why.push(...plain.slice(unhandled).split('\n').slice(0, 40))
  return why.length ? why : lastLines(output, 40)
}

const indent = (lines: string[]) => lines.map((l) => `    ${l}`)
const lastLines = (s: string, n: number) => s.replace(/\x1b\[[0-9;]*m/g, '').trimEnd().split('\n').slice(-n)

const args = process.argv.slice(2)
const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck'], { cwd: root, stdio: 'inherit' })
if (typecheck.status !== 0) {
  console.log('tests: 0 passed, 1 failed (type errors)')
  process.exit(1)
}
const totals = { passed: 0, failed: 0 }
const failures: [string, string[]][] = []
const add = (label: string, r: PassResult) => {
  totals.passed += r.passed
  totals.failed += r.failed
  if (r.failed) failures.push([label, r.why])
}
const all = await vitestRun('all', args)
console.log(`every test: ${all.passed} passed, ${all.failed} failed`)
add('every test', all)
if (!args.length && process.env.SKAITS_TIME_TRAVEL !== '0') {
  const lib = clockShiftLib()
  for (const [label, seconds] of SHIFTS) {
    console.log(`\n── time travel: the clock moved ${label} ──\n`)
    const r = await vitestRun(label, TIME_SENSITIVE, { LD_PRELOAD: lib, CLOCKSHIFT_SECONDS: String(seconds) })
    console.log(`time travel ${label}: ${r.passed} passed, ${r.failed} failed`)
    add(`time travel ${label}`, r)
  }
}
for (const [label, why] of failures) console.log(`\n── what failed (${label}) ──\n${why.join('\n')}`)
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`)
process.exit(totals.failed ? 1 : 0)
