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
