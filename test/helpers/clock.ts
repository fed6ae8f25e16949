// Moves a process's wall clock, the embedded ClickHouse's included, with a small LD_PRELOAD
// library (clockshift.c beside this file): the only way to make the engine's TTLs and today()
// see another day. `npm test` runs the date-sensitive tests once more at +30 days, +13 months
// and +3 years with it (test/run.ts); tests that need a past day for one server use clockAt().
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const SOURCE = path.join(import.meta.dirname, 'clockshift.c')

/** The library, built once per source version with the machine's C compiler. */
export function clockShiftLib(): string {
  const source = readFileSync(SOURCE)
  const lib = path.join(tmpdir(), `skaits-clockshift-${createHash('sha256').update(source).digest('hex').slice(0, 12)}.so`)
  if (existsSync(lib)) return lib
  const partial = `${lib}.${process.pid}`
  try {
    execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', partial, SOURCE, '-ldl'], { stdio: 'pipe' })
  } catch (err) {
    throw new Error(`cannot build ${SOURCE} (needs a C compiler: apt-get install -y gcc): ${String(err)}`)
  }
  renameSync(partial, lib)
  return lib
}

/** Seconds this process's own clock is moved by (0 outside the time-travel pass). */
export function currentShift(): number {
  return process.env.LD_PRELOAD?.includes('skaits-clockshift') ? Number(process.env.CLOCKSHIFT_SECONDS ?? 0) : 0
}

/** Environment for a child on this process's clock, moved or not. */
export function sameClock(): Record<string, string> {
  const shift = currentShift()
  return shift ? { LD_PRELOAD: process.env.LD_PRELOAD!, CLOCKSHIFT_SECONDS: String(shift) } : {}
}

/** Environment for a child whose clock reads `ms` (an instant of this process's clock) now, and runs on from there. */
export function clockAt(ms: number): Record<string, string> {
  return { LD_PRELOAD: clockShiftLib(), CLOCKSHIFT_SECONDS: String(currentShift() + Math.round((ms - Date.now()) / 1000)) }
}
