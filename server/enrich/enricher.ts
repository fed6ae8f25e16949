import { isBot } from './bots.ts'
import type { CountryLookup } from './country.ts'
import { parseDevice } from './devices.ts'
import type { IspLookup } from './isp.ts'
import { classifySource } from './sources.ts'
import type { ClientAddress } from '../privacy/client-address.ts'
import type { DimensionName } from '../vocabulary/dimensions.ts'

/** What enrichment reads from the event: where the visit landed and came from, the screen. */
export interface VisitStart {
  url: URL
  referrer: string | undefined
  screenWidth: number | undefined
}

/** What enrichment reads from the request; gone when the request is. */
export interface RequestFacts {
  /** the client address, held only as this object (privacy/client-address.ts) */
  address: ClientAddress | undefined
  userAgent: string
  header: (name: string) => string | undefined
}

export interface VisitDimensions {
  dims: [string, string][]
  /** the ISP domain when it is not cached yet: added to the visit when DNS answers */
  isp?: Promise<string>
}

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
 * domain. The address itself reaches only the country and ISP lookups, handed over by
 * `ClientAddress` (the ISP lookup gets the network prefix unless it reads an ISP database).
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
    const add = (dimension: DimensionName, value: string | undefined) => {
      if (value) dims.push([dimension, intern(value)])
    }
    const source = classifySource(event.url, event.referrer, site)
    add('visit:source', source.source)
    add('visit:referrer', source.referrer)
    add('visit:channel', source.channel)
    add('visit:utm_source', source.utm_source)
    add('visit:utm_medium', source.utm_medium)
    add('visit:utm_campaign', source.utm_campaign)
    add('visit:utm_content', source.utm_content)
    add('visit:utm_term', source.utm_term)
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
    add('visit:browser', device.browser)
    add('visit:browser_version', device.browser_version)
    add('visit:os', device.os)
    add('visit:os_version', device.os_version)
    add('visit:device', device.device)
    const address = facts.address
    if (!address) return { dims }
    if (this.countries) add('visit:country', address.countryFrom(this.countries))
    if (!this.isps) return { dims }
    const cached = address.ispCachedFrom(this.isps)
    if (cached) {
      add('visit:isp', cached)
      return { dims }
    }
    return { dims, isp: address.ispLookupFrom(this.isps) }
  }

  close(): void {
    this.isps?.close()
  }
}
