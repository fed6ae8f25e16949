import { createTransport, type SendMailOptions } from 'nodemailer'
import type { MailConfig } from '../config.ts'
import { errorText, type Logger } from '../log.ts'

export interface Message {
  to: string
  subject: string
  html: string
  text: string
  attachments: { cid: string; filename: string; png: Buffer }[]
  /** the one-click unsubscribe link (RFC 8058): sent as List-Unsubscribe with List-Unsubscribe-Post */
  unsubscribeUrl?: string
}

export type Sent = { ok: true; attempts: number; messageId: string } | { ok: false; attempts: number; error: string }

export interface Mailer {
  /** false when no SMTP server is configured; `off` then says why */
  readonly enabled: boolean
  readonly off?: string
  send(message: Message): Promise<Sent>
  close(): void
}

/** What a send may wait for between tries; tests pass a sleep that returns at once. */
export interface Retry {
  attempts: number
  /** before the second try; doubled before each next one */
  firstDelayMs: number
  sleep: (ms: number) => Promise<void>
}

export const DEFAULT_RETRY: Retry = { attempts: 3, firstDelayMs: 5_000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }

/** A mailer that sends nothing and says why: no SMTP_URL, so no reports. */
export function mailerOff(reason: string): Mailer {
  return {
    enabled: false,
    off: reason,
    send: async () => ({ ok: false, attempts: 0, error: reason }),
    close: () => {},
  }
}

/**
 * Sends through the SMTP server of SMTP_URL. A try waits at most MAIL_TIMEOUT_MS for each step
 * (connect, greeting, each reply), so a server that is down or silent costs the caller at most
 * `attempts` timeouts plus the pauses between them, and never an unbounded wait; callers that
 * must not wait at all (the scheduler, later) do not await it on a request's path.
 */
export function smtpMailer(config: MailConfig, log: Logger, retry: Retry = DEFAULT_RETRY): Mailer {
  const transport = createTransport({
    url: config.smtpUrl,
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    dnsTimeout: config.timeoutMs,
  })
  const secrets = secretsOf(config.smtpUrl)
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text)
  return {
    enabled: true,
    async send(message) {
      let error = ''
      for (let attempt = 1; attempt <= retry.attempts; attempt++) {
        try {
          const info = await transport.sendMail(mailOf(config.from, message))
          return { ok: true, attempts: attempt, messageId: String(info.messageId) }
        } catch (err) {
          error = redact(errorText(err))
          const last = attempt === retry.attempts
          // The message names the server without its password, and the reply without what we sent.
          log.warn({ smtp: config.smtpShown, attempt, of: retry.attempts, err: error }, last ? 'report mail not sent; giving up' : 'report mail not sent; will retry')
          if (!last) await retry.sleep(retry.firstDelayMs * 2 ** (attempt - 1))
        }
      }
      return { ok: false, attempts: retry.attempts, error }
    },
    close: () => transport.close(),
  }
}

function mailOf(from: string, m: Message): SendMailOptions {
  return {
    from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    attachments: m.attachments.map((a) => ({ cid: a.cid, filename: a.filename, content: a.png, contentType: 'image/png', contentDisposition: 'inline' as const })),
    headers: m.unsubscribeUrl ? { 'List-Unsubscribe': `<${m.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
  }
}

/**
 * Every spelling of the SMTP password an error could carry: as written in the URL, decoded, and
 * inside the base64 of AUTH PLAIN and AUTH LOGIN (a server may quote what it refused).
 */
function secretsOf(smtpUrl: string): string[] {
  const url = new URL(smtpUrl)
  if (!url.password) return []
  const password = decodeURIComponent(url.password)
  const user = decodeURIComponent(url.username)
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
  return [...new Set([url.password, password, b64(password), b64(`\0${user}\0${password}`), b64(`${user}\0${user}\0${password}`)])].filter((s) => s.length >= 3)
}
