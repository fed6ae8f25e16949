import type { Role } from '../../server/vocabulary/roles.ts'

/** What the server tells the page at load, in `<meta name="skaits-boot">` (no inline script: CSP). */
export interface Boot {
  /** app: an owner is logged in; share: a shared link's read-only view; the rest are forms */
  mode: 'app' | 'share' | 'setup' | 'login' | 'unlock'
  lang: Lang
  /** today (YYYY-MM-DD), the current hour and minute in the server's TIMEZONE: ranges are its days */
  today: string
  hour: number
  minute: number
  /** the server's TIMEZONE (IANA name): the day of an instant, such as a goal's declaration, is its day there */
  timezone: string
  email?: string
  /** app: the logged-in user's role (roles: an admin's or a viewer's `sites` are only those granted) */
  role?: Role
  sites: BootSite[]
  /** an owner's page: whether reports can be e-mailed (SMTP_URL set); they can be subscribed to either way */
  mail?: { configured: boolean }
  /** issue 25: the login's second step (a code) is due; `enrol`: the owners' rule requires two-factor login of this owner first */
  secondStep?: boolean
  enrol?: boolean
  share?: { site: string; password: boolean; minCrowd?: number; /** whether the link shows the site's goals */ goals?: boolean }
}

export type Lang = 'en' | 'lv'

export interface BootSite {
  domain: string
  /** the day the site was added ("all time" starts there) */
  created: string
  /** per-section visits and visitors are known from this day on (section rules changed) */
  sectionsSince?: string
  /**
   * the site's funnels by name, those counted now first, then the kept series of changed ones:
   * an owner's sites, or a shared link's made with goals (the only links that may read funnels)
   */
  funnels?: string[]
  /** the site's dated notes (server/sites/annotations.ts): all of them for an owner, the shared ones on a shared link */
  annotations?: Annotation[]
}

export interface Annotation {
  id: number
  date: string
  text: string
  shared: boolean
}

export function readBoot(doc: Document): Boot {
  const raw = doc.querySelector('meta[name="skaits-boot"]')?.getAttribute('content')
  if (!raw) throw new Error('the page carries no skaits-boot data')
  return JSON.parse(raw) as Boot
}
