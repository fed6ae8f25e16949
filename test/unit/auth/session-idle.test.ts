import { describe, expect, it } from 'vitest'
import { IdleSessions } from '../../../server/auth/session-idle.ts'

const DAY = 86_400_000

describe('IdleSessions', () => {
  it('keeps a session used within the idle period, sliding, and ends one left idle longer', () => {
    let now = 1_000 * DAY
    const idle = new IdleSessions(2 * DAY, 30 * DAY, () => now)
    expect(idle.touch('a')).toBe(true)
    for (let i = 0; i < 5; i++) {
      now += 1.9 * DAY
      expect(idle.touch('a')).toBe(true)
    }
    now += 2 * DAY + 1
    expect(idle.touch('a')).toBe(false)
  })

  it('counts a session it has not seen from its first use here', () => {
    let now = 0
    const idle = new IdleSessions(2 * DAY, 30 * DAY, () => now)
    now += 10 * DAY
    expect(idle.touch('made elsewhere')).toBe(true)
    now += DAY
    expect(idle.touch('made elsewhere')).toBe(true)
  })

  it('forgets sessions past the cap, not idle ones still within it', () => {
    let now = 0
    const idle = new IdleSessions(2 * DAY, 10 * DAY, () => now)
    idle.touch('old')
    now += 5 * DAY
    idle.touch('recent')
    // 'old' is idle (5 days) but within the cap: still remembered, so still refused.
    expect(idle.touch('old')).toBe(false)
  })
})
