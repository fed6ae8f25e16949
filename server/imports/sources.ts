import { parseGoatCounterCsv } from './goatcounter.ts'
import { readLogFile } from './logs/reader.ts'
import { parsePlausibleFiles, readPlausibleExport } from './plausible.ts'
import { logFormat } from './route.ts'
import type { HitBatch, ImportInput, Parsed, SourceParser } from './service.ts'
import type { HitRecord, ReadCounts, SkipReason } from './types.ts'

/**
 * Each source's parser, as the import service reads an input: Plausible's export (a zip, or
 * one of its CSV files) as day rows; GoatCounter's export and access logs as records to replay.
 */
export const parseSource: SourceParser = (input, counts, options): Parsed => {
  switch (options.source) {
    case 'plausible':
      return {
        kind: 'rows',
        rows: /\.csv$/i.test(input.name) ? parsePlausibleFiles([{ name: input.name, data: input.stream }], { counts }) : readPlausibleExport(input.stream, counts, input.name),
      }
    case 'goatcounter':
      return { kind: 'hits', hits: goatCounterHits(input, counts) }
    case 'log':
      return { kind: 'hits', hits: logHits(input, counts, options.format) }
  }
}

async function* goatCounterHits(input: ImportInput, counts: ReadCounts): AsyncGenerator<HitBatch> {
  for await (const h of parseGoatCounterCsv(input.stream, input.name, counts)) {
    const { browser, browserVersion, os, osVersion, ...record } = h
    yield [{ record: record as HitRecord, known: { country: h.country, browser, browserVersion, os, osVersion } }]
  }
}

/**
 * A log's records, a chunk of the file at a time; its reader's own counts (lines read, skipped,
 * errors) are added to the import's as it goes.
 */
async function* logHits(input: ImportInput, counts: ReadCounts, format: string | undefined): AsyncGenerator<HitBatch> {
  const reader = readLogFile(input.stream, { format: logFormat(format ?? 'auto'), file: input.name })
  // The reader counts lines and its own skips; the import adds the replay's skips beside them.
  const readBefore = counts.read
  const sync = () => {
    for (const [k, n] of Object.entries(reader.counts.skipped)) counts.skipped[k as SkipReason] = (counts.skipped[k as SkipReason] ?? 0) + n
    counts.errors.push(...reader.counts.errors)
  }
  try {
    for await (const items of reader.batches()) {
      const records: HitBatch = []
      for (const item of items) if ('record' in item) records.push(item)
      counts.read = readBefore + reader.counts.read
      if (records.length) yield records
    }
  } finally {
    counts.read = readBefore + reader.counts.read
    sync()
  }
}
