/**
 * Every message the server sends that a person reads, said once: a stable code and its English
 * text. Answers carry both (`{ error, code, params }`): API clients keep reading `error`, the
 * dashboard translates `code` (dashboard/src/i18n.ts has each code in English and Latvian; a
 * test checks that it has every code listed here).
 */
export const MESSAGES = {
  not_found: 'not found',
  internal_error: 'internal error',
  body_too_large: 'the body is too large: {kib} KiB at most here',
  invalid_json: 'the body is not valid JSON',
  invalid_request: '{detail}',
  cross_site: 'cross-site request refused: send it from the dashboard (Origin check)',
  cross_site_login: 'cross-site request refused: log in from the dashboard (Origin check)',

  setup_done: 'setup is done: log in instead',
  setup_token_missing: 'send the setup token: the server wrote it to the file setup-token in its DATA_DIR and names that file in its start-up log',
  setup_token_wrong: "wrong setup token: copy it from the file setup-token in the server's DATA_DIR",
  credentials_missing: 'send an email and a password',
  login_failed: 'wrong email or password',
  too_many_logins: 'too many failed logins; try again later',
  not_logged_in: 'not logged in',
  log_in_first: 'log in first',
  passwords_missing: 'send current and next passwords',
  too_many_passwords: 'too many wrong passwords; try again later',
  too_many_tokens: 'too many wrong Bearer tokens from your network; try again later',
  credentials_needed: 'log in, or send Authorization: Bearer <admin key>',
  read_only_credential: 'this credential can only read statistics',
  no_owner_sessions: 'sessions belong to an owner logged in with the dashboard; this credential has none',
  share_unlock_failed: 'wrong password, or the link is not valid',

  password_too_short: 'Use at least {n} characters.',
  password_too_long: 'Use at most {n} characters.',
  password_one_character: 'Use more than one distinct character.',
  password_too_easy: 'This password is too easy to guess; choose another.',
  current_password_wrong: 'the current password is wrong',
  own_password: 'change your own password with POST /api/password',

  not_an_email: 'not an email address',
  owner_exists: '{email} is already an owner',
  owner_not_found: 'no owner {owner}',
  owner_unknown: 'no such owner',
  last_owner: 'the last owner cannot be removed: invite or add another owner first',
  invitation_invalid: 'this invitation is not valid (used, revoked or expired)',
  invitation_ambiguous: '{id} matches several invitations: give more of it',
  invitation_not_found: 'no pending invitation {id}',
  reset_invalid: 'this reset link is not valid (used, replaced or expired)',
  session_not_found: 'no session {id}',
  key_not_found: 'no API key with id {id}',
  share_not_found: 'no shared link with id {id}',
  name_length: 'a key needs a name of 1 to 100 characters',
  min_crowd_range: 'min_crowd: a whole number from 2 to 100',

  site_not_found: 'no site {domain}',
  site_unknown: 'no such site',
  not_a_domain: '"{domain}" is not a domain name',
  site_exists: '{domain} is already a site',
  relabel_running: 'the history is still being relabeled to the rules saved before ({done} of {total} steps); save again when it is done',
  nothing_to_relabel: 'nothing to relabel: the history already follows the current rules',

  query_credentials: 'missing or invalid credentials (Authorization: Bearer <API key>, or log in)',
  cannot_read_site: 'this credential cannot read {domain}',
  query_site_not_found: 'site {site} does not exist on this server',
  too_many_queries: 'too many queries from this credential; try again later',
  too_many_parallel_queries: 'too many queries at once from this credential; send fewer at a time',
  query_stopped: 'the query was stopped: {limit}; ask for a shorter date range, fewer values or simpler filters',
  query_failed: 'the query failed; see the server log',
  bad_pattern: 'filters: a "matches" pattern is not a valid regular expression',
  date_invalid: 'date_range: not a valid calendar date',
  date_reversed: 'date_range: the first date is after the second',
  date_too_long: 'date_range: at most ten years at once',
  date_days: 'date_range: from 1d to 3700d',
  date_months: 'date_range: from 1mo to 120mo',
  date_unknown: 'date_range: unknown value "{range}"',

  unknown_dimension: 'unknown dimension "{dim}"',
  one_time_dimension: 'at most one time dimension',
  dimension_twice: 'a dimension is listed twice',
  cross_tab_breakdown: '{why}, so {a} cannot be broken down by {b}',
  cross_tab_filters: '{why}, so {a} and {b} cannot be filtered together',
  cross_tab_filtered: '{why}, so {a} cannot be filtered by {b}',
  metric_unavailable: 'metric {metric} is not available with {dim}; available: {allowed}',
  metric_unavailable_total: 'metric {metric} is not available for the site total; available: {allowed}',
  exit_visitors:
    'metric visitors is not available with visit:exit_page: a visitor cannot be taken out of a unique count when their exit page moves; use visits (unique exits)',
  non_additive:
    '{metrics} over several values of {dim} would count a visitor more than once; add {dim} to dimensions, or filter with "is" on a single value',
  sections_since:
    '{metrics} per section are known from {since} on, when the section rules last changed; pageviews, bounce rate, time on page and scroll depth were relabeled for all history',
  hours_today_only:
    'hours by {dim} exist only for today: once a day is closed, Skaits keeps one count per value for the whole day and hours for the site total alone, by design (an hour of one value can single out a visit); use time:day, or time:hour without a dimension or filter',
  order_by_unknown: 'order_by: {key} is neither a requested metric nor a dimension',
  crowd_no_visitors:
    '{dim} cannot be shown through a shared link or a public key: its values have no visitor count to hold against the minimum crowd',
  goal_metric_needs_goal: 'Metric `{metric}` can only be queried with event:goal filters or dimensions.',
  goal_filter_is: 'event:goal filters take the "is" operator at the top level of filters: ["is", "event:goal", ["Signup"]]',
  goal_unknown: 'no goal named {name} on this site; its goals: {known}',
  goal_filter_one:
    'filter on one goal here: converting visitors of several goals cannot be added up (one visitor may complete several); to see several, add event:goal to dimensions',
  goal_metric_unavailable: '{metrics} are not kept for goals; a goal has {allowed}',
  goal_breakdown_unknown:
    'goals are not counted by {dim}: a goal is kept by the page and section where it was completed and by each visit dimension but the exit page, one at a time',
  goal_breakdown_since:
    'breakdowns of the goal {name} exist from {since} on, the day it was declared: Skaits counts them as visits happen and keeps no events to count them again (ask from {since})',
  goal_counted_since: 'conversions and revenue of {name} are counted from {since} on, when it was declared; earlier days hold only what history kept (visitors and completions of an event or a single page)',
  goal_event_currency: 'the event {event} is already a goal (currency: {currency}); change that goal instead',
  too_many_goals: 'a site has at most {max} goals (GOALS_PER_SITE); delete one first',
  goal_kept_series: '{name} is the kept series of a changed goal: it can be deleted, not changed',
  goal_not_found: 'no goal {id} on this site',
  goal_name_taken: 'a goal named {name} exists already',
  too_many_funnels: 'a site has at most {max} funnels (FUNNELS_PER_SITE); delete one first',
  funnel_kept_series: '{name} is the kept series of a changed funnel: it can be deleted, not changed',
  funnel_not_found: 'no funnel {id} on this site',
  funnel_name_taken: 'a funnel named {name} exists already',
  funnel_unknown: 'no funnel named {name} on this site; its funnels: {known}',
  funnel_since:
    'the funnel {name} is counted from {since} on, the day it was declared: Skaits counts it as visits move and keeps no events to count it again (ask from {since})',
  funnel_dimension: '{name} is not counted by {dim}; it is counted by: {dims}',
  share_no_goals: "this shared link does not show the site's goals; its owner can make one that does",
  import_running: 'an import of {site} is running; wait for it to end',
  import_still_running: 'this import is still running; wait for it to end',
  import_not_found: 'no import {id} of {site}',
  import_no_file: 'no file to import: send the file as the request body',
  import_source: 'source must be plausible, goatcounter or log',
  import_option: '{name} must be one of: {allowed}',
  import_too_large: 'the upload is larger than {mb} MB (IMPORT_MAX_MB)',
  import_overlap: '{site} already holds counts on {n} of the days to import ({days}): import with overlap "skip" to leave those days out, or "merge" to add to them',
  import_input: 'the file cannot be imported: {detail}',
  import_too_old: '{n} rows of days before {before} are left out: they are older than RETENTION_MONTHS ({months} months), which would delete them at once',
  import_interrupted: 'the server stopped during this import; nothing of it is counted: import the files again',

  // issue 25, two-factor login (wt-t)
  two_factor_code_missing: 'send the 6-digit code from your authenticator app, or one of your recovery codes',
  two_factor_code_wrong: 'wrong code: enter the current code from your authenticator app (each code works once), or an unused recovery code',
  two_factor_step_invalid: 'this login step has expired or is not valid: log in again with your email and password',
  too_many_codes: 'too many wrong codes; try again later',
  two_factor_already_on: 'two-factor login is already on for this account: turn it off first to move it to another device',
  two_factor_not_started: 'start the enrolment first (POST /api/2fa/setup)',
  two_factor_off: 'two-factor login is not on for this account',
  two_factor_required: 'two-factor login is required on this server: turn it on for your account first (Settings, Account)',
  two_factor_owner_only: 'two-factor login belongs to an owner logged in with the dashboard; this credential has none',
  two_factor_policy_invalid: 'send {"required": true} or {"required": false}',
  two_factor_policy_own_first: 'turn on two-factor login for your own account before requiring it for everyone',
  two_factor_disable_missing: 'send your password and a current code (or a recovery code) to turn two-factor login off',
  // Roles and per-site access (issue 25, roles)
  role_owners_only: 'only an owner may do this (users, API keys, adding, renaming and removing sites)',
  role_viewer_reads: 'a viewer reads the dashboards of their sites and changes no settings',
  role_site_not_granted: '{domain} is not among the sites you manage',
  role_unknown: 'role must be owner, admin or viewer',
  role_needs_sites: 'a user with the role {role} needs at least one site: send sites',
  last_owner_role: 'the last owner must stay an owner: make another user an owner first',
  // end of roles
  // Annotations (issue 25, annotations and comparison modes)
  annotation_not_found: 'no annotation {id} on this site',
  too_many_annotations: 'a site has at most {max} annotations; delete one first',
} as const satisfies Record<string, string>

export type MessageCode = keyof typeof MESSAGES
export type MessageParams = Record<string, string | number>

/** The codes, for the test that the dashboard translates every one. */
export const MESSAGE_CODES = Object.keys(MESSAGES) as MessageCode[]

/** What an answer says: the English text, the code, and the values the text was filled with. */
export interface Said {
  error: string
  code: MessageCode
  params?: MessageParams
}

export function english(code: MessageCode, params: MessageParams = {}): string {
  return MESSAGES[code].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''))
}

export function say(code: MessageCode, params?: MessageParams): Said {
  return params ? { error: english(code, params), code, params } : { error: english(code), code }
}

/** An error a user caused: its message is English; `said` carries the code when it has one. */
export class UserError extends Error {
  readonly said: Said
  constructor(message: string | Said) {
    super(typeof message === 'string' ? message : message.error)
    this.said = typeof message === 'string' ? say('invalid_request', { detail: message }) : message
  }
}
