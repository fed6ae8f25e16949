/**
 * What every import source hands on (server/imports/): the parsers of Plausible's CSV export,
 * GoatCounter's CSV export and web-server access logs turn bytes into one of these, and the
 * import service (service.ts) turns them into the rows a closed day holds, exactly as the
 * rollup leaves them for live traffic.
 */
import type { Increments } from '../sessions/cells.ts'

export type ImportSource = 'plausible' | 'goatcounter' | 'log'

/** A problem in an input file, said with where it is: a 4xx for the owner, never a crash. */
export class ImportInputError extends Error {
  constructor(
    /** the file's name as given (a zip entry: `export.zip:imported_pages_20250101_20251231.csv`) */
    readonly file: string,
    /** 1-based line (CSV: the record's first line); 0 when the whole file is wrong (name, header, truncated zip) */
    readonly line: number,
    message: string,
    /** the whole import stops (an upload past IMPORT_MAX_MB), whatever the owner chose for errors */
    readonly fatal = false,
  ) {
    super(line ? `${file}, line ${line}: ${message}` : `${file}: ${message}`)
  }
}

/**
 * One aggregate row of an already-aggregated source (Plausible's CSV), for one day (the
 * instance time zone's day, as the export's `date`): the sums of one dimension value, and
 * its unique visitors when the source knows them.
 */
export interface DayRow {
  /** YYYY-MM-DD */
  day: string
  /** '' for the site total, else a DimensionName (server/vocabulary/dimensions.ts) */
  dimension: string
  value: string
  sums: Partial<Increments>
  /** unique visitors of this value that day; undefined when the source does not say */
  visitors?: number
}

/**
 * One request or pageview of an event-level source (an access-log line, a GoatCounter row),
 * replayed through the same sessions and enrichment as live traffic (replay.ts).
 */
export interface HitRecord {
  /** Unix ms */
  time: number
  /** the page's path with its query string as requested (`/blog/a?utm_source=x`) */
  path: string
  /** the host the request was for, when the source says (a vhost log, Caddy's JSON) */
  host?: string
  /** the Referer as sent, '' or undefined for none */
  referrer?: string
  userAgent: string
  /**
   * The client's address as the log wrote it (logs only). It is used in memory only, for the
   * visitor hash with a salt per imported day, the country and the ISP domain, then dropped:
   * never stored, logged or put in an error message.
   */
  address?: string
  /** a visitor id the source gives instead of an address (GoatCounter's session) */
  session?: string
  /** screen width in CSS px, when the source says */
  screenWidth?: number
  /** a custom event's name; undefined for a pageview */
  event?: string
  /** ISO 3166-1 alpha-2, when the source already says (GoatCounter's location) */
  country?: string
}

/** Why a record of an input was not counted: shown per import, numbers only. */
export type SkipReason =
  | 'bot'
  | 'static'
  | 'method'
  | 'status'
  | 'malformed'
  | 'other_host'
  | 'open_day'
  | 'too_old'
  | 'future'
  | 'overlap'
  | 'unsupported'

/** Counts of records read and skipped (by reason), as a parser goes. */
export interface ReadCounts {
  read: number
  skipped: Partial<Record<SkipReason, number>>
  /** the first few malformed records, with file and line (never the line's text: it may hold an address) */
  errors: { file: string; line: number; message: string }[]
}
