import { describe, expect, it } from 'vitest'
import { errorText } from '../../../server/log.ts'

describe('errorText', () => {
  it('keeps no quoted input or visitor hash from a ClickHouse parse error', () => {
    const err = new Error(
      `Cannot parse input: expected ',' before: '["example.lv",1795318317,"2026-11-22","15284061235513426583",["event:page"]]': (at row 1)`,
    )
    const text = errorText(err)
    expect(text).not.toContain('15284061235513426583')
    expect(text).not.toContain('example.lv')
    expect(text).toBe("Error: Cannot parse input: expected ',' before: '…': (at row 1)")
  })
  it('keeps short numbers and plain messages as they are', () => {
    expect(errorText(new Error('Code: 241. Memory limit exceeded'))).toBe('Error: Code: 241. Memory limit exceeded')
    expect(errorText('x'.repeat(600))).toHaveLength(500)
  })
})
