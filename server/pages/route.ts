import { Hono } from 'hono'
import type { Access } from '../auth/access.ts'
import type { AuthEnv } from '../auth/principal.ts'
import type { Sites } from '../sites/sites.ts'

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Skaits</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1d2330}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem;font:inherit}
@media(prefers-color-scheme:dark){body{background:#14171f;color:#e5e8ef}input{background:#1f2430;color:inherit;border:1px solid #3a4152}}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`
}

const SETUP_TOKEN_FIELD = `
<label for="setup_token">Setup token (from the file setup-token in the server's DATA_DIR; its start-up log names it)</label>
<input id="setup_token" name="setup_token" type="password" required autocomplete="off">`

const credentialsForm = (action: string, button: string, autocomplete: string, first = '') => `
<form method="post" action="${action}">${first}
<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" required minlength="10" autocomplete="${autocomplete}">
<button type="submit">${button}</button></form>`

/**
 * The pages a person sees before the dashboard: first-run setup, login, accepting an
 * invitation, and unlocking a password-protected shared link. Plain forms, no scripts.
 */
export function pagesRoute(deps: { access: Access; sites: Sites }) {
  const app = new Hono<AuthEnv>()

  app.get('/', (c) => {
    if (deps.access.ownerCount() === 0) {
      return c.html(page('Set up Skaits', `<p>Create the first owner account.</p>${credentialsForm('/api/setup', 'Create account', 'new-password', SETUP_TOKEN_FIELD)}`))
    }
    const p = c.get('principal')
    if (p?.kind !== 'owner') return c.html(page('Log in', credentialsForm('/api/login', 'Log in', 'current-password')))
    const sites = deps.sites.list().map((s) => `<li>${esc(s.domain)}</li>`).join('')
    return c.html(
      page(
        'Skaits',
        `<p>Logged in as ${esc(p.owner.email)}.</p><h2>Sites</h2><ul>${sites || '<li>none yet</li>'}</ul>
<form method="post" action="/api/logout"><button type="submit">Log out</button></form>`,
      ),
    )
  })

  app.get('/invite/:token', (c) => {
    const inv = deps.access.invitation(c.req.param('token'))
    if (!inv) return c.html(page('Invitation', '<p>This invitation is not valid: used, revoked or expired.</p>'), 404)
    return c.html(
      page(
        'Join Skaits',
        `<p>Choose a password for ${esc(inv.email)}.</p><form method="post" action="/api/invitations/${esc(c.req.param('token'))}">
<label for="password">Password</label><input id="password" name="password" type="password" required minlength="10" autocomplete="new-password">
<button type="submit">Create account</button></form>`,
      ),
    )
  })

  app.get('/reset/:token', (c) => {
    const reset = deps.access.resetFor(c.req.param('token'))
    if (!reset) return c.html(page('Password reset', '<p>This reset link is not valid: used, replaced or expired.</p>'), 404)
    return c.html(
      page(
        'Choose a new password',
        `<p>A new password for ${esc(reset.email)}. Every session of this account ends.</p><form method="post" action="/api/reset/${esc(c.req.param('token'))}">
<label for="password">New password</label><input id="password" name="password" type="password" required minlength="10" autocomplete="new-password">
<button type="submit">Set password</button></form>`,
      ),
    )
  })

  app.get('/share/:token', (c) => {
    const share = deps.access.shareByToken(c.req.param('token'))
    if (!share) return c.html(page('Shared statistics', '<p>This link is not valid (revoked or mistyped).</p>'), 404)
    const p = c.get('principal')
    const unlocked = !share.passwordHash || (p?.kind === 'share' && p.share.id === share.id)
    if (!unlocked) {
      return c.html(
        page(
          `Statistics of ${share.site}`,
          `<form method="post" action="/share/${esc(c.req.param('token'))}/unlock"><label for="password">Password</label>
<input id="password" name="password" type="password" required autocomplete="current-password"><button type="submit">Open</button></form>`,
        ),
      )
    }
    return c.html(page(`Statistics of ${share.site}`, `<p>Read-only statistics of ${esc(share.site)}.</p>`))
  })

  return app
}
