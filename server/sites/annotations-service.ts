import { say } from '../http/messages.ts'
import { MAX_ANNOTATIONS, type Annotation, type AnnotationChange, type AnnotationInput } from './annotations.ts'
import { SiteError, type Site, type Sites } from './sites.ts'

/** Adds, changes and removes a site's notes (REST, the CLI and the dashboard all come here). */
export class AnnotationService {
  constructor(private deps: { sites: Sites; clock: () => number }) {}

  async add(site: Site, input: AnnotationInput): Promise<Annotation> {
    const list = site.settings.annotations ?? []
    if (list.length >= MAX_ANNOTATIONS) throw new SiteError(say('too_many_annotations', { max: MAX_ANNOTATIONS }), 409)
    const id = site.settings.annotationsNextId ?? Math.max(0, ...list.map((a) => a.id)) + 1
    const annotation: Annotation = { id, date: input.date, text: input.text, shared: input.shared }
    await this.save(site, [...list, annotation], id + 1)
    return annotation
  }

  async change(site: Site, id: number, input: AnnotationChange): Promise<Annotation> {
    const list = site.settings.annotations ?? []
    const changed = { ...find(list, id), ...input }
    await this.save(site, list.map((a) => (a.id === id ? changed : a)))
    return changed
  }

  async remove(site: Site, id: number): Promise<Annotation> {
    const list = site.settings.annotations ?? []
    const gone = find(list, id)
    await this.save(site, list.filter((a) => a.id !== id))
    return gone
  }

  private async save(site: Site, annotations: Annotation[], nextId = site.settings.annotationsNextId): Promise<void> {
    await this.deps.sites.updateSettings(site.domain, { ...site.settings, annotations, annotationsNextId: nextId }, this.deps.clock())
  }
}

function find(list: Annotation[], id: number): Annotation {
  const found = list.find((a) => a.id === id)
  if (!found) throw new SiteError(say('annotation_not_found', { id }), 404)
  return found
}

/** An id from a path: a whole number, or the note cannot exist. */
export function annotationId(raw: string): number {
  const id = Number(raw)
  if (!Number.isInteger(id) || id < 1) throw new SiteError(say('annotation_not_found', { id: raw }), 404)
  return id
}

