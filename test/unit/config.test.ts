import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.ts'

describe('config: RETENTION_MONTHS', () => {
  it('keeps counts 25 months by default and accepts up to 50 years', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/skaits-config-test' }).retentionMonths).toBe(25)
    expect(loadConfig({ DATA_DIR: '/tmp/skaits-config-test', RETENTION_MONTHS: '600' }).retentionMonths).toBe(600)
  })

  it('refuses a retention whose TTL would pass the end of DateTime (2106) and wrap round to 1970', () => {
    expect(() => loadConfig({ DATA_DIR: '/tmp/skaits-config-test', RETENTION_MONTHS: '601' })).toThrow(ConfigError)
    expect(() => loadConfig({ DATA_DIR: '/tmp/skaits-config-test', RETENTION_MONTHS: '1200' })).toThrow(/from 1 to 600/)
  })
})

describe('config: SMTP_URL', () => {
  it('turns reports on only when it is set', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/skaits-config-test' }).mail).toBeUndefined()
    expect(loadConfig({ DATA_DIR: '/tmp/skaits-config-test', SMTP_URL: ' ' }).mail).toBeUndefined()
    const on = loadConfig({ DATA_DIR: '/tmp/skaits-config-test', SMTP_URL: 'smtp://user:pass@mail.example.lv:587', MAIL_FROM: 'r@example.lv', PUBLIC_URL: 'https://stats.example.lv' })
    expect(on.mail).toMatchObject({ smtpShown: 'smtp://user:***@mail.example.lv:587', from: 'r@example.lv' })
  })
})
