import { errorText } from '../log.ts'

/**
 * An unexpected error's text, fit for the log: an error thrown while handling a request may
 * quote what the request sent (JSON.parse and zod quote the input), so beyond `errorText`'s
 * redactions this drops everything quoted, addresses, email addresses, anything shaped like
 * one of our tokens or a long opaque secret, and the given secrets (the request's own
 * credentials, the admin key) wherever they stand.
 */
export function redactedErrorText(err: unknown, secrets: (string | undefined)[] = []): string {
  let text = errorText(err)
  for (const secret of secrets) if (secret && secret.length >= 4) text = text.split(secret).join('…')
  return text
    // an apostrophe inside a word (can't) opens no quote
    .replace(/"(?:[^"\\]|\\.)*"?|(?<!\w)'(?:[^'\\]|\\.)*'?|`[^`]*`?/g, '"…"')
    .replace(/[^\s@"'<>()[\]{},;]+@[^\s@"'<>()[\]{},;]+/g, '…@…')
    .replace(/\b(?:adm|inv|px|rst|sh|sk|ss)_[\w-]+/g, '…')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '…')
    .replace(/(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}/gi, (m) => (/[0-9a-f]/i.test(m) || m.includes('::') ? '…' : m))
    // long runs with a digit: keys and hashes, not identifiers such as a setting's name
    .replace(/[\w+/=-]{24,}/g, (m) => (/\d/.test(m) ? '…' : m))
    .slice(0, 300)
}
