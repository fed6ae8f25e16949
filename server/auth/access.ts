import { createHash, randomUUID } from 'node:crypto'
import { errorText, type Logger } from '../log.ts'
import { queryRows, type Db } from '../db/client.ts'
import { Repeater, stampText, Versions } from '../db/versioned.ts'
import { say, UserError, type Said } from '../http/messages.ts'
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.ts'
import { newToken, tokenHash } from './tokens.ts'
import type { Role } from '../vocabulary/roles.ts'

/** A dashboard user (an "owner" before roles existed: the name stays in tables and routes). */
export interface Owner {
  id: string
  email: string
  passwordHash: string
  createdAt: number
  role: Role
  /** the sites an admin or a viewer is granted; empty for an owner (every site) */
  sites: string[]
}

export interface ApiKey {
  id: string
  name: string
  keyHash: string
  /** empty: every site */
  sites: string[]
  /** the minimum crowd its answers respect (0: exact, as for owners; a public-scoped key: ≥ 2) */
  minCrowd: number
  createdAt: number
}

export interface Share {
  id: string
  site: string
  name: string
  tokenHash: string
  passwordHash: string
  /** the minimum crowd its answers respect (≥ 2) */
  minCrowd: number
  /** whether it shows the site's goals (conversions, rates, revenue) */
  goals: boolean
  createdAt: number
}

/** A shared link's minimum crowd unless its owner sets another. */
export const DEFAULT_MIN_CROWD = 5

interface OwnerSession {
  tokenHash: string
  ownerId: string
  createdAt: number
  expiresAt: number
  /** the last request this node saw with it (kept in memory only: no write per request) */
  lastSeen?: number
}

export interface Invitation {
  tokenHash: string
  email: string
  invitedBy: string
  createdAt: number
  expiresAt: number
  /** what accepting it makes the invited person */
  role: Role
  sites: string[]
}

interface PasswordReset {
  tokenHash: string
  ownerId: string
  issuedBy: string
  createdAt: number
  expiresAt: number
}

/** What an owner sees of a session: never its token or hash. */
export interface SessionView {
  id: string
  createdAt: number
  lastSeen: number | undefined
  expiresAt: number
  current: boolean
}


/**
 * How each access table stores what is held in memory: the key its versions are stamped by,
 * the row's columns, and the column that marks it gone (deleted, used, revoked). A write is
 * the row with a new version; ReplacingMergeTree(updated_at) keeps the newest.
 */
const ROWS = {
  owners: (o: Owner) => ({
    key: o.id,
    gone: 'deleted',
    row: { id: o.id, email: o.email, password_hash: o.passwordHash, created_at: secs(o.createdAt), role: o.role, sites: o.sites },
  }),
  password_resets: (r: PasswordReset) => ({
    key: r.tokenHash,
    gone: 'used',
    row: { token_hash: r.tokenHash, owner_id: r.ownerId, issued_by: r.issuedBy, created_at: secs(r.createdAt), expires_at: secs(r.expiresAt) },
  }),
  invitations: (i: Invitation) => ({
    key: i.tokenHash,
    gone: 'used',
    row: { token_hash: i.tokenHash, email: i.email, invited_by: i.invitedBy, created_at: secs(i.createdAt), expires_at: secs(i.expiresAt), role: i.role, sites: i.sites },
  }),
  owner_sessions: (s: OwnerSession) => ({
    key: s.tokenHash,
    gone: 'revoked',
    row: { token_hash: s.tokenHash, owner_id: s.ownerId, created_at: secs(s.createdAt), expires_at: secs(s.expiresAt) },
  }),
  api_keys: (k: ApiKey) => ({
    key: k.id,
    gone: 'revoked',
    row: { id: k.id, name: k.name, key_hash: k.keyHash, sites: k.sites, min_crowd: k.minCrowd, created_at: secs(k.createdAt) },
  }),
  shares: (s: Share) => ({
    key: s.id,
    gone: 'revoked',
    row: { id: s.id, site: s.site, name: s.name, token_hash: s.tokenHash, password_hash: s.passwordHash, min_crowd: s.minCrowd, goals: s.goals ? 1 : 0, created_at: secs(s.createdAt) },
  }),
}
type AccessTable = keyof typeof ROWS
export class AccessError extends UserError {
  constructor(
    message: string | Said,
    readonly status: 400 | 401 | 403 | 404 | 409 = 400,
  ) {
    super(message)
  }
}

const SHARE_SESSION_MS = 12 * 3_600_000
/** Unlocked shared links kept at most: past it the oldest unlock (the soonest to expire) is forgotten. */
export const MAX_SHARE_SESSIONS = 10_000
const INVITATION_MS = 7 * 86_400_000
const RESET_MS = 24 * 3_600_000
/** How often every node reads back the access rows changed since its last look. */
export const ACCESS_REFRESH_MS = 3_000

/**
 * Owners, their sessions, API keys, shared links, invitations and password resets: stored in
 * ClickHouse as versioned rows (secrets only as hashes), held in memory because every request
 * reads them. Several nodes may share the tables: each reads back the rows changed since its
 * last look every ACCESS_REFRESH_MS (`startRefresh`), so a revocation made through one node
 * holds on every node within seconds, and no request waits for ClickHouse.
 */
export class Access {
  private owners = new Map<string, Owner>()
  private sessions = new Map<string, OwnerSession>()
  private keys = new Map<string, ApiKey>()
  private shares = new Map<string, Share>()
  private invitations = new Map<string, Invitation>()
  private resets = new Map<string, PasswordReset>()
  /** unlocked password-protected shares: in memory only, gone on restart */
  private shareSessions = new Map<string, { shareId: string; expiresAt: number }>()
  private versions = new Versions()
  private refresher: Repeater | undefined

  constructor(
    private db: Db,
    private clock: () => number,
    private sessionMs: number,
  ) {}

  async load(): Promise<void> {
    await this.refresh()
  }

  /** Reads every access row changed since the last look (all of them the first time) into memory. */
  async refresh(): Promise<void> {
    const since = { since: this.versions.since() }
    const changed = (cols: string, table: string) =>
      `SELECT ${cols}, toUnixTimestamp64Milli(updated_at) AS v FROM ${table}
       WHERE updated_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY updated_at`
    // Read first, apply after: a failure half-way leaves the last known state whole.
    const [owners, sessions, keys, shares, invitations, resets] = await Promise.all([
      queryRows<OwnerRow>(this.db, changed('id, email, password_hash, toUnixTimestamp(created_at) AS created_s, role, sites, deleted', 'owners'), since),
      queryRows<SessionRow>(
        this.db,
        changed('token_hash, owner_id, toUnixTimestamp(created_at) AS created_s, toUnixTimestamp(expires_at) AS expires_s, revoked', 'owner_sessions'),
        since,
      ),
      queryRows<KeyRow>(this.db, changed('id, name, key_hash, sites, min_crowd, toUnixTimestamp(created_at) AS created_s, revoked', 'api_keys'), since),
      queryRows<ShareRow>(
        this.db,
        changed('id, site, name, token_hash, password_hash, min_crowd, goals, toUnixTimestamp(created_at) AS created_s, revoked', 'shares'),
        since,
      ),
      queryRows<InvitationRow>(
        this.db,
        changed('token_hash, email, invited_by, toUnixTimestamp(created_at) AS created_s, toUnixTimestamp(expires_at) AS expires_s, role, sites, used', 'invitations'),
        since,
      ),
      queryRows<ResetRow>(
        this.db,
        changed('token_hash, owner_id, issued_by, toUnixTimestamp(created_at) AS created_s, toUnixTimestamp(expires_at) AS expires_s, used', 'password_resets'),
        since,
      ),
    ])
    const now = this.clock()
    const ms = (s: number | string) => Number(s) * 1000
    for (const r of owners) {
      if (!this.versions.accept(`owners:${r.id}`, Number(r.v))) continue
      if (Number(r.deleted)) this.owners.delete(r.id)
      else this.owners.set(r.id, { id: r.id, email: r.email, passwordHash: r.password_hash, createdAt: ms(r.created_s), role: roleIn(r.role), sites: r.sites })
    }
    for (const r of sessions) {
      if (!this.versions.accept(`owner_sessions:${r.token_hash}`, Number(r.v))) continue
      const expiresAt = ms(r.expires_s)
      if (Number(r.revoked) || expiresAt <= now) this.sessions.delete(r.token_hash)
      else {
        const lastSeen = this.sessions.get(r.token_hash)?.lastSeen
        this.sessions.set(r.token_hash, { tokenHash: r.token_hash, ownerId: r.owner_id, createdAt: ms(r.created_s), expiresAt, lastSeen })
      }
    }
    for (const r of keys) {
      if (!this.versions.accept(`api_keys:${r.id}`, Number(r.v))) continue
      if (Number(r.revoked)) this.keys.delete(r.key_hash)
      else this.keys.set(r.key_hash, { id: r.id, name: r.name, keyHash: r.key_hash, sites: r.sites, minCrowd: Number(r.min_crowd), createdAt: ms(r.created_s) })
    }
    for (const r of shares) {
      if (!this.versions.accept(`shares:${r.id}`, Number(r.v))) continue
      if (Number(r.revoked)) this.forgetShare(r.token_hash, r.id)
      else {
        this.shares.set(r.token_hash, {
          id: r.id,
          site: r.site,
          name: r.name,
          tokenHash: r.token_hash,
          passwordHash: r.password_hash,
          minCrowd: Number(r.min_crowd),
          goals: Number(r.goals) === 1,
          createdAt: ms(r.created_s),
        })
      }
    }
    for (const r of invitations) {
      if (!this.versions.accept(`invitations:${r.token_hash}`, Number(r.v))) continue
      const inv = { tokenHash: r.token_hash, email: r.email, invitedBy: r.invited_by, createdAt: ms(r.created_s), expiresAt: ms(r.expires_s), role: roleIn(r.role), sites: r.sites }
      if (Number(r.used) || inv.expiresAt <= now) this.invitations.delete(r.token_hash)
      else this.invitations.set(r.token_hash, inv)
    }
    for (const r of resets) {
      if (!this.versions.accept(`password_resets:${r.token_hash}`, Number(r.v))) continue
      const reset = { tokenHash: r.token_hash, ownerId: r.owner_id, issuedBy: r.issued_by, createdAt: ms(r.created_s), expiresAt: ms(r.expires_s) }
      if (Number(r.used) || reset.expiresAt <= now) this.resets.delete(r.token_hash)
      else this.resets.set(r.token_hash, reset)
    }
  }

  /** Refreshes every `everyMs` in the background; a failure is logged and retried, the last state kept. */
  startRefresh(log: Logger, everyMs = ACCESS_REFRESH_MS): void {
    this.refresher ??= new Repeater(
      () => this.refresh(),
      (err) => log.warn({ err: errorText(err) }, 'access refresh failed; keeping the last known state'),
    )
    this.refresher.start(everyMs)
  }

  async stopRefresh(): Promise<void> {
    await this.refresher?.stop()
  }

  // Owners

  ownerCount(): number {
    return this.owners.size
  }

  listOwners(): Owner[] {
    return [...this.owners.values()].sort((a, b) => a.createdAt - b.createdAt)
  }

  ownerByEmail(email: string): Owner | undefined {
    const e = normalizeEmail(email)
    return [...this.owners.values()].find((o) => o.email === e)
  }

  /** A user with a password at once: an owner unless `grant` says otherwise. */
  async createOwner(email: string, password: string, grant: Grant = OWNER): Promise<Owner> {
    const passwordHash = await hashPassword(password)
    return this.exclusive(() => this.insertOwner(email, passwordHash, grant))
  }

  /** The first owner, unless one appeared meanwhile (two setup forms sent at once). */
  async createFirstOwner(email: string, password: string): Promise<Owner> {
    const passwordHash = await hashPassword(password)
    return this.exclusive(() => {
      if (this.owners.size > 0) throw new AccessError(say('setup_done'), 409)
      return this.insertOwner(email, passwordHash, OWNER)
    })
  }

  /** Checks and writes run one at a time: a check may not be overtaken across an await. */
  private queue: Promise<unknown> = Promise.resolve()
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => {})
    return run
  }

  private async insertOwner(email: string, passwordHash: string, grant: Grant): Promise<Owner> {
    const e = normalizeEmail(email)
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(e)) throw new AccessError(say('not_an_email'))
    if (this.ownerByEmail(e)) throw new AccessError(say('owner_exists', { email: e }), 409)
    const owner: Owner = { id: randomUUID(), email: e, passwordHash, createdAt: this.clock(), ...granted(grant) }
    this.owners.set(owner.id, owner)
    await this.write('owners', owner, 0)
    return owner
  }

  /** The owner whose email and password match, or undefined; unknown emails take as long. */
  async verifyLogin(email: string, password: string): Promise<Owner | undefined> {
    const owner = this.ownerByEmail(email)
    if (!owner) {
      await verifyAgainstDummy(password)
      return undefined
    }
    return (await verifyPassword(password, owner.passwordHash)) ? owner : undefined
  }

  async changePassword(ownerId: string, current: string, next: string, keepSessionHash?: string): Promise<void> {
    const owner = this.owners.get(ownerId)
    if (!owner) throw new AccessError(say('owner_unknown'), 404)
    if (!(await verifyPassword(current, owner.passwordHash))) throw new AccessError(say('current_password_wrong'), 403)
    const updated = { ...owner, passwordHash: await hashPassword(next) }
    await this.write('owners', updated, 0)
    this.owners.set(owner.id, updated)
    // Every other session of this owner ends: a changed password must lock out whoever else had it.
    await this.endSessionsOf(ownerId, keepSessionHash)
  }

  /** Removes an owner and ends their sessions; never the last owner. */
  async removeOwner(id: string): Promise<Owner> {
    return this.exclusive(async () => {
      const owner = this.owners.get(id)
      if (!owner) throw new AccessError(say('owner_not_found', { owner: id }), 404)
      if (owner.role === 'owner') await this.keepAnotherOwner(id, 'last_owner')
      await this.write('owners', owner, 1)
      this.owners.delete(id)
      await this.endSessionsOf(id)
      for (const r of [...this.resets.values()]) if (r.ownerId === id) await this.useUpReset(r)
      return owner
    })
  }


  /**
   * Gives a user another role and sites; never takes the last owner's role. Their sessions
   * go on: every request reads the user anew, so the change holds from the next one.
   */
  async setRole(id: string, grant: Grant): Promise<Owner> {
    return this.exclusive(async () => {
      const owner = this.owners.get(id)
      if (!owner) throw new AccessError(say('owner_not_found', { owner: id }), 404)
      if (owner.role === 'owner' && grant.role !== 'owner') await this.keepAnotherOwner(id, 'last_owner_role')
      const updated = { ...owner, ...granted(grant) }
      await this.write('owners', updated, 0)
      this.owners.set(id, updated)
      return updated
    })
  }

  /**
   * Refuses (409) to let `id` stop being an owner when no other owner would be left. Another node
   * may have removed or demoted an owner a moment ago: the stored owners count, not only those
   * this node knows of. With no owner left, no one could manage users or sites again.
   */
  private async keepAnotherOwner(id: string, refusal: 'last_owner' | 'last_owner_role'): Promise<void> {
    const stored = await queryRows<{ id: string }>(this.db, "SELECT id FROM owners FINAL WHERE deleted = 0 AND role = 'owner'")
    const others = (o: { id: string }) => o.id !== id && this.owners.get(o.id)?.role === 'owner'
    if (!stored.some(others) || ![...this.owners.values()].some(others)) throw new AccessError(say(refusal), 409)
  }

  ownerById(id: string): Owner | undefined {
    return this.owners.get(id)
  }

  // Password resets

  /** A one-time link for `ownerId` to set a new password, valid 24 h; older links for them end. */
  async issueReset(ownerId: string, issuedBy: string): Promise<{ token: string; expiresAt: number }> {
    if (!this.owners.has(ownerId)) throw new AccessError(say('owner_not_found', { owner: ownerId }), 404)
    for (const r of [...this.resets.values()]) if (r.ownerId === ownerId) await this.useUpReset(r)
    const token = newToken('rst')
    const now = this.clock()
    const reset: PasswordReset = { tokenHash: tokenHash(token), ownerId, issuedBy, createdAt: now, expiresAt: now + RESET_MS }
    await this.write('password_resets', reset, 0)
    this.resets.set(reset.tokenHash, reset)
    return { token, expiresAt: reset.expiresAt }
  }

  /** The owner a valid reset link is for. */
  resetFor(token: string): { email: string } | undefined {
    const reset = this.resets.get(tokenHash(token))
    const owner = reset && reset.expiresAt > this.clock() ? this.owners.get(reset.ownerId) : undefined
    return owner && { email: owner.email }
  }

  /** Sets the new password (its policy checked by the caller) and ends every session of the owner. */
  async useReset(token: string, password: string): Promise<Owner> {
    const passwordHash = await hashPassword(password)
    const invalid = () => new AccessError(say('reset_invalid'), 404)
    return this.exclusive(async () => {
      const reset = this.resets.get(tokenHash(token))
      if (!reset || reset.expiresAt <= this.clock()) throw invalid()
      // Another node may have taken it within its last refresh: the stored row decides.
      const [stored] = await queryRows<{ used: number }>(
        this.db,
        'SELECT used FROM password_resets FINAL WHERE token_hash = {hash:String}',
        { hash: reset.tokenHash },
      )
      const owner = this.owners.get(reset.ownerId)
      if (!stored || Number(stored.used) || !owner) {
        this.resets.delete(reset.tokenHash)
        throw invalid()
      }
      await this.useUpReset(reset)
      const updated = { ...owner, passwordHash }
      await this.write('owners', updated, 0)
      this.owners.set(owner.id, updated)
      await this.endSessionsOf(owner.id)
      return updated
    })
  }

  private async useUpReset(r: PasswordReset): Promise<void> {
    this.resets.delete(r.tokenHash)
    await this.write('password_resets', r, 1)
  }


  async invite(email: string, invitedBy: string, grant: Grant = OWNER): Promise<{ token: string; expiresAt: number }> {
    const e = normalizeEmail(email)
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(e)) throw new AccessError(say('not_an_email'))
    if (this.ownerByEmail(e)) throw new AccessError(say('owner_exists', { email: e }), 409)
    const token = newToken('inv')
    const inv: Invitation = { tokenHash: tokenHash(token), email: e, invitedBy, createdAt: this.clock(), expiresAt: this.clock() + INVITATION_MS, ...granted(grant) }
    await this.write('invitations', inv, 0)
    this.invitations.set(inv.tokenHash, inv)
    return { token, expiresAt: inv.expiresAt }
  }

  invitation(token: string): { email: string; role: Role; sites: string[] } | undefined {
    const inv = this.invitations.get(tokenHash(token))
    return inv && inv.expiresAt > this.clock() ? { email: inv.email, role: inv.role, sites: inv.sites } : undefined
  }

  async acceptInvitation(token: string, password: string): Promise<Owner> {
    // The token first: scrypt costs ~100 ms of CPU, which an unknown token must not buy.
    const known = this.invitations.get(tokenHash(token))
    if (!known || known.expiresAt <= this.clock()) throw new AccessError(say('invitation_invalid'), 404)
    const passwordHash = await hashPassword(password)
    return this.exclusive(async () => {
      const inv = this.invitations.get(tokenHash(token))
      if (!inv || inv.expiresAt <= this.clock()) throw new AccessError(say('invitation_invalid'), 404)
      this.invitations.delete(inv.tokenHash)
      const owner = await this.insertOwner(inv.email, passwordHash, inv)
      await this.write('invitations', inv, 1)
      return owner
    })
  }

  /** Pending invitations, oldest first. */
  listInvitations(): Invitation[] {
    const now = this.clock()
    return [...this.invitations.values()].filter((i) => i.expiresAt > now).sort((a, b) => a.createdAt - b.createdAt)
  }

  /** Revokes the pending invitation whose id (its token hash's first 16 hex digits) or longer hash prefix is given. */
  async revokeInvitation(idOrPrefix: string): Promise<Invitation> {
    const prefix = idOrPrefix.toLowerCase()
    const found = /^[0-9a-f]{8,64}$/.test(prefix) ? this.listInvitations().filter((i) => i.tokenHash.startsWith(prefix)) : []
    if (found.length !== 1) throw new AccessError(say(found.length ? 'invitation_ambiguous' : 'invitation_not_found', { id: idOrPrefix }), found.length ? 400 : 404)
    const inv = found[0]!
    this.invitations.delete(inv.tokenHash)
    await this.write('invitations', inv, 1)
    return inv
  }


  // Owner sessions

  async createSession(ownerId: string): Promise<{ token: string; expiresAt: number }> {
    const token = newToken('ss')
    const session: OwnerSession = { tokenHash: tokenHash(token), ownerId, createdAt: this.clock(), expiresAt: this.clock() + this.sessionMs }
    await this.write('owner_sessions', session, 0)
    this.sessions.set(session.tokenHash, session)
    return { token, expiresAt: session.expiresAt }
  }

  sessionOwner(token: string): { owner: Owner; sessionHash: string } | undefined {
    const hash = tokenHash(token)
    const session = this.sessions.get(hash)
    if (!session) return undefined
    if (session.expiresAt <= this.clock()) {
      this.sessions.delete(hash)
      return undefined
    }
    const owner = this.owners.get(session.ownerId)
    if (!owner) return undefined
    session.lastSeen = this.clock()
    return { owner, sessionHash: hash }
  }

  /** An owner's sessions, oldest first; `current` marks the one asking. */
  listSessions(ownerId: string, currentHash: string | undefined): SessionView[] {
    const now = this.clock()
    return [...this.sessions.values()]
      .filter((s) => s.ownerId === ownerId && s.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((s) => ({ id: sessionId(s.tokenHash), createdAt: s.createdAt, lastSeen: s.lastSeen, expiresAt: s.expiresAt, current: s.tokenHash === currentHash }))
  }

  /** Ends one of the owner's own sessions by its listed id; true when it was the current one. */
  async endSession(ownerId: string, id: string, currentHash: string | undefined): Promise<boolean> {
    const session = [...this.sessions.values()].find((s) => s.ownerId === ownerId && sessionId(s.tokenHash) === id)
    if (!session) throw new AccessError(say('session_not_found', { id }), 404)
    await this.revokeSessionHash(session.tokenHash)
    return session.tokenHash === currentHash
  }

  /** Ends every session of the owner but `keepHash`; how many ended. */
  async endSessionsOf(ownerId: string, keepHash?: string): Promise<number> {
    let ended = 0
    for (const s of [...this.sessions.values()]) {
      if (s.ownerId !== ownerId || s.tokenHash === keepHash) continue
      await this.revokeSessionHash(s.tokenHash)
      ended++
    }
    return ended
  }

  async revokeSession(token: string): Promise<void> {
    await this.revokeSessionHash(tokenHash(token))
  }

  private async revokeSessionHash(hash: string): Promise<void> {
    const session = this.sessions.get(hash)
    if (!session) return
    this.sessions.delete(hash)
    await this.write('owner_sessions', session, 1)
  }


  // API keys

  async createKey(name: string, sites: string[], minCrowd = 0): Promise<{ key: string; apiKey: ApiKey }> {
    const key = newToken('sk')
    const apiKey: ApiKey = { id: randomUUID(), name, keyHash: tokenHash(key), sites, minCrowd, createdAt: this.clock() }
    await this.write('api_keys', apiKey, 0)
    this.keys.set(apiKey.keyHash, apiKey)
    return { key, apiKey }
  }

  keyByToken(token: string): ApiKey | undefined {
    return this.keys.get(tokenHash(token))
  }

  listKeys(): ApiKey[] {
    return [...this.keys.values()].sort((a, b) => a.createdAt - b.createdAt)
  }

  async revokeKey(id: string): Promise<ApiKey> {
    const key = [...this.keys.values()].find((k) => k.id === id)
    if (!key) throw new AccessError(say('key_not_found', { id }), 404)
    this.keys.delete(key.keyHash)
    await this.write('api_keys', key, 1)
    return key
  }


  // Shared links

  async createShare(site: string, name: string, password: string | undefined, minCrowd = DEFAULT_MIN_CROWD, goals = false): Promise<{ token: string; share: Share }> {
    const token = newToken('sh')
    const share: Share = {
      id: randomUUID(),
      site,
      name,
      tokenHash: tokenHash(token),
      passwordHash: password ? await hashPassword(password) : '',
      minCrowd,
      goals,
      createdAt: this.clock(),
    }
    await this.write('shares', share, 0)
    this.shares.set(share.tokenHash, share)
    return { token, share }
  }

  shareByToken(token: string): Share | undefined {
    return this.shares.get(tokenHash(token))
  }

  listShares(site?: string): Share[] {
    return [...this.shares.values()].filter((s) => !site || s.site === site).sort((a, b) => a.createdAt - b.createdAt)
  }

  async revokeShare(id: string): Promise<Share> {
    const share = [...this.shares.values()].find((s) => s.id === id)
    if (!share) throw new AccessError(say('share_not_found', { id }), 404)
    this.forgetShare(share.tokenHash, id)
    await this.write('shares', share, 1)
    return share
  }

  private forgetShare(hash: string, id: string): void {
    this.shares.delete(hash)
    for (const [h, s] of this.shareSessions) if (s.shareId === id) this.shareSessions.delete(h)
  }

  /** Checks a shared link's password and returns a token that stands for the unlocked link. */
  async unlockShare(token: string, password: string): Promise<string | undefined> {
    const share = this.shareByToken(token)
    if (!share) return undefined
    if (share.passwordHash && !(await verifyPassword(password, share.passwordHash))) return undefined
    const unlocked = newToken('ss')
    this.rememberShareSession(tokenHash(unlocked), share.id)
    return unlocked
  }

  /** Unlocked shared links held in memory (capped at MAX_SHARE_SESSIONS). */
  get shareSessionCount(): number {
    return this.shareSessions.size
  }

  private rememberShareSession(hash: string, shareId: string): void {
    const now = this.clock()
    // Every unlock lives equally long, so the Map's insertion order is expiry order: the
    // expired ones are at its start, and so is the one to forget when it is full.
    for (const [h, s] of this.shareSessions) {
      if (s.expiresAt > now && this.shareSessions.size < MAX_SHARE_SESSIONS) break
      this.shareSessions.delete(h)
    }
    this.shareSessions.set(hash, { shareId, expiresAt: now + SHARE_SESSION_MS })
  }

  unlockedShare(token: string): Share | undefined {
    const s = this.shareSessions.get(tokenHash(token))
    if (!s || s.expiresAt <= this.clock()) return undefined
    return [...this.shares.values()].find((x) => x.id === s.shareId)
  }


  /**
   * A removed site takes its shared links with it, and keys limited to it lose it (a key
   * limited to it alone is revoked): a site re-created under the name later is a new site.
   */
  async forgetSite(site: string): Promise<void> {
    for (const share of this.listShares(site)) await this.revokeShare(share.id)
    await this.regrant((sites) => sites.filter((s) => s !== site), site)
    for (const key of this.listKeys()) {
      if (!key.sites.includes(site)) continue
      const rest = key.sites.filter((s) => s !== site)
      if (!rest.length) await this.revokeKey(key.id)
      else await this.updateKey({ ...key, sites: rest })
    }
  }

  /** Keys and shared links follow a renamed site. */
  async renameSite(from: string, to: string): Promise<void> {
    await this.regrant((sites) => sites.map((s) => (s === from ? to : s)), from)
    for (const key of this.listKeys()) {
      if (key.sites.includes(from)) await this.updateKey({ ...key, sites: key.sites.map((s) => (s === from ? to : s)) })
    }
    for (const share of this.listShares(from)) {
      const moved = { ...share, site: to }
      this.shares.set(share.tokenHash, moved)
      await this.write('shares', moved, 0)
    }
  }

  /** Users' and pending invitations' grants of `site`, changed by `change` (a site renamed or removed). */
  private async regrant(change: (sites: string[]) => string[], site: string): Promise<void> {
    for (const o of [...this.owners.values()]) {
      if (!o.sites.includes(site)) continue
      const updated = { ...o, sites: change(o.sites) }
      this.owners.set(o.id, updated)
      await this.write('owners', updated, 0)
    }
    for (const i of [...this.invitations.values()]) {
      if (!i.sites.includes(site)) continue
      const updated = { ...i, sites: change(i.sites) }
      this.invitations.set(i.tokenHash, updated)
      await this.write('invitations', updated, 0)
    }
  }

  private async updateKey(key: ApiKey): Promise<void> {
    this.keys.set(key.keyHash, key)
    await this.write('api_keys', key, 0)
  }

  /** Writes what is held of `item` to its table, with a new version; `gone` 1 marks it deleted, used or revoked. */
  private async write<T extends AccessTable>(table: T, item: Parameters<(typeof ROWS)[T]>[0], gone: 0 | 1): Promise<void> {
    const { key, gone: column, row } = (ROWS[table] as (item: Parameters<(typeof ROWS)[T]>[0]) => ReturnType<(typeof ROWS)[AccessTable]>)(item)
    // The version is also held as this node's version of the row, for the refresh to compare with.
    const updated_at = stampText(this.versions.stamp(`${table}:${key}`))
    await this.db.insert({ table, values: [{ ...row, updated_at, [column]: gone }], format: 'JSONEachRow' }, 'none')
  }
}

/** A session's id in listings: derived from its hash, so no listing shows the hash itself. */
export function sessionId(hash: string): string {
  return createHash('sha256').update(`session:${hash}`).digest('hex').slice(0, 16)
}

interface OwnerRow {
  id: string
  email: string
  password_hash: string
  created_s: number
  role: string
  sites: string[]
  deleted: number
  v: string
}
interface SessionRow {
  token_hash: string
  owner_id: string
  created_s: number
  expires_s: number
  revoked: number
  v: string
}
interface KeyRow {
  id: string
  name: string
  key_hash: string
  sites: string[]
  min_crowd: number
  created_s: number
  revoked: number
  v: string
}
interface ShareRow {
  id: string
  site: string
  name: string
  token_hash: string
  password_hash: string
  min_crowd: number
  goals: number
  created_s: number
  revoked: number
  v: string
}
interface InvitationRow {
  token_hash: string
  email: string
  invited_by: string
  created_s: number
  expires_s: number
  role: string
  sites: string[]
  used: number
  v: string
}
interface ResetRow {
  token_hash: string
  owner_id: string
  issued_by: string
  created_s: number
  expires_s: number
  used: number
  v: string
}

/** A role and the sites it is granted (an owner's are all: none listed). */
export interface Grant {
  role: Role
  sites: string[]
}
const OWNER: Grant = { role: 'owner', sites: [] }

function granted(g: Grant): Grant {
  return { role: g.role, sites: g.role === 'owner' ? [] : [...new Set(g.sites)].sort() }
}

/** A stored role; one this version does not know reads as the least (a newer node may add roles). */
function roleIn(stored: string): Role {
  return stored === 'owner' || stored === 'admin' ? stored : 'viewer'
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

function secs(ms: number): number {
  return Math.floor(ms / 1000)
}
