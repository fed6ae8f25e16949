/** The dashboard's only way to the server: the public Stats API and the management API. */

import { serverMessage } from './i18n.ts'

export interface QueryBody {
  site_id: string
  metrics: string[]
  date_range: string | [string, string]
  dimensions?: string[]
  filters?: unknown[]
  order_by?: [string, 'asc' | 'desc'][]
  include?: { time_labels?: boolean; total_rows?: boolean }
  pagination?: { limit: number; offset: number }
}

/** A funnel's step as a page pattern or a custom event (server/goals/funnels.ts FunnelStep). */
export type FunnelStep = { page: string } | { event: string }

/**
 * `POST /api/v2/funnel`'s question and answer (server/stats/funnel.ts; the dashboard reads only
 * the vocabulary of server/, and test/dashboard/funnels.test.ts checks these are the same shapes).
 */
export interface FunnelBody {
  site_id: string
  funnel: string
  date_range: string | [string, string]
  dimension?: string
}

export interface StepAnswer {
  step: number
  page?: string
  event?: string
  visitors: number
  visits: number
  /** % of step 1's visitors, one decimal */
  conversion_rate: number
  /** % of the previous step's visitors, one decimal */
  conversion_rate_step: number
  /** the previous step's visitors who did not reach this one */
  dropoff: number
  /** average seconds from step 1 */
  average_time: number
}

export interface FunnelAnswer {
  funnel: { name: string; steps: FunnelStep[]; dimensions: string[]; since: string; until: string | null }
  date_range: [string, string]
  steps: StepAnswer[]
  by?: { dimension: string; values: { value: string; steps: StepAnswer[] }[] }
}

export interface QueryResult {
  results: { metrics: (number | null)[]; dimensions: string[] }[]
  meta: { time_labels?: string[]; total_rows?: number }
}

/**
 * A refusal or failure (a 400 says why Skaits cannot answer): the message in the page's language
 * when the dashboard knows the server's code, and the server's own words in `detail`.
 */
export class ApiError extends Error {
  readonly detail: string
  constructor(
    readonly status: number,
    detail: string,
    readonly code?: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super((code && serverMessage(code, params)) || detail)
    this.detail = detail
  }
}

let bearer: string | undefined

/** A shared link's token (`sh_…`): sent as a Bearer token instead of relying on cookies. */
export function useBearer(token: string | undefined): void {
  bearer = token
}

/** A JSON body, or a file (a Blob) sent as it is, streamed by the browser (an import's upload). */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  const raw = body instanceof Blob
  if (body !== undefined) headers['content-type'] = raw ? 'application/octet-stream' : 'application/json'
  if (bearer) headers.authorization = `Bearer ${bearer}`
  // Same-origin fetch sends the page's Origin on POST: cookie-authenticated writes need it.
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body), credentials: 'same-origin' })
  const text = await res.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  if (!res.ok) {
    const { error, code, params } = (json ?? {}) as { error?: unknown; code?: unknown; params?: unknown }
    throw new ApiError(
      res.status,
      typeof error === 'string' ? error : `${res.status} ${res.statusText}`,
      typeof code === 'string' ? code : undefined,
      params && typeof params === 'object' ? (params as Record<string, string | number>) : undefined,
    )
  }
  return json as T
}

const cache = new Map<string, { at: number; answer: Promise<unknown> }>()
const CACHE_MS = 60_000

/** A question to the Stats API; the same one within a minute is answered from memory. */
function ask<T>(path: string, body: unknown): Promise<T> {
  const key = path + JSON.stringify(body)
  const hit = cache.get(key)
  if (hit && performance.now() - hit.at < CACHE_MS) return hit.answer as Promise<T>
  const answer = call<T>('POST', path, body)
  cache.set(key, { at: performance.now(), answer })
  answer.catch(() => cache.delete(key))
  return answer
}

/** `POST /api/v2/query`. */
export const query = (body: QueryBody): Promise<QueryResult> => ask('/api/v2/query', body)

/** `POST /api/v2/funnel`: a funnel's steps, by one of its dimensions when asked (server/stats/funnel.ts). */
export const funnel = (body: FunnelBody): Promise<FunnelAnswer & { min_crowd?: number }> => ask('/api/v2/funnel', body)

/** Forgets every answer: a live view's refresh asks again. */
export function forgetAnswers(): void {
  cache.clear()
}

export function realtimeVisitors(site: string): Promise<number> {
  return call<number>('GET', `/api/v1/stats/realtime/visitors?site_id=${encodeURIComponent(site)}`)
}
