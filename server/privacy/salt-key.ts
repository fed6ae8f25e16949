import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../config.ts'

export interface SaltKey {
  key: Buffer
  /** made at this start: there was no key file */
  created: boolean
  /** the file can be read by others than its owner */
  readableByOthers: boolean
}

/**
 * The key that turns a stored salt seed into the salt (SALT_KEY_FILE): 32 random bytes as
 * hex, made at first start with mode 0600. It lives outside DATA_DIR so that a copy of the
 * data directory alone cannot recompute visitor hashes from guessed addresses.
 */
export function loadSaltKey(file: string): SaltKey {
  let created = false
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
    created = true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`SALT_KEY_FILE: cannot create ${file} (${(err as NodeJS.ErrnoException).code}); set it to a writable path outside DATA_DIR`)
    }
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw new ConfigError(`SALT_KEY_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`)
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new ConfigError(
      `SALT_KEY_FILE: ${file} must hold 64 hex characters (openssl rand -hex 32); remove it to make a new key (today's visitors may then count twice)`,
    )
  }
  return { key: Buffer.from(text, 'hex'), created, readableByOthers: (statSync(file).mode & 0o077) !== 0 }
}

const SEED_RANDOM = 24

/**
 * What the `salts` table holds for a day is a seed, not the salt: the salt is
 * HMAC-SHA256(key, day ‖ seed). A seed is 24 random bytes and 8 bytes of HMAC over them, so a
 * seed made under another key is recognised (and never silently turned into a wrong salt).
 * Seeds are as long as salts were, and a given salt always has the same seed, so the table
 * and the shared pick (the smallest seed) work as before. Without a key (tests of the
 * sharing protocol only) the seed is the salt itself.
 */
export class SaltSeal {
  constructor(private key: Buffer | undefined) {}

  /**
   * Tells this key's insert deduplication tokens apart from another key's, so that a node
   * with a wrong key cannot have the candidate of the others dropped as a repeat of its own.
   */
  get tokenSuffix(): string {
    return this.key ? '-' + createHmac('sha256', this.key).update('token').digest('hex').slice(0, 16) : ''
  }

  /** A new random seed for `day`. */
  fresh(day: string): Buffer {
    if (!this.key) return randomBytes(32)
    const random = randomBytes(SEED_RANDOM)
    return Buffer.concat([random, this.check(day, random)])
  }

  /** The salt a seed stands for, or undefined when the seed was made under another key. */
  open(day: string, seed: Buffer): Buffer | undefined {
    if (seed.length !== 32) return undefined
    if (!this.key) return Buffer.from(seed)
    const random = seed.subarray(0, SEED_RANDOM)
    if (!timingSafeEqual(seed.subarray(SEED_RANDOM), this.check(day, random))) return undefined
    return createHmac('sha256', this.key).update(`salt\n${day}\n`).update(seed).digest()
  }

  private check(day: string, random: Buffer): Buffer {
    return createHmac('sha256', this.key!).update(`check\n${day}\n`).update(random).digest().subarray(0, 32 - SEED_RANDOM)
  }
}
