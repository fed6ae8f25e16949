// The tracker's size budget and its storage-free promise, checked on the built bundle.
import { beforeAll, describe, expect, it } from 'vitest'
import { buildTracker, type TrackerBuild } from '../../tracker/build.ts'

const GZIP_BUDGET = 1200

describe('t.js bundle', () => {
  let built: TrackerBuild
  beforeAll(async () => {
    built = await buildTracker({ write: false })
  })

  it(`stays within ${GZIP_BUDGET} bytes gzip -9`, () => {
    console.log(`t.js: ${built.minified} B minified, ${built.gzip} B gzip -9, ${built.brotli} B brotli`)
    expect(built.gzip).toBeGreaterThan(0)
    expect(built.gzip).toBeLessThanOrEqual(GZIP_BUDGET)
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
})
