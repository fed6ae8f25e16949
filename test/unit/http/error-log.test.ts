import { describe, expect, it } from 'vitest'
import { redactedErrorText } from '../../../server/http/error-log.ts'

const SECRETS = [
  'hunter2-correct-horse',
  '203.0.113.77',
  '2001:db8::77',
  '::ffff:198.51.100.9',
  'anna@example.lv',
  `sk_${'A1b2'.repeat(11)}`,
  `sh_${'Zz9-'.repeat(11)}`,
  'Qm9keSBzZWNyZXQgdGhhdCBpcyBsb25n', // a long opaque value (base64)
]

describe('redactedErrorText', () => {
  it('keeps the kind of error and its words', () => {
    expect(redactedErrorText(new TypeError('Cannot read properties of undefined (reading id)'))).toBe(
      'TypeError: Cannot read properties of undefined (reading id)',
    )
  })

  it('drops quoted input, addresses, email addresses, tokens and long opaque values', () => {
    const message = `Unexpected token 'x', "{\\"password\\":\\"hunter2-correct-horse\\"}" is not valid JSON; from 203.0.113.77 and 2001:db8::77 or ::ffff:198.51.100.9, user anna@example.lv, key ${SECRETS[5]} link /share/${SECRETS[6]} value ${SECRETS[7]}`
    const text = redactedErrorText(new SyntaxError(message))
    expect(text).toMatch(/^SyntaxError: Unexpected token/)
    for (const s of SECRETS) expect(text).not.toContain(s)
    expect(text).not.toMatch(/hunter2|203\.0|db8|198\.51|anna|example\.lv/)
  })

  it('drops the secrets it is given wherever they stand, and unterminated quotes to the end', () => {
    const text = redactedErrorText(new Error('bad key test-admin-key-01 here; body: "{\\"a\\":\\"secret-cut-off'), ['test-admin-key-01', undefined, ''])
    expect(text).toBe('Error: bad key … here; body: "…"')
  })

  it('takes anything thrown, and keeps the line short', () => {
    expect(redactedErrorText('thrown 10.1.2.3')).toBe('thrown …')
    expect(redactedErrorText(new Error('x '.repeat(1000))).length).toBeLessThanOrEqual(300)
  })
})
