import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDns, type TestDns } from '../helpers/dns.ts'
import { breakdown, CHROME_UA, spawnServer, tempDir, type SpawnedSkaits } from '../helpers/skaits.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const NGINX = '/usr/sbin/nginx'
let nginx: ChildProcess | undefined
let server: SpawnedSkaits
let dns: TestDns
let proxyUrl = ''

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

/**
 * The checked-in nginx snippet (deploy/nginx/skaits-proxy.conf), served by real nginx on
 * loopback in front of the real server: a visitor's forged X-Forwarded-For must not be believed.
 */
describe('behind the example nginx config', () => {
  beforeAll(async () => {
    // Reverse DNS tells which network Skaits used: it asks for the PTR of the .1 of the /24 it
    // saw (never the address itself). The test connects to nginx from 127.0.0.5; the visitor
    // writes 203.0.113.99, another /24.
    dns = await startDns({ '127.0.0.1': 'gw.loopback-isp.lv' })
    server = await spawnServer({ DATA_DIR: tempDir(), TRUST_PROXY: '1', ISP_LOOKUP: 'dns', DNS_SERVERS: dns.server, FLUSH_INTERVAL_MS: '50' })
    const dir = tempDir('skaits-nginx-')
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d))
    const snippet = readFileSync(path.join(ROOT, 'deploy/nginx/skaits-proxy.conf'), 'utf8').replace(
      'proxy_pass http://127.0.0.1:8080;',
      `proxy_pass ${server.url};`,
    )
    writeFileSync(path.join(dir, 'skaits-proxy.conf'), snippet)
    const port = await freePort()
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log crit;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; server_name localhost; include ${dir}/skaits-proxy.conf; }
}`,
    )
    nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' })
    proxyUrl = `http://127.0.0.1:${port}`
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`${proxyUrl}/healthz`)
        break
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  })
  afterAll(async () => {
    nginx?.kill('SIGTERM')
    await server?.stop()
    await dns?.close()
  })

  it('counts the address nginx saw, never the one the visitor wrote', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${proxyUrl}/api/event`,
        {
          method: 'POST',
          localAddress: '127.0.0.5',
          headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, 'x-forwarded-for': '203.0.113.99' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ n: 'pageview', u: 'https://example.lv/', d: 'example.lv' }))
    })
    expect(status).toBe(202)
    // The ISP row appears once DNS has answered and the next flush ran: wait for it, bounded
    // (a loaded machine takes longer than the usual few tens of milliseconds).
    let isps: unknown = {}
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      isps = await breakdown(server.url, 'visit:isp', ['visits'])
      if (Object.keys(isps as object).length) break
    }
    expect(isps).toEqual({ 'loopback-isp.lv': { visits: 1 } })
    const asked = dns.queries.map((q) => q.toLowerCase())
    expect(asked).toContain('1.0.0.127.in-addr.arpa')
    expect(asked).not.toContain('1.113.0.203.in-addr.arpa')
    expect(asked.filter((q) => q.includes('113.0.203') || q.startsWith('5.0.0.127'))).toEqual([])
  })
})
