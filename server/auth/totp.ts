import { Secret, TOTP } from 'otpauth'
import { errorText, type Logger } from '../log.ts'
import { queryRows, type Db } from '../db/client.ts'
import { Repeater, stampText, Versions } from '../db/versioned.ts'
import { say } from '../http/messages.ts'
import { AccessError, ACCESS_REFRESH_MS } from './access.ts'
import { looksLikeRecovery, newRecoveryCodes, type TotpSeal } from './totp-seal.ts'

/** RFC 6238's defaults, which every authenticator app reads: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_S = 30
const TOTP_DIGITS = 6
/** How long the second step of a login may wait for its code. */
export const SECOND_STEP_MS = 5 * 60_000

interface Enrolment {
  ownerId: string
  secretSealed: string
  /** false while enrolment waits for its first code */
  enabled: boolean
  /** the newest 30-second step a code was accepted for: no code logs in twice */
  lastStep: number
  /** hashes of the unused recovery codes */
  recovery: string[]
  createdAt: number
}

export type TwoFactorState = 'off' | 'pending' | 'on'

export interface TwoFactorDeps {
  db: Db
  clock: () => number
  seal: TotpSeal
  /** an owner's current password hash (a second-step token ends when it changes); undefined: no such owner */
  passwordHashOf: (ownerId: string) => string | undefined
}

/**
 * Two-factor login: each owner's TOTP enrolment and the owners' rule that everyone must use it.
 * Held in memory, stored as versioned rows that every node reads back (like auth/access.ts),
 * and the stored row decides whenever a code is spent, so no code or recovery code is accepted
 * twice, on this node or another.
 */
export class TwoFactor {
  private enrolments = new Map<string, Enrolment>()
  private policy = { required: false }
  private versions = new Versions()
  private refresher: Repeater | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private deps: TwoFactorDeps) {}

  async load(): Promise<void> {
    await this.refresh()
  }

  async refresh(): Promise<void> {
    const since = { since: this.versions.since() }
    const [rows, policies] = await Promise.all([
      queryRows<EnrolmentRow>(this.deps.db, `${SELECT_ENROLMENT} WHERE updated_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY updated_at`, since),
      queryRows<PolicyRow>(
        this.deps.db,
        `SELECT required, deleted, toUnixTimestamp64Milli(updated_at) AS v FROM two_factor_policy
         WHERE id = 'policy' AND updated_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY updated_at`,
        since,
      ),
    ])
    for (const r of rows) this.apply(r)
    for (const r of policies) {
      if (this.versions.accept('two_factor_policy:policy', Number(r.v))) this.policy = { required: !Number(r.deleted) && Number(r.required) === 1 }
    }
  }

  startRefresh(log: Logger, everyMs = ACCESS_REFRESH_MS): void {
    this.refresher ??= new Repeater(
      () => this.refresh(),
      (err) => log.warn({ err: errorText(err) }, 'two-factor refresh failed; keeping the last known state'),
    )
    this.refresher.start(everyMs)
  }

  async stopRefresh(): Promise<void> {
    await this.refresher?.stop()
  }

  state(ownerId: string): TwoFactorState {
    const e = this.enrolments.get(ownerId)
    return !e ? 'off' : e.enabled ? 'on' : 'pending'
  }

  isOn(ownerId: string): boolean {
    return this.state(ownerId) === 'on'
  }

  recoveryLeft(ownerId: string): number {
    const e = this.enrolments.get(ownerId)
    return e?.enabled ? e.recovery.length : 0
  }

  /** Whether every owner must use two-factor login. */
  get required(): boolean {
    return this.policy.required
  }

  /** The owner may do nothing but enrol: the rule requires two-factor login and theirs is not on. */
  mustEnrol(ownerId: string): boolean {
    return this.policy.required && !this.isOn(ownerId)
  }

  async setRequired(required: boolean, setBy: string): Promise<void> {
    const updated_at = stampText(this.versions.stamp('two_factor_policy:policy'))
    await this.deps.db.insert({ table: 'two_factor_policy', values: [{ id: 'policy', required: required ? 1 : 0, set_by: setBy, updated_at, deleted: 0 }], format: 'JSONEachRow' }, 'none')
    this.policy = { required }
  }

  /**
   * A new secret for the owner, waiting for a code from their app (`confirm`); a pending one is
   * replaced. Returns its base32 text and `otpauth://` URI: the only time either leaves the server.
   */
  async begin(owner: { id: string; email: string }, issuer: string): Promise<{ secret: string; uri: string }> {
    return this.exclusive(async () => {
      if (this.isOn(owner.id)) throw new AccessError(say('two_factor_already_on'), 409)
      const secret = new Secret({ size: 20 })
      const e: Enrolment = { ownerId: owner.id, secretSealed: this.deps.seal.seal(owner.id, secret.base32), enabled: false, lastStep: 0, recovery: [], createdAt: this.deps.clock() }
      await this.write(e, 0)
      return { secret: secret.base32, uri: totpOf(secret.base32, owner.email, issuer).toString() }
    })
  }

  /** Turns two-factor login on with a current code; returns the ten recovery codes (kept only as hashes). */
  async confirm(ownerId: string, code: string): Promise<string[]> {
    return this.exclusive(async () => {
      const e = await this.stored(ownerId)
      if (!e) throw new AccessError(say('two_factor_not_started'), 409)
      if (e.enabled) throw new AccessError(say('two_factor_already_on'), 409)
      const step = this.stepOf(e, code)
      if (step === undefined) throw new AccessError(say('two_factor_code_wrong'), 400)
      const codes = newRecoveryCodes()
      await this.write({ ...e, enabled: true, lastStep: step, recovery: codes.map((c) => this.deps.seal.recoveryHash(ownerId, c)) }, 0)
      return codes
    })
  }

  /**
   * Spends a code of an owner whose two-factor login is on: a TOTP code of the current step or
   * one step either side, newer than the last one accepted, or an unused recovery code. What was
   * used, or undefined when the code does not hold.
   */
  async spend(ownerId: string, code: string): Promise<'totp' | 'recovery' | undefined> {
    return this.exclusive(async () => {
      const e = await this.stored(ownerId)
      if (!e?.enabled) return undefined
      if (looksLikeRecovery(code)) {
        const hash = this.deps.seal.recoveryHash(ownerId, code)
        if (!e.recovery.includes(hash)) return undefined
        await this.write({ ...e, recovery: e.recovery.filter((h) => h !== hash) }, 0)
        return 'recovery'
      }
      const step = this.stepOf(e, code)
      if (step === undefined || step <= e.lastStep) return undefined
      await this.write({ ...e, lastStep: step }, 0)
      return 'totp'
    })
  }

  /** Turns the owner's two-factor login off (or drops an enrolment never confirmed). */
  async turnOff(ownerId: string): Promise<boolean> {
    return this.exclusive(async () => {
      const e = this.enrolments.get(ownerId)
      if (!e) return false
      await this.write(e, 1)
      return true
    })
  }

  /** A token for the second step of the owner's login, valid SECOND_STEP_MS. */
  secondStep(ownerId: string): { token: string; expiresAt: number } {
    const expiresAt = this.deps.clock() + SECOND_STEP_MS
    return { token: this.deps.seal.stepToken(ownerId, expiresAt, this.deps.passwordHashOf(ownerId) ?? ''), expiresAt }
  }

  /** The owner whose second step `token` is, while it is valid and their two-factor login is on. */
  secondStepOwner(token: string): string | undefined {
    const read = this.deps.seal.readStepToken(token, this.deps.passwordHashOf)
    return read && read.expiresAt > this.deps.clock() && this.isOn(read.ownerId) ? read.ownerId : undefined
  }

  /** The step a code holds for (±1 step of now), or undefined. */
  private stepOf(e: Enrolment, code: string): number | undefined {
    const token = code.replace(/\s/g, '')
    if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(token)) return undefined
    const secret = this.deps.seal.open(e.ownerId, e.secretSealed)
    if (!secret) return undefined
    const now = this.deps.clock()
    const delta = totpOf(secret, '', '').validate({ token, timestamp: now, window: 1 })
    return delta === null ? undefined : Math.floor(now / 1000 / TOTP_PERIOD_S) + delta
  }

  /** The stored row, which another node may have changed since this one last looked. */
  private async stored(ownerId: string): Promise<Enrolment | undefined> {
    const rows = await queryRows<EnrolmentRow>(this.deps.db, `${SELECT_ENROLMENT} FINAL WHERE owner_id = {owner:String}`, { owner: ownerId })
    for (const r of rows) this.apply(r)
    return this.enrolments.get(ownerId)
  }

  private apply(r: EnrolmentRow): void {
    if (!this.versions.accept(`two_factor:${r.owner_id}`, Number(r.v))) return
    if (Number(r.deleted)) this.enrolments.delete(r.owner_id)
    else {
      this.enrolments.set(r.owner_id, {
        ownerId: r.owner_id,
        secretSealed: r.secret_sealed,
        enabled: Number(r.enabled) === 1,
        lastStep: Number(r.last_step),
        recovery: r.recovery,
        createdAt: Number(r.created_s) * 1000,
      })
    }
  }

  private async write(e: Enrolment, deleted: 0 | 1): Promise<void> {
    const updated_at = stampText(this.versions.stamp(`two_factor:${e.ownerId}`))
    const row = {
      owner_id: e.ownerId,
      secret_sealed: deleted ? '' : e.secretSealed,
      enabled: e.enabled ? 1 : 0,
      last_step: e.lastStep,
      recovery: deleted ? [] : e.recovery,
      created_at: Math.floor(e.createdAt / 1000),
      updated_at,
      deleted,
    }
    await this.deps.db.insert({ table: 'two_factor', values: [row], format: 'JSONEachRow' }, 'none')
    if (deleted) this.enrolments.delete(e.ownerId)
    else this.enrolments.set(e.ownerId, e)
  }

  /** Checks and writes run one at a time: a code may not be spent twice across an await. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => {})
    return run
  }
}

/** The TOTP of a base32 secret; `label` and `issuer` only name it in an `otpauth://` URI. */
export function totpOf(secret: string, label: string, issuer: string): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S })
}

const SELECT_ENROLMENT = `SELECT owner_id, secret_sealed, enabled, last_step, recovery, toUnixTimestamp(created_at) AS created_s, deleted,
  toUnixTimestamp64Milli(updated_at) AS v FROM two_factor`

interface EnrolmentRow {
  owner_id: string
  secret_sealed: string
  enabled: number
  last_step: number | string
  recovery: string[]
  created_s: number
  deleted: number
  v: string
}

interface PolicyRow {
  required: number
  deleted: number
  v: string
}
