import { serve } from '@hono/node-server'
import { Hono } from 'hono'

/** The baseline: a bare Hono endpoint that parses the JSON body and answers 202. */
const app = new Hono()
app.post('/api/event', async (c) => {
  JSON.parse(await c.req.text())
  return c.json({ status: 'accepted' }, 202)
})
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`)
})
process.on('SIGTERM', () => process.exit(0))
