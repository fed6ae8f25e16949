/**
 * A dashboard user's role, said once for the server and the dashboard (server/auth/roles.ts
 * decides what each may do). `owner`: everything. `admin`: the settings of the sites granted,
 * and reading them. `viewer`: reading the sites granted (dashboards, Stats API).
 */
export const ROLES = ['owner', 'admin', 'viewer'] as const
export type Role = (typeof ROLES)[number]
