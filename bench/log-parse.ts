import { Readable } from 'node:stream'
import { makeClassifier } from '../server/imports/logs/filter.ts'
import { compileFormat } from '../server/imports/logs/formats.ts'
import { readLogFile } from '../server/imports/logs/reader.ts'
import { BROWSERS } from '../test/unit/enrich/user-agents.ts'

/**
 * Access-log parsing for imports (issue 24): N realistic combined lines in memory, parsed and
 * classified, against a baseline measured in the same run, the usual way (one regex a line
 * and Date.parse of the rewritten time stamp). Then the whole reader from a stream: line
 * splitting, UTF-8 checks, parse, classify, records. The goal downstream is ≥ 50,000 lines/s
 * end to end on 2 cores, so the reader alone should do several times that.
 */
const N = Number(process.env.LINES ?? 1_000_000)

const USER_AGENTS = [
  ...new Set(BROWSERS.map((b) => b.ua)),
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'curl/8.5.0',
  '-',
]
const PAGES = ['/', '/blog/', '/pricing', '/docs/getting-started', '/docs/api?version=2', '/blog/2026/why-we-count-less', '/about', '/contact?utm_source=newsletter&utm_medium=email']
const ASSETS = ['/assets/app.3f9a1c.js', '/assets/site.css?v=12', '/img/hero.webp', '/favicon.ico', '/fonts/inter.woff2', '/robots.txt']
const REFERRERS = ['-', '-', 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://www.example.com/blog/']
const NETS = ['192.0.2.', '198.51.100.', '203.0.113.']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A deterministic generator (mulberry32), so every run parses the same lines. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (n: number) => String(n).padStart(2, '0')
function clf(ms: number): string {
  const d = new Date(ms + 3_600_000) // the server's zone is +0100
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0100`
}

function generate(n: number): string[] {
  const rnd = random(24)
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!
  const lines: string[] = new Array(n)
  let time = Date.now() - 30 * 86_400_000
  for (let i = 0; i < n; i++) {
    time += Math.floor(rnd() * 400) // a busy site: a few lines a second
    const v6 = rnd() < 0.2
    const address = v6 ? `2001:db8:${Math.floor(rnd() * 0xffff).toString(16)}::${Math.floor(rnd() * 0xffff).toString(16)}` : `${pick(NETS)}${Math.floor(rnd() * 254) + 1}`
    const asset = rnd() < 0.55
    const path = asset ? pick(ASSETS) : pick(PAGES)
    const method = rnd() < 0.03 ? 'POST' : 'GET'
    const status = rnd() < 0.06 ? pick([301, 302, 404, 500]) : asset && rnd() < 0.3 ? 304 : 200
    lines[i] = `${address} - - [${clf(time)}] "${method} ${path} HTTP/1.1" ${status} ${Math.floor(rnd() * 50_000)} "${pick(REFERRERS)}" "${pick(USER_AGENTS)}"`
  }
  return lines
}

const NAIVE = /^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) ?(\S*)" (\d{3}) (\d+|-) "(.*?)" "(.*?)"/
/** The baseline: what a first version usually looks like. */
function naiveParse(line: string) {
  const m = NAIVE.exec(line)
  if (!m) return 'no match'
  const t = m[3]!
  const time = Date.parse(`${t.slice(3, 6)} ${t.slice(0, 2)} ${t.slice(7, 11)} ${t.slice(12, 20)} GMT${t.slice(21)}`)
  return { time, address: m[1]!, method: m[4]!, path: m[5]!, protocol: m[6], status: Number(m[7]), bytes: m[8] === '-' ? undefined : Number(m[8]), referrer: m[9] === '-' ? '' : m[9]!, userAgent: m[10] === '-' ? '' : m[10]!, host: undefined }
}

function time(label: string, run: () => number): number {
  const start = performance.now()
  const counted = run()
  const seconds = (performance.now() - start) / 1000
  const rate = N / seconds
  console.log(`${label.padEnd(44)} ${Math.round(rate).toLocaleString('en').padStart(10)} lines/s  (${counted.toLocaleString('en')} counted, ${seconds.toFixed(2)} s)`)
  return rate
}

const lines = generate(N)
const parse = compileFormat('combined')
const classify = makeClassifier()
// Warm both paths (JIT, the bot verdict cache) on a slice before timing.
for (const line of lines.slice(0, 50_000)) {
  naiveParse(line)
  parse(line)
}

const baseline = time('baseline: regex + Date.parse, classify', () => {
  let counted = 0
  for (const line of lines) {
    const p = naiveParse(line)
    if (typeof p !== 'string' && classify(p) === 'count') counted++
  }
  return counted
})

const ours = time('compileFormat(combined) + classify', () => {
  let counted = 0
  for (const line of lines) {
    const p = parse(line)
    if (typeof p !== 'string' && classify(p) === 'count') counted++
  }
  return counted
})

const text = Buffer.from(lines.join('\n') + '\n')
const start = performance.now()
let records = 0
for await (const item of readLogFile(Readable.from(chunks(text)), { format: 'combined' })) if ('record' in item) records++
const readerSeconds = (performance.now() - start) / 1000
const readerRate = N / readerSeconds
console.log(`${'readLogFile (stream → records), all of it'.padEnd(44)} ${Math.round(readerRate).toLocaleString('en').padStart(10)} lines/s  (${records.toLocaleString('en')} records, ${readerSeconds.toFixed(2)} s)`)

function* chunks(buffer: Buffer): Generator<Buffer> {
  for (let i = 0; i < buffer.length; i += 64 * 1024) yield buffer.subarray(i, i + 64 * 1024)
}

console.log(JSON.stringify({ lines: N, baseline: Math.round(baseline), parseClassify: Math.round(ours), ratio: Number((ours / baseline).toFixed(2)), reader: Math.round(readerRate) }))
