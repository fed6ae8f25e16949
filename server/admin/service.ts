import type { Access, ApiKey, Grant, Invitation, Owner, Share } from '../auth/access.ts'
import { reaches, ROLES, type Reach, type Role } from '../auth/roles.ts'
import { AccessError, DEFAULT_MIN_CROWD, normalizeEmail } from '../auth/access.ts'
import { passwordRefusal } from '../auth/password.ts'
import { say } from '../http/messages.ts'
import type { Db } from '../db/client.ts'
import type { PartnerShare, PartnerShareInput, Partners } from '../export/partners.ts'
import { privacyNotice, type Lang, type NoticeFacts } from '../notice/notice.ts'
import { deleteSiteData, renameSiteData } from '../sites/data.ts'
import { normalizeDomain } from '../sites/domain.ts'
import { SiteError, type Site, type Sites } from '../sites/sites.ts'
import type { GoalService } from '../sites/goals.ts'
import type { FunnelService } from '../sites/funnels.ts'
import { subscribe, subscriptionView, unsubscribe } from '../sites/reports-route.ts'
import { alertsView, setAlerts } from '../sites/alerts-route.ts'
import { exclusionsView, setExclusions } from '../sites/exclusions-route.ts'
import { funnelView, parseFunnel } from '../sites/funnels-route.ts'
import { goalView } from '../sites/goals-route.ts'
import { activeGoals, goalInput } from '../goals/goals.ts'
import { activeFunnels } from '../goals/funnels.ts'
// Annotations (issue 25, annotations and comparison modes)
import { annotationInput, byDay } from '../sites/annotations.ts'
import { annotationId, AnnotationService } from '../sites/annotations-service.ts'
import { parseOrRefuse } from '../sites/managed-site.ts'

/** What a listing shows of each thing: never a hash, never a secret. */
export const view = {
  site: (s: Site) => ({ domain: s.domain, created_at: new Date(s.createdAt).toISOString(), sections: s.settings.sections.length }),
  key: (k: ApiKey) => ({ id: k.id, name: k.name, sites: k.sites, public: k.minCrowd > 0, min_crowd: k.minCrowd || null, created_at: new Date(k.createdAt).toISOString() }),
  share: (s: Share) => ({ id: s.id, site: s.site, name: s.name, password: Boolean(s.passwordHash), min_crowd: s.minCrowd, goals: s.goals, created_at: new Date(s.createdAt).toISOString() }),
  /** a dashboard user: `sites` are an admin's or a viewer's; an owner's are all */
  owner: (o: Owner) => ({ id: o.id, email: o.email, role: o.role, sites: o.sites, created_at: new Date(o.createdAt).toISOString() }),
  /** `id`: the first 16 hex digits of the token's SHA-256, which says nothing of the token */
  invitation: (i: Invitation) => ({
    id: i.tokenHash.slice(0, 16),
    email: i.email,
    invited_by: i.invitedBy,
    role: i.role,
    sites: i.sites,
    created_at: new Date(i.createdAt).toISOString(),
    expires_at: new Date(i.expiresAt).toISOString(),
  }),
  partner: (p: PartnerShare, spentMicros: number) => ({
    id: p.id,
    site: p.site,
    name: p.name,
    dimensions: p.dimensions,
    finest: p.finest,
    coarsest: p.coarsest,
    k: p.k,
    epsilon: p.epsilon || null,
    budget: p.budget || null,
    epsilon_spent: p.epsilon ? String(spentMicros / 1_000_000) : null,
    created_at: new Date(p.createdAt).toISOString(),
  }),
}

/**
 * Managing sites, keys, owners and shared links: one implementation behind the HTTP API and
 * the CLI (which uses it directly when no server holds the data directory).
 */
export class Admin {
  constructor(
    private deps: {
      db: Db
      sites: Sites
      access: Access
      partners: Partners
      clock: () => number
      notice: Omit<NoticeFacts, 'site' | 'partners'>
      goals: GoalService
      funnels: FunnelService
    },
  ) {}

  reportsList(domain: string) {
    return (this.site(domain).settings.reports ?? []).map(subscriptionView)
  }

  async reportsAdd(domain: string, body: unknown) {
    return subscriptionView(await subscribe({ sites: this.deps.sites, clock: this.deps.clock }, this.site(domain), body))
  }

  async reportsRemove(domain: string, id: string) {
    return { deleted: subscriptionView(await unsubscribe({ sites: this.deps.sites, clock: this.deps.clock }, this.site(domain), id)) }
  }

  // Annotations (issue 25, annotations and comparison modes)
  annotationsList(domain: string) {
    return byDay(this.site(domain).settings.annotations)
  }

  annotationsAdd(domain: string, body: unknown) {
    return this.annotations().add(this.site(domain), parseOrRefuse(annotationInput, body))
  }

  async annotationsRemove(domain: string, id: string) {
    return { deleted: await this.annotations().remove(this.site(domain), annotationId(id)) }
  }

  private annotations() {
    return new AnnotationService({ sites: this.deps.sites, clock: this.deps.clock })
  }

  alertsShow(domain: string) {
    return alertsView(this.site(domain).settings.alerts)
  }

  async alertsSet(domain: string, body: unknown) {
    return alertsView(await setAlerts({ sites: this.deps.sites, clock: this.deps.clock }, this.site(domain), body))
  }

  // issue 25, exclusions part
  exclusionsShow(domain: string) {
    return exclusionsView(this.site(domain))
  }

  async exclusionsSet(domain: string, body: unknown) {
    return exclusionsView(await setExclusions({ sites: this.deps.sites, clock: this.deps.clock }, this.site(domain), body))
  }

  funnelsList(domain: string) {
    return this.deps.funnels.list(this.site(domain)).map(funnelView)
  }

  async funnelsAdd(domain: string, input: unknown) {
    return funnelView(await this.deps.funnels.declare(this.site(domain), parseFunnel(input)))
  }

  async funnelsRemove(domain: string, id: number) {
    return { deleted: funnelView(await this.deps.funnels.remove(this.site(domain), id)) }
  }

  goalsList(domain: string) {
    return this.deps.goals.list(this.site(domain)).map(goalView)
  }

  async goalsAdd(domain: string, input: unknown) {
    const parsed = goalInput.safeParse(input)
    if (!parsed.success) throw new SiteError(say('invalid_request', { detail: parsed.error.issues[0]!.message }))
    return goalView((await this.deps.goals.declare(this.site(domain), parsed.data)).goal)
  }

  async goalsRemove(domain: string, id: number) {
    return { deleted: goalView(await this.deps.goals.remove(this.site(domain), id)) }
  }

  async partnersCreate(input: PartnerShareInput) {
    const site = this.site(input.site)
    const { token, share } = await this.deps.partners.create({ ...input, site: site.domain })
    return { ...view.partner(share, 0), token, path: `/export/${token}` }
  }

  /** `reach`: the sites the asker manages; a partner export of another site is not listed. */
  partnersList(site?: string, reach: Reach = 'all') {
    return this.deps.partners
      .list(site ? this.site(site).domain : undefined)
      .filter((p) => reaches(reach, p.site))
      .map((p) => view.partner(p, this.deps.partners.spentMicros(p.id)))
  }

  /** `reach`: the sites the asker manages; a partner export of another site is as unknown to them (404). */
  async partnersRevoke(id: string, reach: Reach = 'all') {
    const known = this.deps.partners.list().find((p) => p.id === id)
    if (known && !reaches(reach, known.site)) throw new AccessError(`no partner share with id ${id}`, 404)
    return view.partner(await this.deps.partners.revoke(id), 0)
  }

  privacyNotice(domain: string, lang: Lang): string {
    const site = this.site(domain)
    const goals = activeGoals(site.settings.goals)
    return privacyNotice(
      {
        ...this.deps.notice,
        site: site.domain,
        partners: this.deps.partners.list(site.domain),
        goals: { names: goals.map((g) => g.name), revenue: goals.some((g) => g.currency) },
        funnels: activeFunnels(site.settings.funnels).map((f) => f.name),
      },
      lang,
    )
  }

  /** `reach`: the sites the asker may see (an admin's are those granted). */
  sitesList(reach: Reach = 'all') {
    return this.deps.sites
      .list()
      .filter((s) => reaches(reach, s.domain))
      .sort((a, b) => a.domain.localeCompare(b.domain))
      .map(view.site)
  }

  async sitesAdd(domain: string) {
    return view.site(await this.deps.sites.add(domain, this.deps.clock()))
  }

  async sitesRename(from: string, to: string) {
    const site = this.site(from)
    const renamed = await this.deps.sites.rename(site.domain, to, this.deps.clock())
    await renameSiteData(this.deps.db, site.domain, renamed.domain)
    await this.deps.access.renameSite(site.domain, renamed.domain)
    await this.deps.partners.renameSite(site.domain, renamed.domain)
    return view.site(renamed)
  }

  /** Removes a site with all its counts, and revokes its shared links. */
  async sitesRemove(domain: string) {
    const site = this.site(domain)
    await this.deps.sites.remove(site.domain, this.deps.clock())
    await deleteSiteData(this.deps.db, site.domain)
    await this.deps.access.forgetSite(site.domain)
    for (const p of this.deps.partners.list(site.domain)) await this.deps.partners.revoke(p.id)
    return view.site(site)
  }

  async keysCreate(name: string, sites: string[], minCrowd = 0) {
    if (!name.trim() || name.length > 100) throw new AccessError(say('name_length'))
    if (minCrowd !== 0) checkMinCrowd(minCrowd)
    const domains = sites.map((s) => this.site(s).domain)
    const { key, apiKey } = await this.deps.access.createKey(name.trim(), domains, minCrowd)
    return { ...view.key(apiKey), key }
  }

  keysList() {
    return this.deps.access.listKeys().map(view.key)
  }

  async keysRevoke(id: string) {
    return view.key(await this.deps.access.revokeKey(id))
  }

  /**
   * With a password the user exists at once; without, an invitation link is made. The role is
   * owner unless given; an admin or a viewer is granted `sites` (at least one, each existing).
   */
  async ownersAdd(email: string, password: string | undefined, invitedBy: string, role: string = 'owner', sites: string[] = []) {
    const grant = this.grant(role, sites)
    if (password !== undefined) {
      const problem = passwordRefusal(password)
      if (problem) throw new AccessError(problem)
      return { owner: view.owner(await this.deps.access.createOwner(email, password, grant)) }
    }
    const { token, expiresAt } = await this.deps.access.invite(email, invitedBy, grant)
    return {
      invitation: { email: normalizeEmailForView(email), ...grant, token, path: `/invite/${token}`, expires_at: new Date(expiresAt).toISOString() },
    }
  }

  /** Another role or other sites for a user (by id or email); what is not given stays. Never the last owner's role. */
  async ownersSet(idOrEmail: string, change: { role?: string; sites?: string[] }) {
    const owner = this.owner(idOrEmail)
    const role = change.role ?? owner.role
    const sites = change.sites ?? owner.sites
    return view.owner(await this.deps.access.setRole(owner.id, this.grant(role, sites)))
  }

  /** A role and sites checked: a known role; an admin's or a viewer's sites at least one, each a site. */
  private grant(role: string, sites: string[]): Grant {
    if (!(ROLES as readonly string[]).includes(role)) throw new AccessError(say('role_unknown'))
    if (role === 'owner') return { role: 'owner', sites: [] }
    if (!sites.length) throw new AccessError(say('role_needs_sites', { role }))
    return { role: role as Role, sites: sites.map((s) => this.site(s).domain) }
  }

  ownersList() {
    return this.deps.access.listOwners().map(view.owner)
  }

  /** Removes an owner (by id or email) and ends their sessions; never the last owner. */
  async ownersRemove(idOrEmail: string) {
    return view.owner(await this.deps.access.removeOwner(this.owner(idOrEmail).id))
  }

  /** A one-time `/reset/<token>` link for another owner, valid 24 h. */
  async ownersReset(idOrEmail: string, issuedBy: string) {
    const owner = this.owner(idOrEmail)
    // An owner changes their own password with the current one (POST /api/password): a stolen
    // session must not be enough to set a new one.
    if (owner.id === issuedBy) throw new AccessError(say('own_password'), 403)
    const { token, expiresAt } = await this.deps.access.issueReset(owner.id, issuedBy)
    return { owner: view.owner(owner), token, path: `/reset/${token}`, expires_at: new Date(expiresAt).toISOString() }
  }

  invitationsList() {
    return this.deps.access.listInvitations().map(view.invitation)
  }

  async invitationsRevoke(idOrPrefix: string) {
    return view.invitation(await this.deps.access.revokeInvitation(idOrPrefix))
  }

  private owner(idOrEmail: string): Owner {
    const owner = this.deps.access.ownerById(idOrEmail) ?? (idOrEmail.includes('@') ? this.deps.access.ownerByEmail(idOrEmail) : undefined)
    if (!owner) throw new AccessError(say('owner_not_found', { owner: idOrEmail.includes('@') ? normalizeEmail(idOrEmail) : idOrEmail }), 404)
    return owner
  }

  async sharesCreate(site: string, name: string, password: string | undefined, minCrowd = DEFAULT_MIN_CROWD, goals = false) {
    const s = this.site(site)
    checkMinCrowd(minCrowd)
    if (password !== undefined) {
      const problem = passwordRefusal(password)
      if (problem) throw new AccessError(problem)
    }
    const { token, share } = await this.deps.access.createShare(s.domain, name.trim() || s.domain, password, minCrowd, goals)
    return { ...view.share(share), token, path: `/share/${token}` }
  }

  /** `reach`: the sites the asker manages; a link to another site is not listed. */
  sharesList(site?: string, reach: Reach = 'all') {
    return this.deps.access
      .listShares(site ? this.site(site).domain : undefined)
      .filter((s) => reaches(reach, s.site))
      .map(view.share)
  }

  /** `reach`: the sites the asker manages; a link to another site is as unknown to them (404). */
  async sharesRevoke(id: string, reach: Reach = 'all') {
    const known = this.deps.access.listShares().find((s) => s.id === id)
    if (known && !reaches(reach, known.site)) throw new AccessError(say('share_not_found', { id }), 404)
    return view.share(await this.deps.access.revokeShare(id))
  }

  private site(domain: string): Site {
    const s = this.deps.sites.get(normalizeDomain(domain))
    if (!s) throw new SiteError(say('site_not_found', { domain }), 404)
    return s
  }
}

function normalizeEmailForView(email: string): string {
  return email.trim().toLowerCase()
}

/** k of the minimum crowd: 2 at least (1 would hide nothing), 100 at most. */
function checkMinCrowd(k: number): void {
  if (!Number.isInteger(k) || k < 2 || k > 100) throw new AccessError(say('min_crowd_range'))
}
