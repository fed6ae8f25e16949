import { Hono } from 'hono'
import type { Access } from '../auth/access.ts'
import type { AuthEnv } from '../auth/principal.ts'
import { esc, plainPage } from '../dashboard/shell.ts'

const passwordForm = (action: string, label: string, button: string) => `<form method="post" action="${action}">
<label for="password">${label}</label><input id="password" name="password" type="password" required minlength="10" autocomplete="new-password">
<button type="submit">${button}</button></form>`

/**
 * The pages a link in an e-mail opens: accepting an invitation and choosing a new password.
 * Plain forms, no scripts. (`/`, `/settings` and `/share/<token>` belong to dashboard/route.ts.)
 */
export function pagesRoute(deps: { access: Access }) {
  const app = new Hono<AuthEnv>()

  app.get('/invite/:token', (c) => {
    const inv = deps.access.invitation(c.req.param('token'))
    if (!inv) return c.html(plainPage('en', 'Invitation', '<p>This invitation is not valid: used, revoked or expired.</p>'), 404)
    const form = passwordForm(`/api/invitations/${esc(c.req.param('token'))}`, 'Password', 'Create account')
    return c.html(plainPage('en', 'Join Skaits', `<p>Choose a password for ${esc(inv.email)}.</p>${form}`))
  })

  app.get('/reset/:token', (c) => {
    const reset = deps.access.resetFor(c.req.param('token'))
    if (!reset) return c.html(plainPage('en', 'Password reset', '<p>This reset link is not valid: used, replaced or expired.</p>'), 404)
    const form = passwordForm(`/api/reset/${esc(c.req.param('token'))}`, 'New password', 'Set password')
    return c.html(plainPage('en', 'Choose a new password', `<p>A new password for ${esc(reset.email)}. Every session of this account ends.</p>${form}`))
  })

  return app
}
