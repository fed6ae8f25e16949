import { z } from 'zod'

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
    .regex(/^\/[^\u0000-\u001f]*$/, 'a path pattern starting with /'),
  section: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^\u0000-\u001f]+$/, 'no control characters'),
})
export const sectionRules = z.array(sectionRule).max(200)
export type SectionRule = z.infer<typeof sectionRule>

export type SectionOf = (page: string) => string

export function compileSections(rules: SectionRule[]): SectionOf {
  const compiled = rules.map((r) => ({ re: globToRegExp(r.match), section: r.section }))
  return (page) => {
    const path = page.split('#')[0] || '/'
    for (const { re, section } of compiled) if (re.test(path)) return section
    return firstSegment(path)
  }
}

function firstSegment(path: string): string {
  const segment = path.split('/').find(Boolean)
  return segment ?? '/'
}

// `/a/**` matches /a and everything below it; a leading `**` then slash, any directories; `*` the text of one segment.
export function globToRegExp(glob: string): RegExp {
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
