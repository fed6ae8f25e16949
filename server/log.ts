import { pino } from 'pino'

export type Logger = pino.Logger

/**
 * Structured JSON logs. Nothing that identifies a visitor is ever passed in: no address,
 * no User-Agent, no visitor hash (docs/design.md, privacy contract rule 2).
 */
export function createLogger(level: string): Logger {
  // Written synchronously: Skaits logs little (start, maintenance, failures), and the default
  // asynchronous stream writes what is left at exit in a loop that retries for ever when
  // stdout's reader is gone (EPIPE), so a SIGTERM after the supervisor closed the pipe left
  // the server hanging. In sync mode pino meets the EPIPE on the line itself and stops writing.
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 1, sync: true }))
}

/** An error's message without anything that could carry request data. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  // ClickHouse's parse errors quote the rejected input, and an event row holds the day's
  // visitor hash: a log line must not keep it after its salt is gone.
  return text
    .replace(/before: '[\s\S]*?'(?=: |$)/g, "before: '…'")
    .replace(/\d{12,}/g, '…')
    .slice(0, 500)
}
