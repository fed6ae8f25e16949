import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startDns } from '../test/helpers/dns.ts'
import { load, startProcess, type LoadResult } from './lib.ts'

/**
 * Ingest throughput and latency of POST /api/event against a bare Hono endpoint that only
 * parses the JSON and answers 202, both measured here, one after the other, on loopback.
 * Bounded: a few seconds per run. The last line printed is JSON.
 */
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 10
const RATE = 2000

async function measure(name: string, entry: string, env: Record<string, string> = {}) {
  const server = await startProcess(entry, env)
  try {
    await load(server.url, { durationS: 1, connections: CONNECTIONS }) // warm-up (JIT, first inserts)
    const saturated = await load(server.url, { durationS: DURATION_S, connections: CONNECTIONS })
    const paced = await load(server.url, { durationS: DURATION_S, connections: CONNECTIONS, rate: RATE })
    report(name, 'max', saturated)
    report(name, `${RATE}/s`, paced)
    return { saturated, paced }
  } finally {
    await server.stop()
  }
}

function report(name: string, mode: string, r: LoadResult) {
  console.log(
    `${name.padEnd(9)} ${mode.padEnd(7)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}`,
  )
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'skaits-bench-'))
// ISP lookups go to a DNS server on loopback (answering NXDOMAIN), never to the machine's resolvers.
const dns = await startDns({})
try {
  const baseline = await measure('baseline', 'bench/baseline-server.ts')
  // The rate limiter stays on (its cost is measured) but high: the load comes from only 256 networks.
  const skaits = await measure('skaits', 'server/main.ts', {
    DATA_DIR: dataDir,
    SKAITS_SITES: 'example.lv',
    TRUST_PROXY: '1',
    DNS_SERVERS: dns.server,
    INGEST_RATE_PER_MINUTE: '1000000000',
  })
  if (skaits.saturated.non2xx || skaits.paced.non2xx) throw new Error('Skaits answered non-2xx during the benchmark')
  const ratio = skaits.saturated.requestsPerSecond / baseline.saturated.requestsPerSecond
  console.log(
    JSON.stringify({
      events_per_s: Math.round(skaits.saturated.requestsPerSecond),
      baseline_per_s: Math.round(baseline.saturated.requestsPerSecond),
      ratio: Number(ratio.toFixed(3)),
      p99_ms: skaits.paced.p99,
      p99_at_rate: RATE,
      p99_saturated_ms: skaits.saturated.p99,
      baseline_p99_ms: baseline.paced.p99,
    }),
  )
} finally {
  await dns.close()
  rmSync(dataDir, { recursive: true, force: true })
}
