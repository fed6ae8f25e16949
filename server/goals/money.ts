/**
 * Money as goals count it: an ISO 4217 currency and an integer amount in its minor units (cents
 * for EUR, yen for JPY, fils for KWD), so sums are exact in every table and language.
 */

const KNOWN = new Set<string>(Intl.supportedValuesOf('currency'))

/** Whether `code` is an ISO 4217 currency code this runtime knows (upper case, three letters). */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && KNOWN.has(code)
}

const digitsCache = new Map<string, number>()

/** The currency's minor-unit digits: 2 for EUR, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency)
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
    digitsCache.set(currency, digits)
  }
  return digits
}

/** The largest amount one event may carry, in major units: a billion, far above any one purchase. */
export const MAX_AMOUNT = 1e9

export type Amount = { ok: true; minor: number } | { ok: false; reason: string }

/**
 * An amount as the Plausible Events API takes it (a number, or a decimal string such as
 * "15.99"), in the currency's minor units, rounded half away from zero to the nearest one
 * ("15.999" EUR is 1600 cents). Negative amounts are refunds and count as such.
 */
export function toMinor(amount: unknown, currency: string): Amount {
  let text: string
  if (typeof amount === 'number') {
    if (!Number.isFinite(amount)) return { ok: false, reason: 'not a finite number' }
    text = String(amount)
  } else if (typeof amount === 'string') {
    text = amount.trim()
  } else {
    return { ok: false, reason: 'a number or a decimal string, such as "15.99"' }
  }
  const m = /^([+-]?)(\d{1,15})(?:\.(\d{0,20}))?$|^([+-]?)\.(\d{1,20})$/.exec(text)
  if (!m) return { ok: false, reason: `not a decimal amount: ${JSON.stringify(text.slice(0, 40))}` }
  const sign = (m[1] ?? m[4]) === '-' ? -1 : 1
  const whole = m[2] ?? '0'
  const fraction = m[3] ?? m[5] ?? ''
  const digits = minorDigits(currency)
  const kept = (fraction + '0'.repeat(digits)).slice(0, digits)
  const roundUp = (fraction[digits] ?? '0') >= '5'
  const minor = Number(whole) * 10 ** digits + Number(kept || '0') + (roundUp ? 1 : 0)
  if (minor / 10 ** digits > MAX_AMOUNT) return { ok: false, reason: `more than ${MAX_AMOUNT.toLocaleString('en')} in one event` }
  return { ok: true, minor: sign * minor }
}

/** An amount in minor units as major units (1599 EUR cents → 15.99). */
export function toMajor(minor: number, currency: string): number {
  const digits = minorDigits(currency)
  return Number((minor / 10 ** digits).toFixed(digits))
}

/** Revenue as the Plausible Stats API shows it: `{short: "€1.2K", long: "€1,234.50", value: 1234.5, currency: "EUR"}`. */
export interface Money {
  short: string
  long: string
  value: number
  currency: string
}

export function money(minor: number, currency: string): Money {
  const value = toMajor(minor, currency)
  const long = new Intl.NumberFormat('en', { style: 'currency', currency }).format(value)
  const short = new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    notation: 'compact',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(value)
  return { short, long, value, currency }
}
