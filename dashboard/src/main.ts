import { useBearer } from './api.ts'
import { mountAuth } from './auth.ts'
import { readBoot } from './boot.ts'
import { mountDashboard } from './dashboard.ts'
import { setLang } from './i18n.ts'
import { mountSettings } from './settings.ts'
import { mountEnrolment } from './two-factor.ts'

const boot = readBoot(document)
const root = document.getElementById('app')!
const asked = new URLSearchParams(location.search).get('lang')
setLang(asked === 'lv' || asked === 'en' ? asked : boot.lang)

if (boot.mode === 'share' || boot.mode === 'app') {
  root.replaceChildren()
  if (boot.mode === 'share' && !boot.share?.password) {
    // The link's own token authorises its API calls; an unlocked link uses its cookie instead.
    useBearer(decodeURIComponent(location.pathname.split('/')[2] ?? ''))
  }
  // issue 25: the owners' rule requires two-factor login, and this owner has none yet.
  if (boot.mode === 'app' && boot.enrol) mountEnrolment(root, boot)
  else if (boot.mode === 'app' && location.pathname === '/settings') mountSettings(root, boot)
  else mountDashboard(root, boot)
} else {
  mountAuth(root, boot)
}
