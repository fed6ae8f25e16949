/**
 * Exact two-sided geometric ("discrete Laplace") noise for partner exports.
 *
 * Distribution: for a privacy parameter ε > 0, the sampler returns an integer X with
 *
 *     P(X = x) = (1 − α) / (1 + α) · α^|x|,   α = e^(−ε),   x ∈ ℤ,
 *
 * i.e. P(X = x) ∝ exp(−ε·|x|). Adding X to a count whose value one visitor can change by
 * at most 1 makes the published count ε-differentially private.
 *
 * Exactness. The sampler follows Canonne, Kamath & Steinke, "The Discrete Gaussian for
 * Differential Privacy" (NeurIPS 2020, arXiv:2004.00010), which needs nothing but uniform
 * random integers and integer comparisons, so the output law is exactly the one above:
 * no floating-point number is created anywhere on the sampling path (no exponential,
 * logarithm or floating-point random function; every quantity is a BigInt). ε is carried
 * as an exact fraction num/den, parsed from its decimal text (at most 6 decimals).
 *
 * Algorithm 1, Bernoulli(exp(−γ)) for rational γ = n/d ≥ 0:
 *   - γ ∈ [0, 1]: K ← 1; repeat { draw A ~ Bernoulli(γ/K), i.e. A = [U < n] with U uniform
 *     in [0, d·K); if A = 0 stop; K ← K + 1 }; return [K is odd]. This realises the
 *     alternating series exp(−γ) = Σ (−γ)^j / j! with integer comparisons only.
 *   - γ > 1: draw ⌊γ⌋ (here: while γ > 1, subtract 1) independent Bernoulli(exp(−1));
 *     return 0 at the first 0, else a final Bernoulli(exp(−(γ − #draws))).
 *
 * Algorithm 2, discrete Laplace with scale t/s (P ∝ exp(−|x|·s/t)); here s = num, t = den:
 *   loop {
 *     U ← uniform in [0, t);  D ← Bernoulli(exp(−U/t));  if D = 0 restart;
 *     V ← 0;  while Bernoulli(exp(−1)) = 1: V ← V + 1;
 *     X ← U + t·V              (X is geometric: P(X = x) ∝ exp(−x/t))
 *     Y ← ⌊X / s⌋              (Y is geometric: P(Y = y) ∝ exp(−y·s/t) = exp(−ε·y))
 *     B ← Bernoulli(1/2);  if B = 1 and Y = 0 restart   (so 0 is not counted twice)
 *     return (1 − 2B)·Y
 *   }
 *
 * Randomness. `RandomBits.uniform(n)` returns an integer uniform in [0, n) by rejection
 * sampling over whole bytes (draw ⌈bits(n−1)/8⌉ bytes, keep the low bits(n−1) bits, retry
 * while ≥ n), so there is no modulo bias. Two sources:
 *   - `cryptoBits()`: bytes from node:crypto `randomBytes` (a CSPRNG), pooled.
 *   - `keyedBits(key, label)`: the byte stream HMAC-SHA256(key, utf8(label) ‖ u64be(0)),
 *     HMAC-SHA256(key, utf8(label) ‖ u64be(1)), … — a deterministic pseudorandom stream, so
 *     one (key, label), e.g. (share secret, cell id), always yields the same noise: a
 *     repeated download is byte-identical and averaging repeats gains nothing.
 */
import { createHmac, randomBytes } from 'node:crypto'

/** An exact positive fraction num/den (ε, or a scale), in lowest terms. */
export interface Rational {
  num: bigint
  den: bigint
}

/** A source of uniform random integers. */
export interface RandomBits {
  /** A uniform integer in [0, n), n ≥ 1. */
  uniform(n: bigint): bigint
}

const EPSILON_MAX = 10n
const EPSILON_DECIMALS = 6

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

/**
 * ε from its decimal text ('1', '0.5') or a number (0.25) as an exact fraction in lowest
 * terms. At most 6 decimals, 0 < ε ≤ 10; anything else throws a RangeError.
 */
export function parseEpsilon(x: number | string): Rational {
  let text: string
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new RangeError(`epsilon must be a finite number, got ${String(x)}`)
    text = String(x) // shortest round-trip form: 0.25 → '0.25', 1e-7 → '1e-7' (rejected below)
  } else if (typeof x === 'string') {
    text = x.trim()
  } else {
    throw new RangeError('epsilon must be a number or a decimal string')
  }
  const m = /^(\d{1,6})(?:\.(\d{1,6}))?$/.exec(text)
  if (!m) {
    throw new RangeError(`epsilon must be a decimal number with at most ${EPSILON_DECIMALS} decimals, got '${text}'`)
  }
  const frac = m[2] ?? ''
  let num = BigInt(m[1]! + frac)
  let den = 10n ** BigInt(frac.length)
  if (num === 0n) throw new RangeError('epsilon must be greater than 0')
  if (num > EPSILON_MAX * den) throw new RangeError(`epsilon must be at most ${EPSILON_MAX}, got '${text}'`)
  const g = gcd(num, den)
  num /= g
  den /= g
  return { num, den }
}

/** Number of bits needed to write m ≥ 0 (0 for m = 0). */
function bitLength(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length
}

/**
 * Uniform integers by rejection sampling over a stream of bytes: for [0, n) draw
 * ⌈bits(n−1)/8⌉ bytes, mask to bits(n−1) bits, accept if < n (probability > 1/2).
 */
class ByteRejectionSampler implements RandomBits {
  private buf: Buffer = Buffer.alloc(0)
  private pos = 0

  constructor(private readonly refill: () => Buffer) {}

  private byte(): number {
    if (this.pos >= this.buf.length) {
      this.buf = this.refill()
      this.pos = 0
    }
    return this.buf[this.pos++]!
  }

  uniform(n: bigint): bigint {
    if (typeof n !== 'bigint' || n < 1n) throw new RangeError('uniform(n) needs a BigInt n ≥ 1')
    if (n === 1n) return 0n
    const bits = bitLength(n - 1n)
    const bytes = (bits + 7) >> 3 // ⌈bits/8⌉ without division
    const mask = (1n << BigInt(bits)) - 1n
    for (;;) {
      let r = 0n
      for (let i = 0; i < bytes; i++) r = (r << 8n) | BigInt(this.byte())
      r &= mask
      if (r < n) return r
    }
  }
}

/** Randomness from node:crypto (a CSPRNG), read 4 KiB at a time. */
export function cryptoBits(): RandomBits {
  return new ByteRejectionSampler(() => randomBytes(4096))
}

/**
 * A deterministic stream: the bytes of HMAC-SHA256(key, utf8(label) ‖ u64be(counter)) for
 * counter = 0, 1, 2, …; the same (key, label) always gives the same sequence of draws.
 * The counter has a fixed width, so distinct labels never produce the same HMAC input.
 */
export function keyedBits(key: Buffer, label: string): RandomBits {
  if (!Buffer.isBuffer(key) || key.length === 0) throw new RangeError('keyedBits needs a non-empty key')
  const prefix = Buffer.from(label, 'utf8')
  let counter = 0n
  return new ByteRejectionSampler(() => {
    const block = Buffer.alloc(prefix.length + 8)
    prefix.copy(block, 0)
    block.writeBigUInt64BE(counter, prefix.length)
    counter += 1n
    return createHmac('sha256', key).update(block).digest()
  })
}

/** Bernoulli(num/den) for 0 ≤ num ≤ den: one uniform draw and one comparison. */
function bernoulli(num: bigint, den: bigint, bits: RandomBits): boolean {
  return bits.uniform(den) < num
}

/** Bernoulli(exp(−num/den)) for num/den ∈ [0, 1] (Algorithm 1, first case). */
function bernoulliExpUnit(num: bigint, den: bigint, bits: RandomBits): boolean {
  let k = 1n
  while (bernoulli(num, den * k, bits)) k += 1n
  return k % 2n === 1n
}

function checkRational(r: Rational, what: string, allowZero: boolean): void {
  if (typeof r?.num !== 'bigint' || typeof r?.den !== 'bigint' || r.den <= 0n || r.num < 0n || (!allowZero && r.num === 0n)) {
    throw new RangeError(`${what} must be a fraction of BigInts with den > 0 and num ${allowZero ? '≥' : '>'} 0`)
  }
}

/** Bernoulli(exp(−γ)) for a rational γ ≥ 0 (Algorithm 1: repetition for γ > 1). */
export function bernoulliExp(gamma: Rational, bits: RandomBits): boolean {
  checkRational(gamma, 'gamma', true)
  let num = gamma.num
  const den = gamma.den
  while (num > den) {
    if (!bernoulliExpUnit(1n, 1n, bits)) return false
    num -= den
  }
  return bernoulliExpUnit(num, den, bits)
}

const ONE: Rational = { num: 1n, den: 1n }

/**
 * One draw of the two-sided geometric law P(X = x) ∝ exp(−ε·|x|) (Algorithm 2 with scale
 * t/s = den/num). Only BigInt arithmetic and uniform integers from `bits`.
 */
export function sampleDiscreteLaplace(epsilon: Rational, bits: RandomBits): bigint {
  checkRational(epsilon, 'epsilon', false)
  const s = epsilon.num
  const t = epsilon.den
  for (;;) {
    const u = bits.uniform(t)
    if (!bernoulliExp({ num: u, den: t }, bits)) continue
    let v = 0n
    while (bernoulliExp(ONE, bits)) v += 1n
    const y = (u + t * v) / s // BigInt division: ⌊X / s⌋
    const negative = bits.uniform(2n) === 1n
    if (negative && y === 0n) continue
    return negative ? -y : y
  }
}
