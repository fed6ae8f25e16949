/** Events whose properties name a link the visitor followed: the Plausible names, in lower case. */
const LINK_EVENTS: ReadonlySet<string> = new Set(['outbound link: click', 'file download'])

/**
 * A link event's properties as stored: its `url`, and any other value that is an absolute
 * http(s) URL, reduced to scheme, host and path. A link's query string, fragment or
 * `user:pass@` can hold a signed download token or an e-mail address, and properties are
 * kept for the whole retention; the tracker strips them too, but any client can post.
 */
export function linkProps(name: string, props: [string, string][]): [string, string][] {
  if (!LINK_EVENTS.has(name.trim().toLowerCase())) return props
  return props.map(([k, v]) => [k, k === 'url' || isHttpUrl(v) ? linkUrl(v) : v])
}

/** `https://u:p@x.lv/a.pdf?t=1#f` → `https://x.lv/a.pdf`; a relative `/a.pdf?t=1` → `/a.pdf`. */
export function linkUrl(value: string): string {
  if (isHttpUrl(value)) {
    const u = new URL(value)
    return u.origin + u.pathname
  }
  // Not an absolute http(s) URL: cut the query and fragment, and a `//user:pass@` authority's credentials.
  return value.replace(/[?#][\s\S]*/, '').replace(/^([a-z][a-z\d+.-]*:)?\/\/[^/]*@/i, '$1//')
}

function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value.trimStart()) && URL.canParse(value)
}
