// Every message the server can send a person has a text in both of the dashboard's languages.
import { describe, expect, it } from 'vitest'
import { SERVER_MESSAGES, serverMessage, setLang } from '../../../dashboard/src/i18n.ts'
import { english, MESSAGE_CODES, MESSAGES, say } from '../../../server/http/messages.ts'
import { passwordRefusal } from '../../../server/auth/password.ts'
import { PlanError } from '../../../server/stats/plan.ts'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('server messages', () => {
  it('every code the server sends has an English and a Latvian text, and no text is left over', () => {
    expect(MESSAGE_CODES.length).toBeGreaterThan(50)
    for (const lang of ['en', 'lv'] as const) {
      const missing = MESSAGE_CODES.filter((code) => !Object.hasOwn(SERVER_MESSAGES[lang], code))
      expect(missing, `codes without a ${lang} text in dashboard/src/i18n.ts`).toEqual([])
      expect(Object.keys(SERVER_MESSAGES[lang]).sort()).toEqual([...MESSAGE_CODES].sort())
    }
  })

  it('a Latvian text differs from the English one and uses only values the server sends', () => {
    for (const code of MESSAGE_CODES) {
      const sent = placeholders(MESSAGES[code])
      for (const lang of ['en', 'lv'] as const) {
        for (const name of placeholders(SERVER_MESSAGES[lang][code]!)) expect(sent, `${lang} ${code} uses {${name}}`).toContain(name)
      }
      expect(SERVER_MESSAGES.lv[code], code).not.toBe(SERVER_MESSAGES.en[code])
    }
  })

  it('an answer keeps its English error and adds the code and the values', () => {
    expect(say('site_not_found', { domain: 'nowhere.lv' })).toEqual({ error: 'no site nowhere.lv', code: 'site_not_found', params: { domain: 'nowhere.lv' } })
    expect(say('login_failed')).toEqual({ error: 'wrong email or password', code: 'login_failed' })
    expect(passwordRefusal('short')).toEqual({ error: 'Use at least 10 characters.', code: 'password_too_short', params: { n: 10 } })
    expect(english('cross_tab_breakdown', { why: 'W', a: 'event:page', b: 'visit:source' })).toBe('W, so event:page cannot be broken down by visit:source')
    expect(new PlanError('dimension_twice').said).toEqual({ error: 'a dimension is listed twice', code: 'dimension_twice' })
  })

  it('the dashboard says a message in the page language, names dimensions and metrics, and leaves an unknown code to the server', () => {
    try {
      setLang('lv')
      expect(serverMessage('login_failed')).toBe('Nepareizs e-pasts vai parole.')
      expect(serverMessage('cross_tab_breakdown', { why: 'English reason', a: 'event:page', b: 'visit:source' })).toBe(
        'Skaits pēc būtības neglabā šķērstabulas: dalījumu „lapa” nevar sadalīt pēc „avots”.',
      )
      expect(serverMessage('metric_unavailable_total', { metric: 'visitors', allowed: '' })).toBe('Rādītājs „Apmeklētāji” nav pieejams vietnes kopsummai.')
      expect(serverMessage('no_such_code')).toBeUndefined()
      expect(serverMessage('toString')).toBeUndefined()
      setLang('en')
      expect(serverMessage('site_not_found', { domain: 'x.lv' })).toBe('No site x.lv.')
    } finally {
      setLang('en')
    }
  })
})
