// `npm run refresh-spam-list [-- --url <url>] [--out <file>]`: fetches Matomo's referrer-spam-list
// and rewrites server/enrich/referrer-spam.txt with its header. Nothing is written unless every
// line is a domain name and the list is not suspiciously short (an error page, a truncated body).
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { parseSpamList, SPAM_LIST_FILE, SPAM_LIST_URL, spamListText } from './referrer-spam.ts'

/** Fewer domains than this is not the list (it has held some 2,000). */
export const MIN_DOMAINS = 500

export class SpamListRefused extends Error {}

/** Fetches the list at `url`, validates it and writes it to `out`; answers how many domains it holds. */
export async function refreshSpamList(url: string, out: string, today = new Date().toISOString().slice(0, 10), minDomains = MIN_DOMAINS): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  if (!response.ok) throw new SpamListRefused(`${url} answered ${response.status}`)
  const { domains, invalid } = parseSpamList(await response.text())
  if (invalid.length) throw new SpamListRefused(`${invalid.length} lines are not domain names, e.g. ${JSON.stringify(invalid.slice(0, 3))}; nothing written`)
  if (domains.length < minDomains) throw new SpamListRefused(`only ${domains.length} domains (at least ${minDomains} expected); nothing written`)
  await writeFile(out, spamListText(domains, { url, retrieved: today }))
  return domains.length
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { values } = parseArgs({ options: { url: { type: 'string' }, out: { type: 'string' } } })
  const url = values.url ?? SPAM_LIST_URL
  const out = values.out ?? SPAM_LIST_FILE
  refreshSpamList(url, out).then(
    (n) => console.log(`${n} referrer spam domains written to ${out}`),
    (err: unknown) => {
      console.error(`referrer spam list not refreshed: ${err instanceof Error ? err.message : String(err)}`)
      process.exitCode = 1
    },
  )
}
