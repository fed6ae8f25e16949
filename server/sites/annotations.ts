import { z } from 'zod'

/** A dated note on a site's chart: a deploy, a campaign. */
export interface Annotation {
  id: number
  /** the day it marks (YYYY-MM-DD), a day of the instance's TIMEZONE as every range is */
  date: string
  text: string
  /** whether shared links show it: off unless asked, a note may be meant for the team alone */
  shared: boolean
}

/** Notes are kept in the site's settings row, read by every dashboard load: a cap keeps it small. */
export const MAX_ANNOTATIONS = 500
export const MAX_ANNOTATION_TEXT = 200

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`)
    return !/^\d{4}-\d{2}-\d{2}$/.test(d) || (!Number.isNaN(t) && new Date(t).toISOString().startsWith(d))
  }, 'a day that exists')
const text = z.string().trim().min(1, 'some text').max(MAX_ANNOTATION_TEXT, `at most ${MAX_ANNOTATION_TEXT} characters`)

export const annotationInput = z.object({ date: day, text, shared: z.boolean().default(false) }).strict()
export const annotationChange = z.object({ date: day, text, shared: z.boolean() }).partial().strict()

export type AnnotationInput = z.output<typeof annotationInput>
export type AnnotationChange = z.output<typeof annotationChange>

/** Notes by day, oldest first. */
export function byDay(list: Annotation[] = []): Annotation[] {
  return [...list].sort((a, b) => a.date.localeCompare(b.date) || a.id - b.id)
}

/** What a shared link may see: the notes marked shared, and nothing of the others. */
export function sharedOnly(list: Annotation[] = []): Annotation[] {
  return byDay(list).filter((a) => a.shared)
}

/** A stored note as the code wrote it; anything else is left out rather than trusted. */
export function isAnnotation(a: unknown): a is Annotation {
  const x = a as Partial<Annotation> | null
  return typeof x === 'object' && x !== null && Number.isInteger(x.id) && typeof x.date === 'string' && typeof x.text === 'string' && typeof x.shared === 'boolean'
}
