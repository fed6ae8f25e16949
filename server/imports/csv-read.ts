/**
 * CSV records with the line each starts on, for every CSV import (Plausible's, GoatCounter's).
 * Both are RFC 4180 (ClickHouse's CSVWithNames, Go's encoding/csv): quoted fields may hold
 * commas, doubled quotes and line breaks, which is why this is csv-parse and not a split.
 */
import type { Readable } from 'node:stream'
import { CsvError, parse } from 'csv-parse'
import { ImportInputError } from './types.ts'

export interface CsvRecord {
  fields: string[]
  /** 1-based line the record starts on */
  line: number
}

/** A record longer than this is no analytics row: binary garbage or a missing closing quote. */
const MAX_RECORD = 1 << 20

export async function* readCsv(input: Readable, file: string): AsyncGenerator<CsvRecord> {
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
      max_record_size: MAX_RECORD,
    }),
  )
  input.on('error', (e) => parser.destroy(e))
  let end = 0
  let empty = 0
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const line = end + 1 + (info.empty_lines - empty)
      end = info.lines
      empty = info.empty_lines
      yield { fields: record, line }
    }
  } catch (e) {
    if (e instanceof ImportInputError) throw e
    if (e instanceof CsvError) {
      const lines = (e as CsvError & { lines?: number }).lines
      throw new ImportInputError(file, lines ?? end + 1, `not valid CSV (${e.code})`)
    }
    throw new ImportInputError(file, 0, `could not be read: ${(e as Error).message}`)
  } finally {
    input.destroy()
  }
}
