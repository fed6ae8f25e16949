import { describe, expect, it } from 'vitest'
import { compileSections, globMatcher, sectionRules } from '../../../server/sections/rules.ts'
import { mulberry32 } from '../../helpers/random.ts'

/** The regular expressions section globs used to compile to: the semantics globMatcher keeps. */
function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!
    if (glob.startsWith('/**', i) && i + 3 === glob.length) {
      re += '(?:/.*)?'
      break
    }
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?'
      i += 2
    } else if (glob.startsWith('**', i)) {
      re += '.*'
      i += 1
    } else if (ch === '*') {
      re += '[^/]*'
    } else {
      re += '\\^$.|?+()[]{}'.includes(ch) ? `\\${ch}` : ch
    }
  }
  return new RegExp(`^${re}$`)
}

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
    ['/**', '/', true],
    ['/**', '', true],
    ['/a/**/b', '/a/b', true],
    ['/a/**/b', '/a/x/y/b', true],
    ['/a/**/b', '/a/xb', false],
    ['/a**', '/a/b/c', true],
    ['/a/***', '/a/b/c', true],
    ['/a/**', '/a/x\ny', false],
    ['/a/*', '/a/x\ny', true],
  ] as const)('%s matches %j: %s', (glob, path, expected) => {
    expect(globMatcher(glob)(path)).toBe(expected)
    expect(globToRegExp(glob).test(path)).toBe(expected)
  })

  it('agrees with the regular expressions globs once compiled to, on random globs and paths', () => {
    const random = mulberry32(20261207)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
    const string = (parts: readonly string[], max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick(parts)).join('')
    let matched = 0
    const disagreements: string[] = []
    for (let n = 0; n < 3000; n++) {
      const glob = `/${string(['a', 'b', '/', '*', '**', '**/', '/**', '.'], 6)}`
      const re = globToRegExp(glob)
      const matches = globMatcher(glob)
      for (let m = 0; m < 10; m++) {
        const path = `/${string(['a', 'b', '/', '.', '\n', 'ab/'], 8)}`
        const expected = re.test(path)
        if (matches(path) !== expected) disagreements.push(`${glob} on ${JSON.stringify(path)}`)
        if (expected) matched++
      }
    }
    expect(disagreements).toEqual([])
    expect(matched).toBeGreaterThan(1000) // the comparison saw both answers
  })

  it('answers a pathological glob on a 1,024-character path in linear time', () => {
    const long = `/${'a'.repeat(1023)}`
    // A backtracking regular expression of the first, second and last tries every way of
    // splitting the a's among the stars before it fails: it does not finish in a lifetime.
    const globs = [`/${'*a'.repeat(99)}*b`, `/${'**a'.repeat(66)}b`, `/${'**/a'.repeat(59)}`, `/${'*'.repeat(298)}b`]
    for (const glob of globs) {
      expect(glob.length).toBeLessThanOrEqual(300)
      expect(sectionRules.safeParse([{ match: glob, section: 'S' }]).success).toBe(true)
      const matches = globMatcher(glob)
      for (const [path, expected] of [
        [long, false],
        [`${long.slice(0, -1)}b`, !glob.includes('**/')],
      ] as const) {
        const started = performance.now()
        expect(matches(path)).toBe(expected)
        const ms = performance.now() - started
        expect(ms, glob.slice(0, 20)).toBeLessThan(50)
      }
    }
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
