import type { ClientHints } from '../../../server/enrich/devices.ts'

/**
 * Real browser User-Agents of 2025–2026 (as sent by the browser versions named), some with
 * the Client Hints headers the same browsers send, and what Skaits must read from them.
 * `device` is the class without a screen width. Shared by devices.test.ts (parsed as expected)
 * and bots.test.ts (none is a bot).
 */
export interface BrowserCase {
  label: string
  ua: string
  hints?: ClientHints
  browser: string
  browser_version: string
  os: string
  os_version: string
  device: 'Mobile' | 'Tablet' | 'Desktop'
}

const U = '(unknown)'

const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36'
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36'
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Mobile Safari/537.36'
const CHROME_ANDROID_TABLET = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36'
const SAMSUNG_REDUCED = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36'

const brands = (...list: string[]) => list.join(', ')
const CHROME_138 = brands('"Not)A;Brand";v="8"', '"Chromium";v="138"', '"Google Chrome";v="138"')
const EDGE_138 = brands('"Not)A;Brand";v="8"', '"Chromium";v="138"', '"Microsoft Edge";v="138"')
const BRAVE_138 = brands('"Not)A;Brand";v="8"', '"Chromium";v="138"', '"Brave";v="138"')
const OPERA_119 = brands('"Chromium";v="134"', '"Not:A-Brand";v="24"', '"Opera";v="119"')
const YANDEX_25 = brands('"Chromium";v="134"', '"Not:A-Brand";v="24"', '"YaBrowser";v="25.4"')
const SAMSUNG_28 = brands('"Chromium";v="130"', '"Samsung Internet";v="28.0"', '"Not?A_Brand";v="99"')

export const BROWSERS: BrowserCase[] = [
  // Windows
  { label: 'Chrome 138 Windows (reduced UA, no hints)', ua: CHROME_WIN, browser: 'Chrome', browser_version: '138', os: 'Windows', os_version: '10', device: 'Desktop' },
  {
    label: 'Chrome 124 Windows 11 (reduced UA + platform version 15)',
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    hints: { ua: '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"', mobile: '?0', platform: '"Windows"', platformVersion: '"15.0.0"' },
    browser: 'Chrome', browser_version: '124', os: 'Windows', os_version: '11', device: 'Desktop',
  },
  {
    label: 'Chrome 138 Windows 11 24H2 (full hints)',
    ua: CHROME_WIN,
    hints: {
      ua: CHROME_138, mobile: '?0', platform: '"Windows"', platformVersion: '"19.0.0"',
      fullVersionList: '"Not)A;Brand";v="8.0.0.0", "Chromium";v="138.0.7204.169", "Google Chrome";v="138.0.7204.169"',
    },
    browser: 'Chrome', browser_version: '138', os: 'Windows', os_version: '11', device: 'Desktop',
  },
  {
    label: 'Chrome 138 Windows 10 (platform version 10)',
    ua: CHROME_WIN,
    hints: { ua: CHROME_138, mobile: '?0', platform: '"Windows"', platformVersion: '"10.0.0"' },
    browser: 'Chrome', browser_version: '138', os: 'Windows', os_version: '10', device: 'Desktop',
  },
  {
    label: 'Chrome 138 Windows, low-entropy hints only',
    ua: CHROME_WIN,
    hints: { ua: CHROME_138, mobile: '?0', platform: '"Windows"' },
    browser: 'Chrome', browser_version: '138', os: 'Windows', os_version: '10', device: 'Desktop',
  },
  { label: 'Edge 138 Windows', ua: CHROME_WIN + ' Edg/138.0.0.0', browser: 'Edge', browser_version: '138', os: 'Windows', os_version: '10', device: 'Desktop' },
  {
    label: 'Edge 138 Windows 11 (hints)',
    ua: CHROME_WIN + ' Edg/138.0.0.0',
    hints: { ua: EDGE_138, mobile: '?0', platform: '"Windows"', platformVersion: '"19.0.0"' },
    browser: 'Edge', browser_version: '138', os: 'Windows', os_version: '11', device: 'Desktop',
  },
  { label: 'Firefox 141 Windows', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0', browser: 'Firefox', browser_version: '141', os: 'Windows', os_version: '10', device: 'Desktop' },
  { label: 'Firefox ESR 128 Windows', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', browser: 'Firefox', browser_version: '128', os: 'Windows', os_version: '10', device: 'Desktop' },
  {
    label: 'Opera 119 Windows (hints)',
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 OPR/119.0.0.0',
    hints: { ua: OPERA_119, mobile: '?0', platform: '"Windows"' },
    browser: 'Opera', browser_version: '119', os: 'Windows', os_version: '10', device: 'Desktop',
  },
  { label: 'Opera GX 120 Windows', ua: CHROME_WIN + ' OPR/120.0.0.0 (Edition Yx GX)', browser: 'Opera', browser_version: '120', os: 'Windows', os_version: '10', device: 'Desktop' },
  { label: 'Brave 138 Windows, UA only (= Chrome)', ua: CHROME_WIN, browser: 'Chrome', browser_version: '138', os: 'Windows', os_version: '10', device: 'Desktop' },
  {
    label: 'Brave 138 Windows 11 (hints name it)',
    ua: CHROME_WIN,
    hints: { ua: BRAVE_138, mobile: '?0', platform: '"Windows"', platformVersion: '"15.0.0"' },
    browser: 'Brave', browser_version: '138', os: 'Windows', os_version: '11', device: 'Desktop',
  },
  {
    label: 'Yandex Browser 25 Windows (hints)',
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 YaBrowser/25.4.0.0 Safari/537.36',
    hints: { ua: YANDEX_25, mobile: '?0', platform: '"Windows"' },
    browser: 'Yandex Browser', browser_version: '25', os: 'Windows', os_version: '10', device: 'Desktop',
  },
  { label: 'Chrome 109 Windows 7 (last for Win 7)', ua: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36', browser: 'Chrome', browser_version: '109', os: 'Windows', os_version: '7', device: 'Desktop' },

  // macOS
  { label: 'Chrome 138 macOS (frozen 10_15_7)', ua: CHROME_MAC, browser: 'Chrome', browser_version: '138', os: 'macOS', os_version: U, device: 'Desktop' },
  {
    label: 'Chrome 138 macOS 15 (hints)',
    ua: CHROME_MAC,
    hints: { ua: CHROME_138, mobile: '?0', platform: '"macOS"', platformVersion: '"15.5.0"' },
    browser: 'Chrome', browser_version: '138', os: 'macOS', os_version: '15', device: 'Desktop',
  },
  { label: 'Safari 18.5 macOS', ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15', browser: 'Safari', browser_version: '18', os: 'macOS', os_version: U, device: 'Desktop' },
  { label: 'Safari 26 macOS', ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15', browser: 'Safari', browser_version: '26', os: 'macOS', os_version: U, device: 'Desktop' },
  { label: 'Safari 17.6 macOS', ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', browser: 'Safari', browser_version: '17', os: 'macOS', os_version: U, device: 'Desktop' },
  { label: 'Firefox 141 macOS', ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:141.0) Gecko/20100101 Firefox/141.0', browser: 'Firefox', browser_version: '141', os: 'macOS', os_version: U, device: 'Desktop' },
  { label: 'Edge 138 macOS', ua: CHROME_MAC + ' Edg/138.0.0.0', browser: 'Edge', browser_version: '138', os: 'macOS', os_version: U, device: 'Desktop' },
  { label: 'Opera 120 macOS', ua: CHROME_MAC + ' OPR/120.0.0.0', browser: 'Opera', browser_version: '120', os: 'macOS', os_version: U, device: 'Desktop' },
  { label: 'Yandex Browser 25 macOS', ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 YaBrowser/25.4.0.0 Safari/537.36', browser: 'Yandex Browser', browser_version: '25', os: 'macOS', os_version: U, device: 'Desktop' },

  // Linux, ChromeOS
  { label: 'Chrome 138 Linux', ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36', browser: 'Chrome', browser_version: '138', os: 'Linux', os_version: U, device: 'Desktop' },
  {
    label: 'Chrome 138 Linux (hints, kernel version ignored)',
    ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
    hints: { ua: CHROME_138, mobile: '?0', platform: '"Linux"', platformVersion: '"6.8.0"' },
    browser: 'Chrome', browser_version: '138', os: 'Linux', os_version: U, device: 'Desktop',
  },
  { label: 'Chrome 138 Linux ARM', ua: 'Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36', browser: 'Chrome', browser_version: '138', os: 'Linux', os_version: U, device: 'Desktop' },
  { label: 'Firefox 141 Ubuntu', ua: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0', browser: 'Firefox', browser_version: '141', os: 'Linux', os_version: U, device: 'Desktop' },
  { label: 'Firefox 141 Fedora', ua: 'Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0', browser: 'Firefox', browser_version: '141', os: 'Linux', os_version: U, device: 'Desktop' },
  { label: 'Firefox 140 Linux', ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0', browser: 'Firefox', browser_version: '140', os: 'Linux', os_version: U, device: 'Desktop' },
  { label: 'Chrome 138 ChromeOS', ua: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36', browser: 'Chrome', browser_version: '138', os: 'ChromeOS', os_version: U, device: 'Desktop' },
  {
    label: 'Chrome 138 ChromeOS (hints)',
    ua: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
    hints: { ua: CHROME_138, mobile: '?0', platform: '"Chrome OS"', platformVersion: '"16238.64.0"' },
    browser: 'Chrome', browser_version: '138', os: 'ChromeOS', os_version: U, device: 'Desktop',
  },

  // iPhone, iPad
  { label: 'Safari 18.5 iPhone', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1', browser: 'Safari', browser_version: '18', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'Safari 26 iPhone (OS frozen at 18_6)', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1', browser: 'Safari', browser_version: '26', os: 'iOS', os_version: '26', device: 'Mobile' },
  { label: 'Safari 17.7 iPhone', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1', browser: 'Safari', browser_version: '17', os: 'iOS', os_version: '17', device: 'Mobile' },
  { label: 'Chrome iOS 138 (CriOS)', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/138.0.7204.156 Mobile/15E148 Safari/604.1', browser: 'Chrome', browser_version: '138', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'Firefox iOS 141 (FxiOS)', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/141.0 Mobile/15E148 Safari/605.1.15', browser: 'Firefox', browser_version: '141', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'Edge iOS 138 (EdgiOS)', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) EdgiOS/138.0.3351.77 Mobile/15E148 Safari/605.1.15', browser: 'Edge', browser_version: '138', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'DuckDuckGo iOS', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15', browser: 'DuckDuckGo', browser_version: '7', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'Yandex Browser iOS', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 YaBrowser/25.4.5.412.10 SA/3 Mobile/15E148 Safari/604.1', browser: 'Yandex Browser', browser_version: '25', os: 'iOS', os_version: '18', device: 'Mobile' },
  {
    label: 'Facebook in-app iOS',
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22F76 [FBAN/FBIOS;FBAV/518.0.0.44.106;FBBV/743126612;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/18.5;FBSS/3;FBID/phone;FBLC/lv_LV;FBOP/5;FBRV/745321023]',
    browser: 'Facebook', browser_version: '518', os: 'iOS', os_version: '18', device: 'Mobile',
  },
  {
    label: 'Instagram in-app iOS',
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22F76 Instagram 389.0.0.36.83 (iPhone16,2; iOS 18_5; lv_LV; lv; scale=3.00; 1290x2796; 762148392; IABMV/1)',
    browser: 'Instagram', browser_version: '389', os: 'iOS', os_version: '18', device: 'Mobile',
  },
  {
    label: 'TikTok in-app iOS',
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_40.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/LV BytedanceWebview/d8a21c6',
    browser: 'TikTok', browser_version: '40', os: 'iOS', os_version: '18', device: 'Mobile',
  },
  { label: 'Google app iOS (GSA)', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/379.0.785727083 Mobile/15E148 Safari/604.1', browser: 'Google App', browser_version: '379', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'WKWebView naming no app', ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', browser: 'Safari (in-app)', browser_version: '605', os: 'iOS', os_version: '18', device: 'Mobile' },
  { label: 'Safari iPad (mobile UA)', ua: 'Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1', browser: 'Safari', browser_version: '18', os: 'iOS', os_version: '18', device: 'Tablet' },
  { label: 'Chrome iPad (CriOS)', ua: 'Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/138.0.7204.156 Mobile/15E148 Safari/604.1', browser: 'Chrome', browser_version: '138', os: 'iOS', os_version: '18', device: 'Tablet' },
  { label: 'Firefox iPad (FxiOS)', ua: 'Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/141.0 Mobile/15E148 Safari/605.1.15', browser: 'Firefox', browser_version: '141', os: 'iOS', os_version: '18', device: 'Tablet' },

  // Android
  { label: 'Chrome 138 Android (reduced UA, no hints)', ua: CHROME_ANDROID, browser: 'Chrome', browser_version: '138', os: 'Android', os_version: U, device: 'Mobile' },
  {
    label: 'Chrome 138 Android 14 (reduced UA + hints)',
    ua: CHROME_ANDROID,
    hints: { ua: CHROME_138, mobile: '?1', platform: '"Android"', platformVersion: '"14.0.0"' },
    browser: 'Chrome', browser_version: '138', os: 'Android', os_version: '14', device: 'Mobile',
  },
  {
    label: 'Chrome 138 Android 15, low-entropy hints only',
    ua: CHROME_ANDROID,
    hints: { ua: CHROME_138, mobile: '?1', platform: '"Android"' },
    browser: 'Chrome', browser_version: '138', os: 'Android', os_version: U, device: 'Mobile',
  },
  { label: 'Chrome 138 Android tablet (reduced UA)', ua: CHROME_ANDROID_TABLET, browser: 'Chrome', browser_version: '138', os: 'Android', os_version: U, device: 'Tablet' },
  {
    label: 'Chrome 138 Android 13 tablet (hints)',
    ua: CHROME_ANDROID_TABLET,
    hints: { ua: CHROME_138, mobile: '?0', platform: '"Android"', platformVersion: '"13.0.0"' },
    browser: 'Chrome', browser_version: '138', os: 'Android', os_version: '13', device: 'Tablet',
  },
  { label: 'Chrome 138 Samsung tablet (full UA)', ua: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36', browser: 'Chrome', browser_version: '138', os: 'Android', os_version: '13', device: 'Tablet' },
  { label: 'Samsung Internet 28 (reduced UA)', ua: SAMSUNG_REDUCED, browser: 'Samsung Browser', browser_version: '28', os: 'Android', os_version: U, device: 'Mobile' },
  {
    label: 'Samsung Internet 28 Android 15 (hints)',
    ua: SAMSUNG_REDUCED,
    hints: { ua: SAMSUNG_28, mobile: '?1', platform: '"Android"', platformVersion: '"15.0.0"' },
    browser: 'Samsung Browser', browser_version: '28', os: 'Android', os_version: '15', device: 'Mobile',
  },
  { label: 'Samsung Internet 27 (full UA)', ua: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36', browser: 'Samsung Browser', browser_version: '27', os: 'Android', os_version: '14', device: 'Mobile' },
  { label: 'Samsung Internet 28 tablet', ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Safari/537.36', browser: 'Samsung Browser', browser_version: '28', os: 'Android', os_version: U, device: 'Tablet' },
  { label: 'Firefox 141 Android', ua: 'Mozilla/5.0 (Android 15; Mobile; rv:141.0) Gecko/141.0 Firefox/141.0', browser: 'Firefox', browser_version: '141', os: 'Android', os_version: '15', device: 'Mobile' },
  { label: 'Firefox 141 Android tablet', ua: 'Mozilla/5.0 (Android 14; Tablet; rv:141.0) Gecko/141.0 Firefox/141.0', browser: 'Firefox', browser_version: '141', os: 'Android', os_version: '14', device: 'Tablet' },
  { label: 'Opera 90 Android', ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36 OPR/90.0.0.0', browser: 'Opera', browser_version: '90', os: 'Android', os_version: U, device: 'Mobile' },
  { label: 'Edge 138 Android', ua: CHROME_ANDROID + ' EdgA/138.0.0.0', browser: 'Edge', browser_version: '138', os: 'Android', os_version: U, device: 'Mobile' },
  { label: 'Yandex Browser 25 Android', ua: 'Mozilla/5.0 (Linux; arm_64; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 YaBrowser/25.4.1.100 Mobile Safari/537.36', browser: 'Yandex Browser', browser_version: '25', os: 'Android', os_version: '14', device: 'Mobile' },
  { label: 'DuckDuckGo Android', ua: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/138.0.0.0 Mobile DuckDuckGo/5 Safari/537.36', browser: 'DuckDuckGo', browser_version: '5', os: 'Android', os_version: '14', device: 'Mobile' },
  { label: 'MIUI Browser Android', ua: 'Mozilla/5.0 (Linux; U; Android 14; lv-lv; 2201117TG Build/UKQ1.231003.002) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.33.0-gn', browser: 'MIUI Browser', browser_version: '14', os: 'Android', os_version: '14', device: 'Mobile' },
  { label: 'Android WebView (app)', ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/138.0.7204.157 Mobile Safari/537.36', browser: 'Chrome Webview', browser_version: '138', os: 'Android', os_version: '14', device: 'Mobile' },
  {
    label: 'Android WebView (hints, UA version kept)',
    ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/138.0.7204.157 Mobile Safari/537.36',
    hints: { ua: brands('"Android WebView";v="138"', '"Chromium";v="138"', '"Not)A;Brand";v="8"'), mobile: '?1', platform: '"Android"' },
    browser: 'Chrome Webview', browser_version: '138', os: 'Android', os_version: '14', device: 'Mobile',
  },
  {
    label: 'Facebook in-app Android',
    ua: 'Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/138.0.7204.157 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/518.0.0.55.109;]',
    browser: 'Facebook', browser_version: '518', os: 'Android', os_version: '14', device: 'Mobile',
  },
  {
    label: 'Instagram in-app Android',
    ua: 'Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/138.0.7204.157 Mobile Safari/537.36 Instagram 389.0.0.49.87 Android (34/14; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; lv_LV; 752126548)',
    browser: 'Instagram', browser_version: '389', os: 'Android', os_version: '14', device: 'Mobile',
  },
  {
    label: 'Huawei Browser HarmonyOS',
    ua: 'Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-NX9; HMSCore 6.15.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Mobile Safari/537.36',
    browser: 'Huawei Browser', browser_version: '15', os: 'HarmonyOS', os_version: U, device: 'Mobile',
  },
]
