// The tracker's size budgets and its storage-free promise, checked on both built bundles.
import { beforeAll, describe, expect, it } from 'vitest'
import { buildTracker, GOALS, type Goal, type TrackerBuild } from '../../tracker/build.ts'

// t.goals.js is t.js plus the automatic goals (forms, 404, tagged elements), about 310 B.
const builds: { file: string; goals: readonly Goal[]; budget: number }[] = [
  { file: 't.js', goals: [], budget: 1200 },
  { file: 't.goals.js', goals: GOALS, budget: 1500 },
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

    it('touches no browser storage and writes no console output', () => {
      for (const word of ['document.cookie', 'cookie', 'localStorage', 'sessionStorage', 'indexedDB', 'openDatabase', 'caches', 'console']) {
        expect(built.code, word).not.toContain(word)
      }
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
