import { compileFunnels } from '../server/goals/funnels.ts'
import { compileGoals } from '../server/goals/goals.ts'
import { Sessions, type Hit } from '../server/sessions/sessions.ts'

/**
 * Memory a visit holds in the session map (SESSION_MAX × this is the map's ceiling), measured as
 * the heap a map of VISITS visits of two pageviews takes, with and without goals and funnels
 * being followed: 5 goals (one completed per visit) and 5 funnels (each visit at step 2 of all
 * five: the most a visit keeps for funnels that also convert). Run with --expose-gc (the
 * `bench:memory` script does). The last line is JSON.
 */
const VISITS = Number(process.env.BENCH_VISITS ?? 100_000)
const DIMS: [string, string][] = [
  ['visit:source', 'Google'],
  ['visit:referrer', 'google.com'],
  ['visit:channel', 'Organic Search'],
  ['visit:browser', 'Chrome'],
  ['visit:browser_version', '131.0'],
  ['visit:os', 'Windows'],
  ['visit:os_version', '10'],
  ['visit:device', 'Desktop'],
  ['visit:country', 'LV'],
]
const goals = compileGoals([1, 2, 3, 4, 5].map((id) => ({ id, name: `G${id}`, page: `/p${id}`, since: 0 })))
const funnels = compileFunnels(
  [1, 2, 3, 4, 5].map((id) => ({ id, name: `F${id}`, steps: [{ page: '/' }, { page: '/p1' }, { page: '/end' }], dimensions: ['visit:channel', 'visit:device', 'visit:country'], since: 0 })),
)

function heapMb(): number {
  globalThis.gc!()
  return process.memoryUsage().heapUsed / 1048576
}

/** Bytes per visit of a session map holding VISITS visits of `/` then `/p1`. */
function perVisit(withGoals: boolean): number {
  const sink = { add() {} }
  const before = heapMb()
  const s = new Sessions(30 * 60_000, VISITS + 1)
  for (let i = 0; i < VISITS; i++) {
    for (const page of ['/', '/p1']) {
      const hit: Hit = { kind: 'pageview', page, section: page, props: [] }
      if (withGoals) {
        hit.goals = goals.pageview(page).map((g) => ({ id: g.id }))
        hit.funnels = funnels.pageview(page)
      }
      s.recordInto(sink, `visitor-${i}-${withGoals}`, () => undefined, hit, i, () => DIMS, 'example.lv')
    }
  }
  const after = heapMb()
  if (s.size !== VISITS) throw new Error(`expected ${VISITS} visits, the map holds ${s.size}`)
  return ((after - before) * 1048576) / VISITS
}

if (!globalThis.gc) throw new Error('run with node --expose-gc (npm run bench:memory)')
const plain = perVisit(false)
const followed = perVisit(true)
console.log(`a visit in memory: ${plain.toFixed(0)} B; following 5 goals (one completed) and 5 funnels (at step 2 of each): ${followed.toFixed(0)} B (+${(followed - plain).toFixed(0)} B)`)
console.log(JSON.stringify({ visits: VISITS, bytes_per_visit: Math.round(plain), bytes_per_visit_goals_funnels: Math.round(followed), added_bytes: Math.round(followed - plain) }))
