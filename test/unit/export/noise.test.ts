import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  bernoulliExp,
  cryptoBits,
  keyedBits,
  parseEpsilon,
  sampleDiscreteLaplace,
  type RandomBits,
  type Rational,
} from '../../../server/export/noise.ts'

// ---- statistics helpers (floating point is fine here, in the test only) ----

/** ln Γ(x), Lanczos approximation (x > 0). */
function lnGamma(x: number): number {
  const g = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x)
  x -= 1
  let a = 0.99999999999980993
  const t = x + 7.5
  for (let i = 0; i < g.length; i++) a += g[i]! / (x + i + 1)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

/** Regularised upper incomplete gamma Q(a, x) (series / continued fraction). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  const lnPre = -x + a * Math.log(x) - lnGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break
    }
    return 1 - sum * Math.exp(lnPre)
  }
  let b = x + 1 - a
  let c = 1e300
  let d = 1 / b
  let h = d
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < 1e-300) d = 1e-300
    c = b + an / c
    if (Math.abs(c) < 1e-300) c = 1e-300
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-15) break
  }
  return Math.exp(lnPre) * h
}

/** P(χ²_df ≥ x). */
const chiSquarePValue = (x: number, df: number): number => gammaQ(df / 2, x / 2)

/** The x with P(χ²_df ≥ x) = p, by bisection. */
function chiSquareCritical(p: number, df: number): number {
  let lo = 0
  let hi = df + 20 * Math.sqrt(2 * df) + 50
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2
    if (chiSquarePValue(mid, df) > p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

const SIGNIFICANCE = 0.001

interface FitResult {
  chi2: number
  df: number
  critical: number
  p: number
  mean: number
  meanBound: number
  bins: number
}

/**
 * χ² goodness of fit of `draws` against P(x) = (1−α)/(1+α)·α^|x|, α = e^(−ε): one bin per
 * x with expected count ≥ 5, each tail pooled (merged inwards until it has ≥ 5 too).
 */
function fitTwoSidedGeometric(draws: bigint[], epsilon: number): FitResult {
  const n = draws.length
  const alpha = Math.exp(-epsilon)
  const p = (x: number): number => ((1 - alpha) / (1 + alpha)) * alpha ** Math.abs(x)
  let m = 0
  while (n * p(m + 1) >= 5) m++
  // Tail P(X > m) = α^(m+1)/(1+α); pull bins into the tail until it is ≥ 5 expected too.
  let tail = (alpha ** (m + 1)) / (1 + alpha)
  while (n * tail < 5 && m > 0) {
    tail += p(m)
    m--
  }
  const counts = new Map<number, number>()
  let sum = 0
  let sumSq = 0
  for (const d of draws) {
    const x = Number(d)
    sum += x
    sumSq += x * x
    const key = x > m ? m + 1 : x < -m ? -(m + 1) : x
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  let chi2 = 0
  let bins = 0
  for (let x = -(m + 1); x <= m + 1; x++) {
    const expected = n * (Math.abs(x) === m + 1 ? tail : p(x))
    const observed = counts.get(x) ?? 0
    chi2 += (observed - expected) ** 2 / expected
    bins++
  }
  const df = bins - 1
  const variance = (2 * alpha) / (1 - alpha) ** 2
  return {
    chi2,
    df,
    critical: chiSquareCritical(SIGNIFICANCE, df),
    p: chiSquarePValue(chi2, df),
    mean: sum / n,
    meanBound: 5 * Math.sqrt(variance / n),
    bins,
  }
}

function drawMany(eps: Rational, bits: RandomBits, n: number): bigint[] {
  const out: bigint[] = new Array(n)
  for (let i = 0; i < n; i++) out[i] = sampleDiscreteLaplace(eps, bits)
  return out
}

describe('chi-square machinery', () => {
  it('reproduces textbook critical values', () => {
    expect(chiSquareCritical(0.001, 10)).toBeCloseTo(29.588, 2)
    expect(chiSquareCritical(0.001, 1)).toBeCloseTo(10.828, 2)
    expect(chiSquareCritical(0.05, 20)).toBeCloseTo(31.410, 2)
  })
})

describe('discrete Laplace sampler', () => {
  for (const [text, epsilon, draws] of [
    ['1', 1, 100_000],
    ['0.5', 0.5, 100_000],
    ['0.75', 0.75, 40_000], // s = 3, t = 4: exercises ⌊X/s⌋ with s > 1
    ['2.5', 2.5, 40_000], // ε > 1
  ] as const) {
    it(`matches the two-sided geometric law for ε = ${text} (${draws} draws, p > ${SIGNIFICANCE})`, () => {
      const fit = fitTwoSidedGeometric(drawMany(parseEpsilon(text), cryptoBits(), draws), epsilon)
      console.log(
        `ε=${text}: χ²=${fit.chi2.toFixed(2)} df=${fit.df} critical(${SIGNIFICANCE})=${fit.critical.toFixed(2)} p=${fit.p.toFixed(3)} mean=${fit.mean.toFixed(4)} (±${fit.meanBound.toFixed(4)})`,
      )
      expect(fit.df).toBeGreaterThanOrEqual(4)
      expect(fit.chi2).toBeLessThan(fit.critical)
      expect(fit.p).toBeGreaterThan(SIGNIFICANCE)
      expect(Math.abs(fit.mean)).toBeLessThan(fit.meanBound)
    })
  }

  it('Bernoulli(exp(−γ)) has the right frequency for γ = 3/2 (repetition branch)', () => {
    const bits = cryptoBits()
    const n = 40_000
    let ones = 0
    for (let i = 0; i < n; i++) if (bernoulliExp({ num: 3n, den: 2n }, bits)) ones++
    const p = Math.exp(-1.5)
    expect(Math.abs(ones / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n))
  })

  it('refuses a non-positive or malformed ε', () => {
    expect(() => sampleDiscreteLaplace({ num: 0n, den: 1n }, cryptoBits())).toThrow(RangeError)
    expect(() => sampleDiscreteLaplace({ num: 1n, den: 0n }, cryptoBits())).toThrow(RangeError)
    expect(() => cryptoBits().uniform(0n)).toThrow(RangeError)
  })
})

describe('random sources', () => {
  it('uniform() stays in range and covers it', () => {
    const bits = cryptoBits()
    const seen = new Set<bigint>()
    for (let i = 0; i < 2000; i++) {
      const u = bits.uniform(7n)
      expect(u >= 0n && u < 7n).toBe(true)
      seen.add(u)
    }
    expect(seen.size).toBe(7)
    expect(bits.uniform(1n)).toBe(0n)
    const big = (1n << 70n) + 12345n
    for (let i = 0; i < 50; i++) {
      const u = bits.uniform(big)
      expect(u >= 0n && u < big).toBe(true)
    }
  })

  it('keyedBits: the same key and label give the same draws, another label or key others', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef')
    const eps = parseEpsilon('0.5')
    const a = drawMany(eps, keyedBits(key, 'share-1|day|2024-03-01|source|google.com'), 200)
    const b = drawMany(eps, keyedBits(Buffer.from(key), 'share-1|day|2024-03-01|source|google.com'), 200)
    const c = drawMany(eps, keyedBits(key, 'share-1|day|2024-03-02|source|google.com'), 200)
    const d = drawMany(eps, keyedBits(Buffer.from('another key, same label.........'), 'share-1|day|2024-03-01|source|google.com'), 200)
    expect(a).toEqual(b)
    expect(c).not.toEqual(a)
    expect(d).not.toEqual(a)
    // and the first draw per cell is stable (what an export uses)
    expect(sampleDiscreteLaplace(eps, keyedBits(key, 'cell'))).toBe(sampleDiscreteLaplace(eps, keyedBits(key, 'cell')))
  })

  it('keyedBits follows the law too (20,000 cells, one draw each, ε = 1)', () => {
    const key = Buffer.from('export-share-secret-for-the-test')
    const eps = parseEpsilon(1)
    const draws: bigint[] = []
    for (let i = 0; i < 20_000; i++) draws.push(sampleDiscreteLaplace(eps, keyedBits(key, `cell-${i}`)))
    const fit = fitTwoSidedGeometric(draws, 1)
    expect(fit.p).toBeGreaterThan(SIGNIFICANCE)
  })
})

describe('sampler source', () => {
  it('uses no floating-point randomness, exponential or logarithm', () => {
    const text = readFileSync(new URL('../../../server/export/noise.ts', import.meta.url), 'utf8')
    expect(text).not.toMatch(/Math\.random/)
    expect(text).not.toMatch(/Math\.exp/)
    expect(text).not.toMatch(/Math\.log/)
    expect(text).not.toMatch(/Math\./)
    expect(text).not.toMatch(/parseFloat|toFixed/)
    expect(text).toMatch(/from 'node:crypto'/)
  })
})

describe('parseEpsilon', () => {
  const ok: [number | string, bigint, bigint][] = [
    ['1', 1n, 1n],
    ['0.5', 1n, 2n],
    [0.25, 1n, 4n],
    [1, 1n, 1n],
    ['10', 10n, 1n],
    ['10.000000', 10n, 1n],
    ['0.000001', 1n, 1_000_000n],
    ['0.1', 1n, 10n],
    [0.1, 1n, 10n],
    ['2.50', 5n, 2n],
    [' 3 ', 3n, 1n],
    ['0.75', 3n, 4n],
  ]
  for (const [input, num, den] of ok) {
    it(`${JSON.stringify(input)} → ${num}/${den}`, () => {
      expect(parseEpsilon(input)).toEqual({ num, den })
    })
  }
  const bad: unknown[] = ['0', 0, '-1', -0.5, '10.000001', 11, '0.0000001', 1e-7, '1e-3', '', 'abc', '.5', '1.', NaN, Infinity, 0.1 + 0.2, '1/2', null]
  for (const input of bad) {
    it(`${String(input)} is refused`, () => {
      expect(() => parseEpsilon(input as string)).toThrow(RangeError)
    })
  }
})
