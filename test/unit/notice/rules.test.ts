import { describe, expect, it } from 'vitest'
import { privacyNotice, type NoticeFacts } from '../../../server/notice/notice.ts'

const facts: NoticeFacts = { site: 'example.lv', retentionMonths: 25, respectGpc: true, ispLookup: false, partners: [] }

describe('the privacy notice on hours, links and shared views', () => {
  it('says who sees what, in English and Latvian', () => {
    const en = privacyNotice(facts, 'en')
    expect(en).toMatch(/by the hour are kept only for the day under way.*only the site's total number of visits keeps its hours/s)
    expect(en).toMatch(/without its query string or fragment/)
    expect(en).toMatch(/through a link or a public key never see a value counted for fewer than 5 visitors.*only the owner sees the exact counts/s)
    const lv = privacyNotice(facts, 'lv')
    expect(lv).toMatch(/pa stundām tiek glabāti tikai par tekošo dienu.*stundas saglabā tikai vietnes kopējais apmeklējumu skaits/s)
    expect(lv).toMatch(/bez vaicājuma virknes un fragmenta/)
    expect(lv).toMatch(/mazāk nekā 5 apmeklētāji.*precīzos skaitļus redz tikai īpašnieks/s)
  })

  it('says what goals count — one dimension at a time, no event kept — only when the site has goals', () => {
    expect(privacyNotice(facts, 'en')).not.toMatch(/goal/)
    const withGoals = { ...facts, goals: { names: ['Signup', 'Purchase'], revenue: true }, visitIdleMinutes: 30 }
    const en = privacyNotice(withGoals, 'en')
    expect(en).toMatch(/has set goals \(Signup, Purchase\).*total amount of money of purchases.*never by two together.*No record of which visit or visitor reached a goal is kept.*30 minutes/s)
    const lv = privacyNotice(withGoals, 'lv')
    expect(lv).toMatch(/ir noteicis mērķus \(Signup, Purchase\).*pirkumu kopējo naudas summu.*nekad pēc diviem kopā.*netiek glabāts.*30 minūtēm/s)
    expect(privacyNotice({ ...withGoals, goals: { names: ['Signup'], revenue: false } }, 'en')).not.toMatch(/money/)
    const funnels = { ...facts, funnels: ['Checkout'] }
    expect(privacyNotice(funnels, 'en')).toMatch(/The owner of example.lv has set funnels \(Checkout\).*one of the things listed above at a time.*no path through the site is kept/s)
    expect(privacyNotice(funnels, 'lv')).toMatch(/example.lv īpašnieks ir noteicis piltuves \(Checkout\).*ceļš pa vietni netiek glabāts/s)
    expect(privacyNotice({ ...withGoals, funnels: ['Checkout'] }, 'en')).toMatch(/It has also set funnels/)
  })
})
