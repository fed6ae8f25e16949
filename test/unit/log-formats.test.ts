// Fixtures: test/fixtures/logs/ (README.md there says which documentation each line comes from).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { classify, makeClassifier, statusSet } from '../../server/imports/logs/filter.ts'
import { compileFormat, detectFormat, LogFormatError, parseLine, type LogFormat, type ParsedLine } from '../../server/imports/logs/formats.ts'

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/logs')
const lines = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8').split('\n').filter(Boolean)

function parsed(format: LogFormat, line: string): ParsedLine {
  const result = parseLine(format, line)
  if (typeof result === 'string') throw new Error(result)
  return result
}

/** Apache's example line, 10/Oct/2000:13:55:36 -0700, in UTC. */
const APACHE_EXAMPLE_MS = Date.UTC(2000, 9, 10, 20, 55, 36)

describe('log formats: combined', () => {
  const combined = lines('combined.log')

  it("reads Apache's documented example", () => {
    expect(parsed('combined', combined[0]!)).toEqual({
      time: APACHE_EXAMPLE_MS,
      address: '192.0.2.10',
      method: 'GET',
      path: '/apache_pb.gif',
      protocol: 'HTTP/1.0',
      status: 200,
      bytes: 2326,
      referrer: 'http://www.example.com/start.html',
      userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
      host: undefined,
    })
  })

  it('takes the offset the line gives: 13:55:36 -0700 and 22:55:36 +0200 are the same instant', () => {
    expect(parsed('combined', combined[1]!).time).toBe(APACHE_EXAMPLE_MS)
    expect(parsed('combined', combined[0]!).time).toBe(APACHE_EXAMPLE_MS)
    expect(parsed('combined', combined[1]!).time).toBe(Date.parse('2000-10-10T22:55:36+02:00'))
  })

  it('keeps the query, an IPv6 address, "-" as no referrer', () => {
    expect(parsed('combined', combined[1]!).path).toBe('/blog/a?utm_source=news')
    const v6 = parsed('combined', combined[2]!)
    expect(v6.address).toBe('2001:db8::5')
    expect(v6.referrer).toBe('')
    expect(v6.status).toBe(304)
    expect(v6.protocol).toBe('HTTP/2.0')
  })

  it("undoes nginx's \\x22 and Apache's \\\" escapes", () => {
    const nginx = parsed('combined', combined[3]!)
    expect(nginx.path).toBe('/search?q="quoted"')
    expect(nginx.userAgent).toBe('Mozilla/5.0 "nginx-escaped" (X11; Linux x86_64) Firefox/120.0')
    expect(parsed('combined', combined[4]!).userAgent).toBe('Mozilla/5.0 "apache-escaped" (X11; Linux x86_64) Firefox/120.0')
  })

  it('decodes escaped UTF-8 bytes and drops escaped control characters', () => {
    const line = '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /caf\\xC3\\xA9 HTTP/1.1" 200 1 "-" "UA\\x0Aline"'
    expect(parsed('combined', line).path).toBe('/café')
    expect(parsed('combined', line).userAgent).toBe('UAline')
  })

  it('the same time stamp on two lines is read the same, and a new one is read anew', () => {
    const a = '192.0.2.1 - - [31/Dec/2026:23:59:59 +0000] "GET / HTTP/1.1" 200 1 "-" "x"'
    const b = a.replace('31/Dec/2026:23:59:59', '01/Jan/2027:00:00:00')
    expect(parsed('combined', a).time).toBe(Date.UTC(2026, 11, 31, 23, 59, 59))
    expect(parsed('combined', a).time).toBe(Date.UTC(2026, 11, 31, 23, 59, 59))
    expect(parsed('combined', b).time).toBe(Date.UTC(2027, 0, 1))
  })

  it('says which field is wrong, without the line text', () => {
    const line = '192.0.2.1 - - 10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.1" 200 1 "-" "x"'
    const error = parseLine('combined', line)
    expect(error).toBe("not a line of a combined log (field 4 %t: no '[' before it)")
    const badTime = parseLine('combined', line.replace('10/Oct/2000:13:55:36 -0700', '[10/Foo/2000:13:55:36 -0700]'))
    expect(badTime).toBe('not a line of a combined log (field 4 %t: not a time)')
    expect(parseLine('combined', '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "\\x16\\x03\\x01" 400 0 "-" "-"')).toMatch(/field 5 %r: not a request line/)
    expect(parseLine('combined', '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 2x0 0 "-" "-"')).toMatch(/field 6 %>s: not a status/)
    expect(parseLine('combined', '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 0 "-" "unterminated')).toMatch(/field 9 .*no closing quote/)
    for (const e of [error, badTime]) expect(e).not.toContain('192.0.2')
  })

  it('a hostile line does not make it slow', () => {
    const hostile = `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "${'\\'.repeat(20_000)}" ${'"'.repeat(20_000)}`
    const start = performance.now()
    for (let i = 0; i < 100; i++) parseLine('combined', hostile)
    expect(performance.now() - start).toBeLessThan(1000)
  })
})

describe('log formats: the others', () => {
  it('common: no referrer nor User-Agent; "-" bytes', () => {
    const [apache, dash] = lines('common.log')
    expect(parsed('common', apache!)).toMatchObject({ time: APACHE_EXAMPLE_MS, address: '192.0.2.10', path: '/apache_pb.gif', status: 200, bytes: 2326, referrer: '', userAgent: '' })
    expect(parsed('common', dash!).bytes).toBeUndefined()
  })

  it('vhost_combined: the host without its port, and an IPv6 client', () => {
    const [first, second] = lines('vhost_combined.log')
    expect(parsed('vhost_combined', first!)).toMatchObject({ host: 'www.example.com', address: '192.0.2.10', time: APACHE_EXAMPLE_MS, bytes: 2326 })
    expect(parsed('vhost_combined', second!)).toMatchObject({ host: 'blog.example.com', address: '2001:db8:85a3::8a2e:370:7334', path: '/post/1' })
  })

  it('combined with a leading host', () => {
    expect(parsed('host_combined', lines('host_combined.log')[1]!)).toMatchObject({ host: 'blog.example.com', address: '203.0.113.30', path: '/post/1', status: 200 })
  })

  it("Caddy's JSON: client_ip before remote_ip, headers' first values, ts in float seconds", () => {
    const [doc, proxied] = lines('caddy.log')
    expect(parsed('caddy', doc!)).toMatchObject({ time: 1646861401524, address: '192.0.2.40', method: 'GET', path: '/', host: 'localhost', userAgent: 'curl/7.82.0', referrer: '', status: 200, bytes: 10900, protocol: 'HTTP/2.0' })
    expect(parsed('caddy', proxied!)).toMatchObject({ time: 1646861402250, address: '2001:db8::77', path: '/docs/?page=2', referrer: 'https://search.example.net/?q=skaits', host: 'www.example.com' })
    expect(parseLine('caddy', '{"level":"info","ts":1646861401.5,"msg":"serving initial configuration"}')).toMatch(/no request/)
    expect(parseLine('caddy', '{"ts": 1, "request": ')).toMatch(/not valid JSON/)
    expect(parseLine('caddy', '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700]')).toMatch(/not a Caddy/)
  })
})

describe('log formats: custom format strings', () => {
  it('an nginx log_format with $time_iso8601, extra variables skipped, and ${braces}', () => {
    const format = { custom: '$remote_addr [$time_iso8601] $host "$request" $status $body_bytes_sent $request_time "${http_referer}" "$http_user_agent" "$http_x_forwarded_for"' }
    const line = '2001:db8::1 [2000-10-10T22:55:36+02:00] www.example.com "GET /a?b=1 HTTP/2.0" 200 512 0.004 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0" "-"'
    expect(parsed(format, line)).toMatchObject({ time: APACHE_EXAMPLE_MS, address: '2001:db8::1', host: 'www.example.com', method: 'GET', path: '/a?b=1', status: 200, bytes: 512, referrer: '', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' })
  })

  it('an nginx format of separate method and URI, tab-separated, time as $msec', () => {
    const format = { custom: '$msec\t$remote_addr\t$request_method\t$request_uri\t$status\t$http_user_agent' }
    expect(parsed(format, '971211336.123\t192.0.2.1\tGET\t/x?y\t200\tMozilla/5.0 (X11) Firefox/120.0')).toMatchObject({ time: APACHE_EXAMPLE_MS + 123, method: 'GET', path: '/x?y', userAgent: 'Mozilla/5.0 (X11) Firefox/120.0' })
  })

  it("Apache's LogFormat directives, %U%q, %{…}i by header name in any case", () => {
    const format = { custom: '%a %t "%m %U%q %H" %>s %B "%{referer}i" "%{User-agent}i" %D' }
    expect(parsed(format, '198.51.100.2 [10/Oct/2000:13:55:36 -0700] "GET /p?q=1 HTTP/1.1" 200 10 "https://a.example/" "Mozilla/5.0 (X11) Firefox/120.0" 1234')).toMatchObject({
      time: APACHE_EXAMPLE_MS,
      address: '198.51.100.2',
      path: '/p?q=1',
      protocol: 'HTTP/1.1',
      referrer: 'https://a.example/',
    })
  })

  it('a built-in name given as a custom format is the built-in', () => {
    expect(compileFormat({ custom: 'combined' })(lines('combined.log')[0]!)).toEqual(parsed('combined', lines('combined.log')[0]!))
  })

  it('refuses formats it cannot read lines with, saying why', () => {
    expect(() => compileFormat({ custom: '$remote_addr "$request" $status' })).toThrow(new LogFormatError('the format has no time ($time_local, $time_iso8601, $msec or %t)'))
    expect(() => compileFormat({ custom: '[$time_local] $status' })).toThrow(/no request/)
    expect(() => compileFormat({ custom: '[$time_local] "$request"' })).toThrow(/no status/)
    expect(() => compileFormat({ custom: '[$time_local] $request_uri$args "$request" $status' })).toThrow('$request_uri and $args have nothing between them')
    expect(() => compileFormat({ custom: '%{%Y-%m-%d}t "%r" %>s' })).toThrow(/only the default time format/)
  })
})

describe('detectFormat', () => {
  it.each([
    ['combined.log', 'combined'],
    ['common.log', 'common'],
    ['vhost_combined.log', 'vhost_combined'],
    ['host_combined.log', 'host_combined'],
    ['caddy.log', 'caddy'],
  ])('%s is %s', (file, format) => {
    const detected = detectFormat(lines(file))
    expect(detected?.format).toBe(format)
    expect(detected?.reason).toContain(format)
  })

  it('picks what most lines are, past an odd first line; nothing for text that is no log', () => {
    expect(detectFormat(['garbage', ...lines('combined.log')])).toMatchObject({ format: 'combined', matched: 12, of: 13 })
    expect(detectFormat(['hello', 'world', ''])).toBeUndefined()
  })
})

describe('filter', () => {
  const [apache, offset, v6, , , bot, css, post, redirect, missing, head, noUa] = lines('combined.log').map((l) => parsed('combined', l))

  it('counts page views (2xx, 304) by GET from browsers', () => {
    expect(classify(offset!)).toBe('count')
    expect(classify(v6!)).toBe('count')
  })

  it('skips methods, redirects and errors, assets, bots and empty User-Agents by default', () => {
    expect(classify(apache!)).toBe('static')
    expect(classify(css!)).toBe('static')
    expect(classify(post!)).toBe('method')
    expect(classify(head!)).toBe('method')
    expect(classify(redirect!)).toBe('status')
    expect(classify(missing!)).toBe('status')
    expect(classify(bot!)).toBe('bot')
    expect(classify(noUa!)).toBe('bot')
  })

  it("never counts the tracker's own requests nor what browsers fetch by name", () => {
    for (const p of ['/t.js', '/api/event', '/favicon.ico', '/robots.txt', '/.well-known/security.txt', '/apple-touch-icon-precomposed.png', '/site.webmanifest.json', '/f.woff2#x'])
      expect(classify({ ...offset!, path: p }), p).toBe('static')
    expect(classify({ ...offset!, path: '/v1.2/docs' })).toBe('count')
    expect(classify({ ...offset!, path: '/a.b/c?file=x.css' })).toBe('count')
    expect(classify({ ...offset!, path: 'http://proxy.example/' })).toBe('unsupported')
  })

  it('takes its statuses, methods, extensions and hosts from options', () => {
    const lenient = makeClassifier({ statuses: '200-399', methods: ['GET', 'HEAD'], staticExtensions: ['css'] })
    expect(lenient(redirect!)).toBe('count')
    expect(lenient(head!)).toBe('count')
    expect(lenient(missing!)).toBe('status')
    expect(lenient(css!)).toBe('static')
    expect(lenient(apache!)).toBe('count') // a .gif is no asset here
    const oneHost = makeClassifier({ hosts: ['www.example.com'] })
    expect(oneHost({ ...offset!, host: 'WWW.example.com:443' })).toBe('count')
    expect(oneHost({ ...offset!, host: 'blog.example.com' })).toBe('other_host')
    expect([...statusSet('200, 304-305').keys()].filter((s) => statusSet('200, 304-305')[s])).toEqual([200, 304, 305])
    expect(() => statusSet('2xx')).toThrow(/'2xx' is not a status/)
  })
})
