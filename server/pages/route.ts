import { Hono, type Context } from 'hono'
import type { Lang } from '../../dashboard/src/boot.ts'
import { textIn, type Key } from '../../dashboard/src/i18n.ts'
import type { Access } from '../auth/access.ts'
import type { AuthEnv } from '../auth/principal.ts'
import { pickLang } from '../dashboard/route.ts'
import { esc, plainPage } from '../dashboard/shell.ts'

const passwordForm = (action: string, label: string, button: string) => `<form method="post" action="${action}">
<label for="password">${label}</label><input id="password" name="password" type="password" required minlength="10" autocomplete="new-password">
<button type="submit">${button}</button></form>`

/** A text of the page's language, with `{email}` filled in (escaped). */
const say = (lang: Lang, key: Key, email = '') => esc(textIn(lang, key)).replace('{email}', esc(email))

/** The same page in the other language: the link in the e-mail says nothing of the reader's. */
const otherLang = (c: Context, lang: Lang) => {
  const other: Lang = lang === 'lv' ? 'en' : 'lv'
  return `<p><a href="${esc(c.req.path)}?lang=${other}" lang="${other}" hreflang="${other}">${other === 'lv' ? 'Latviski' : 'In English'}</a></p>`
}

/**
 * The pages a link in an e-mail opens: accepting an invitation and choosing a new password.
 * Plain forms, no scripts, in the language of `?lang=` or the owner's cookie (as the dashboard
 * picks it). (`/`, `/settings` and `/share/<token>` belong to dashboard/route.ts.)
 */
export function pagesRoute(deps: { access: Access }) {
  const app = new Hono<AuthEnv>()

  app.get('/invite/:token', (c) => {
    const lang = pickLang(c)
    const inv = deps.access.invitation(c.req.param('token'))
    if (!inv) return c.html(plainPage(lang, textIn(lang, 'invitation'), `<p>${say(lang, 'invitationInvalid')}</p>${otherLang(c, lang)}`), 404)
    const form = passwordForm(`/api/invitations/${esc(c.req.param('token'))}`, say(lang, 'password'), say(lang, 'createAccount'))
    // What accepting gives: the role, and for an admin or a viewer the sites.
    const role = esc(textIn(lang, `role_${inv.role}` as Key).toLowerCase())
    const grant = inv.role === 'owner' ? esc(textIn(lang, 'inviteAsOwner')) : `${esc(textIn(lang, 'inviteAs')).replace('{role}', role)} ${inv.sites.map(esc).join(', ')}`
    return c.html(plainPage(lang, textIn(lang, 'joinSkaits'), `<p>${say(lang, 'joinIntro', inv.email)}</p><p class="grant">${grant}</p>${form}${otherLang(c, lang)}`))
  })

  app.get('/reset/:token', (c) => {
    const lang = pickLang(c)
    const reset = deps.access.resetFor(c.req.param('token'))
    if (!reset) return c.html(plainPage(lang, textIn(lang, 'passwordReset'), `<p>${say(lang, 'resetInvalid')}</p>${otherLang(c, lang)}`), 404)
    const form = passwordForm(`/api/reset/${esc(c.req.param('token'))}`, say(lang, 'newPassword'), say(lang, 'setPassword'))
    return c.html(plainPage(lang, textIn(lang, 'chooseNewPassword'), `<p>${say(lang, 'resetIntro', reset.email)}</p>${form}${otherLang(c, lang)}`))
  })

  return app
}
