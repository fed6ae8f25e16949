/**
 * What differential privacy covers in a partner export, and how the share's ε is split.
 *
 * Unit: a visitor-day (the daily salt makes one person on two days two visitors; one
 * visitor hash is one IP address and User-Agent on one day). Neighbouring inputs differ by
 * one visitor-day with everything it contributed.
 *
 * What one download releases. The cells of every granularity the share offers and every
 * dimension of the share are noised and take part in suppression (a partner may download
 * each, and suppression reads them all), and their noise is fixed per cell: so a download
 * that releases a period releases all of them, whatever granularity or dimensions it asks
 * for. A visitor-day lies in one day, so in one period of each granularity.
 *
 * Bounded contributions. Only `visitors` is published: one visitor-day adds exactly 1 to
 * the total of its day, week and month (weekly and monthly visitors are sums of daily
 * unique visitors), and 1 to at most `valuesPerVisitorDay` values of a dimension in each.
 * Visits, pageviews, bounces and visit duration have no bound per visitor-day (one visitor
 * can make any number of visits), so no finite ε covers them: they are left out. A
 * dimension is offered only when its values come from a fixed public list (so which cells
 * exist says nothing) and a visitor-day holds a bounded number of them: a country is read
 * from the IP address, which is part of the visitor hash, so it has one; sources, pages,
 * entry pages and the like change from visit to visit or from page to page, any number of
 * times a day, and are not offered.
 *
 * Split. With G granularities and C = 1 + Σ valuesPerVisitorDay over the share's
 * dimensions, one visitor-day changes at most G·C cells by at most 1 each; noising each
 * cell with ε / (G·C) (two-sided geometric noise: a change of 1 moves the log-probability of
 * any output by at most the cell's ε) makes the whole download ε-differentially private.
 * Suppression and rounding to ≥ 0 run on the noisy values, so they are post-processing.
 */
import type { Rational } from './noise.ts'

/** The only metric whose change by one visitor-day is bounded (by 1 per cell). */
export const DP_METRICS = ['visitors'] as const
/** Left out of noised downloads: one visitor-day can change them by any amount. */
export const DP_WITHHELD_METRICS = ['visits', 'pageviews', 'bounces', 'visit_duration'] as const

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
/** Every code the country lookup can store (it keeps two letters, upper-cased). */
const TWO_LETTER_CODES = [...LETTERS].flatMap((a) => [...LETTERS].map((b) => a + b))

export interface DpDimension {
  /** The most values of this dimension one visitor-day can count under, per period. */
  valuesPerVisitorDay: number
  /** Every value published, with or without visitors (a list that does not depend on the data). */
  domain: readonly string[]
}

/** Dimensions a share with ε may include. */
export const DP_DIMENSIONS: Record<string, DpDimension> = {
  'visit:country': { valuesPerVisitorDay: 1, domain: TWO_LETTER_CODES },
}

/** Cells of one granularity one visitor-day touches: the total plus its values in each dimension. */
export function cellsPerPeriod(dimensions: string[]): number {
  let cells = 1
  for (const d of dimensions) {
    const dp = DP_DIMENSIONS[d]
    if (dp) cells += dp.valuesPerVisitorDay
  }
  return cells
}

/** ε of each noised cell: the share's ε split over every cell one visitor-day touches in a download. */
export function cellEpsilon(epsilon: Rational, granularities: number, dimensions: string[]): Rational {
  const cells = BigInt(granularities * cellsPerPeriod(dimensions))
  let num = epsilon.num
  let den = epsilon.den * cells
  const g = gcd(num, den)
  num /= g
  den /= g
  return { num, den }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}
