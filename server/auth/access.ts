import { randomUUID } from 'node:crypto'
import { queryRows, type Db } from '../db/client.ts'
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.ts'
import { newToken, tokenHash } from './tokens.ts'

export interface Owner {
  id: string
  email: string
  passwordHash: string
  createdAt: number
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
  createdAt: number
}

/** A shared link's minimum crowd unless its owner sets another. */
export const DEFAULT_MIN_CROWD = 5

interface OwnerSession {
  tokenHash: string
  ownerId: string
  createdAt: number
  expiresAt: number
}

interface Invitation {
  tokenHash: string
  email: string
  invitedBy: string
  expiresAt: number
}

export class AccessError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 = 400,
  ) {
    super(message)
  }
}

const SHARE_SESSION_MS = 12 * 3_600_000
const INVITATION_MS = 7 * 86_400_000

/**
 * Owners, their sessions, API keys, shared links and invitations: stored in ClickHouse as
 * versioned rows (secrets only as hashes), held in memory because every request reads them.
 */
export class Access {
  private owners = new Map<string, Owner>()
  private sessions = new Map<string, OwnerSession>()
  private keys = new Map<string, ApiKey>()
  private shares = new Map<string, Share>()
  private invitations = new Map<string, Invitation>()
  /** unlocked password-protected shares: in memory only, gone on restart */
  private shareSessions = new Map<string, { shareId: string; expiresAt: number }>()

  constructor(
    private db: Db,
    private clock: () => number,
    private sessionMs: number,
  ) {}

  async load(): Promise<void> {
    const now = this.clock()
    for (const r of await queryRows<{ id: string; email: string; password_hash: string; created_s: number }>(
      this.db,
      'SELECT id, email, password_hash, toUnixTimestamp(created_at) AS created_s FROM owners FINAL WHERE deleted = 0',
    )) {
      this.owners.set(r.id, { id: r.id, email: r.email, passwordHash: r.password_hash, createdAt: Number(r.created_s) * 1000 })
    }
    for (const r of await queryRows<{ token_hash: string; owner_id: string; created_s: number; expires_s: number }>(
      this.db,
      `SELECT token_hash, owner_id, toUnixTimestamp(created_at) AS created_s, toUnixTimestamp(expires_at) AS expires_s
       FROM owner_sessions FINAL WHERE revoked = 0 AND expires_at > toDateTime({now:UInt32})`,
      { now: Math.floor(now / 1000) },
    )) {
      this.sessions.set(r.token_hash, {
        tokenHash: r.token_hash,
        ownerId: r.owner_id,
        createdAt: Number(r.created_s) * 1000,
        expiresAt: Number(r.expires_s) * 1000,
      })
    }
    for (const r of await queryRows<{ id: string; name: string; key_hash: string; sites: string[]; min_crowd: number; created_s: number }>(
      this.db,
      'SELECT id, name, key_hash, sites, min_crowd, toUnixTimestamp(created_at) AS created_s FROM api_keys FINAL WHERE revoked = 0',
    )) {
      this.keys.set(r.key_hash, { id: r.id, name: r.name, keyHash: r.key_hash, sites: r.sites, minCrowd: Number(r.min_crowd), createdAt: Number(r.created_s) * 1000 })
    }
    for (const r of await queryRows<{ id: string; site: string; name: string; token_hash: string; password_hash: string; min_crowd: number; created_s: number }>(
      this.db,
      'SELECT id, site, name, token_hash, password_hash, min_crowd, toUnixTimestamp(created_at) AS created_s FROM shares FINAL WHERE revoked = 0',
    )) {
      this.shares.set(r.token_hash, {
        id: r.id,
        site: r.site,
        name: r.name,
        tokenHash: r.token_hash,
        passwordHash: r.password_hash,
        minCrowd: Number(r.min_crowd),
        createdAt: Number(r.created_s) * 1000,
      })
    }
    for (const r of await queryRows<{ token_hash: string; email: string; invited_by: string; expires_s: number }>(
      this.db,
      `SELECT token_hash, email, invited_by, toUnixTimestamp(expires_at) AS expires_s
       FROM invitations FINAL WHERE used = 0 AND expires_at > toDateTime({now:UInt32})`,
      { now: Math.floor(now / 1000) },
    )) {
      this.invitations.set(r.token_hash, { tokenHash: r.token_hash, email: r.email, invitedBy: r.invited_by, expiresAt: Number(r.expires_s) * 1000 })
    }
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

  async createOwner(email: string, password: string): Promise<Owner> {
    const passwordHash = await hashPassword(password)
    return this.exclusive(() => this.insertOwner(email, passwordHash))
  }

  /** The first owner, unless one appeared meanwhile (two setup forms sent at once). */
  async createFirstOwner(email: string, password: string): Promise<Owner> {
    const passwordHash = await hashPassword(password)
    return this.exclusive(() => {
      if (this.owners.size > 0) throw new AccessError('setup is done: log in instead', 409)
      return this.insertOwner(email, passwordHash)
    })
  }

  /** Checks and writes run one at a time: a check may not be overtaken across an await. */
  private queue: Promise<unknown> = Promise.resolve()
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => {})
    return run
  }

  private async insertOwner(email: string, passwordHash: string): Promise<Owner> {
    const e = normalizeEmail(email)
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(e)) throw new AccessError('not an email address')
    if (this.ownerByEmail(e)) throw new AccessError(`${e} is already an owner`, 409)
    const owner: Owner = { id: randomUUID(), email: e, passwordHash, createdAt: this.clock() }
    this.owners.set(owner.id, owner)
    await this.writeOwner(owner, 0)
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
    if (!owner) throw new AccessError('no such owner', 404)
    if (!(await verifyPassword(current, owner.passwordHash))) throw new AccessError('the current password is wrong', 403)
    const updated = { ...owner, passwordHash: await hashPassword(next) }
    await this.writeOwner(updated, 0)
    this.owners.set(owner.id, updated)
    // Every other session of this owner ends: a changed password must lock out whoever else had it.
    for (const s of [...this.sessions.values()]) {
      if (s.ownerId === ownerId && s.tokenHash !== keepSessionHash) await this.revokeSessionHash(s.tokenHash)
    }
  }

  private async writeOwner(o: Owner, deleted: 0 | 1): Promise<void> {
    await this.insert('owners', {
      id: o.id,
      email: o.email,
      password_hash: o.passwordHash,
      created_at: secs(o.createdAt),
      updated_at: this.stamp(),
      deleted,
    })
  }

  async invite(email: string, invitedBy: string): Promise<{ token: string; expiresAt: number }> {
    const e = normalizeEmail(email)
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(e)) throw new AccessError('not an email address')
    if (this.ownerByEmail(e)) throw new AccessError(`${e} is already an owner`, 409)
    const token = newToken('inv')
    const inv: Invitation = { tokenHash: tokenHash(token), email: e, invitedBy, expiresAt: this.clock() + INVITATION_MS }
    await this.writeInvitation(inv, 0)
    this.invitations.set(inv.tokenHash, inv)
    return { token, expiresAt: inv.expiresAt }
  }

  invitation(token: string): { email: string } | undefined {
    const inv = this.invitations.get(tokenHash(token))
    return inv && inv.expiresAt > this.clock() ? { email: inv.email } : undefined
  }

  async acceptInvitation(token: string, password: string): Promise<Owner> {
    const passwordHash = await hashPassword(password)
    return this.exclusive(async () => {
      const inv = this.invitations.get(tokenHash(token))
      if (!inv || inv.expiresAt <= this.clock()) throw new AccessError('this invitation is not valid (used, revoked or expired)', 404)
      this.invitations.delete(inv.tokenHash)
      const owner = await this.insertOwner(inv.email, passwordHash)
      await this.writeInvitation(inv, 1)
      return owner
    })
  }

  private async writeInvitation(inv: Invitation, used: 0 | 1): Promise<void> {
    await this.insert('invitations', {
      token_hash: inv.tokenHash,
      email: inv.email,
      invited_by: inv.invitedBy,
      created_at: secs(this.clock()),
      expires_at: secs(inv.expiresAt),
      updated_at: this.stamp(),
      used,
    })
  }

  // Owner sessions

  async createSession(ownerId: string): Promise<{ token: string; expiresAt: number }> {
    const token = newToken('ss')
    const session: OwnerSession = { tokenHash: tokenHash(token), ownerId, createdAt: this.clock(), expiresAt: this.clock() + this.sessionMs }
    await this.writeSession(session, 0)
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
    return owner ? { owner, sessionHash: hash } : undefined
  }

  async revokeSession(token: string): Promise<void> {
    await this.revokeSessionHash(tokenHash(token))
  }

  private async revokeSessionHash(hash: string): Promise<void> {
    const session = this.sessions.get(hash)
    if (!session) return
    this.sessions.delete(hash)
    await this.writeSession(session, 1)
  }

  private async writeSession(s: OwnerSession, revoked: 0 | 1): Promise<void> {
    await this.insert('owner_sessions', {
      token_hash: s.tokenHash,
      owner_id: s.ownerId,
      created_at: secs(s.createdAt),
      expires_at: secs(s.expiresAt),
      updated_at: this.stamp(),
      revoked,
    })
  }

  // API keys

  async createKey(name: string, sites: string[], minCrowd = 0): Promise<{ key: string; apiKey: ApiKey }> {
    const key = newToken('sk')
    const apiKey: ApiKey = { id: randomUUID(), name, keyHash: tokenHash(key), sites, minCrowd, createdAt: this.clock() }
    await this.writeKey(apiKey, 0)
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
    if (!key) throw new AccessError(`no API key with id ${id}`, 404)
    this.keys.delete(key.keyHash)
    await this.writeKey(key, 1)
    return key
  }

  private async writeKey(k: ApiKey, revoked: 0 | 1): Promise<void> {
    await this.insert('api_keys', {
      id: k.id,
      name: k.name,
      key_hash: k.keyHash,
      sites: k.sites,
      min_crowd: k.minCrowd,
      created_at: secs(k.createdAt),
      updated_at: this.stamp(),
      revoked,
    })
  }

  // Shared links

  async createShare(site: string, name: string, password: string | undefined, minCrowd = DEFAULT_MIN_CROWD): Promise<{ token: string; share: Share }> {
    const token = newToken('sh')
    const share: Share = {
      id: randomUUID(),
      site,
      name,
      tokenHash: tokenHash(token),
      passwordHash: password ? await hashPassword(password) : '',
      minCrowd,
      createdAt: this.clock(),
    }
    await this.writeShare(share, 0)
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
    if (!share) throw new AccessError(`no shared link with id ${id}`, 404)
    this.shares.delete(share.tokenHash)
    for (const [hash, s] of this.shareSessions) if (s.shareId === id) this.shareSessions.delete(hash)
    await this.writeShare(share, 1)
    return share
  }

  /** Checks a shared link's password and returns a token that stands for the unlocked link. */
  async unlockShare(token: string, password: string): Promise<string | undefined> {
    const share = this.shareByToken(token)
    if (!share) return undefined
    if (share.passwordHash && !(await verifyPassword(password, share.passwordHash))) return undefined
    const unlocked = newToken('ss')
    this.shareSessions.set(tokenHash(unlocked), { shareId: share.id, expiresAt: this.clock() + SHARE_SESSION_MS })
    return unlocked
  }

  unlockedShare(token: string): Share | undefined {
    const s = this.shareSessions.get(tokenHash(token))
    if (!s || s.expiresAt <= this.clock()) return undefined
    return [...this.shares.values()].find((x) => x.id === s.shareId)
  }

  private async writeShare(s: Share, revoked: 0 | 1): Promise<void> {
    await this.insert('shares', {
      id: s.id,
      site: s.site,
      name: s.name,
      token_hash: s.tokenHash,
      password_hash: s.passwordHash,
      min_crowd: s.minCrowd,
      created_at: secs(s.createdAt),
      updated_at: this.stamp(),
      revoked,
    })
  }

  /**
   * A removed site takes its shared links with it, and keys limited to it lose it (a key
   * limited to it alone is revoked): a site re-created under the name later is a new site.
   */
  async forgetSite(site: string): Promise<void> {
    for (const share of this.listShares(site)) await this.revokeShare(share.id)
    for (const key of this.listKeys()) {
      if (!key.sites.includes(site)) continue
      const rest = key.sites.filter((s) => s !== site)
      if (!rest.length) await this.revokeKey(key.id)
      else await this.updateKey({ ...key, sites: rest })
    }
  }

  /** Keys and shared links follow a renamed site. */
  async renameSite(from: string, to: string): Promise<void> {
    for (const key of this.listKeys()) {
      if (key.sites.includes(from)) await this.updateKey({ ...key, sites: key.sites.map((s) => (s === from ? to : s)) })
    }
    for (const share of this.listShares(from)) {
      const moved = { ...share, site: to }
      this.shares.set(share.tokenHash, moved)
      await this.writeShare(moved, 0)
    }
  }

  private async updateKey(key: ApiKey): Promise<void> {
    this.keys.set(key.keyHash, key)
    await this.writeKey(key, 0)
  }

  private async insert(table: string, row: Record<string, unknown>): Promise<void> {
    await this.db.insert({ table, values: [row], format: 'JSONEachRow' })
  }

  /** A version stamp for ReplacingMergeTree: strictly increasing even within one millisecond. */
  private lastStamp = 0
  private stamp(): string {
    this.lastStamp = Math.max(this.lastStamp + 1, Date.now())
    return new Date(this.lastStamp).toISOString().replace('T', ' ').replace('Z', '')
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

function secs(ms: number): number {
  return Math.floor(ms / 1000)
}
