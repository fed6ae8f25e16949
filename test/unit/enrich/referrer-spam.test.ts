// The shipped referrer spam list, its matching (a host and its parent domains), and the refresh
// script's validation and writing, against a local HTTP server (never the internet).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSpamList, ReferrerSpam, SPAM_LIST_FILE } from '../../../server/enrich/referrer-spam.ts'
import { refreshSpamList, SpamListRefused } from '../../../server/enrich/refresh-spam-list.ts'

describe('the shipped list', () => {
  it('names its source, licence and retrieval date, and holds only domain names', async () => {
    const text = await readFile(SPAM_LIST_FILE, 'utf8')
    expect(text).toMatch(/^# Source: https:\/\/github\.com\/matomo-org\/referrer-spam-list/m)
    expect(text).toMatch(/^# Licence: public domain/m)
    expect(text).toMatch(/^# Retrieved: \d{4}-\d{2}-\d{2}$/m)
    const { domains, invalid } = parseSpamList(text)
    expect(invalid).toEqual([])
    expect(domains.length).toBeGreaterThan(2000)
  })

  it('matches a listed host and any host below it, not a look-alike or a parent', () => {
    const spam = ReferrerSpam.load()
    expect(spam.isSpam('https://semalt.com/')).toBe(true)
    expect(spam.isSpam('https://a.b.semalt.com/page?x=1')).toBe(true)
    expect(spam.isSpam('http://SEMALT.COM./')).toBe(true)
    expect(spam.isSpam('https://notsemalt.com/')).toBe(false)
    expect(spam.isSpam('https://com/')).toBe(false)
    // `perm.dienai.ru` is listed, and so is its parent: a sibling is spam because of the parent.
    expect(spam.isSpam('https://other.dienai.ru/')).toBe(true)
    // `skinali.photo-clip.ru` is listed; a subdomain entry does not list its parent's other children.
    expect(new ReferrerSpam(['skinali.photo-clip.ru']).isSpam('https://photo-clip.ru/')).toBe(false)
    expect(spam.isSpam(undefined)).toBe(false)
    expect(spam.isSpam('not a url')).toBe(false)
  })
})

describe('parseSpamList', () => {
  it('trims, lower-cases, drops blanks, comments and repeats, and names every other bad line', () => {
    const { domains, invalid } = parseSpamList('# header\nB.com\n\na.com \r\nxn----7sbabm1ahc4b2aqff.su\na.com\n<html>\nhttps://x.com/\nlocalhost\n-bad.com\n')
    expect(domains).toEqual(['a.com', 'b.com', 'xn----7sbabm1ahc4b2aqff.su'])
    expect(invalid).toEqual(['<html>', 'https://x.com/', 'localhost', '-bad.com'])
  })
})

describe('npm run refresh-spam-list', () => {
  let server: Server
  let base: string
  let dir: string
  const bodies: Record<string, [number, string]> = {}
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'spam-'))
    server = createServer((req, res) => {
      const [status, body] = bodies[req.url ?? ''] ?? [404, 'not found']
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((r) => server.close(r))
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a valid list with its header', async () => {
    bodies['/good.txt'] = [200, 'zz-spam.com\nA-spam.net\n\nb.spam.org\n']
    const out = path.join(dir, 'good.txt')
    expect(await refreshSpamList(`${base}/good.txt`, out, '2026-12-08', 3)).toBe(3)
    const text = await readFile(out, 'utf8')
    expect(text).toContain(`# Source: https://github.com/matomo-org/referrer-spam-list (${base}/good.txt)`)
    expect(text).toContain('# Licence: public domain')
    expect(text).toContain('# Retrieved: 2026-12-08\n')
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['a-spam.net', 'b.spam.org', 'zz-spam.com'])
    expect(parseSpamList(text).invalid).toEqual([])
  })

  it('writes nothing for an error answer, a line that is not a domain, or a list too short', async () => {
    const out = path.join(dir, 'kept.txt')
    await writeFile(out, 'old\n')
    bodies['/bad.txt'] = [200, 'a.com\n<!doctype html>\nb.com\n']
    bodies['/short.txt'] = [200, 'a.com\n']
    for (const [url, why] of [['/missing.txt', /answered 404/], ['/bad.txt', /not domain names.*doctype/], ['/short.txt', /only 1 domains/]] as const) {
      const refused = refreshSpamList(`${base}${url}`, out, '2026-12-08', 2)
      await expect(refused, url).rejects.toBeInstanceOf(SpamListRefused)
      await expect(refused, url).rejects.toThrow(why)
      expect(await readFile(out, 'utf8')).toBe('old\n')
    }
  })
})
