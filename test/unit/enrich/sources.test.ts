import { describe, expect, it } from 'vitest'
import { classifySource, type VisitSource } from '../../../server/enrich/sources.ts'

const SITE = 'example.lv'
const PAGE = 'https://example.lv/pakalpojumi'

interface Row {
  referrer?: string
  url?: string
  site?: string
  expected: Partial<VisitSource>
}

const NO_UTM = { utm_source: '', utm_medium: '', utm_campaign: '', utm_content: '', utm_term: '' }

function classify(row: Pick<Row, 'referrer' | 'url' | 'site'>): VisitSource {
  return classifySource(new URL(row.url ?? PAGE), row.referrer, row.site ?? SITE)
}

// prettier-ignore
const TABLE: Row[] = [
  // no referrer, no tags
  { expected: { source: 'Direct / None', referrer: '', channel: 'Direct' } },
  { referrer: '', expected: { source: 'Direct / None', referrer: '', channel: 'Direct' } },

  // search engines
  { referrer: 'https://www.google.com/', expected: { source: 'Google', referrer: 'google.com', channel: 'Organic Search' } },
  { referrer: 'https://www.google.lv/', expected: { source: 'Google', referrer: 'google.lv', channel: 'Organic Search' } },
  { referrer: 'https://www.google.co.uk/search?q=skaits', expected: { source: 'Google', referrer: 'google.co.uk', channel: 'Organic Search' } },
  { referrer: 'https://www.google.com.br/', expected: { source: 'Google', referrer: 'google.com.br', channel: 'Organic Search' } },
  { referrer: 'android-app://com.google.android.googlequicksearchbox/', expected: { source: 'Google', referrer: 'com.google.android.googlequicksearchbox', channel: 'Organic Search' } },
  { referrer: 'https://www.bing.com/', expected: { source: 'Bing', referrer: 'bing.com', channel: 'Organic Search' } },
  { referrer: 'https://duckduckgo.com/', expected: { source: 'DuckDuckGo', referrer: 'duckduckgo.com', channel: 'Organic Search' } },
  { referrer: 'https://yandex.ru/search/?text=x', expected: { source: 'Yandex', referrer: 'yandex.ru', channel: 'Organic Search' } },
  { referrer: 'https://yandex.com.tr/', expected: { source: 'Yandex', referrer: 'yandex.com.tr', channel: 'Organic Search' } },
  { referrer: 'https://search.yahoo.com/', expected: { source: 'Yahoo!', referrer: 'search.yahoo.com', channel: 'Organic Search' } },
  { referrer: 'https://www.ecosia.org/', expected: { source: 'Ecosia', referrer: 'ecosia.org', channel: 'Organic Search' } },
  { referrer: 'https://m.baidu.com/', expected: { source: 'Baidu', referrer: 'm.baidu.com', channel: 'Organic Search' } },
  { referrer: 'https://search.brave.com/', expected: { source: 'Brave', referrer: 'search.brave.com', channel: 'Organic Search' } },

  // social
  { referrer: 'https://www.facebook.com/', expected: { source: 'Facebook', referrer: 'facebook.com', channel: 'Organic Social' } },
  { referrer: 'https://m.facebook.com/', expected: { source: 'Facebook', referrer: 'm.facebook.com', channel: 'Organic Social' } },
  { referrer: 'https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.lv', expected: { source: 'Facebook', referrer: 'l.facebook.com', channel: 'Organic Social' } },
  { referrer: 'https://lm.facebook.com/', expected: { source: 'Facebook', referrer: 'lm.facebook.com', channel: 'Organic Social' } },
  { referrer: 'https://fb.me/abc', expected: { source: 'Facebook', referrer: 'fb.me', channel: 'Organic Social' } },
  { referrer: 'https://l.instagram.com/?u=x', expected: { source: 'Instagram', referrer: 'l.instagram.com', channel: 'Organic Social' } },
  { referrer: 'https://t.co/AbC123', expected: { source: 'X (Twitter)', referrer: 't.co', channel: 'Organic Social' } },
  { referrer: 'https://x.com/', expected: { source: 'X (Twitter)', referrer: 'x.com', channel: 'Organic Social' } },
  { referrer: 'https://twitter.com/', expected: { source: 'X (Twitter)', referrer: 'twitter.com', channel: 'Organic Social' } },
  { referrer: 'https://lnkd.in/xyz', expected: { source: 'LinkedIn', referrer: 'lnkd.in', channel: 'Organic Social' } },
  { referrer: 'https://www.linkedin.com/feed/', expected: { source: 'LinkedIn', referrer: 'linkedin.com', channel: 'Organic Social' } },
  { referrer: 'https://old.reddit.com/r/latvia/', expected: { source: 'Reddit', referrer: 'old.reddit.com', channel: 'Organic Social' } },
  { referrer: 'https://www.tiktok.com/', expected: { source: 'TikTok', referrer: 'tiktok.com', channel: 'Organic Social' } },
  { referrer: 'https://lv.pinterest.com/', expected: { source: 'Pinterest', referrer: 'lv.pinterest.com', channel: 'Organic Social' } },
  { referrer: 'https://web.telegram.org/', expected: { source: 'Telegram', referrer: 'web.telegram.org', channel: 'Organic Social' } },
  { referrer: 'https://web.whatsapp.com/', expected: { source: 'WhatsApp', referrer: 'web.whatsapp.com', channel: 'Organic Social' } },
  { referrer: 'https://www.threads.net/', expected: { source: 'Threads', referrer: 'threads.net', channel: 'Organic Social' } },
  { referrer: 'https://www.draugiem.lv/say/', expected: { source: 'draugiem.lv', referrer: 'draugiem.lv', channel: 'Organic Social' } },

  // video, AI assistants
  { referrer: 'https://www.youtube.com/', expected: { source: 'YouTube', referrer: 'youtube.com', channel: 'Organic Video' } },
  { referrer: 'https://m.youtube.com/watch?v=abc', expected: { source: 'YouTube', referrer: 'm.youtube.com', channel: 'Organic Video' } },
  { referrer: 'https://chatgpt.com/', expected: { source: 'ChatGPT', referrer: 'chatgpt.com', channel: 'AI Assistants' } },
  { referrer: 'https://www.perplexity.ai/', expected: { source: 'Perplexity', referrer: 'perplexity.ai', channel: 'AI Assistants' } },

  // mail
  { referrer: 'https://mail.google.com/', expected: { source: 'Gmail', referrer: 'mail.google.com', channel: 'Email' } },
  { referrer: 'android-app://com.google.android.gm/', expected: { source: 'Gmail', referrer: 'com.google.android.gm', channel: 'Email' } },
  { referrer: 'https://outlook.live.com/', expected: { source: 'Outlook', referrer: 'outlook.live.com', channel: 'Email' } },
  { referrer: 'https://mail.yahoo.com/', expected: { source: 'Yahoo Mail', referrer: 'mail.yahoo.com', channel: 'Email' } },
  { referrer: 'https://www.inbox.lv/', expected: { source: 'inbox.lv', referrer: 'inbox.lv', channel: 'Email' } },
  { referrer: 'https://mail.inbox.lv/?folder=INBOX', expected: { source: 'inbox.lv', referrer: 'mail.inbox.lv', channel: 'Email' } },

  // Latvian shopping and news
  { referrer: 'https://www.ss.com/lv/real-estate/', expected: { source: 'ss.com', referrer: 'ss.com', channel: 'Organic Shopping' } },
  { referrer: 'https://www.ss.lv/', expected: { source: 'ss.com', referrer: 'ss.lv', channel: 'Organic Shopping' } },
  { referrer: 'https://www.salidzini.lv/cena?q=x', expected: { source: 'salidzini.lv', referrer: 'salidzini.lv', channel: 'Organic Shopping' } },
  { referrer: 'https://www.1a.lv/', expected: { source: '1a.lv', referrer: '1a.lv', channel: 'Organic Shopping' } },
  { referrer: 'https://www.delfi.lv/news/', expected: { source: 'delfi.lv', referrer: 'delfi.lv', channel: 'Referral' } },
  { referrer: 'https://rus.delfi.lv/', expected: { source: 'delfi.lv', referrer: 'rus.delfi.lv', channel: 'Referral' } },
  { referrer: 'https://www.tvnet.lv/', expected: { source: 'tvnet.lv', referrer: 'tvnet.lv', channel: 'Referral' } },
  { referrer: 'https://eng.lsm.lv/article/x', expected: { source: 'lsm.lv', referrer: 'eng.lsm.lv', channel: 'Referral' } },
  { referrer: 'https://www.apollo.lv/', expected: { source: 'apollo.lv', referrer: 'apollo.lv', channel: 'Referral' } },
  { referrer: 'https://lv.wikipedia.org/wiki/R%C4%ABga', expected: { source: 'Wikipedia', referrer: 'lv.wikipedia.org', channel: 'Referral' } },

  // unknown referrers: the host is the source
  { referrer: 'https://www.markosaric.com/post?id=1#x', expected: { source: 'markosaric.com', referrer: 'markosaric.com', channel: 'Referral' } },
  { referrer: 'http://blog.partneris.lv:8080/a/b?c=d', expected: { source: 'blog.partneris.lv', referrer: 'blog.partneris.lv', channel: 'Referral' } },
  { referrer: 'https://XN--ZIAS-M2A.lv/raksts', expected: { source: 'ziņas.lv', referrer: 'ziņas.lv', channel: 'Referral' } },
  { referrer: 'android-app://com.example.news/', expected: { source: 'com.example.news', referrer: 'com.example.news', channel: 'Referral' } },
  { referrer: 'https://docs.google.com/document/d/1', expected: { source: 'Google Docs', referrer: 'docs.google.com', channel: 'Referral' } },

  // tags win over the referrer
  { url: `${PAGE}?utm_source=facebook&utm_medium=social&utm_campaign=ziema`, expected: { source: 'Facebook', referrer: '', channel: 'Organic Social', utm_source: 'facebook', utm_medium: 'social', utm_campaign: 'ziema' } },
  { url: `${PAGE}?utm_source=fb&utm_medium=paid_social`, expected: { source: 'Facebook', channel: 'Paid Social', utm_source: 'fb', utm_medium: 'paid_social' } },
  { url: `${PAGE}?utm_source=ig&utm_medium=cpc`, referrer: 'https://l.instagram.com/', expected: { source: 'Instagram', referrer: 'l.instagram.com', channel: 'Paid Social', utm_source: 'ig', utm_medium: 'cpc' } },
  { url: `${PAGE}?utm_source=facebook_ads`, expected: { source: 'Facebook', channel: 'Paid Social', utm_source: 'facebook_ads' } },
  { url: `${PAGE}?utm_source=google&utm_medium=cpc&utm_campaign=Brand-LV&utm_term=grāmatvedis&utm_content=ad1`, referrer: 'https://www.google.com/', expected: { source: 'Google', referrer: 'google.com', channel: 'Paid Search', utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'Brand-LV', utm_term: 'grāmatvedis', utm_content: 'ad1' } },
  { url: `${PAGE}?utm_source=adwords`, expected: { source: 'Google', channel: 'Paid Search', utm_source: 'adwords' } },
  { url: `${PAGE}?gclid=Cj0KCQ`, referrer: 'https://www.google.lv/', expected: { source: 'Google', referrer: 'google.lv', channel: 'Paid Search' } },
  { url: `${PAGE}?msclkid=abc`, referrer: 'https://www.bing.com/', expected: { source: 'Bing', channel: 'Paid Search' } },
  { url: `${PAGE}?fbclid=IwAR0`, referrer: 'https://l.facebook.com/', expected: { source: 'Facebook', channel: 'Organic Social' } },
  { url: `${PAGE}?utm_source=newsletter&utm_medium=email&utm_campaign=marts`, expected: { source: 'newsletter', channel: 'Email', utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'marts' } },
  { url: `${PAGE}?utm_source=Inbox.LV`, expected: { source: 'inbox.lv', channel: 'Email', utm_source: 'Inbox.LV' } },
  { url: `${PAGE}?utm_source=partner&utm_medium=affiliate`, expected: { source: 'partner', channel: 'Affiliates', utm_medium: 'affiliate', utm_source: 'partner' } },
  { url: `${PAGE}?utm_source=portals&utm_medium=banner`, expected: { source: 'portals', channel: 'Display' } },
  { url: `${PAGE}?utm_source=portals&utm_medium=cpm`, expected: { source: 'portals', channel: 'Display' } },
  { url: `${PAGE}?utm_source=somewhere&utm_medium=ppc`, expected: { source: 'somewhere', channel: 'Paid Other' } },
  { url: `${PAGE}?utm_source=google&utm_campaign=cross-network-2026`, expected: { source: 'Google', channel: 'Cross-network' } },
  { url: `${PAGE}?utm_source=salidzini&utm_medium=cpc`, expected: { source: 'salidzini.lv', channel: 'Paid Shopping' } },
  { url: `${PAGE}?utm_source=veikals&utm_campaign=shopping-feed&utm_medium=cpc`, expected: { source: 'veikals', channel: 'Paid Shopping' } },
  { url: `${PAGE}?utm_source=veikals&utm_campaign=shop-lv`, expected: { source: 'veikals', channel: 'Organic Shopping' } },
  { url: `${PAGE}?utm_source=sms`, expected: { source: 'sms', channel: 'SMS' } },
  { url: `${PAGE}?utm_source=app&utm_medium=push`, expected: { source: 'app', channel: 'Mobile Push Notifications' } },
  { url: `${PAGE}?utm_source=podcast&utm_medium=audio`, expected: { source: 'podcast', channel: 'Audio' } },
  { url: `${PAGE}?utm_source=youtube&utm_medium=video`, expected: { source: 'YouTube', channel: 'Organic Video' } },
  { url: `${PAGE}?ref=producthunt`, referrer: 'https://www.producthunt.com/', expected: { source: 'producthunt', referrer: 'producthunt.com', channel: 'Referral', utm_source: '' } },
  { url: `${PAGE}?source=m.facebook.com`, expected: { source: 'Facebook', channel: 'Organic Social', utm_source: '' } },
  { url: `${PAGE}?utm_source=google.lv`, expected: { source: 'Google', channel: 'Organic Search' } },
  { url: `${PAGE}?utm_source=&source=&ref=draugiem`, expected: { source: 'draugiem.lv', channel: 'Organic Social' } },
  { url: `${PAGE}?utm_medium=referral`, expected: { source: 'Direct / None', channel: 'Referral', utm_medium: 'referral' } },
  { url: `${PAGE}?utm_campaign=pavasaris`, expected: { source: 'Direct / None', channel: 'Direct', utm_campaign: 'pavasaris' } },
  { url: `${PAGE}?utm_source=facebook`, referrer: 'https://example.lv/', expected: { source: 'Facebook', referrer: '', channel: 'Organic Social' } },
]

describe('classifySource: classification table', () => {
  it('has at least 40 rows', () => expect(TABLE.length).toBeGreaterThanOrEqual(40))

  it.each(TABLE)('$referrer $url', (row) => {
    const got = classify(row)
    expect(got).toMatchObject(row.expected)
    const untagged = !/[?&]utm_/.test(row.url ?? '')
    if (untagged) expect(got).toMatchObject(NO_UTM)
  })
})

describe('classifySource: the site itself is not a source', () => {
  it.each([
    ['same host', 'https://example.lv/kontakti', PAGE, 'example.lv'],
    ['www.', 'https://www.example.lv/', PAGE, 'example.lv'],
    ['www. site domain', 'https://example.lv/', PAGE, 'www.example.lv'],
    ['subdomain', 'https://veikals.example.lv/grozs', PAGE, 'example.lv'],
    ['sibling subdomain', 'https://blog.example.lv/', 'https://shop.example.lv/', 'shop.example.lv'],
    ['page on another host of the site', 'https://example.com/', 'https://example.com/', 'example.lv'],
    ['upper case and trailing dot', 'https://WWW.EXAMPLE.LV./', PAGE, 'example.lv'],
  ])('%s', (_, referrer, url, site) => {
    expect(classify({ referrer, url, site })).toMatchObject({ source: 'Direct / None', referrer: '', channel: 'Direct' })
  })

  it('keeps other sites under a shared public suffix apart', () => {
    const got = classify({ referrer: 'https://other.github.io/', url: 'https://mine.github.io/', site: 'mine.github.io' })
    expect(got).toMatchObject({ source: 'other.github.io', referrer: 'other.github.io', channel: 'Referral' })
  })

  it('does not treat a look-alike domain as internal', () => {
    expect(classify({ referrer: 'https://notexample.lv/' })).toMatchObject({ source: 'notexample.lv', channel: 'Referral' })
    expect(classify({ referrer: 'https://example.lv.evil.com/' })).toMatchObject({ source: 'example.lv.evil.com' })
  })
})

describe('classifySource: garbage and minimisation', () => {
  it.each([
    'not a url',
    'google.com',
    '//google.com/',
    'about:blank',
    'file:///C:/Users/anna/Desktop/page.html',
    'chrome-extension://abcdef/popup.html',
    'data:text/html,hi',
    'http://localhost:3000/',
    'http://127.0.0.1/',
    'http://[::1]:8080/',
    'android-app://',
  ])('%j counts as no referrer', (referrer) => {
    expect(classify({ referrer })).toMatchObject({ source: 'Direct / None', referrer: '', channel: 'Direct' })
  })

  it('reduces a referrer to its host: no scheme, credentials, port, path, query or fragment', () => {
    const got = classify({ referrer: 'https://anna:secret@www.Partneris.lv:8443/klienti/anna?email=anna@example.com#top' })
    expect(got.referrer).toBe('partneris.lv')
    expect(JSON.stringify(got)).not.toMatch(/anna|secret|8443|klienti|email/)
  })

  it('keeps utm values as given but trimmed, capped and without control characters', () => {
    const url = new URL(PAGE)
    url.searchParams.set('utm_source', '  Ziņu\u0000lapa\u0007 ')
    url.searchParams.set('utm_campaign', 'A'.repeat(500))
    url.searchParams.set('utm_term', '\u001b[31m sarkans \u009b')
    const got = classifySource(url, undefined, SITE)
    expect(got.utm_source).toBe('Ziņulapa')
    expect(got.source).toBe('Ziņulapa')
    expect(got.utm_campaign).toBe('A'.repeat(200))
    expect(got.utm_term).toBe('[31m sarkans')
  })

  it('caps a tagged source at 100 characters without splitting a character', () => {
    const got = classify({ url: `${PAGE}?ref=${'x'.repeat(99)}${encodeURIComponent('😀')}yyy` })
    expect(got.source).toBe('x'.repeat(99))
    expect(classify({ url: `${PAGE}?ref=${'r'.repeat(300)}` }).source).toBe('r'.repeat(100))
  })

  it('does not keep any other query parameter', () => {
    const got = classify({ url: `${PAGE}?utm_source=x&email=anna%40example.com&token=abc123&fbclid=IwAR` })
    expect(JSON.stringify(got)).not.toMatch(/anna|abc123|IwAR/)
  })
})

/*
 * Micro-benchmark (Node 20, x86-64), kept as a note rather than a test:
 *   referrer l.facebook.com / google.lv, no tags      ≈ 2.1–2.4 µs a call
 *   unknown referrer (blog.partneris.lv)              ≈ 2.7 µs a call
 *   no referrer, utm tags / no tags                   ≈ 1.5 / 1.0 µs a call
 */
