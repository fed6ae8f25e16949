// The one CSV cell rule for every CSV Skaits writes: partner exports (export/build.ts) and the
// dashboard's downloads (dashboard/src/panels.ts imports this file, so it imports nothing).

/**
 * Spreadsheets run a cell starting with one of these as a formula (OWASP, "CSV Injection").
 * Page paths, UTM values, event names, props and ISP names come from visitors, so any of
 * them can be `=HYPERLINK(...)`.
 */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A text cell (a dimension's value): a leading `'` makes a would-be formula plain text in
 * Excel, LibreOffice and Google Sheets; then quoted if it holds a comma, quote or line break.
 */
export function csvText(s: string): string {
  const inert = FORMULA_START.test(s) ? `'${s}` : s
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert
}

/** A cell of either kind: numbers (metrics) as they are, `-3` being a number; missing is empty. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return ''
  return typeof v === 'number' ? String(v) : csvText(v)
}
