import { sendEvent } from './skaits.ts'

/**
 * Twelve known visits to example.lv for three goals declared before them: Signup (an event),
 * Purchase (an event, revenue in EUR) and "Order done" (the page pattern /order/*\/done). Each
 * visitor has its own address and browser:
 *
 *   v0–v3   LV (87.110.0.x), Chrome on Windows, from Google:  /  then Signup (v1 twice)
 *   v4      LV (78.84.12.4), iPhone, from Facebook:  /pricing, Purchase 10.00 EUR
 *   v5      LV (78.84.12.5), iPhone, from Facebook:  /pricing, Purchase 20.50 EUR, Purchase 5 USD
 *   v6      NL (193.0.6.6), Firefox on Linux, direct:  /order/1/done
 *   v7      NL (193.0.6.7), Firefox on Linux, direct:  /, /order/2/done, /order/3/done
 *   v8      NL, Chrome, direct:  /, Newsletter sent with i: false (stays a bounce)
 *   v9      NL, Chrome, direct:  /, Newsletter (interactive: no bounce)
 *   v10–11  NL, Chrome, direct:  /
 *
 * Tests work their numbers out by hand from this table. `tick` moves the test's clock on a
 * second after each event.
 */
export async function sendGoalVisits(url: string, tick: () => void): Promise<void> {
  const send = async (who: Who, body: Record<string, unknown>) => {
    const res = await sendEvent(url, { d: 'example.lv', ...body }, who)
    if (res.status !== 202) throw new Error(`event refused: ${res.status} ${await res.text()}`)
    tick()
  }
  const pv = (who: Who, path: string, r?: string) => send(who, { n: 'pageview', u: `https://example.lv${path}`, ...(r ? { r } : {}) })
  const ev = (who: Who, n: string, path: string, more: Record<string, unknown> = {}) => send(who, { n, u: `https://example.lv${path}`, ...more })
  for (let i = 0; i < 4; i++) {
    const who = { ip: `87.110.0.${10 + i}`, ua: chrome(i) }
    await pv(who, '/', 'https://www.google.com/')
    await ev(who, 'Signup', '/')
    if (i === 1) await ev(who, 'Signup', '/')
  }
  const v4 = { ip: '78.84.12.4', ua: IPHONE }
  await pv(v4, '/pricing', 'https://m.facebook.com/')
  await ev(v4, 'Purchase', '/pricing', { revenue: { amount: 10, currency: 'EUR' } })
  const v5 = { ip: '78.84.12.5', ua: IPHONE.replace('17_5', '17_4') }
  await pv(v5, '/pricing', 'https://m.facebook.com/')
  await ev(v5, 'Purchase', '/pricing', { $: { amount: '20.50', currency: 'EUR' } })
  await ev(v5, 'Purchase', '/pricing', { $: JSON.stringify({ amount: '5', currency: 'USD' }) })
  await pv({ ip: '193.0.6.6', ua: FIREFOX_LINUX }, '/order/1/done')
  const v7 = { ip: '193.0.6.7', ua: FIREFOX_LINUX.replace('133', '132') }
  await pv(v7, '/')
  await pv(v7, '/order/2/done')
  await pv(v7, '/order/3/done')
  for (let i = 8; i < 12; i++) {
    const who = { ip: `193.0.6.${i}`, ua: chrome(i) }
    await pv(who, '/')
    if (i === 8) await ev(who, 'Newsletter', '/', { i: false })
    if (i === 9) await ev(who, 'Newsletter', '/')
  }
}

/** The goals the visits above are counted for, as the goals API declares them. */
export const GOALS_OF_VISITS = [{ event: 'Signup' }, { event: 'Purchase', currency: 'EUR' }, { page: '/order/*/done', name: 'Order done' }]

interface Who {
  ip: string
  ua: string
}

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const chrome = (n: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.${n}.0 Safari/537.36`
