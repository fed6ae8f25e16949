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

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (bearer) headers.authorization = `Bearer ${bearer}`
  // Same-origin fetch sends the page's Origin on POST: cookie-authenticated writes need it.
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
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

const cache = new Map<string, { at: number; answer: Promise<QueryResult> }>()
const CACHE_MS = 60_000

/** `POST /api/v2/query`; the same question within a minute is answered from memory. */
export function query(body: QueryBody): Promise<QueryResult> {
  const key = JSON.stringify(body)
  const hit = cache.get(key)
  if (hit && performance.now() - hit.at < CACHE_MS) return hit.answer
  const answer = call<QueryResult>('POST', '/api/v2/query', body)
  cache.set(key, { at: performance.now(), answer })
  answer.catch(() => cache.delete(key))
  return answer
}

/** Forgets every answer: a live view's refresh asks again. */
export function forgetAnswers(): void {
  cache.clear()
}

export function realtimeVisitors(site: string): Promise<number> {
  return call<number>('GET', `/api/v1/stats/realtime/visitors?site_id=${encodeURIComponent(site)}`)
}
