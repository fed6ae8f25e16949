// The tracker's size budgets and its storage-free promise, checked on both built bundles.
import { beforeAll, describe, expect, it } from 'vitest'
import { buildTracker, GOALS, type Goal, type TrackerBuild } from '../../tracker/build.ts'

// t.goals.js is t.js plus the automatic goals (forms, 404, tagged elements), about 310 B.
// t.js was 1200 and t.goals.js 1500: the read of the owner's opt-out key (localStorage.skaits_ignore, in a try) costs
// 29 B gzip, and no byte of the rest could go without changing what the tracker sends.
const builds: { file: string; goals: readonly Goal[]; budget: number }[] = [
  { file: 't.js', goals: [], budget: 1220 },
  { file: 't.goals.js', goals: GOALS, budget: 1530 },
]

for (const { file, goals, budget } of builds)
  describe(`${file} bundle`, () => {
    let built: TrackerBuild
    beforeAll(async () => {
      built = await buildTracker({ write: false, goals })
    })

    it(`stays within ${budget} bytes gzip -9`, () => {
      console.log(`${file}: ${built.minified} B minified, ${built.gzip} B gzip -9, ${built.brotli} B brotli`)
      expect(built.gzip).toBeGreaterThan(0)
      expect(built.gzip).toBeLessThanOrEqual(budget)
      expect(built.brotli).toBeLessThan(built.gzip)
    })

    it('writes no browser storage, reads one key only, and writes no console output', () => {
      for (const word of ['document.cookie', 'cookie', 'sessionStorage', 'indexedDB', 'openDatabase', 'caches', 'console', 'setItem', 'getItem']) {
        expect(built.code, word).not.toContain(word)
      }
      // The owner's opt-out (docs/design.md, rule 1): one read of one key, never an assignment.
      expect(built.code.match(/localStorage/g)).toEqual(['localStorage'])
      expect(built.code).toMatch(/localStorage\.skaits_ignore(?!\s*=[^=])/)
    })

    it('is one self-contained classic script (an IIFE, no module syntax)', () => {
      expect(built.code).toMatch(/^\(\(\)=>\{[\s\S]*\}\)\(\);$/)
      expect(built.code).not.toMatch(/\b(import|export|require)\b/)
      expect(built.code).not.toContain('use strict')
    })

    it(goals.length ? 'has the automatic goals compiled in' : 'carries none of the automatic goals’ code', () => {
      for (const word of ['Form: Submission', '"404"', 'skaits|plausible', 'submit', 'GOAL_']) {
        if (goals.length && word !== 'GOAL_') expect(built.code, word).toContain(word)
        else expect(built.code, word).not.toContain(word)
      }
    })
  })
