import { randomBytes } from 'node:crypto'
import { queryRows, type Db } from '../db/client.ts'
import { stampText } from '../db/versioned.ts'
import type { Said } from '../http/messages.ts'
import type { ImportSource, SkipReason } from './types.ts'

/** What an import does with days that already hold counts (live or another import's). */
export type Overlap = 'refuse' | 'merge' | 'skip'

export type ImportStatus = 'staging' | 'writing' | 'done' | 'failed' | 'deleting' | 'deleted'

/** One input file of an import. */
export interface ImportFile {
  name: string
  /** bytes read (compressed bytes for a .gz) */
  bytes: number
  /** SHA-256 of the whole file as read: the same file imported again is refused */
  sha256: string
  /** an export's rows, hashed as read: the same export in another zip is still the same */
  content?: string
  /** SHA-256 of its first HEAD_BYTES: a log that has grown since is recognised, and continued */
  head: string
  /** bytes of it this import counted (a log stops at the first line of a day not closed yet) */
  consumed: number
  /** why nothing of it was written (an export's file is left out whole), when so */
  failed?: string
  /** the import that holds this file's rows already (it is left out) */
  duplicateOf?: string
  /** a log's error after which nothing more of it was read (the records before it are counted) */
  truncated?: string
}

/** An import: a named object that can be listed and deleted with everything it wrote. */
export interface ImportInfo {
  id: string
  site: string
  name: string
  source: ImportSource
  files: ImportFile[]
  overlap: Overlap
  /** 'file': a bad file is left out and the others written; 'all': nothing is written */
  atomic: 'file' | 'all'
  status: ImportStatus
  error?: string
  /** the error's message code and values (http/messages.ts), so a page shows it in its language */
  said?: Said
  /** the days written, first and last (and all of them in `days`) */
  from?: string
  to?: string
  days: string[]
  /** days left out because they held counts already (overlap 'skip') */
  overlapping: string[]
  /** records read, and those not counted by reason */
  read: number
  skipped: Partial<Record<SkipReason, number>>
  errors: { file: string; line: number; message: string }[]
  /** which writes were made, so a deletion (or an interrupted import) takes back exactly those */
  written: { counts: boolean; daily: boolean; hourly: boolean }
  createdAt: number
  finishedAt?: number
}

/** How much of a file identifies it when it has grown since (a live log). */
export const HEAD_BYTES = 64 * 1024

export const newImportId = () => randomBytes(6).toString('hex')

/** How long a site's list of imports is kept in memory when this node writes none (ImportStore.list). */
const LIST_KEPT_MS = 30_000

/**
 * The imports table (migration 021): one row per import, replaced as it goes. A row is written
 * at every change of status and when counts are final; progress while an import runs is kept in
 * memory by the service.
 */
export class ImportStore {
  private last = 0
  /** each site's list as last read, for LIST_KEPT_MS (every dashboard view asks it); a save here drops it */
  private readonly kept = new Map<string, { at: number; list: Promise<ImportInfo[]> }>()

  constructor(
    private db: Db,
    private clock: () => number,
  ) {}

  async save(info: ImportInfo): Promise<void> {
    // Strictly increasing versions: two saves within one millisecond still replace in order.
    this.last = Math.max(this.last + 1, this.clock())
    await this.db.insert(
      {
        table: 'imports',
        values: [{ id: info.id, site: info.site, status: info.status, info: JSON.stringify(info), updated_at: stampText(this.last) }],
        format: 'JSONEachRow',
      },
      'none',
    )
    this.kept.delete(info.site)
  }

  /**
   * A site's imports, newest first; deleted ones are gone. Kept a while: every dashboard view of
   * an owner asks for them (the chart marks imported days), and the engine answers one query at a
   * time, so a tiny read still waited behind the view's statistics. Another node's import shows
   * within LIST_KEPT_MS.
   */
  list(site: string): Promise<ImportInfo[]> {
    const now = performance.now()
    const kept = this.kept.get(site)
    if (kept && now - kept.at < LIST_KEPT_MS) return kept.list
    const list = this.read(site)
    const entry = { at: now, list }
    this.kept.set(site, entry)
    list.catch(() => {
      if (this.kept.get(site) === entry) this.kept.delete(site)
    })
    return list
  }

  private async read(site: string): Promise<ImportInfo[]> {
    const rows = await queryRows<{ info: string }>(
      this.db,
      `SELECT info FROM imports FINAL WHERE site = {site:String} AND status != 'deleted' ORDER BY updated_at DESC`,
      { site },
    )
    return rows.map((r) => JSON.parse(r.info) as ImportInfo).sort((a, b) => b.createdAt - a.createdAt)
  }

  async get(site: string, id: string): Promise<ImportInfo | undefined> {
    const rows = await queryRows<{ info: string }>(
      this.db,
      `SELECT info FROM imports FINAL WHERE id = {id:String} AND site = {site:String} AND status != 'deleted'`,
      { id, site },
    )
    return rows[0] ? (JSON.parse(rows[0].info) as ImportInfo) : undefined
  }

  /** Imports a previous run left in the middle (the process stopped): every site's. */
  async unfinished(): Promise<ImportInfo[]> {
    const rows = await queryRows<{ info: string }>(this.db, `SELECT info FROM imports FINAL WHERE status IN ('staging', 'writing', 'deleting')`)
    return rows.map((r) => JSON.parse(r.info) as ImportInfo)
  }
}
