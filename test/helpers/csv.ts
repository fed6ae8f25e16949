import { expect } from 'vitest'

/**
 * RFC 4180 as a spreadsheet reads it, written apart from server/export/csv.ts so tests check
 * that code against an independent reader. Throws on a quote inside an unquoted cell or
 * text after a closing quote: such a file is not what we meant to write.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  let closed = false
  const endCell = () => {
    row.push(cell)
    cell = ''
    closed = false
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch !== '"') cell += ch
      else if (text[i + 1] === '"') {
        cell += '"'
        i++
      } else {
        quoted = false
        closed = true
      }
    } else if (ch === ',') endCell()
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      endCell()
      rows.push(row)
      row = []
    } else if (closed) throw new Error(`text after a closing quote at ${i}`)
    else if (ch === '"') {
      if (cell !== '') throw new Error(`a quote inside an unquoted cell at ${i}`)
      quoted = true
    } else cell += ch
  }
  if (quoted) throw new Error('an unclosed quote')
  if (cell !== '' || row.length || closed) {
    endCell()
    rows.push(row)
  }
  return rows
}

/** Rows as objects keyed by the header row. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text)
  return rows.map((r) => {
    expect(r.length).toBe(header!.length)
    return Object.fromEntries(header!.map((h, i) => [h, r[i]!]))
  })
}
