import { loadConfig } from '../config.ts'
import { createDb } from './client.ts'
import { applyRetention, migrate } from './migrate.ts'

const config = loadConfig()
const db = createDb(config)
try {
  const applied = await migrate(db)
  const retuned = await applyRetention(db, config.retentionMonths)
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'migrations: up to date')
  if (retuned.length) console.log(`retention set to ${config.retentionMonths} months on: ${retuned.join(', ')}`)
} finally {
  await db.close()
}
