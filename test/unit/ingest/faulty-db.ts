import type { Db } from '../../../server/db/client.ts'

/**
 * What the next inserts do:
 * - `ok`: pass through;
 * - `error`: fail at once, writing nothing (ClickHouse refuses or is gone);
 * - `hang`: never answer and write nothing;
 * - `late`: answer nothing for `lateMs`, then write and answer (ClickHouse committed after the
 *   client gave up: the insert's outcome was unknown when it was abandoned);
 * - `lost_answer`: write, then fail (the answer was lost on the way back).
 */
export type InsertFault = 'ok' | 'error' | 'hang' | 'late' | 'lost_answer'

export interface FaultPlan {
  insert: InsertFault
  /** ping fails too (as /healthz sees an unreachable ClickHouse) */
  down: boolean
  lateMs: number
  /** inserts attempted, and `late` ones still to land */
  attempts: number
  landing: number
}

export function faultPlan(): FaultPlan {
  return { insert: 'ok', down: false, lateMs: 1000, attempts: 0, landing: 0 }
}

/** The real client with faults injected into `insert` and `ping` as `plan` says, at call time. */
export function faultyDb(db: Db, plan: FaultPlan): Db {
  const insert: Db['insert'] = (params) => {
    plan.attempts++
    switch (plan.insert) {
      case 'ok':
        return db.insert(params)
      case 'error':
        return Promise.reject(new Error('injected: connect ECONNREFUSED'))
      case 'hang':
        return new Promise(() => {})
      case 'late': {
        plan.landing++
        // The client's abort signal is ignored on purpose: a server that already has the data may commit anyway.
        const { abort_signal: _ignored, ...rest } = params
        return new Promise((r) => setTimeout(r, plan.lateMs))
          .then(() => db.insert(rest))
          .finally(() => plan.landing--)
      }
      case 'lost_answer':
        return db.insert(params).then(() => Promise.reject(new Error('injected: socket hang up')))
    }
  }
  const ping: Db['ping'] = (params) =>
    plan.down ? Promise.resolve({ success: false, error: new Error('injected: connect ECONNREFUSED') }) : db.ping(params)
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'insert') return insert
      if (prop === 'ping') return ping
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
