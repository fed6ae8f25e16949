/** A lexical token of a ClickHouse statement, with its place in the text. */
export interface Token {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'punct'
  /** the token as written */
  text: string
  /** identifiers unquoted; the text otherwise */
  value: string
  start: number
  end: number
}

/**
 * Splits a statement into tokens, skipping whitespace and comments. Enough of ClickHouse's
 * lexical rules to find keywords and names safely: strings, quoted identifiers and comments
 * never yield a keyword.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const push = (kind: Token['kind'], start: number, end: number, value = sql.slice(start, end)) =>
    tokens.push({ kind, text: sql.slice(start, end), value, start, end })
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (sql.startsWith('--', i)) {
      const eol = sql.indexOf('\n', i)
      i = eol < 0 ? sql.length : eol + 1
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2)
      if (close < 0) throw new Error('unclosed /* comment')
      i = close + 2
    } else if (c === "'" || c === '`' || c === '"') {
      const start = i
      let value = ''
      i++
      for (;;) {
        if (i >= sql.length) throw new Error(`unclosed ${c}`)
        const d = sql[i]!
        if (d === '\\') {
          value += sql[i + 1] ?? ''
          i += 2
        } else if (d === c && sql[i + 1] === c) {
          value += c
          i += 2
        } else if (d === c) {
          i++
          break
        } else {
          value += d
          i++
        }
      }
      push(c === "'" ? 'string' : 'quoted', start, i, value)
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i]!)) i++
      push('word', start, i)
    } else if (/[0-9]/.test(c)) {
      const start = i
      while (i < sql.length && /[0-9A-Za-z_.]/.test(sql[i]!)) i++
      push('number', start, i)
    } else {
      push('punct', i, i + 1)
      i++
    }
  }
  return tokens
}

/** Is the token this keyword (unquoted, any case)? */
export function isWord(t: Token | undefined, word: string): boolean {
  return t?.kind === 'word' && t.text.toUpperCase() === word
}

/** Is the token an identifier (a bare word or a quoted name)? */
export function isName(t: Token | undefined): t is Token {
  return t?.kind === 'word' || t?.kind === 'quoted'
}

export function isPunct(t: Token | undefined, p: string): boolean {
  return t?.kind === 'punct' && t.text === p
}

/** Index of the `)` closing the `(` at `open`. */
export function closingParen(tokens: Token[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++
    else if (isPunct(tokens[i], ')') && --depth === 0) return i
  }
  throw new Error('unbalanced parentheses')
}

/** Splits tokens at commas outside parentheses. */
export function splitTopLevel(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]]
  let depth = 0
  for (const t of tokens) {
    if (isPunct(t, '(') || isPunct(t, '[')) depth++
    else if (isPunct(t, ')') || isPunct(t, ']')) depth--
    if (depth === 0 && isPunct(t, ',')) parts.push([])
    else parts.at(-1)!.push(t)
  }
  return parts.filter((p) => p.length)
}
