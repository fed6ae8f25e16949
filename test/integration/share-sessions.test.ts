import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Access, MAX_SHARE_SESSIONS } from '../../server/auth/access.ts'
import { createDb, type Db } from '../../server/db/client.ts'
import { migrate } from '../../server/db/migrate.ts'
import { tempDir } from '../helpers/skaits.ts'

const HOUR = 3_600_000
let now = Date.now()
let db: Db
let access: Access

beforeAll(async () => {
  db = createDb({ clickhouse: { kind: 'embedded', path: path.join(tempDir(), 'clickhouse') } })
  await migrate(db)
  access = new Access(db, () => now, 30 * 24 * HOUR)
  await access.load()
})
afterAll(async () => {
  await db?.close()
})

describe('unlocked shared links in memory', () => {
  it(`keeps at most ${MAX_SHARE_SESSIONS}, forgetting the oldest unlock first, and sweeps expired ones`, async () => {
    const { token } = await access.createShare('example.lv', 'open', undefined)
    const first = (await access.unlockShare(token, ''))!
    let last = first
    for (let i = 0; i < MAX_SHARE_SESSIONS; i++) {
      now += 1
      last = (await access.unlockShare(token, ''))!
    }
    expect(access.shareSessionCount).toBe(MAX_SHARE_SESSIONS)
    expect(access.unlockedShare(first)).toBeUndefined()
    expect(access.unlockedShare(last)?.site).toBe('example.lv')

    now += 12 * HOUR + 1
    const fresh = (await access.unlockShare(token, ''))!
    expect(access.shareSessionCount).toBe(1)
    expect(access.unlockedShare(last)).toBeUndefined()
    expect(access.unlockedShare(fresh)?.site).toBe('example.lv')
  })
})
