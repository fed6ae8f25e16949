import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Admin } from '../admin/service.ts'
import { noticeFacts } from '../app.ts'
import { Partners } from '../export/partners.ts'
import { Access, AccessError, DEFAULT_MIN_CROWD } from '../auth/access.ts'
import { LOCAL_TOKEN_FILE } from '../auth/local-token.ts'
import { ConfigError, loadConfig } from '../config.ts'
import { createDb } from '../db/client.ts'
import { applyRetention, migrate } from '../db/migrate.ts'
import { SiteError, Sites } from '../sites/sites.ts'
import { GoalService } from '../sites/goals.ts'
import { FunnelService } from '../sites/funnels.ts'
import { IMPORTS_USAGE, importsCommand, ImportUsage } from './imports.ts'
import { ImportRefused } from '../imports/service.ts'
import { REPORTS_USAGE, ReportRefused, reportsCommand, ReportUsage } from './reports.ts'
import { runningServer } from './server-file.ts'

const USAGE = `usage: npm run --silent skaits -- <command> [options] [--json]

  sites list
  sites add <domain>
  sites rename <domain> <new-domain>
  sites remove <domain>                 deletes the site and all its counts
  keys list
  keys create --name <name> [--sites a.lv,b.lv] [--public [--min-crowd 5]]
                                        public: answers hide values of fewer than k visitors
  keys revoke <id>
  owners list                           the users, with their roles and sites
  owners add <email> [--role owner|admin|viewer] [--sites a.lv,b.lv] [--password-stdin]
                                        without a password: prints an invitation link;
                                        an admin manages, a viewer reads, the sites given
  owners set <email|id> [--role owner|admin|viewer] [--sites a.lv,b.lv]
                                        never the last owner's role
  owners remove <email|id>              ends their sessions; never the last owner
  owners reset <email|id>               prints a one-time password-reset link (24 h)
  shares list [--site <domain>]
  shares create --site <domain> [--name <name>] [--password-stdin] [--min-crowd 5] [--goals]
                                        --goals: the link shows the site's goals too
  shares revoke <id>
  partners list [--site <domain>]
  partners create --site <domain> [--name <partner>] [--dimensions a,b] [--k 10]
                  [--finest day] [--coarsest month] [--epsilon 1 --budget 5]
  partners revoke <id>
  goals list --site <domain>
  goals add --site <domain> (--event <name> [--currency EUR] | --page <pattern>) [--name <shown name>]
                                        counted from now on; breakdowns exist from today
  goals remove --site <domain> <id>     deletes the goal and its counts
  funnels list --site <domain>
  funnels add --site <domain> --name <name> --steps '/pricing,event:Signup,goal:Purchase'
              [--dimensions visit:channel,visit:device]
                                        steps: page patterns, event:<name>, goal:<name>; 2 to 8
  funnels remove --site <domain> <id>   deletes the funnel and its counts
  reports list --site <domain>
  reports add --site <domain> --email <address> --kind weekly|monthly [--lang en|lv] [--min-crowd 5]
                                        --min-crowd for someone outside the owners (values under k hidden)
  reports remove --site <domain> <id>
  alerts show --site <domain>
  alerts set --site <domain> [--quiet-hours 12] [--spike-visitors 50] [--spike-hours 6] [--webhook <url>]
                                        what is not given is turned off
  exclusions show --site <domain>
  exclusions set --site <domain> [--addresses 203.0.113.0/24,2001:db8::/32] [--pages '/admin/**,/preview/*']
                                        events from these ranges or on these pages are not counted;
                                        a list not given is emptied
  annotations list --site <domain>
  annotations add --site <domain> --date YYYY-MM-DD --text <note> [--shared]
                                        --shared: shared links show it too
  annotations remove --site <domain> <id>
  notice --site <domain> [--lang lv|en]  the privacy-policy paragraphs for the site
${REPORTS_USAGE}
${IMPORTS_USAGE}

With a server running on DATA_DIR the CLI asks it (with the admin token kept in
DATA_DIR/${LOCAL_TOKEN_FILE}); otherwise it opens the data itself.
Exit codes: 0 done, 1 refused (not found, already exists, invalid), 2 usage, 3 storage or server unreachable.`

class UsageError extends Error {}

/** One CLI command as an HTTP call, or as a call on the Admin service. */
interface Operation {
  /** `pick`: the part of the server's answer the command prints (what `direct` returns) */
  http: { method: string; path: string; body?: unknown; text?: boolean; pick?: (json: any) => unknown }
  direct: (admin: Admin) => Promise<unknown> | unknown
}

interface Options {
  name?: string
  role?: string
  sites?: string
  site?: string
  password?: string
  dimensions?: string
  k?: string
  finest?: string
  coarsest?: string
  epsilon?: string
  budget?: string
  lang?: string
  public?: boolean
  'min-crowd'?: string
  event?: string
  page?: string
  currency?: string
  goals?: boolean
  steps?: string
  email?: string
  kind?: string
  'quiet-hours'?: string
  'spike-visitors'?: string
  'spike-hours'?: string
  webhook?: string
  addresses?: string
  pages?: string
  date?: string
  text?: string | boolean
  shared?: boolean
}

/** "a.lv, b.lv" as a list. */
const list = (csv: string | undefined) => (csv ?? '').split(',').map((s) => s.trim()).filter(Boolean)

function operation(args: string[], o: Options): Operation {
  const [noun, verb, a, b] = args
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new UsageError(`${noun} ${verb} needs ${what}`)
    return v
  }
  const enc = encodeURIComponent
  if (noun === 'notice') {
    const site = need(o.site, '--site')
    const lang = o.lang ?? 'en'
    if (lang !== 'en' && lang !== 'lv') throw new UsageError('--lang is en or lv')
    return {
      http: { method: 'GET', path: `/api/sites/${enc(site)}/privacy-notice?lang=${lang}`, text: true },
      direct: (x) => x.privacyNotice(site, lang),
    }
  }
  switch (`${noun} ${verb}`) {
    case 'sites list':
      return { http: { method: 'GET', path: '/api/sites' }, direct: (x) => x.sitesList() }
    case 'sites add': {
      const domain = need(a, 'a domain')
      return { http: { method: 'POST', path: '/api/sites', body: { domain } }, direct: (x) => x.sitesAdd(domain) }
    }
    case 'sites rename': {
      const [from, to] = [need(a, 'the current domain'), need(b, 'the new domain')]
      return { http: { method: 'PATCH', path: `/api/sites/${enc(from)}`, body: { domain: to } }, direct: (x) => x.sitesRename(from, to) }
    }
    case 'sites remove': {
      const domain = need(a, 'a domain')
      return { http: { method: 'DELETE', path: `/api/sites/${enc(domain)}` }, direct: (x) => x.sitesRemove(domain) }
    }
    case 'keys list':
      return { http: { method: 'GET', path: '/api/keys' }, direct: (x) => x.keysList() }
    case 'keys create': {
      const name = need(o.name, '--name')
      const sites = list(o.sites)
      const crowd = o['min-crowd'] === undefined ? undefined : Number(o['min-crowd'])
      const minCrowd = o.public || crowd !== undefined ? (crowd ?? DEFAULT_MIN_CROWD) : 0
      return {
        http: { method: 'POST', path: '/api/keys', body: { name, sites, public: minCrowd > 0, ...(crowd !== undefined ? { min_crowd: crowd } : {}) } },
        direct: (x) => x.keysCreate(name, sites, minCrowd),
      }
    }
    case 'keys revoke': {
      const id = need(a, 'a key id')
      return { http: { method: 'DELETE', path: `/api/keys/${enc(id)}` }, direct: (x) => x.keysRevoke(id) }
    }
    case 'owners list':
      return { http: { method: 'GET', path: '/api/owners' }, direct: (x) => x.ownersList() }
    case 'owners add': {
      const email = need(a, 'an email address')
      const role = o.role ?? 'owner'
      const sites = list(o.sites)
      return {
        http: { method: 'POST', path: '/api/owners', body: { email, password: o.password, role, sites } },
        direct: (x) => x.ownersAdd(email, o.password, 'cli', role, sites),
      }
    }
    case 'owners set': {
      const who = need(a, 'an email address or user id')
      if (o.role === undefined && o.sites === undefined) throw new UsageError('owners set needs --role or --sites')
      const change = { role: o.role, sites: o.sites === undefined ? undefined : list(o.sites) }
      return { http: { method: 'PATCH', path: `/api/owners/${enc(who)}`, body: change }, direct: (x) => x.ownersSet(who, change) }
    }
    case 'owners remove': {
      const who = need(a, 'an email address or owner id')
      return { http: { method: 'DELETE', path: `/api/owners/${enc(who)}` }, direct: (x) => x.ownersRemove(who) }
    }
    case 'owners reset': {
      const who = need(a, 'an email address or owner id')
      return { http: { method: 'POST', path: `/api/owners/${enc(who)}/reset` }, direct: (x) => x.ownersReset(who, 'cli') }
    }
    case 'shares list':
      return { http: { method: 'GET', path: `/api/shares${o.site ? `?site=${enc(o.site)}` : ''}` }, direct: (x) => x.sharesList(o.site) }
    case 'shares create': {
      const site = need(o.site, '--site')
      const name = o.name ?? ''
      const minCrowd = o['min-crowd'] === undefined ? DEFAULT_MIN_CROWD : Number(o['min-crowd'])
      return {
        http: { method: 'POST', path: '/api/shares', body: { site, name, password: o.password, min_crowd: minCrowd, goals: Boolean(o.goals) } },
        direct: (x) => x.sharesCreate(site, name, o.password, minCrowd, Boolean(o.goals)),
      }
    }
    case 'partners list':
      return { http: { method: 'GET', path: `/api/partners${o.site ? `?site=${enc(o.site)}` : ''}` }, direct: (x) => x.partnersList(o.site) }
    case 'partners create': {
      const body = {
        site: need(o.site, '--site'),
        name: o.name,
        dimensions: o.dimensions?.split(',').map((d) => d.trim()).filter(Boolean),
        k: o.k === undefined ? undefined : Number(o.k),
        finest: o.finest as 'day' | 'week' | 'month' | undefined,
        coarsest: o.coarsest as 'day' | 'week' | 'month' | undefined,
        epsilon: o.epsilon,
        budget: o.budget,
      }
      if (body.k !== undefined && !Number.isInteger(body.k)) throw new UsageError('--k takes a whole number')
      return { http: { method: 'POST', path: '/api/partners', body }, direct: (x) => x.partnersCreate(body) }
    }
    case 'partners revoke': {
      const id = need(a, 'a partner share id')
      return { http: { method: 'DELETE', path: `/api/partners/${enc(id)}` }, direct: (x) => x.partnersRevoke(id) }
    }
    case 'goals list': {
      const site = need(o.site, '--site')
      return { http: { method: 'GET', path: `/api/sites/${enc(site)}/goals`, pick: (j) => j.goals }, direct: (x) => x.goalsList(site) }
    }
    case 'goals add': {
      const site = need(o.site, '--site')
      if (!o.event === !o.page) throw new UsageError('goals add needs --event <name> or --page <pattern>')
      const body = { event: o.event, page: o.page, currency: o.currency, name: o.name }
      return { http: { method: 'PUT', path: `/api/sites/${enc(site)}/goals`, body }, direct: (x) => x.goalsAdd(site, body) }
    }
    case 'goals remove': {
      const site = need(o.site, '--site')
      const id = Number(need(a, 'a goal id'))
      if (!Number.isInteger(id)) throw new UsageError('a goal id is a whole number (goals list shows them)')
      return { http: { method: 'DELETE', path: `/api/sites/${enc(site)}/goals/${id}` }, direct: (x) => x.goalsRemove(site, id) }
    }
    case 'funnels list': {
      const site = need(o.site, '--site')
      return { http: { method: 'GET', path: `/api/sites/${enc(site)}/funnels`, pick: (j) => j.funnels }, direct: (x) => x.funnelsList(site) }
    }
    case 'funnels add': {
      const site = need(o.site, '--site')
      const steps = need(o.steps, '--steps')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (s.startsWith('event:') ? { event: s.slice(6) } : s.startsWith('goal:') ? { goal: s.slice(5) } : { page: s }))
      const body = { name: need(o.name, '--name'), steps, dimensions: o.dimensions?.split(',').map((d) => d.trim()).filter(Boolean) ?? [] }
      return { http: { method: 'POST', path: `/api/sites/${enc(site)}/funnels`, body }, direct: (x) => x.funnelsAdd(site, body) }
    }
    case 'funnels remove': {
      const site = need(o.site, '--site')
      const id = Number(need(a, 'a funnel id'))
      if (!Number.isInteger(id)) throw new UsageError('a funnel id is a whole number (funnels list shows them)')
      return { http: { method: 'DELETE', path: `/api/sites/${enc(site)}/funnels/${id}` }, direct: (x) => x.funnelsRemove(site, id) }
    }
    case 'reports list': {
      const site = need(o.site, '--site')
      return { http: { method: 'GET', path: `/api/sites/${enc(site)}/reports`, pick: (j) => j.reports }, direct: (x) => x.reportsList(site) }
    }
    case 'reports add': {
      const site = need(o.site, '--site')
      const body = { email: need(o.email, '--email'), kind: need(o.kind, '--kind'), lang: o.lang ?? 'en', min_crowd: o['min-crowd'] === undefined ? 0 : Number(o['min-crowd']) }
      return { http: { method: 'POST', path: `/api/sites/${enc(site)}/reports`, body }, direct: (x) => x.reportsAdd(site, body) }
    }
    case 'reports remove': {
      const site = need(o.site, '--site')
      const id = need(a, 'a subscription id (reports list shows them)')
      return { http: { method: 'DELETE', path: `/api/sites/${enc(site)}/reports/${enc(id)}` }, direct: (x) => x.reportsRemove(site, id) }
    }
    case 'alerts show': {
      const site = need(o.site, '--site')
      return { http: { method: 'GET', path: `/api/sites/${enc(site)}/alerts` }, direct: (x) => x.alertsShow(site) }
    }
    case 'alerts set': {
      const site = need(o.site, '--site')
      const n = (v: string | undefined) => (v === undefined ? null : Number(v))
      const body = { quiet_hours: n(o['quiet-hours']), spike_visitors: n(o['spike-visitors']), spike_hours: n(o['spike-hours']), webhook: o.webhook ?? null }
      return { http: { method: 'PUT', path: `/api/sites/${enc(site)}/alerts`, body }, direct: (x) => x.alertsSet(site, body) }
    }
    // issue 25, exclusions part
    case 'exclusions show': {
      const site = need(o.site, '--site')
      return { http: { method: 'GET', path: `/api/sites/${enc(site)}/exclusions` }, direct: (x) => x.exclusionsShow(site) }
    }
    case 'exclusions set': {
      const site = need(o.site, '--site')
      const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean)
      const body = { addresses: list(o.addresses), pages: list(o.pages) }
      return { http: { method: 'PUT', path: `/api/sites/${enc(site)}/exclusions`, body }, direct: (x) => x.exclusionsSet(site, body) }
    }
    // Annotations (issue 25, annotations and comparison modes)
    case 'annotations list': {
      const site = need(o.site, '--site')
      return { http: { method: 'GET', path: `/api/sites/${enc(site)}/annotations`, pick: (j) => j.annotations }, direct: (x) => x.annotationsList(site) }
    }
    case 'annotations add': {
      const site = need(o.site, '--site')
      const body = { date: need(o.date, '--date YYYY-MM-DD'), text: need(typeof o.text === 'string' ? o.text : undefined, '--text <note>'), shared: Boolean(o.shared) }
      return { http: { method: 'POST', path: `/api/sites/${enc(site)}/annotations`, body }, direct: (x) => x.annotationsAdd(site, body) }
    }
    case 'annotations remove': {
      const site = need(o.site, '--site')
      const id = need(a, 'an annotation id (annotations list shows them)')
      return { http: { method: 'DELETE', path: `/api/sites/${enc(site)}/annotations/${enc(id)}` }, direct: (x) => x.annotationsRemove(site, id) }
    }
    case 'shares revoke': {
      const id = need(a, 'a shared link id')
      return { http: { method: 'DELETE', path: `/api/shares/${enc(id)}` }, direct: (x) => x.sharesRevoke(id) }
    }
  }
  throw new UsageError(noun ? `unknown command: ${args.slice(0, 2).join(' ')}` : 'no command given')
}

class Refused extends Error {}
class Unreachable extends Error {}

async function viaServer(url: string, token: string, op: Operation): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url + op.http.path, {
      method: op.http.method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: op.http.body === undefined ? undefined : JSON.stringify(op.http.body),
    })
  } catch {
    throw new Unreachable(`the server at ${url} does not answer`)
  }
  if (op.http.text && res.ok) return res.text()
  const json = (await res.json().catch(() => ({}))) as { error?: string }
  if (res.status >= 500) throw new Unreachable(`the server failed: ${json.error ?? res.status}`)
  if (!res.ok) throw new Refused(json.error ?? `refused (${res.status})`)
  return op.http.pick ? op.http.pick(json) : json
}

async function direct(op: Operation): Promise<unknown> {
  const config = loadConfig()
  const db = createDb(config)
  try {
    await migrate(db)
    // as the server does at every start: a table a migration made (e.g. 012) gets its TTL now
    await applyRetention(db, config.retentionMonths)
    const sites = new Sites(db)
    await sites.load()
    const access = new Access(db, Date.now, config.sessionDays * 86_400_000)
    await access.load()
    const partners = new Partners(db, Date.now)
    await partners.load()
    const goals = new GoalService({ db, sites, timezone: config.timezone, clock: Date.now, maxGoals: config.goalsPerSite })
    const funnels = new FunnelService({ db, sites, timezone: config.timezone, clock: Date.now, maxFunnels: config.funnelsPerSite })
    return await op.direct(new Admin({ db, sites, access, partners, clock: Date.now, notice: noticeFacts(config), goals, funnels }))
  } catch (err) {
    if (err instanceof AccessError || err instanceof SiteError) throw new Refused(err.message)
    throw new Unreachable(`cannot open the data: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    await db.close().catch(() => {})
  }
}

function readPasswordFromStdin(): string {
  const input = readFileSync(0, 'utf8')
  return input.replace(/\r?\n$/, '')
}

function printHuman(result: unknown): void {
  const rows = Array.isArray(result) ? result : [result]
  if (!rows.length) return console.log('(none)')
  for (const row of rows) {
    console.log(
      Object.entries(row as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
        .join('  '),
    )
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        name: { type: 'string' },
        role: { type: 'string' },
        sites: { type: 'string' },
        site: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        dimensions: { type: 'string' },
        k: { type: 'string' },
        finest: { type: 'string' },
        coarsest: { type: 'string' },
        epsilon: { type: 'string' },
        budget: { type: 'string' },
        lang: { type: 'string' },
        public: { type: 'boolean', default: false },
        'min-crowd': { type: 'string' },
        event: { type: 'string' },
        page: { type: 'string' },
        currency: { type: 'string' },
        goals: { type: 'boolean', default: false },
        steps: { type: 'string' },
        email: { type: 'string' },
        kind: { type: 'string' },
        'quiet-hours': { type: 'string' },
        'spike-visitors': { type: 'string' },
        'spike-hours': { type: 'string' },
        webhook: { type: 'string' },
        addresses: { type: 'string' },
        pages: { type: 'string' },
        date: { type: 'string' },
        shared: { type: 'boolean', default: false },
        period: { type: 'string' },
        at: { type: 'string' },
        out: { type: 'string' },
        // `reports render --text` is a switch; `annotations add --text <note>` a value (issue 25, annotations)
        text: argv[0] === 'annotations' ? { type: 'string' } : { type: 'boolean', default: false },
        send: { type: 'boolean', default: false },
        to: { type: 'string' },
        overlap: { type: 'string' },
        'on-error': { type: 'string' },
        format: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        follow: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    console.error(`skaits: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help || !positionals.length) {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  // `reports render` is the report command's own; list, add and remove go through the operations below.
  if (positionals[0] === 'reports' && positionals[1] === 'render') return reports(positionals[1], { ...values, text: values.text === true })
  if (positionals[0] === 'import' || positionals[0] === 'imports') return imports(positionals, values)
  try {
    const password = values['password-stdin'] ? readPasswordFromStdin() : undefined
    const op = operation(positionals, { ...values, password })
    const config = loadConfig()
    const url = runningServer(config.dataDir)
    const result = url ? await viaServer(url, readFileSync(path.join(config.dataDir, LOCAL_TOKEN_FILE), 'utf8').trim(), op) : await direct(op)
    if (typeof result === 'string') process.stdout.write(values.json ? `${JSON.stringify({ text: result })}\n` : result)
    else if (values.json) console.log(JSON.stringify(result))
    else printHuman(result)
    return 0
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (values.json) console.log(JSON.stringify({ error: message }))
    else console.error(`skaits: ${message}`)
    if (err instanceof UsageError) {
      if (!values.json) console.error(`\n${USAGE}`)
      return 2
    }
    if (err instanceof ConfigError) return 2
    if (err instanceof Refused) return 1
    return 3
  }
}

/** `import …`, `imports list|delete`: through the running server when there is one, else on the data directly. */
async function imports(args: string[], values: Parameters<typeof importsCommand>[1]): Promise<number> {
  try {
    const config = loadConfig()
    const url = runningServer(config.dataDir)
    const reach = url ? { url, token: readFileSync(path.join(config.dataDir, LOCAL_TOKEN_FILE), 'utf8').trim() } : undefined
    const result = await importsCommand(args, values, config, reach)
    if (values.json) console.log(JSON.stringify(result))
    else printHuman(result)
    return 0
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (values.json) console.log(JSON.stringify({ error: message }))
    else console.error(`skaits: ${message}${err instanceof ImportUsage ? `\n\n${USAGE}` : ''}`)
    if (err instanceof ImportUsage || err instanceof ConfigError) return 2
    if (err instanceof ImportRefused || (err as NodeJS.ErrnoException).code === 'ENOENT') return 1
    return 3
  }
}

/** `reports …`: direct only for now (the server has no route for it yet). */
async function reports(verb: string | undefined, values: Parameters<typeof reportsCommand>[1] & { json?: boolean }): Promise<number> {
  try {
    const result = await reportsCommand(verb, values, loadConfig())
    if (values.json) console.log(JSON.stringify(result))
    else if (typeof result.html === 'string' || typeof result.text === 'string') process.stdout.write(String(result.html ?? result.text))
    else printHuman(result)
    return 0
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (values.json) console.log(JSON.stringify({ error: message }))
    else console.error(`skaits: ${message}${err instanceof ReportUsage ? `\n\n${USAGE}` : ''}`)
    if (err instanceof ReportUsage || err instanceof ConfigError) return 2
    if (err instanceof ReportRefused) return 1
    return 3
  }
}

process.exitCode = await main(process.argv.slice(2))
