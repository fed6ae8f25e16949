import { describe, expect, it } from 'vitest'
import { can, reachOf, refusal, userMay, withinReach, type Action, type Asker } from '../../../server/auth/roles.ts'

const user = (role: 'owner' | 'admin' | 'viewer', sites: string[] = []): Asker => ({ kind: 'owner', owner: { role, sites } })
const ASKERS: Record<string, Asker> = {
  'admin credentials': { kind: 'admin' },
  owner: user('owner'),
  'admin of a.lv': user('admin', ['a.lv']),
  'viewer of a.lv': user('viewer', ['a.lv']),
  'key for a.lv': { kind: 'key', key: { sites: ['a.lv'] } },
  'key for every site': { kind: 'key', key: { sites: [] } },
  'link to a.lv': { kind: 'share', share: { site: 'a.lv' } },
}

/** README "Roles": who may do what: on both a.lv and b.lv, on a.lv only, or on neither (''). */
const TABLE: Record<string, Record<Action, 'both' | 'a' | ''>> = {
  'admin credentials': { read: 'both', manage: 'both', administer: 'both' },
  owner: { read: 'both', manage: 'both', administer: 'both' },
  'admin of a.lv': { read: 'a', manage: 'a', administer: '' },
  'viewer of a.lv': { read: 'a', manage: '', administer: '' },
  'key for a.lv': { read: 'a', manage: '', administer: '' },
  'key for every site': { read: 'both', manage: '', administer: '' },
  'link to a.lv': { read: 'a', manage: '', administer: '' },
}

describe('roles: can(principal, action, site)', () => {
  it('allows exactly what the table says, on a granted site and another', () => {
    for (const [name, asker] of Object.entries(ASKERS)) {
      for (const action of ['read', 'manage', 'administer'] as const) {
        const reach = TABLE[name]![action]
        expect(can(asker, action, 'a.lv'), `${name} ${action} a.lv`).toBe(reach !== '')
        expect(can(asker, action, 'b.lv'), `${name} ${action} b.lv`).toBe(reach === 'both')
      }
    }
  })

  it('refuses with the code that says why, and 401 without credentials', () => {
    expect(refusal(undefined, 'read', 'a.lv')).toMatchObject({ status: 401, said: { code: 'credentials_needed' } })
    expect(refusal(ASKERS['admin of a.lv'], 'administer')?.said.code).toBe('role_owners_only')
    expect(refusal(ASKERS['admin of a.lv'], 'manage', 'b.lv')?.said).toMatchObject({ code: 'role_site_not_granted', params: { domain: 'b.lv' } })
    expect(refusal(ASKERS['viewer of a.lv'], 'manage', 'a.lv')?.said.code).toBe('role_viewer_reads')
    expect(refusal(ASKERS['viewer of a.lv'], 'read', 'b.lv')?.said.code).toBe('cannot_read_site')
    expect(refusal(ASKERS['key for a.lv'], 'manage', 'a.lv')?.said.code).toBe('read_only_credential')
    // Without a site: whether the role allows the action at all.
    expect(can(ASKERS['admin of a.lv'], 'manage')).toBe(true)
    expect(can(ASKERS['viewer of a.lv'], 'manage')).toBe(false)
  })

  it("filters lists to a principal's reach; a stored user's rights are the same rule", () => {
    const items = [{ site: 'a.lv' }, { site: 'b.lv' }]
    expect(withinReach(ASKERS['admin of a.lv'], items, (i) => i.site)).toEqual([{ site: 'a.lv' }])
    expect(withinReach(ASKERS.owner, items, (i) => i.site)).toEqual(items)
    expect(withinReach(undefined, items, (i) => i.site)).toEqual([])
    expect(reachOf(ASKERS['key for every site']!)).toBe('all')
    expect(userMay({ role: 'admin', sites: ['a.lv'] }, 'manage', 'a.lv')).toBe(true)
    expect(userMay({ role: 'viewer', sites: ['a.lv'] }, 'manage', 'a.lv')).toBe(false)
    expect(userMay({ role: 'owner', sites: [] }, 'manage', 'b.lv')).toBe(true)
  })
})
