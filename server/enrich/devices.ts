import { UAParser } from 'ua-parser-js'

/**
 * User-Agent (+ User-Agent Client Hints) → browser family, OS family, major versions, device class.
 *
 * Field minimisation: only the families and MAJOR versions leave this module, never the model,
 * vendor, CPU or full version the UA and hints carry.
 *
 * Names follow Plausible's common spellings: 'Chrome', 'Safari', 'Firefox', 'Edge', 'Opera',
 * 'Samsung Browser', 'Yandex Browser', 'Chrome Webview' (Android WebView inside an app),
 * 'Safari (in-app)' (iOS WKWebView that names no app), in-app browsers by their app
 * ('Facebook', 'Instagram', 'TikTok', …); mobile variants fold into the desktop name
 * ('Mobile Safari' → 'Safari'). Brave sends Chrome's User-Agent and is 'Brave' only when
 * Sec-CH-UA names it. OS: 'Windows', 'macOS', 'iOS' (iPadOS too), 'Android', 'Linux' (every
 * distribution), 'ChromeOS', … '(unknown)' when unknown.
 *
 * Versions: browsers' UA strings freeze some OS versions, which then say nothing:
 * - Windows 10 and 11 both send "Windows NT 10.0": '11' only when Sec-CH-UA-Platform-Version ≥ 13.
 * - macOS is frozen at 10.15(.7) by every browser: '(unknown)' unless Sec-CH-UA-Platform-Version.
 * - Chromium on Android sends the reduced "Android 10; K": '(unknown)' unless Sec-CH-UA-Platform-Version.
 * - Linux and ChromeOS versions are kernel or build numbers: always '(unknown)'.
 * - iOS 26 Safari reports "OS 18_6"; ua-parser-js corrects it from Safari's version. Other iOS
 *   browsers keep 18 (the truth is not in the UA).
 *
 * Device: Plausible's screen-width buckets (< 576 Mobile, < 992 Tablet, < 1440 Laptop, else
 * Desktop); without a width, the UA/hints device type (Mobile, Tablet), else Desktop.
 *
 * Cost (Node 20, x86-64): ua-parser-js takes 50–110 µs a parse, so results are memoised per
 * (UA, hints) in a bounded map (UAs repeat: a site sees a few hundred distinct ones a day);
 * a hit is ≈ 1 µs. The map holds User-Agent strings and their families, in memory only, with
 * no IP, time or visitor key beside them.
 */

export interface ClientHints {
  ua?: string
  mobile?: string
  platform?: string
  platformVersion?: string
  fullVersionList?: string
}

export interface Device {
  browser: string
  browser_version: string
  os: string
  os_version: string
  device: string
}

export const UNKNOWN = '(unknown)'

const BROWSER_NAMES: Record<string, string> = {
  'Mobile Chrome': 'Chrome',
  'Chrome WebView': 'Chrome Webview',
  'Chrome Headless': 'Headless Chrome',
  'Mobile Safari': 'Safari',
  WebKit: 'Safari (in-app)',
  'Mobile Firefox': 'Firefox',
  'Opera Mobi': 'Opera',
  'Opera Mini': 'Opera',
  'Opera Touch': 'Opera',
  'Opera GX': 'Opera',
  'Opera Coast': 'Opera',
  'Opera Tablet': 'Opera',
  'Samsung Internet': 'Samsung Browser',
  Yandex: 'Yandex Browser',
  GSA: 'Google App',
  'Edge WebView': 'Edge Webview',
  'Edge WebView2': 'Edge Webview',
}

const OS_NAMES: Record<string, string> = {
  'Mac OS': 'macOS',
  'Chrome OS': 'ChromeOS',
  'Chromium OS': 'ChromeOS',
  Ubuntu: 'Linux',
  Kubuntu: 'Linux',
  Xubuntu: 'Linux',
  Lubuntu: 'Linux',
  Debian: 'Linux',
  Fedora: 'Linux',
  'Red Hat': 'Linux',
  RedHat: 'Linux',
  CentOS: 'Linux',
  Mint: 'Linux',
  'Linux Mint': 'Linux',
  Arch: 'Linux',
  Manjaro: 'Linux',
  SUSE: 'Linux',
  openSUSE: 'Linux',
  Gentoo: 'Linux',
  Slackware: 'Linux',
  Mandriva: 'Linux',
  Deepin: 'Linux',
  'elementary OS': 'Linux',
  'Zenwalk': 'Linux',
  PCLinuxOS: 'Linux',
  Knoppix: 'Linux',
}

/** OS families whose UA/hint version number is not a version people know. */
const VERSIONLESS_OS = new Set(['Linux', 'ChromeOS'])
const REDUCED_ANDROID = /\bAndroid 10; K\)/
const FROZEN_MACOS = /^10[._]15(?:[._]\d+)?$/
const MAJOR = /^(\d{1,5})(?:[._]|$)/
const WINDOWS_NAMED = new Set(['XP', 'Vista', 'RT'])
const MAX_UA = 500
const MAX_HINT = 300
const MEMO_SIZE = 2000

type ParsedBrowser = ReturnType<UAParser['getBrowser']>
type ParsedOS = ReturnType<UAParser['getOS']>
type ParsedDevice = ReturnType<UAParser['getDevice']>
type Agent = Omit<Device, 'device'> & { type: 'Mobile' | 'Tablet' | 'Desktop' }

const memo = new Map<string, Agent>()

export function parseDevice(userAgent: string, hints: ClientHints, screenWidth: number | undefined): Device {
  const agent = parseAgent(userAgent.slice(0, MAX_UA), hints)
  return {
    browser: agent.browser,
    browser_version: agent.browser_version,
    os: agent.os,
    os_version: agent.os_version,
    device: screenWidth !== undefined && Number.isFinite(screenWidth) && screenWidth > 0 ? bucket(screenWidth) : agent.type,
  }
}

function bucket(width: number): string {
  if (width < 576) return 'Mobile'
  if (width < 992) return 'Tablet'
  if (width < 1440) return 'Laptop'
  return 'Desktop'
}

function parseAgent(ua: string, hints: ClientHints): Agent {
  const headers = hintHeaders(hints)
  const key = headers ? ua + Object.entries(headers).map(([k, v]) => `\n${k}:${v}`).join('') : ua
  const hit = memo.get(key)
  if (hit) return hit
  const agent = parseUncached(ua, headers)
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!)
  memo.set(key, agent)
  return agent
}

function parseUncached(ua: string, headers: Record<string, string> | undefined): Agent {
  const parser = headers ? new UAParser(ua, headers) : new UAParser(ua)
  // Without navigator.userAgentData (any server), withClientHints() reads the headers given
  // to the constructor and returns synchronously; the PromiseLike branch is browser-only.
  const browser = (headers ? parser.getBrowser().withClientHints() : parser.getBrowser()) as ParsedBrowser
  const os = (headers ? parser.getOS().withClientHints() : parser.getOS()) as ParsedOS
  const device = (headers ? parser.getDevice().withClientHints() : parser.getDevice()) as ParsedDevice

  const browserName = browser.name ? (BROWSER_NAMES[browser.name] ?? browser.name) : UNKNOWN
  const osName = os.name ? (OS_NAMES[os.name] ?? os.name) : UNKNOWN
  const versionFromHints = headers?.['sec-ch-ua-platform-version'] !== undefined
  return {
    browser: browserName,
    browser_version: browserName === UNKNOWN ? UNKNOWN : major(browser.major ?? browser.version),
    os: osName,
    os_version: osVersion(osName, os.version, ua, versionFromHints),
    type: device.type === 'mobile' || device.type === 'wearable' ? 'Mobile' : device.type === 'tablet' ? 'Tablet' : 'Desktop',
  }
}

function osVersion(os: string, version: string | undefined, ua: string, fromHints: boolean): string {
  if (os === UNKNOWN || VERSIONLESS_OS.has(os) || !version) return UNKNOWN
  if (!fromHints) {
    if (os === 'macOS' && FROZEN_MACOS.test(version)) return UNKNOWN
    if (os === 'Android' && REDUCED_ANDROID.test(ua)) return UNKNOWN
  }
  if (os === 'Windows' && WINDOWS_NAMED.has(version)) return version
  return major(version)
}

function major(version: string | undefined): string {
  const m = version ? MAJOR.exec(version) : null
  return m ? String(Number(m[1])) : UNKNOWN
}

/**
 * The hints as the request headers ua-parser-js reads, or undefined when there are none.
 * Sec-CH-UA-Platform is passed only with its version: alone it would make ua-parser-js drop
 * the version it read from the UA, and it adds nothing the UA does not say.
 */
function hintHeaders(h: ClientHints): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  let any = false
  const put = (name: string, value: string | undefined) => {
    if (value) {
      out[name] = value.slice(0, MAX_HINT)
      any = true
    }
  }
  put('sec-ch-ua', h.ua)
  put('sec-ch-ua-full-version-list', h.fullVersionList)
  put('sec-ch-ua-mobile', h.mobile)
  const platform = h.platform && unquote(h.platform)
  if (platform && platform !== 'Unknown' && h.platformVersion && unquote(h.platformVersion)) {
    put('sec-ch-ua-platform', h.platform)
    put('sec-ch-ua-platform-version', h.platformVersion)
  }
  return any ? out : undefined
}

function unquote(value: string): string {
  return value.trim().replace(/^"|"$/g, '').trim()
}
