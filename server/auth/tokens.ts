import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * What a token is for, readable in logs and secret scanners: `sk` API key, `ss` session,
 * `sh` shared-dashboard link, `inv` invitation, `adm` first-admin setup, `rst` password reset.
 */
export type TokenPrefix = 'sk' | 'ss' | 'sh' | 'inv' | 'adm' | 'px' | 'rst'

/** `<prefix>_` followed by 32 random bytes in base64url (256 bits). */
export function newToken(prefix: TokenPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

/**
 * The form a token is stored in: SHA-256, hex. Tokens carry 256 random bits, so a fast hash
 * suffices (no salt, no scrypt) and a leaked table gives no usable token.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** String equality whose time depends on neither the contents nor the lengths (both hashed first). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}
