import { describe, expect, it } from 'vitest'
import { compileSections, globToRegExp, sectionRules } from '../../../server/sections/rules.ts'

describe('section rules', () => {
  it.each([
    ['/blog/**', '/blog', true],
    ['/blog/**', '/blog/', true],
    ['/blog/**', '/blog/2026/raksts', true],
    ['/blog/**', '/blogger', false],
    ['/blog/*', '/blog/a', true],
    ['/blog/*', '/blog/a/b', false],
    ['/**/print', '/print', true],
    ['/**/print', '/a/b/print', true],
    ['/shop*', '/shop-lv', true],
    ['/a.b', '/a.b', true],
    ['/a.b', '/aXb', false],
    ['/(x)', '/(x)', true],
  ] as const)('%s matches %s: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected)
  })

  it('takes the first matching rule, else the first path segment', () => {
    const sectionOf = compileSections([
      { match: '/veikals/akcijas/**', section: 'Akcijas' },
      { match: '/veikals/**', section: 'Veikals' },
    ])
    expect(sectionOf('/veikals/akcijas/x')).toBe('Akcijas')
    expect(sectionOf('/veikals/x')).toBe('Veikals')
    expect(sectionOf('/blog/raksts')).toBe('blog')
    expect(sectionOf('/')).toBe('/')
    expect(sectionOf('/app#/settings')).toBe('app')
  })

  it('validates rules', () => {
    expect(sectionRules.safeParse([{ match: '/a/**', section: 'A' }]).success).toBe(true)
    expect(sectionRules.safeParse([{ match: 'a', section: 'A' }]).success).toBe(false)
    expect(sectionRules.safeParse([{ match: '/a', section: '' }]).success).toBe(false)
    expect(sectionRules.safeParse([{ match: '/a', section: 'x\u0000' }]).success).toBe(false)
  })
})
