import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, MAIL_OFF, type MailConfig } from '../../../server/config.ts'
import { mailerOff, smtpMailer, type Message, type Retry } from '../../../server/reports/mail.ts'
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts'

const PASSWORD = 'Pa55-w0rd-sentinel-7f3a'
const USER = 'reports@example.lv'
const BASE = { DATA_DIR: '/tmp/skaits-config-test' }

function capture() {
  const lines: string[] = []
  const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }))
  return { log, lines }
}

/** Retries at once, remembering the pauses asked for. */
function noWait(attempts = 3): Retry & { slept: number[] } {
  const slept: number[] = []
  return { attempts, firstDelayMs: 1000, slept, sleep: async (ms) => void slept.push(ms) }
}

const message: Message = { to: 'owner@example.lv', subject: 'Report', html: '<p>Hi</p>', text: 'Hi', attachments: [] }

function mailConfig(url: string, timeoutMs = 2000): MailConfig {
  return loadConfig({ ...BASE, SMTP_URL: url, MAIL_FROM: 'Skaits <skaits@example.lv>', PUBLIC_URL: 'https://stats.example.lv', MAIL_TIMEOUT_MS: String(timeoutMs) }).mail!
}

describe('mail settings', () => {
  const load = (env: Record<string, string>) => () => loadConfig({ ...BASE, ...env })
  const mail = { SMTP_URL: `smtp://${encodeURIComponent(USER)}:${PASSWORD}@mail.example.lv:587`, MAIL_FROM: 'Skaits <skaits@example.lv>', PUBLIC_URL: 'https://stats.example.lv/' }

  it('reads SMTP_URL, MAIL_FROM and PUBLIC_URL, keeping the password out of the shown form', () => {
    const config = load(mail)()
    expect(config.mail).toMatchObject({ smtpUrl: mail.SMTP_URL, from: mail.MAIL_FROM, timeoutMs: 10_000 })
    expect(config.mail!.smtpShown).not.toContain(PASSWORD)
    expect(config.mail!.smtpShown).toContain('mail.example.lv:587')
    expect(config.publicUrl).toBe('https://stats.example.lv')
    expect(load({ ...mail, SMTP_URL: 'smtps://u:p@mail.example.lv', MAIL_FROM: 'a@b.lv' })().mail?.from).toBe('a@b.lv')
  })

  it('leaves reports off without SMTP_URL', () => {
    expect(load({})().mail).toBeUndefined()
    expect(mailerOff(MAIL_OFF)).toMatchObject({ enabled: false, off: expect.stringContaining('SMTP_URL') })
  })

  it('refuses bad settings naming the variable, never repeating a password', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...mail, SMTP_URL: `not a url ${PASSWORD}` }, /^SMTP_URL is not a URL/],
      [{ ...mail, SMTP_URL: `http://u:${PASSWORD}@mail.example.lv` }, /^SMTP_URL must start with smtp:\/\/.*"http:\/\/"$/],
      [{ ...mail, MAIL_FROM: '' }, /^MAIL_FROM must be set/],
      [{ ...mail, MAIL_FROM: 'Skaits' }, /^MAIL_FROM must be an e-mail address/],
      [{ ...mail, MAIL_FROM: 'Skaits <skaits>' }, /^MAIL_FROM must be an e-mail address/],
      [{ ...mail, PUBLIC_URL: '' }, /^PUBLIC_URL must be set when SMTP_URL is/],
      [{ ...mail, PUBLIC_URL: 'stats.example.lv' }, /^PUBLIC_URL must be the dashboard's address/],
      [{ ...mail, PUBLIC_URL: 'ftp://stats.example.lv' }, /^PUBLIC_URL must start with https:\/\//],
      [{ ...mail, MAIL_TIMEOUT_MS: '5' }, /^MAIL_TIMEOUT_MS must be a whole number/],
    ]
    for (const [env, why] of cases) {
      let err: unknown
      try {
        load(env)()
      } catch (e) {
        err = e
      }
      expect(err, JSON.stringify(env)).toBeInstanceOf(ConfigError)
      expect((err as Error).message).toMatch(why)
      expect((err as Error).message).not.toContain(PASSWORD)
    }
  })
})

describe('sending', () => {
  let smtp: TestSmtp
  beforeAll(async () => {
    smtp = await startSmtp(USER, PASSWORD)
  })
  afterAll(async () => {
    await smtp?.close()
  })

  it('sends with the unsubscribe headers of RFC 8058', async () => {
    const { log } = capture()
    const mailer = smtpMailer(mailConfig(`smtp://${encodeURIComponent(USER)}:${PASSWORD}@127.0.0.1:${smtp.port}`), log, noWait())
    const sent = await mailer.send({ ...message, unsubscribeUrl: 'https://stats.example.lv/unsubscribe/abc' })
    mailer.close()
    expect(sent).toMatchObject({ ok: true, attempts: 1 })
    const got = smtp.received.at(-1)!
    expect(got.envelopeTo).toEqual(['owner@example.lv'])
    expect(got.raw).toMatch(/^List-Unsubscribe: <https:\/\/stats\.example\.lv\/unsubscribe\/abc>\r?$/m)
    expect(got.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m)
  })

  it('retries a refused login with growing pauses, then gives up, and no log line holds the password', async () => {
    const wrong = `${PASSWORD}-wrong`
    const { log, lines } = capture()
    const retry = noWait(3)
    const before = smtp.logins
    const mailer = smtpMailer(mailConfig(`smtp://${encodeURIComponent(USER)}:${encodeURIComponent(wrong)}@127.0.0.1:${smtp.port}`), log, retry)
    const sent = await mailer.send(message)
    mailer.close()
    expect(sent).toMatchObject({ ok: false, attempts: 3 })
    expect(smtp.logins - before).toBe(3)
    expect(retry.slept).toEqual([1000, 2000])
    expect(lines.length).toBe(3)
    expect(lines.join('\n')).toMatch(/giving up/)
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    for (const secret of [wrong, PASSWORD, encodeURIComponent(wrong), b64(wrong), b64(`\0${USER}\0${wrong}`)]) {
      expect(lines.join('\n')).not.toContain(secret)
      expect(sent.ok ? '' : sent.error).not.toContain(secret)
    }
  })

  it('gives up on a server that accepts connections and never answers, within its timeouts', async () => {
    const sockets: Socket[] = []
    const silent: Server = createServer((s) => void sockets.push(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const { port } = silent.address() as AddressInfo
    const { log, lines } = capture()
    const mailer = smtpMailer(mailConfig(`smtp://u:${PASSWORD}@127.0.0.1:${port}`, 300), log, noWait(2))
    const started = performance.now()
    const sent = await mailer.send(message)
    const took = performance.now() - started
    mailer.close()
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => silent.close(() => r()))
    expect(sent).toMatchObject({ ok: false, attempts: 2 })
    expect(took).toBeLessThan(2 * 300 + 1500)
    expect(lines.join('\n')).not.toContain(PASSWORD)
  })

  it('fails at once, without waiting, on a port where nothing listens', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((r) => closed.close(() => r()))
    const { log } = capture()
    const mailer = smtpMailer(mailConfig(`smtps://u:${PASSWORD}@127.0.0.1:${port}`), log, noWait(2))
    const sent = await mailer.send(message)
    mailer.close()
    expect(sent.ok).toBe(false)
    expect(sent.ok ? '' : sent.error).toMatch(/ECONNREFUSED/)
  })
})
