import { z } from 'zod'
import { hasControlChars } from '../text.ts'

/**
 * Section rules map page paths to the site's sections ("aplūkotās sadaļas"). Patterns are
 * globs on the path: `*` within one segment, `**` across segments; the first match wins.
 * Without a matching rule a page's section is its first path segment (`/blog/x` → `blog`),
 * and `/` for the home page.
 */
export const sectionRule = z.object({
  match: z
    .string()
    .min(1)
    .max(300)
    .refine((p) => p.startsWith('/') && !hasControlChars(p), 'a path pattern starting with /'),
  section: z
    .string()
    .min(1)
    .max(100)
    .refine((p) => !hasControlChars(p), 'no control characters'),
})
export const sectionRules = z.array(sectionRule).max(200)
export type SectionRule = z.infer<typeof sectionRule>

export type SectionOf = (page: string) => string

export function compileSections(rules: SectionRule[]): SectionOf {
  const compiled = rules.map((r) => ({ matches: globMatcher(r.match), section: r.section }))
  return (page) => {
    const path = page.split('#')[0] || '/'
    for (const { matches, section } of compiled) if (matches(path)) return section
    return firstSegment(path)
  }
}

function firstSegment(path: string): string {
  const segment = path.split('/').find(Boolean)
  return segment ?? '/'
}

// Glob semantics: `*` is any text without a slash; `**` any text; `**` then a slash, any
// directories or none (`/**/print` matches `/print`); a trailing `/**` the path itself and
// everything below it (`/blog/**` matches `/blog`). `**` stops at a line break, as the regular
// expressions these globs once were did.
//
// Matched by reading the path once while holding the set of places the pattern could be at (an
// NFA), so a rule costs at most path length × pattern length steps: the backtracking regular
// expression of a rule with many `*`s took exponential time on a 1,024-character path, and
// rules run on every page view of the site.
export function globMatcher(glob: string): (path: string) => boolean {
  const { kind, code, next, alt, start } = compileGlob(glob)
  const seen = new Int32Array(kind.length)
  const stack = new Int32Array(kind.length)
  let current = new Int32Array(kind.length)
  let following = new Int32Array(kind.length)
  // Adds `s` and every state reachable from it without reading a character to `set`, each
  // state once per step; answers the set's new size.
  const close = (set: Int32Array, size: number, s: number, step: number): number => {
    if (seen[s] === step) return size
    seen[s] = step
    let top = 0
    stack[top++] = s
    while (top) {
      const i = stack[--top]!
      if (kind[i] !== SPLIT) {
        set[size++] = i
        continue
      }
      const a = next[i]!
      const b = alt[i]!
      if (seen[a] !== step) stack[top++] = a
      seen[a] = step
      if (seen[b] !== step) stack[top++] = b
      seen[b] = step
    }
    return size
  }
  return (path) => {
    seen.fill(-1)
    let size = close(current, 0, start, 0)
    for (let p = 0; p < path.length && size; p++) {
      const c = path.charCodeAt(p)
      let nextSize = 0
      for (let k = 0; k < size; k++) {
        const i = current[k]!
        if (reads(kind[i]!, code[i]!, c)) nextSize = close(following, nextSize, next[i]!, p + 1)
      }
      const done = current
      current = following
      following = done
      size = nextSize
    }
    for (let k = 0; k < size; k++) if (kind[current[k]!] === MATCH) return true
    return false
  }
}

const MATCH = 0
const CHAR = 1
const NOT_SLASH = 2
const NOT_LINE_BREAK = 3
const SPLIT = 4

function reads(kind: number, code: number, c: number): boolean {
  if (kind === CHAR) return c === code
  if (kind === NOT_SLASH) return c !== 0x2f
  if (kind === NOT_LINE_BREAK) return c !== 0x0a && c !== 0x0d && c !== 0x2028 && c !== 0x2029
  return false
}

/**
 * The glob as NFA states, built from its end backwards: state `i` is `kind[i]`; CHAR reads
 * `code[i]`, NOT_SLASH and NOT_LINE_BREAK one character of their class, each then going to
 * `next[i]`; SPLIT goes to both `next[i]` and `alt[i]` without reading.
 */
function compileGlob(glob: string) {
  const tokens: ('*' | '**' | '**/' | '/**$' | number)[] = []
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('/**', i) && i + 3 === glob.length) {
      tokens.push('/**$')
      break
    }
    if (glob.startsWith('**/', i)) {
      tokens.push('**/')
      i += 2
    } else if (glob.startsWith('**', i)) {
      // `**` twice in a row matches what one does, as `*` twice does (both are X* twice).
      if (tokens.at(-1) !== '**') tokens.push('**')
      i += 1
    } else if (glob[i] === '*') {
      if (tokens.at(-1) !== '*') tokens.push('*')
    } else tokens.push(glob.charCodeAt(i))
  }
  const kind = [MATCH]
  const code = [0]
  const next = [0]
  const alt = [0]
  const push = (k: number, to: number, c = 0, other = 0) => {
    kind.push(k)
    code.push(c)
    next.push(to)
    alt.push(other)
    return kind.length - 1
  }
  // Zero or more characters of a class, then `exit`: a split that reads one and comes back.
  const loop = (k: number, exit: number) => {
    const split = push(SPLIT, -1, 0, exit)
    next[split] = push(k, split)
    return split
  }
  let start = 0
  for (const t of tokens.reverse()) {
    if (t === '*') start = loop(NOT_SLASH, start)
    else if (t === '**') start = loop(NOT_LINE_BREAK, start)
    else if (t === '**/') start = push(SPLIT, loop(NOT_LINE_BREAK, push(CHAR, start, 0x2f)), 0, start)
    else if (t === '/**$') start = push(SPLIT, push(CHAR, loop(NOT_LINE_BREAK, start), 0x2f), 0, start)
    else start = push(CHAR, start, t)
  }
  return { kind: Int32Array.from(kind), code: Int32Array.from(code), next: Int32Array.from(next), alt: Int32Array.from(alt), start }
}
