import { rmSync } from 'node:fs'
import { startInProcess, tempDir } from '../test/helpers/skaits.ts'
import { fuzzIngest, fuzzQuery, malformedStoredValues } from '../test/unit/ingest/fuzz-cases.ts'

/**
 * The full fuzzing budget: 10,000 random requests each to POST /api/event and POST
 * /api/v2/query (FUZZ_RUNS to change it, FUZZ_SEED to replay), in process against the real
 * app and embedded ClickHouse; then every stored value is checked. Exits 1 on the first 5xx
 * (with the counterexample) or on a malformed stored value. The last line printed is JSON.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined
const dataDir = tempDir('skaits-fuzz-')
// No Stats API rate limit: every random query should reach the engine, not a 429.
const skaits = await startInProcess({ dataDir, env: { STATS_RATE_PER_MINUTE: '0' } })
let failed = false
try {
  let started = performance.now()
  const ingest = await fuzzIngest(skaits.skaits.app, RUNS, SEED)
  const ingestS = (performance.now() - started) / 1000
  console.log(`ingest  ${RUNS} cases in ${ingestS.toFixed(1)} s: ${JSON.stringify(ingest.statuses)}`)
  await skaits.skaits.buffer.flush()
  const malformed = await malformedStoredValues(skaits.db, ['example.lv'])
  for (const m of malformed.slice(0, 20)) console.log(`malformed: ${m}`)
  started = performance.now()
  const query = await fuzzQuery(skaits.skaits.app, RUNS, SEED)
  const queryS = (performance.now() - started) / 1000
  console.log(`query   ${RUNS} cases in ${queryS.toFixed(1)} s: ${JSON.stringify(query.statuses)}`)
  failed = malformed.length > 0
  console.log(
    JSON.stringify({
      cases_each: RUNS,
      ingest_s: Number(ingestS.toFixed(1)),
      query_s: Number(queryS.toFixed(1)),
      accepted: skaits.skaits.ingestor.counters.accepted,
      malformed_stored: malformed.length,
      ingest_statuses: ingest.statuses,
      query_statuses: query.statuses,
    }),
  )
} catch (err) {
  failed = true
  console.error(err instanceof Error ? err.message : err)
} finally {
  await skaits.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
