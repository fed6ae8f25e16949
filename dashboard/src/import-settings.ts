import { call } from './api.ts'
import { fill, h } from './dom.ts'
import { dayLabel, duration, exact, periodsText } from './format.ts'
import { field, form, message } from './forms.ts'
import { daysIn, getLang, serverMessage, t, type Key } from './i18n.ts'
import { dayIn } from './periods.ts'

/** An import as `GET /api/sites/:domain/imports` lists it (server/imports/route.ts importView). */
export interface ImportRow {
  id: string
  name: string
  source: Source
  status: 'staging' | 'writing' | 'done' | 'failed' | 'deleting'
  error: string | null
  /** the error's message code and values, for the page's language */
  error_code: string | null
  error_params: Record<string, string | number> | null
  from: string | null
  to: string | null
  days: number
  /** the days written, as [first, last] runs */
  periods: [string, string][]
  overlap: Overlap
  /** days left out because they held counts already */
  overlapping: [string, string][]
  read: number
  skipped: Record<string, number>
  errors: { file: string; line: number; message: string }[]
  files: { name: string; bytes: number; failed: string | null; truncated: string | null }[]
  created_at: string
  finished_at: string | null
  progress: { file: string; bytes: number; totalBytes?: number; read: number; rate: number; eta?: number } | null
}

type Source = 'plausible' | 'goatcounter' | 'log'
type Overlap = 'refuse' | 'skip' | 'merge'

const SOURCES: Source[] = ['plausible', 'goatcounter', 'log']
const OVERLAPS: Overlap[] = ['refuse', 'skip', 'merge']
/** As the server decides when not told (server/imports/service.ts): an export refuses days with counts, a log adds to them. */
const defaultOverlap = (s: string): Overlap => (s === 'log' ? 'merge' : 'refuse')
const POLL_MS = 1000
const running = (i: ImportRow) => i.status === 'staging' || i.status === 'writing'
/** Why records were not counted (server/imports/types.ts SkipReason). */
const SKIPS = ['bot', 'static', 'method', 'status', 'malformed', 'other_host', 'open_day', 'too_old', 'future', 'overlap', 'unsupported']

/** "340 KB", "12.5 MB". */
const size = (bytes: number) => (bytes < 1000 ? `${bytes} B` : bytes < 1e6 ? `${exact(Math.round(bytes / 1e3))} KB` : `${exact(Math.round(bytes / 1e5) / 10)} MB`)


/**
 * A site's imports for its owner: the list (with what each read, left out and wrote), deleting
 * one with everything it wrote, and an upload of a file with its options. The upload is one
 * request that answers when the import is done; meanwhile the list is asked every second for
 * the import's progress.
 */
export async function importsEditor(domain: string, timezone: string): Promise<HTMLElement> {
  const path = `/api/sites/${encodeURIComponent(domain)}/imports`
  const list = h('div')
  const progress = h('div', { class: 'import-progress', hidden: true })
  const result = h('div', { role: 'status' })
  const root = h('div', { class: 'imports-editor', id: `imports-${domain}` })
  let shown = ''
  let uploading: string | undefined
  let timer: number | undefined
  let asked = 0

  const refresh = async (): Promise<ImportRow[]> => {
    const n = ++asked
    const { imports } = await call<{ imports: ImportRow[] }>('GET', path)
    // An answer overtaken by a later question (a poll in flight as the upload ended) is dropped.
    if (n !== asked) return imports
    // Drawn again only when changed: a focused button keeps its focus while the list is polled.
    const json = JSON.stringify(imports.map((i) => ({ ...i, progress: null })))
    if (json !== shown) {
      shown = json
      fill(list, imports.length ? h('ul', { class: 'goal-list import-list' }, imports.map((i) => importItem(i, timezone, remove))) : h('p', { class: 'muted' }, t('importsNone')))
    }
    const now = imports.find(running)
    showProgress(now)
    clearTimeout(timer)
    if ((uploading !== undefined || now) && root.isConnected) timer = window.setTimeout(() => void refresh().catch(() => undefined), POLL_MS)
    return imports
  }
  const showProgress = (i: ImportRow | undefined) => {
    progress.hidden = !i && uploading === undefined
    if (progress.hidden) return fill(progress)
    const p = i?.progress
    const parts = p
      ? [
          p.totalBytes ? t('importBytes', { bytes: size(p.bytes), total: size(p.totalBytes) }) : size(p.bytes),
          t('importRate', { n: exact(p.rate) }),
          p.eta === undefined ? '' : t('importEta', { time: duration(p.eta) }),
        ]
      : []
    fill(
      progress,
      h('p', null, t('importRunning', { file: p?.file ?? i?.name ?? uploading ?? '' }), parts.filter(Boolean).map((s) => ` · ${s}`)),
      // Without a known total (no progress reported yet, or a dry run): indeterminate.
      h('progress', { max: p?.totalBytes ?? null, value: p?.totalBytes ? p.bytes : null, 'aria-label': t('importProgress') }),
    )
  }
  const remove = async (i: ImportRow) => {
    if (!confirm(t('confirmImportDelete', { name: i.name }))) return
    await call('DELETE', `${path}/${encodeURIComponent(i.id)}`).then(refresh, (e: unknown) => alert(message(e)))
  }

  const source = h('select', { name: 'source', onchange: () => overlaps() }, SOURCES.map((s) => h('option', { value: s }, t(`src_${s}`))))
  const overlap = h('select', { name: 'overlap' })
  // The default is named, and chosen again when the source changes.
  const overlaps = () => {
    const d = defaultOverlap(source.value)
    fill(overlap, OVERLAPS.map((o) => h('option', { value: o, selected: o === d }, o === d ? t('importDefault', { choice: t(`overlap_${o}`) }) : t(`overlap_${o}`))))
    overlap.value = d
  }
  overlaps()
  const file = h('input', { type: 'file', name: 'file', required: true })
  const select = (label: Key, el: HTMLSelectElement) => h('label', { class: 'field' }, h('span', null, t(label)), el)
  const f = form(
    [
      select('importSource', source),
      h('label', { class: 'field' }, h('span', null, t('importFile')), file),
      field('name', t('importName'), { maxlength: '200', autocomplete: 'off' }),
      select('importOverlap', overlap),
      select('importOnError', h('select', { name: 'on_error' }, (['skip', 'abort'] as const).map((o) => h('option', { value: o }, t(`onError_${o}`))))),
      h('label', { class: 'field check' }, h('input', { type: 'checkbox', name: 'dry_run' }), h('span', null, t('importDryRun'))),
    ],
    t('importButton'),
    async (d) => {
      const chosen = file.files?.[0]
      if (!chosen) return
      fill(result)
      const q = new URLSearchParams({ source: d.source ?? '', file: chosen.name, overlap: d.overlap ?? '', on_error: d.on_error ?? '' })
      if (d.name?.trim()) q.set('name', d.name.trim())
      const dry = d.dry_run === 'on'
      if (dry) q.set('dry_run', '1')
      button.disabled = true
      uploading = chosen.name
      showProgress(undefined)
      timer = window.setTimeout(() => void refresh().catch(() => undefined), POLL_MS)
      try {
        const answer = await call<{ import: ImportRow }>('POST', `${path}?${q}`, chosen)
        const i = answer.import
        fill(
          result,
          h('div', { class: 'once import-result' }, h('p', null, h('strong', null, dry ? t('importChecked') : t('importDone', { name: i.name }))), importDetails(i)),
        )
        if (!dry) file.value = ''
      } finally {
        uploading = undefined
        button.disabled = false
        await refresh().catch(() => undefined)
      }
    },
    'stack',
  )
  f.classList.add('import-form')
  const button = f.querySelector<HTMLButtonElement>('button[type=submit]')!
  await refresh()
  fill(
    root,
    h('h3', null, t('importsOf', { site: domain })),
    h('p', { class: 'muted' }, t('importsHelp')),
    list,
    h('h4', null, t('importNew')),
    f,
    progress,
    result,
  )
  return root
}

function importItem(i: ImportRow, timezone: string, remove: (i: ImportRow) => Promise<void>): HTMLElement {
  const at = new Date(i.created_at).toLocaleTimeString(getLang() === 'lv' ? 'lv-LV' : 'en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit' })
  return h(
    'li',
    { 'data-import': i.id, 'data-status': i.status },
    h(
      'div',
      { class: 'goal-head' },
      h('strong', { class: 'import-name' }, i.name),
      h('span', { class: 'badge' }, t(`srcShort_${i.source}`)),
      h('span', { class: `badge status-${i.status}` }, t(`status_${i.status}`)),
    ),
    i.error ? h('p', { class: 'refused' }, t('importFailed', { error: (i.error_code && serverMessage(i.error_code, i.error_params ?? {})) || daysIn(i.error) })) : null,
    // Under way: its progress is shown by the form; what it read and wrote, once it has.
    running(i) ? null : importDetails(i),
    h('p', { class: 'muted import-created' }, t('importCreated', { time: `${dayLabel(dayIn(i.created_at, timezone))} ${at}` })),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'link danger', disabled: running(i) || i.status === 'deleting', onclick: () => void remove(i) }, t('remove')),
    ),
  )
}

/** What an import wrote, read, left out and could not read. */
function importDetails(i: ImportRow): HTMLElement {
  const skipped = Object.entries(i.skipped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${exact(n)} ${SKIPS.includes(why) ? t(`skip_${why}` as Key) : why}`)
  const files = i.files.map((f) => `${f.name} (${size(f.bytes)}${f.failed ? `, ${t('importFileFailed')}` : f.truncated ? `, ${t('importFileTruncated')}` : ''})`)
  return h(
    'div',
    { class: 'import-details' },
    h('p', { class: 'import-days' }, i.days ? t('importDays', { n: i.days, periods: periodsText(i.periods) }) : t('importNoDays')),
    i.overlapping.length ? h('p', null, t('importLeftOut', { periods: periodsText(i.overlapping) })) : null,
    h('p', { class: 'import-read' }, t('importRead', { n: exact(i.read) }), skipped.length ? `; ${t('importSkipped', { list: skipped.join(', ') })}` : ''),
    files.length ? h('p', { class: 'import-files' }, t('importFiles', { files: files.join(', ') })) : null,
    i.errors.length
      ? h(
          'details',
          { class: 'import-errors' },
          h('summary', null, t('importErrors', { n: i.errors.length })),
          h('ul', null, i.errors.map((e) => h('li', null, e.line ? t('importErrorAt', { file: e.file, line: e.line, message: e.message }) : `${e.file}: ${e.message}`))),
        )
      : null,
  )
}
