import { pino } from 'pino'

export type Logger = pino.Logger

/**
 * Structured JSON logs. Nothing that identifies a visitor is ever passed in: no address,
 * no User-Agent, no visitor hash (DESIGN.md, privacy contract item 2).
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime })
}
