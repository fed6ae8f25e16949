import { isBot } from './bots.ts'
import type { CountryLookup } from './country.ts'
import { parseDevice } from './devices.ts'
import type { IspLookup } from './isp.ts'
import { classifySource } from './sources.ts'

/** What enrichment reads from the event: where the visit landed and came from, the screen. */
export interface VisitStart {
  url: URL
  referrer: string | undefined
  screenWidth: number | undefined
}

/** What enrichment reads from the request; gone when the request is. */
export interface RequestFacts {
  address: string | undefined
  userAgent: string
  header: (name: string) => string | undefined
}

export interface VisitDimensions {
  dims: [string, string][]
  /** the ISP domain when it is not cached yet: added to the visit when DNS answers */
  isp?: Promise<string>
}

const VISIT_DIMENSIONS = [
  'source', 'referrer', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term',
  'browser', 'browser_version', 'os', 'os_version', 'device', 'country', 'isp',
] as const

/** The stored names of the visit dimensions, made once rather than per visit. */
const VISIT = Object.fromEntries(VISIT_DIMENSIONS.map((d) => [d, `visit:${d}`])) as Record<(typeof VISIT_DIMENSIONS)[number], string>

/**
 * One copy of each dimension value for all visits that share it: every lookup makes a new
 * string ('Google', 'LV', '130'), and a visit keeps its values for its whole life. Bounded;
 * when full it starts over, which only costs memory until the old visits end.
 */
const interned = new Map<string, string>()
function intern(value: string): string {
  const known = interned.get(value)
  if (known !== undefined) return known
  if (interned.size >= 10_000) interned.clear()
  interned.set(value, value)
  return value
}

/**
 * Turns a request into the visit dimensions fixed at a visit's start, in memory, reduced to
 * what is stored: a source host, a browser family and major version, a country code, an ISP
 * domain. The address itself is only passed to the country and ISP lookups.
 */
export class Enricher {
  constructor(
    private countries: CountryLookup | undefined,
    readonly isps: IspLookup | undefined,
  ) {}

  isBot(facts: RequestFacts): boolean {
    return isBot(facts.userAgent, facts.header)
  }

  visitDimensions(event: VisitStart, facts: RequestFacts, site: string): VisitDimensions {
    const dims: [string, string][] = []
    const add = (dimension: keyof typeof VISIT, value: string | undefined) => {
      if (value) dims.push([VISIT[dimension], intern(value)])
    }
    const source = classifySource(event.url, event.referrer, site)
    add('source', source.source)
    add('referrer', source.referrer)
    add('channel', source.channel)
    add('utm_source', source.utm_source)
    add('utm_medium', source.utm_medium)
    add('utm_campaign', source.utm_campaign)
    add('utm_content', source.utm_content)
    add('utm_term', source.utm_term)
    const device = parseDevice(
      facts.userAgent,
      {
        ua: facts.header('sec-ch-ua'),
        mobile: facts.header('sec-ch-ua-mobile'),
        platform: facts.header('sec-ch-ua-platform'),
        platformVersion: facts.header('sec-ch-ua-platform-version'),
        fullVersionList: facts.header('sec-ch-ua-full-version-list'),
      },
      event.screenWidth,
    )
    add('browser', device.browser)
    add('browser_version', device.browser_version)
    add('os', device.os)
    add('os_version', device.os_version)
    add('device', device.device)
    const address = facts.address
    if (!address) return { dims }
    add('country', this.countries?.country(address))
    if (!this.isps) return { dims }
    const cached = this.isps.cached(address)
    if (cached) {
      add('isp', cached)
      return { dims }
    }
    return { dims, isp: this.isps.lookup(address) }
  }

  close(): void {
    this.isps?.close()
  }
}
