import { describe, expect, it } from 'vitest'
import { privacyNotice, type NoticeFacts } from '../../../server/notice/notice.ts'

const facts = (ispLookup: boolean): NoticeFacts => ({ site: 'example.lv', retentionMonths: 13, respectGpc: true, ispLookup, partners: [] })

describe('the privacy notice on the ISP lookup', () => {
  it('says that DNS receives the network prefix, never the address, in English and Latvian', () => {
    const en = privacyNotice(facts(true), 'en')
    const lv = privacyNotice(facts(true), 'lv')
    expect(en).toMatch(/reverse DNS lookup of your network.*sends only your network's prefix.*never your address/s)
    expect(lv).toMatch(/reverso DNS vaicājumu par jūsu tīklu.*tikai jūsu tīkla prefiksu.*nekad ne jūsu adresi/s)
  })

  it('says nothing of DNS when the lookup is off', () => {
    expect(privacyNotice(facts(false), 'en')).not.toMatch(/DNS|prefix/)
    expect(privacyNotice(facts(false), 'lv')).not.toMatch(/DNS|prefiks/)
  })
})
