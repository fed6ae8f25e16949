// Small HTTP servers for browser tests, bound to 127.0.0.1 only:
// - a site server that serves test pages (reach it as http://site.test:<port>),
// - a capture server that serves the tracker builds and records what they POST to /api/event
//   (reach it as http://stats.test:<port>). Tests that run against the real Skaits server
//   use the site server alone and pass that server's origin to trackerPage().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { siteHost, statsHost } from './chromium.ts'

export type Captured = Record<string, unknown>

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

export type Site = {
  origin: string
  /** Serves `html` at `path` (exact path; the query string is ignored). */
  page(path: string, html: string): string
  close(): Promise<void>
}

export async function startSite(): Promise<Site> {
  const pages = new Map<string, string>()
  const { server, port } = await listen((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/favicon.ico') {
      res.writeHead(204)
      res.end()
      return
    }
    const html = pages.get(path)
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(html ?? 'not found')
  })
  const origin = `http://${siteHost}:${port}`
  return {
    origin,
    page(path, html) {
      pages.set(path, html)
      return origin + path
    },
    close: () => close(server),
  }
}

export type TrackerPageOptions = {
  /** Origin serving the script (and, by default, /api/event). */
  statsOrigin: string
  /** The build to load from statsOrigin; default t.js. */
  script?: 't.js' | 't.goals.js'
  /** data-* attributes of the script tag, without the `data-` prefix; `true` = present, empty. */
  attrs?: Record<string, string | true>
  /** HTML placed before the tracker's script tag (e.g. the queue stub). */
  head?: string
  body?: string
  /** Page height in px (for scroll depth); default: whatever the body needs. */
  height?: number
}

export const queueStub =
  '<script>window.skaits=window.skaits||function(){(skaits.q=skaits.q||[]).push(arguments)}</script>'

export function trackerPage({ statsOrigin, script = 't.js', attrs = {}, head = '', body = '', height }: TrackerPageOptions): string {
  const data = Object.entries<string | true>({ domain: 'site.test', ...attrs })
    .map(([k, v]) => (v === true ? ` data-${k}` : ` data-${k}="${v.replace(/"/g, '&quot;')}"`))
    .join('')
  const style = height ? `<style>body{margin:0;height:${height}px}</style>` : ''
  return `<!doctype html><html><head><meta charset="utf-8"><title>t</title>${style}${head}<script defer${data} src="${statsOrigin}/${script}"></script></head><body>${body}</body></html>`
}

export type Capture = {
  origin: string
  /** Parsed bodies of every POST /api/event, in arrival order. */
  events: Captured[]
  /** Content types the bodies arrived with. */
  contentTypes: string[]
  /** Resolves once at least `count` events (optionally matching `filter`) arrived, or throws after `ms`. */
  waitFor(count: number, filter?: (e: Captured) => boolean, ms?: number): Promise<Captured[]>
  clear(): void
  close(): Promise<void>
}

/** `scripts`: the code to serve at /t.js, or the code of each build by file name. */
export async function startCapture(scripts: string | Record<string, string>): Promise<Capture> {
  const code = new Map(Object.entries(typeof scripts === 'string' ? { 't.js': scripts } : scripts).map(([f, c]) => ['/' + f, c]))
  const events: Captured[] = []
  const contentTypes: string[] = []
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type',
  }
  const { server, port } = await listen((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (req.method === 'GET' && code.has(path)) {
      res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' })
      res.end(code.get(path))
      return
    }
    if (path === '/api/event' && req.method === 'OPTIONS') {
      res.writeHead(204, cors)
      res.end()
      return
    }
    if (path === '/api/event' && req.method === 'POST') {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        try {
          events.push(JSON.parse(body) as Captured)
          contentTypes.push(req.headers['content-type'] ?? '')
          res.writeHead(202, cors)
          res.end('ok')
        } catch {
          res.writeHead(400, cors)
          res.end('{"error":"bad json"}')
        }
      })
      return
    }
    res.writeHead(404)
    res.end()
  })

  return {
    origin: `http://${statsHost}:${port}`,
    events,
    contentTypes,
    async waitFor(count, filter = () => true, ms = 5000) {
      const deadline = Date.now() + ms
      for (;;) {
        const found = events.filter(filter)
        if (found.length >= count) return found
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} events, got ${found.length}: ${JSON.stringify(events)}`)
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    clear() {
      events.length = 0
      contentTypes.length = 0
    },
    close: () => close(server),
  }
}
