import { describe, expect, it } from 'vitest'
import { linkProps, linkUrl } from '../../../server/ingest/link-props.ts'
import { parseEvent } from '../../../server/ingest/schema.ts'

describe('link event properties', () => {
  it('keeps scheme, host and path of a link URL; drops query, fragment and user:pass@', () => {
    expect(linkUrl('https://x.lv/file.pdf?token=abc#f')).toBe('https://x.lv/file.pdf')
    expect(linkUrl('https://anna:secret@x.lv:8443/a/b.zip?email=anna@x.lv')).toBe('https://x.lv:8443/a/b.zip')
    expect(linkUrl('HTTP://X.LV#only-a-fragment')).toBe('http://x.lv/')
    expect(linkUrl('http://x.lv/%C4%81.pdf')).toBe('http://x.lv/%C4%81.pdf')
    // Not an absolute http(s) URL: cut by hand, nothing after `?` or `#`, no credentials.
    expect(linkUrl('/files/a.pdf?token=abc#f')).toBe('/files/a.pdf')
    expect(linkUrl('ftp://anna:secret@x.lv/a.zip?t=1')).toBe('ftp://x.lv/a.zip')
    expect(linkUrl('//anna@x.lv/a.zip')).toBe('//x.lv/a.zip')
    expect(linkUrl('#token=abc')).toBe('')
  })

  it('applies to the url and to any absolute http(s) URL of Outbound Link: Click and File Download only', () => {
    const props: [string, string][] = [
      ['url', 'https://x.lv/file.pdf?token=abc#f'],
      ['mirror', 'https://u:p@cdn.x.lv/file.pdf?sig=1'],
      ['label', 'Report ?draft #2'],
    ]
    const reduced = [
      ['url', 'https://x.lv/file.pdf'],
      ['mirror', 'https://cdn.x.lv/file.pdf'],
      ['label', 'Report ?draft #2'],
    ]
    expect(linkProps('File Download', props)).toEqual(reduced)
    expect(linkProps('Outbound Link: Click', props)).toEqual(reduced)
    expect(linkProps('outbound link: click', props)).toEqual(reduced)
    expect(linkProps('Signup', props)).toEqual(props)
  })

  it('is applied when an event is parsed, props as an object or as a JSON string', () => {
    const body = { n: 'File Download', u: 'https://example.lv/', d: 'example.lv' }
    const asObject = parseEvent({ ...body, p: { url: 'https://x.lv/file.pdf?token=abc#f' } })
    const asString = parseEvent({ ...body, props: JSON.stringify({ url: 'https://a:b@x.lv/file.pdf#f' }) })
    expect(asObject.ok && asObject.event.props).toEqual([['url', 'https://x.lv/file.pdf']])
    expect(asString.ok && asString.event.props).toEqual([['url', 'https://x.lv/file.pdf']])
  })
})
