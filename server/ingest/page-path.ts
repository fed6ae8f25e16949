import { hasControlChars } from '../text.ts'
const MAX_PATH = 1024

/**
 * The page as stored: the path only, never the query string (it may carry personal data)
 * nor the fragment, except in hash-routing mode where the fragment is the page.
 */
export function pagePath(url: URL, hashMode: boolean): string {
  let path = decode(url.pathname) || '/'
  if (hashMode && url.hash.length > 1) path += decode(url.hash.split('?')[0]!)
  return path.length > MAX_PATH ? path.slice(0, MAX_PATH) : path
}

/** Percent-decoded for readability (`/sadaļas`), unless that would reveal control characters. */
function decode(s: string): string {
  try {
    const d = decodeURIComponent(s)
    return hasControlChars(d) ? s : d
  } catch {
    return s
  }
}
