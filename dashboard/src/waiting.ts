import { call, type QueryBody, type QueryResult } from './api.ts'
import { copyable, snippetOf } from './copy.ts'
import { h, fill } from './dom.ts'
import { t } from './i18n.ts'

/** how often a site that has counted nothing yet is asked again, while the page is seen */
export const WAITING_MS = 5_000

/**
 * Whether anything was ever counted for a site: any event since it was added. Asked past the
 * dashboard's one-minute answer cache, so that a wait ends as soon as the first event is in.
 */
export async function everCounted(site: string): Promise<boolean> {
  const body: QueryBody = { site_id: site, metrics: ['events'], date_range: 'all' }
  const answer = await call<QueryResult>('POST', '/api/v2/query', body)
  return (answer.results[0]?.metrics[0] ?? 0) > 0
}

/**
 * A new site's dashboard: instead of zeros and a previous period before the site existed, its
 * snippet and how to check it; asks every few seconds while seen, and calls `counted` when
 * the first event is in. Returns what stops it.
 */
export function waitForFirstEvent(el: HTMLElement, site: string, counted: () => void): () => void {
  const [box, controls] = copyable(snippetOf(site), 'copyFailed')
  fill(
    el,
    h(
      'section',
      { class: 'card waiting', id: 'waiting', 'aria-labelledby': 'waiting-title' },
      h('h2', { id: 'waiting-title' }, t('waitingTitle')),
      h('p', null, t('waitingIntro', { site })),
      box,
      controls,
      h('p', null, t('waitingCheck', { site })),
      h('p', { class: 'muted waiting-status', role: 'status' }, h('i', { class: 'dot pulse', 'aria-hidden': 'true' }), t('waitingStatus')),
    ),
  )
  let timer: number | undefined
  let stopped = false
  let asking = false
  const ask = async () => {
    if (stopped || asking || document.visibilityState !== 'visible') return
    clearTimeout(timer)
    asking = true
    const yes = await everCounted(site).catch(() => false)
    asking = false
    if (stopped) return
    if (yes) return counted()
    timer = window.setTimeout(() => void ask(), WAITING_MS)
  }
  const onVisibility = () => void ask()
  document.addEventListener('visibilitychange', onVisibility)
  timer = window.setTimeout(() => void ask(), WAITING_MS)
  return () => {
    stopped = true
    clearTimeout(timer)
    document.removeEventListener('visibilitychange', onVisibility)
  }
}
