import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { say, type Said } from '../http/messages.ts'

// scrypt with N = 2^15, r = 8 needs 128·N·r = 32 MiB per hash: memory-hard, so guessing on
// GPUs stays expensive. The parameters are written into every stored hash, so raising them
// later leaves old hashes verifiable.
const COST = 32768
const BLOCK_SIZE = 8
const PARALLELISM = 1
const SALT_BYTES = 16
const KEY_BYTES = 32

// Bounds for parameters read back from storage, so a corrupted row cannot make a login
// allocate gigabytes or spin for minutes.
const MAX_COST = 2 ** 20
const MAX_BLOCK_SIZE = 32
const MAX_PARALLELISM = 16

const MIN_LENGTH = 10
const MAX_LENGTH = 1024
const OBVIOUS = new Set([
  'password123',
  'password1234',
  'passw0rd123',
  '1234567890',
  '0123456789',
  '12345678910',
  'qwertyuiop',
  'qwerty1234',
  'qwerty12345',
  'iloveyou123',
  'letmein123',
  'welcome123',
  'administrator',
  'skaits1234',
])

interface ScryptParams {
  cost: number
  blockSize: number
  parallelism: number
}

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.cost,
    r: params.blockSize,
    p: params.parallelism,
    // Node refuses at roughly 128·N·r bytes; twice that leaves room for OpenSSL's own blocks.
    maxmem: 2 * 128 * params.cost * params.blockSize * params.parallelism,
  }
  // NFKC: the same password typed on different systems can arrive as different code points.
  const input = password.normalize('NFKC')
  return new Promise((resolve, reject) => {
    scrypt(input, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/** `scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>`, with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const params = { cost: COST, blockSize: BLOCK_SIZE, parallelism: PARALLELISM }
  const key = await derive(password, salt, KEY_BYTES, params)
  return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$')
}

interface StoredHash extends ScryptParams {
  salt: Buffer
  key: Buffer
}

function parseStored(stored: string): StoredHash | undefined {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined
  const [, costText = '', blockText = '', parallelText = '', saltText = '', keyText = ''] = parts
  const integer = (text: string, max: number) => (/^[1-9]\d{0,9}$/.test(text) && Number(text) <= max ? Number(text) : 0)
  const cost = integer(costText, MAX_COST)
  const blockSize = integer(blockText, MAX_BLOCK_SIZE)
  const parallelism = integer(parallelText, MAX_PARALLELISM)
  const isPowerOfTwo = cost > 1 && (cost & (cost - 1)) === 0
  if (!isPowerOfTwo || !blockSize || !parallelism) return undefined
  const base64url = /^[A-Za-z0-9_-]+$/
  if (!base64url.test(saltText) || !base64url.test(keyText)) return undefined
  const salt = Buffer.from(saltText, 'base64url')
  const key = Buffer.from(keyText, 'base64url')
  if (salt.length < SALT_BYTES || key.length < 16 || key.length > 64) return undefined
  return { cost, blockSize, parallelism, salt, key }
}

/** True when `password` matches `stored`; false, never an exception, for a malformed `stored`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored)
  if (!parsed) return false
  try {
    const key = await derive(password, parsed.salt, parsed.key.length, parsed)
    return timingSafeEqual(key, parsed.key)
  } catch {
    return false
  }
}

// Current parameters, placeholder salt and key: verifying against it costs one real scrypt.
const DUMMY_HASH = ['scrypt', COST, BLOCK_SIZE, PARALLELISM, 'A'.repeat(22), 'A'.repeat(43)].join('$')

/**
 * Spends the time of one `verifyPassword` and answers false. A login for an unknown email
 * calls this, so response time does not tell which emails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH)
  return false
}

/** Why `password` is refused as a new password, or undefined when it is acceptable. */
export function checkPasswordPolicy(password: string): string | undefined {
  return passwordRefusal(password)?.error
}

/** Why a password is refused, as an answer says it (with the code the dashboard translates). */
export function passwordRefusal(password: string): Said | undefined {
  const characters = [...password.normalize('NFKC')]
  if (characters.length < MIN_LENGTH) return say('password_too_short', { n: MIN_LENGTH })
  if (characters.length > MAX_LENGTH) return say('password_too_long', { n: MAX_LENGTH })
  if (new Set(characters).size === 1) return say('password_one_character')
  if (OBVIOUS.has(characters.join('').toLowerCase())) return say('password_too_easy')
  return undefined
}
