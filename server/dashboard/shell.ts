import type { Boot, Lang } from '../../dashboard/src/boot.ts'
import { textIn } from '../../dashboard/src/i18n.ts'

export const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/**
 * Fills the built index.html: the language, the title, the boot data (a meta tag: the CSP
 * forbids inline scripts) and what the page shows before, or without, JavaScript.
 */
export function renderShell(index: string, o: { boot: Boot; title: string; body: string }): string {
  const meta = `<meta name="skaits-boot" content="${esc(JSON.stringify(o.boot))}">`
  return index
    .replace(/<html lang="[a-z]*">/, () => `<html lang="${o.boot.lang}">`)
    .replace(/<title>[^<]*<\/title>/, () => `<title>${esc(o.title)} · Skaits</title>`)
    .replace('</head>', () => `${meta}</head>`)
    .replace('<div id="app"></div>', () => `<div id="app">${o.body}</div>`)
}

const TEXT = {
  en: {
    setup: 'Set up Skaits',
    setupIntro: 'Create the first owner account.',
    createAccount: 'Create account',
    login: 'Log in',
    email: 'Email',
    password: 'Password',
    open: 'Open',
    loggedInAs: 'Logged in as',
    sites: 'Sites',
    none: 'none yet',
    logout: 'Log out',
    statsOf: 'Statistics of',
    readOnly: 'Read-only statistics of',
    noScript: 'The dashboard needs JavaScript.',
    sharedStats: 'Shared statistics',
    linkInvalid: 'This link is not valid (revoked or mistyped).',
    secondStep: 'Two-factor login',
    codeLabel: 'Code from your authenticator app',
    codeHint: 'Or one of your recovery codes.',
    verify: 'Log in',
    startOver: 'Log in as someone else',
  },
  lv: {
    setup: 'Skaits iestatīšana',
    setupIntro: 'Izveidojiet pirmā īpašnieka kontu.',
    createAccount: 'Izveidot kontu',
    login: 'Pieteikties',
    email: 'E-pasts',
    password: 'Parole',
    open: 'Atvērt',
    loggedInAs: 'Pieteicies kā',
    sites: 'Vietnes',
    none: 'vēl nav',
    logout: 'Iziet',
    statsOf: 'Statistika:',
    readOnly: 'Tikai lasāma statistika:',
    noScript: 'Pārskatam vajag JavaScript.',
    sharedStats: 'Kopīgota statistika',
    linkInvalid: 'Šī saite nav derīga (atsaukta vai kļūdaina).',
    secondStep: 'Divpakāpju pieteikšanās',
    codeLabel: 'Kods no autentifikācijas lietotnes',
    codeHint: 'Vai kāds no jūsu rezerves kodiem.',
    verify: 'Pieteikties',
    startOver: 'Pieteikties kā citam lietotājam',
  },
} satisfies Record<Lang, Record<string, string>>

/** The setup token's field (see server/auth/setup-token.ts), first in the setup form. */
const setupTokenField = (lang: Lang) => `<label for="setup_token">${textIn(lang, 'setupToken')}</label>
<input id="setup_token" name="setup_token" type="password" required autocomplete="off" spellcheck="false" aria-describedby="setup_token_help">
<p id="setup_token_help" class="hint">${esc(textIn(lang, 'setupTokenHelp'))}</p>`

const credentialsForm = (lang: Lang, action: string, button: string, autocomplete: string, first = '') => {
  const t = TEXT[lang]
  return `<form method="post" action="${action}">${first}
<label for="email">${t.email}</label><input id="email" name="email" type="email" required autocomplete="username">
<label for="password">${t.password}</label><input id="password" name="password" type="password" required minlength="10" autocomplete="${autocomplete}">
<button type="submit">${button}</button></form>`
}

const auth = (inner: string) => `<main class="auth">${inner}</main>`

/** The page before (or without) the script: working forms, and plain text for the views. */
export const fallback = {
  setup: (lang: Lang) => {
    const t = TEXT[lang]
    return { title: t.setup, body: auth(`<h1>${t.setup}</h1><p>${t.setupIntro}</p>${credentialsForm(lang, '/api/setup', t.createAccount, 'new-password', setupTokenField(lang))}`) }
  },
  login: (lang: Lang) => {
    const t = TEXT[lang]
    return { title: t.login, body: auth(`<h1>${t.login}</h1>${credentialsForm(lang, '/api/login', t.login, 'current-password')}`) }
  },
  /** issue 25: the login's second step; the token travels in its HttpOnly cookie, not in the page. */
  secondStep: (lang: Lang) => {
    const t = TEXT[lang]
    return {
      title: t.secondStep,
      body: auth(`<h1>${t.secondStep}</h1><form method="post" action="/api/login/2fa">
<label for="code">${t.codeLabel}</label><input id="code" name="code" type="text" required autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="64" aria-describedby="code_help">
<p id="code_help" class="hint">${t.codeHint}</p>
<button type="submit">${t.verify}</button></form>
<form method="post" action="/api/login/2fa/cancel" class="start-over"><button type="submit" class="link">${t.startOver}</button></form>`),
    }
  },
  unlock: (lang: Lang, token: string, site: string) => {
    const t = TEXT[lang]
    return {
      title: `${t.statsOf} ${site}`,
      body: auth(`<h1>${t.statsOf} ${esc(site)}</h1><form method="post" action="/share/${esc(token)}/unlock"><label for="password">${t.password}</label>
<input id="password" name="password" type="password" required autocomplete="current-password"><button type="submit">${t.open}</button></form>`),
    }
  },
  owner: (lang: Lang, email: string, domains: string[], note: string) => {
    const t = TEXT[lang]
    const list = domains.map((d) => `<li>${esc(d)}</li>`).join('') || `<li>${t.none}</li>`
    return {
      title: 'Skaits',
      body: `<p>${t.loggedInAs} ${esc(email)}.</p>${note}<h2>${t.sites}</h2><ul>${list}</ul>
<form method="post" action="/api/logout"><button type="submit">${t.logout}</button></form>`,
    }
  },
  linkInvalid: (lang: Lang) => ({ title: TEXT[lang].sharedStats, body: `<p>${TEXT[lang].linkInvalid}</p>` }),
  share: (lang: Lang, site: string, note: string) => {
    const t = TEXT[lang]
    return { title: `${t.statsOf} ${site}`, body: `<p>${t.readOnly} ${esc(site)}.</p>${note}` }
  },
  noScript: (lang: Lang, inner: string) => `<noscript><div class="fallback"><p>${TEXT[lang].noScript}</p>${inner}</div></noscript>`,
}

export const NOT_BUILT =
  '<p>The dashboard is not built on this server: run <code>npm run build</code> ' +
  '(<code>vite build --config dashboard/vite.config.ts</code>).</p>'

/** A page for when there is no built index.html to fill. */
export function plainPage(lang: Lang, title: string, body: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Skaits</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
@media(prefers-color-scheme:dark){body{background:#14171f;color:#e5e8ef}}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`
}
