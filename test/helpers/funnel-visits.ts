import { sendEvent } from './skaits.ts'

/**
 * The funnel "Checkout": /pricing → Signup (event) → /welcome, counted by visit:source and
 * visit:device; declare it before the visits (yesterday at 00:30 in the tests that use it).
 */
export const CHECKOUT = {
  name: 'Checkout',
  steps: [{ page: '/pricing' }, { event: 'Signup' }, { page: '/welcome' }],
  dimensions: ['visit:source', 'visit:device'],
}

/**
 * Hand-designed visits to example.lv that walk CHECKOUT, yesterday and just after midnight today
 * (times in UTC, the server's TIMEZONE):
 *
 *   a  Google   10:00 /pricing, 10:00:20 Signup, 10:00:50 /welcome         → steps 1, 2 (20 s), 3 (50 s)
 *   b  Google   11:00 /welcome, 11:00:10 Signup, 11:00:20 /pricing         → out of order: step 1 only
 *   c  direct   12:00 /pricing, +10 /pricing, +20 Signup, +30 Signup, +40 /welcome
 *                                                                           → repeated steps count once: 1, 2 (20 s), 3 (40 s)
 *   d  direct   13:00 /pricing; 13:40 Signup, /welcome (a new visit after 30 min idle; an iPhone)
 *                                                                           → steps across two visits: step 1 only
 *   e  Google   23:58 /pricing; today 00:01 Signup, 00:02 /welcome          → spans midnight: step 1 yesterday,
 *                                                                              2 (180 s) and 3 (240 s) today
 *
 * Yesterday: 5 → 2 → 2 visitors (average 20 s and 45 s from step 1); yesterday and today:
 * 5 → 3 → 3 (73 s, 110 s). By source yesterday: Google 3 → 1 → 1, Direct / None 2 → 1 → 1; by
 * device over both days: Desktop 4 → 3 → 3, Mobile 1 → 0 → 0. Each event moves the test's clock
 * (`setClock`) to its time before it is sent; the caller flushes the buffer.
 */
export async function sendFunnelVisits(url: string, days: { yesterday: string; today: string }, setClock: (ms: number) => void): Promise<void> {
  const at = (day: string, hms: string) => Date.parse(`${day}T${hms}Z`)
  const y = (hms: string) => at(days.yesterday, hms)
  const send = async (who: Who, when: number, body: Record<string, unknown>) => {
    setClock(when)
    const res = await sendEvent(url, { d: 'example.lv', ...body }, who)
    if (res.status !== 202) throw new Error(`event refused: ${res.status} ${await res.text()}`)
  }
  const page = (who: Who, when: number, path: string, r?: string) => send(who, when, { n: 'pageview', u: `https://example.lv${path}`, ...(r ? { r } : {}) })
  const signup = (who: Who, when: number) => send(who, when, { n: 'Signup', u: 'https://example.lv/pricing' })
  const google = 'https://www.google.com/'
  const a = { ip: '198.51.100.1', ua: chrome(1) }
  await page(a, y('10:00:00'), '/pricing', google)
  await signup(a, y('10:00:20'))
  await page(a, y('10:00:50'), '/welcome')
  const b = { ip: '198.51.100.2', ua: chrome(2) }
  await page(b, y('11:00:00'), '/welcome', google)
  await signup(b, y('11:00:10'))
  await page(b, y('11:00:20'), '/pricing')
  const c = { ip: '198.51.100.3', ua: chrome(3) }
  await page(c, y('12:00:00'), '/pricing')
  await page(c, y('12:00:10'), '/pricing')
  await signup(c, y('12:00:20'))
  await signup(c, y('12:00:30'))
  await page(c, y('12:00:40'), '/welcome')
  const d = { ip: '198.51.100.4', ua: IPHONE }
  await page(d, y('13:00:00'), '/pricing')
  await signup(d, y('13:40:00'))
  await page(d, y('13:40:10'), '/welcome')
  const e = { ip: '198.51.100.5', ua: chrome(5) }
  await page(e, y('23:58:00'), '/pricing', google)
  await signup(e, at(days.today, '00:01:00'))
  await page(e, at(days.today, '00:02:00'), '/welcome')
}

interface Who {
  ip: string
  ua: string
}

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const chrome = (n: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.${n}.0 Safari/537.36`
