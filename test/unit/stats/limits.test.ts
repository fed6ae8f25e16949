import { describe, expect, it } from 'vitest'
import { QueryLimits, type Admission } from '../../../server/stats/limits.ts'
import { queryRequest } from '../../../server/stats/request.ts'
import { costLimited } from '../../../server/stats/run.ts'

const granted = (a: Admission) => {
  if (!a.ok) throw new Error(`refused: ${a.reason}`)
  return a
}

describe('QueryLimits', () => {
  it('runs `concurrency` queries of a credential at once, queues `queue` more, refuses the rest as busy', async () => {
    const limits = new QueryLimits({ concurrency: 2, queue: 2, ratePerMinute: 0 })
    const first = granted(await limits.admit('key:a'))
    granted(await limits.admit('key:a'))
    const waiting = [limits.admit('key:a'), limits.admit('key:a')]
    let started = 0
    for (const w of waiting) void w.then(() => started++)
    expect(await limits.admit('key:a')).toEqual({ ok: false, reason: 'busy' })
    // Another credential is not held up.
    granted(await limits.admit('key:b'))
    await Promise.resolve()
    expect(started).toBe(0)
    first.release()
    first.release() // a second release changes nothing
    granted(await waiting[0]!)
    expect(started).toBe(1)
    expect(limits.running('key:a')).toBe(2)
    expect(limits.refused).toEqual({ busy: 1, rate_limited: 0 })
  })

  it('frees the turn of each answered query', async () => {
    const limits = new QueryLimits({ concurrency: 1, queue: 0, ratePerMinute: 0 })
    for (let i = 0; i < 5; i++) granted(await limits.admit('key:a')).release()
    expect(limits.running('key:a')).toBe(0)
  })

  it('allows a minute of queries at once, then one per 60/rate seconds, saying how long to wait', async () => {
    let now = 1_000_000
    const limits = new QueryLimits({ concurrency: 100, queue: 0, ratePerMinute: 30, clock: () => now })
    for (let i = 0; i < 30; i++) granted(await limits.admit('key:a')).release()
    const refused = await limits.admit('key:a')
    expect(refused).toEqual({ ok: false, reason: 'rate_limited', retryAfterMs: 2000 })
    now += 2001
    granted(await limits.admit('key:a')).release()
    expect((await limits.admit('key:a')).ok).toBe(false)
    granted(await limits.admit('key:b')).release()
    expect(limits.refused.rate_limited).toBe(2)
  })
})

describe('cost limits in the statement', () => {
  it('adds max_execution_time and max_memory_usage as a SETTINGS clause, or to the one there', () => {
    const cost = { maxExecutionMs: 2500, maxMemoryBytes: 1024 }
    expect(costLimited('SELECT 1\n    LIMIT 3', cost)).toBe('SELECT 1\n    LIMIT 3\n    SETTINGS max_execution_time = 2.5, max_memory_usage = 1024')
    expect(costLimited('SELECT 1\n    SETTINGS optimize_use_projections = 0', cost)).toBe(
      'SELECT 1\n    SETTINGS optimize_use_projections = 0, max_execution_time = 2.5, max_memory_usage = 1024',
    )
    expect(costLimited('SELECT 1', undefined)).toBe('SELECT 1')
  })
})

describe('matches patterns', () => {
  const body = (filters: unknown[]) => ({ site_id: 'example.lv', metrics: ['visitors'], date_range: '7d', filters })
  const error = (filters: unknown[]) => {
    const r = queryRequest.safeParse(body(filters))
    return r.success ? undefined : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`
  }

  it('takes up to 10 patterns of up to 200 characters', () => {
    expect(error([['matches', 'event:page', Array.from({ length: 10 }, (_, i) => `^/p${i}`)]])).toBeUndefined()
    expect(error([['matches_not', 'event:page', ['x'.repeat(200)]]])).toBeUndefined()
    // Other operators are not patterns.
    expect(error([['is', 'event:page', Array.from({ length: 50 }, (_, i) => `/p${i}`)]])).toBeUndefined()
  })

  it('refuses more patterns, counted over the whole filter tree, or a longer one, saying so', () => {
    const six = Array.from({ length: 6 }, (_, i) => `^/p${i}`)
    expect(error([['or', [['matches', 'event:page', six], ['not', ['matches_not', 'event:page', six]]]]])).toBe(
      'filters: at most 10 "matches"/"matches_not" patterns per query, got 12',
    )
    expect(error([['matches', 'event:page', ['x'.repeat(201)]]])).toBe('filters: a "matches"/"matches_not" pattern is at most 200 characters')
  })
})
