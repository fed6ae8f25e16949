import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

/**
 * The keys of two-factor login, all derived from the key in SALT_KEY_FILE (privacy/salt-key.ts),
 * which lives outside DATA_DIR: a copy of the data directory alone then holds no TOTP secret it
 * can use, no recovery code it can guess offline, and cannot mint a second-step token.
 */
export class TotpSeal {
  readonly #sealKey: Buffer
  readonly #codeKey: Buffer
  readonly #stepKey: Buffer

  constructor(saltKey: Buffer) {
    const derive = (purpose: string) => createHmac('sha256', saltKey).update(`skaits two-factor\n${purpose}`).digest()
    this.#sealKey = derive('secret')
    this.#codeKey = derive('recovery')
    this.#stepKey = derive('second step')
  }

  /** The secret (base32) encrypted for `ownerId`: `v1.<iv>.<ciphertext>.<tag>`, base64url. */
  seal(ownerId: string, secret: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#sealKey, iv)
    // The owner's id as associated data: a sealed secret copied to another owner's row does not open.
    cipher.setAAD(Buffer.from(ownerId))
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
    return ['v1', iv, sealed, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
  }

  /** The secret, or undefined when it was sealed under another key (SALT_KEY_FILE replaced) or for another owner. */
  open(ownerId: string, sealed: string): string | undefined {
    const [version, iv, data, tag] = sealed.split('.')
    if (version !== 'v1' || !iv || !data || !tag) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#sealKey, Buffer.from(iv, 'base64url'))
      decipher.setAAD(Buffer.from(ownerId))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      return undefined
    }
  }

  /**
   * A recovery code's stored form. Keyed: a code has 49 bits, which a plain hash would give up to
   * a day of GPU time on a copy of DATA_DIR; without the key file there is nothing to try.
   */
  recoveryHash(ownerId: string, code: string): string {
    return createHmac('sha256', this.#codeKey).update(`${ownerId}\n${normalizeRecovery(code)}`).digest('hex')
  }

  /**
   * A second-step token: the owner, when it expires and a check over both and the owner's
   * password hash (a changed password ends it), signed. Stateless, so any node can finish a
   * login another node began; each code is still accepted once (the stored last step).
   */
  stepToken(ownerId: string, expiresAt: number, passwordHash: string): string {
    const body = Buffer.from(JSON.stringify([ownerId, expiresAt])).toString('base64url')
    return `t2_${body}.${this.#stepMac(body, passwordHash)}`
  }

  /** The owner and expiry a token names when its signature holds (the caller checks both). */
  readStepToken(token: string, passwordHashOf: (ownerId: string) => string | undefined): { ownerId: string; expiresAt: number } | undefined {
    const m = /^t2_([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token)
    if (!m) return undefined
    let named: unknown
    try {
      named = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'))
    } catch {
      return undefined
    }
    if (!Array.isArray(named) || typeof named[0] !== 'string' || typeof named[1] !== 'number') return undefined
    const passwordHash = passwordHashOf(named[0])
    if (passwordHash === undefined) return undefined
    const expected = Buffer.from(this.#stepMac(m[1]!, passwordHash))
    const given = Buffer.from(m[2]!)
    return timingSafeEqual(expected, given) ? { ownerId: named[0], expiresAt: named[1] } : undefined
  }

  #stepMac(body: string, passwordHash: string): string {
    return createHmac('sha256', this.#stepKey).update(`${body}\n${passwordHash}`).digest('base64url')
  }
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

/** Ten random recovery codes such as `k7m2p-x9qhr` (49 bits each; no 0/o, 1/l/i to misread). */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/** A recovery code as typed: case, spaces and dashes do not matter. */
export function normalizeRecovery(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '')
}

/** Whether what was typed looks like a recovery code rather than a six-digit TOTP code. */
export function looksLikeRecovery(code: string): boolean {
  return /^[a-z2-9]{10}$/.test(normalizeRecovery(code)) && !/^\d+$/.test(normalizeRecovery(code))
}
