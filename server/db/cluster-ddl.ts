import type { Migration } from './migration-files.ts'
import { closingParen, isName, isPunct, isWord, splitTopLevel, tokenize, type Token } from './sql-tokens.ts'

/** Where Skaits' tables live on a ClickHouse cluster (CLICKHOUSE_CLUSTER). */
export interface ClusterTarget {
  /** a cluster of the servers' `remote_servers`, with `internal_replication` on */
  cluster: string
  /** the database of every table, the same on every node */
  database: string
}

/**
 * How a table lives on a cluster:
 * - `sharded`: counts keyed by site. Each shard holds some rows in `<name>_local`
 *   (Replicated*MergeTree under a `{shard}` path); `<name>` is a Distributed table over them.
 * - `replicated`: small tables (sites, salts, keys, …). One Replicated*MergeTree whose Keeper
 *   path has no `{shard}`, so every node holds all of it and reads it locally. Created and
 *   dropped ON CLUSTER; altered, mutated and truncated once, as Keeper copies that to every node.
 * - `node`: `ENGINE = Null` tables; each node's own, storing nothing.
 * - `view`: views and materialized views, on every node.
 */
export type Placement = 'sharded' | 'replicated' | 'node' | 'view'

/** A table whose sorting key starts with this column is sharded; any other is replicated. */
export const SHARD_COLUMN = 'site'
/**
 * Rows written through a Distributed table go to the shard of their site, so rows that
 * ReplacingMergeTree must collapse (equal sorting keys, which start with the site) always
 * meet on one shard and `FINAL` stays right. Rows from ingest stay on the shard of the
 * node that received them; only sums and sketch merges read those, never `FINAL`.
 */
export const SHARDING_KEY = `cityHash64(${SHARD_COLUMN})`
export const LOCAL_SUFFIX = '_local'

export class ClusterDdlError extends Error {}

/** ALTER commands that change columns, so a Distributed table must follow them. */
const COLUMN_COMMANDS = new Set(['ADD COLUMN', 'DROP COLUMN', 'MODIFY COLUMN', 'RENAME COLUMN', 'COMMENT COLUMN', 'ALTER COLUMN'])
/** ALTER commands on stored rows, indexes or table settings: only the local tables take them. */
const STORAGE_COMMANDS = new Set([
  'ADD INDEX', 'DROP INDEX', 'CLEAR INDEX', 'MATERIALIZE INDEX',
  'ADD PROJECTION', 'DROP PROJECTION', 'CLEAR PROJECTION', 'MATERIALIZE PROJECTION',
  'ADD CONSTRAINT', 'DROP CONSTRAINT',
  'ADD STATISTICS', 'DROP STATISTICS', 'CLEAR STATISTICS', 'MATERIALIZE STATISTICS', 'MODIFY STATISTICS',
  'MODIFY TTL', 'REMOVE TTL', 'MATERIALIZE TTL',
  'MODIFY SETTING', 'RESET SETTING',
  'MODIFY ORDER', 'MODIFY SAMPLE', 'REMOVE SAMPLE', 'MODIFY COMMENT',
  'CLEAR COLUMN', 'MATERIALIZE COLUMN',
  'DELETE WHERE', 'UPDATE',
  'DROP PARTITION', 'DROP PART',
])

/**
 * Turns migration statements, written for one node, into cluster DDL. Stateful: it learns
 * each table's placement from the statements that create it, so later ALTERs and views find
 * the right local or Distributed name. A statement it does not understand is refused with an
 * error rather than guessed at: a half-translated schema is worse than none.
 */
export class ClusterSchema {
  private placements = new Map<string, Placement>()

  constructor(readonly target: ClusterTarget) {}

  placementOf(table: string): Placement | undefined {
    return this.placements.get(table)
  }

  /** Every table and view created so far, with its placement. */
  tables(): Map<string, Placement> {
    return new Map(this.placements)
  }

  /**
   * Where DDL or a mutation on `table`'s stored rows goes: its catalogue name on each node
   * and the clause to put after `ALTER TABLE` or `TRUNCATE TABLE`. Each shard holds other rows,
   * so a sharded table's local tables are reached `ON CLUSTER`. A table kept on every node is
   * one replicated table: Keeper carries an ALTER, a mutation or a TRUNCATE to every replica,
   * and `ON CLUSTER` would run it once per shard on that same table, the metadata changes
   * racing each other.
   */
  storage(table: string): { table: string; clause: string } {
    const placement = this.placements.get(table)
    if (placement !== 'sharded' && placement !== 'replicated') {
      throw new ClusterDdlError(`${table} is not a table of stored rows in the migrations (${placement ?? 'unknown'})`)
    }
    if (placement === 'replicated') return { table, clause: this.qualified(table) }
    const stored = table + LOCAL_SUFFIX
    return { table: stored, clause: `${this.qualified(stored)} ${this.onCluster()}` }
  }

  /** The cluster statements for one migration statement, in the order they must run. */
  translate(statement: string): string[] {
    let tokens: Token[]
    try {
      tokens = tokenize(statement)
    } catch (err) {
      throw this.refuse(statement, (err as Error).message)
    }
    while (isPunct(tokens.at(-1), ';')) tokens = tokens.slice(0, -1)
    const sql = statement.slice(0, tokens.at(-1)?.end ?? 0)
    const [a, b, c] = tokens
    const s = new Statement(sql, tokens, this.target.database, (reason) => this.refuse(statement, reason))
    if (isWord(a, 'CREATE') && isWord(b, 'TABLE')) return this.createTable(s)
    if (isWord(a, 'CREATE') && isWord(b, 'MATERIALIZED') && isWord(c, 'VIEW')) return this.createView(s, true)
    if (isWord(a, 'CREATE') && isWord(b, 'VIEW')) return this.createView(s, false)
    if (isWord(a, 'ALTER') && isWord(b, 'TABLE')) return this.alter(s)
    if (isWord(a, 'DROP') && (isWord(b, 'TABLE') || isWord(b, 'VIEW'))) return this.drop(s)
    if (isWord(a, 'EXCHANGE') && isWord(b, 'TABLES')) return this.exchange(s)
    if ((isWord(a, 'TRUNCATE') || isWord(a, 'OPTIMIZE')) && isWord(b, 'TABLE')) return this.onStoredRows(s)
    // Data written by a migration goes through the Distributed tables, once, from one node.
    if (isWord(a, 'INSERT')) return [sql]
    throw this.refuse(statement, 'no cluster translation for this kind of statement (see server/db/cluster-ddl.ts)')
  }

  private createTable(s: Statement): string[] {
    let i = 2
    const ifNotExists = s.words(i, 'IF', 'NOT', 'EXISTS')
    if (ifNotExists) i += 3
    const ref = s.name(i)
    i = ref.next
    s.noOnCluster(i)
    if (!isPunct(s.tokens[i], '(')) throw s.refuse('expected a column list after the table name')
    const columnsEnd = closingParen(s.tokens, i)
    const columns = s.text(i, columnsEnd)
    i = columnsEnd + 1
    if (!isWord(s.tokens[i], 'ENGINE')) throw s.refuse('expected ENGINE right after the column list')
    i++
    if (isPunct(s.tokens[i], '=')) i++
    const engineToken = s.tokens[i]
    if (!isName(engineToken)) throw s.refuse('expected an engine name')
    const engine = engineToken.value
    i++
    let args = ''
    if (isPunct(s.tokens[i], '(')) {
      const close = closingParen(s.tokens, i)
      args = close > i + 1 ? s.text(i + 1, close - 1) : ''
      i = close + 1
    }
    // Everything after the engine (PARTITION BY, ORDER BY, TTL, SETTINGS) stays on the stored table.
    const rest = s.sql.slice(s.tokens[i - 1]!.end)
    const create = `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}`
    const name = ref.name

    if (engine === 'Null') {
      this.placements.set(name, 'node')
      return [`${create}${this.qualified(name)} ${this.onCluster()} ${columns}\nENGINE = Null${rest}`]
    }
    if (!/^[A-Za-z]*MergeTree$/.test(engine)) throw s.refuse(`engine ${engine}: only MergeTree-family and Null tables are translated`)
    if (/^(Replicated|Shared)/.test(engine)) throw s.refuse(`engine ${engine}: migrations are written for one node; replication is added here`)

    const sharded = leadingSortColumn(s.tokens.slice(i)) === SHARD_COLUMN
    const stored = sharded ? name + LOCAL_SUFFIX : name
    // {shard} keeps each shard's rows apart; without it every node is a replica of one copy,
    // and then replica names must differ across shards too, hence '{shard}-{replica}'.
    // IF NOT EXISTS may find the table on some nodes and make it on others, which must join it
    // as replicas: its Keeper path follows from its name. A plain CREATE always makes a new
    // table (a migration drops the name first), and EXCHANGE TABLES may since have given its
    // name's path to another table: {uuid} gives it a path of its own. ClickHouse expands {uuid}
    // in ON CLUSTER queries in an Atomic database, with one UUID for every host.
    const base = sharded ? `/clickhouse/tables/{shard}/{database}/${stored}` : `/clickhouse/tables/{database}/${stored}`
    const path = ifNotExists ? base : `${base}/{uuid}`
    const replica = sharded ? '{replica}' : '{shard}-{replica}'
    const replicatedArgs = [sqlString(path), sqlString(replica), ...(args ? [args] : [])].join(', ')
    const local = `${create}${this.qualified(stored)} ${this.onCluster()} ${columns}\nENGINE = Replicated${engine}(${replicatedArgs})${rest}`
    this.placements.set(name, sharded ? 'sharded' : 'replicated')
    if (!sharded) return [local]
    const distributed =
      `${create}${this.qualified(name)} ${this.onCluster()} AS ${this.qualified(stored)}\n` +
      `ENGINE = Distributed(${sqlString(this.target.cluster)}, ${sqlString(this.target.database)}, ${sqlString(stored)}, ${SHARDING_KEY})`
    return [local, distributed]
  }

  /**
   * A materialized view runs on the node an insert reaches and sees only that insert, so it
   * reads and writes local tables. A plain view reads the Distributed tables: the whole cluster.
   */
  private createView(s: Statement, materialized: boolean): string[] {
    let i = materialized ? 3 : 2
    const ifNotExists = s.words(i, 'IF', 'NOT', 'EXISTS')
    if (ifNotExists) i += 3
    const ref = s.name(i)
    i = ref.next
    s.noOnCluster(i)
    let to = ''
    if (materialized) {
      if (!isWord(s.tokens[i], 'TO')) throw s.refuse('a materialized view must write TO a table created by a migration')
      const target = s.name(i + 1)
      const placement = this.placements.get(target.name)
      if (!placement || placement === 'view') throw s.refuse(`the view writes to ${target.name}, which no migration created as a table`)
      to = ` TO ${this.qualified(placement === 'sharded' ? target.name + LOCAL_SUFFIX : target.name)}`
      i = target.next
      if (isPunct(s.tokens[i], '(')) {
        const close = closingParen(s.tokens, i)
        to += ` ${s.text(i, close)}`
        i = close + 1
      }
    }
    if (!isWord(s.tokens[i], 'AS')) throw s.refuse(`expected AS SELECT … (got ${s.tokens[i]?.text ?? 'the end'})`)
    const select = this.tablesIn(s, i + 1, materialized)
    this.placements.set(ref.name, 'view')
    const kind = materialized ? 'MATERIALIZED VIEW' : 'VIEW'
    return [`CREATE ${kind} ${ifNotExists ? 'IF NOT EXISTS ' : ''}${this.qualified(ref.name)} ${this.onCluster()}${to} AS\n${select}`]
  }

  private alter(s: Statement): string[] {
    const ref = s.name(2)
    s.noOnCluster(ref.next)
    const placement = this.placements.get(ref.name)
    if (!placement) throw s.refuse(`ALTER of ${ref.name}, which no earlier migration created`)
    if (placement === 'view') throw s.refuse('ALTER of a view is not translated')
    const commands = splitTopLevel(s.tokens.slice(ref.next))
    if (!commands.length) throw s.refuse('ALTER without a command')
    const texts = commands.map((c) => s.sql.slice(c[0]!.start, c.at(-1)!.end))
    const kinds = commands.map((c) => alterKind(c, s))
    const columnTexts = texts.filter((_, k) => kinds[k] === 'columns')
    const all = texts.join(', ')
    if (placement === 'node') {
      if (columnTexts.length !== texts.length) throw s.refuse('a Null table stores nothing: only column changes apply to it')
      return [`ALTER TABLE ${this.qualified(ref.name)} ${this.onCluster()} ${all}`]
    }
    if (placement === 'replicated') {
      // Keeper replicates every ALTER of a replicated table except its settings, which are
      // each replica's own: those alone go ON CLUSTER (see storage()).
      const settings = texts.filter((_, k) => kinds[k] === 'settings')
      const replicated = texts.filter((_, k) => kinds[k] !== 'settings')
      return [
        ...(replicated.length ? [`ALTER TABLE ${this.qualified(ref.name)} ${replicated.join(', ')}`] : []),
        ...(settings.length ? [`ALTER TABLE ${this.qualified(ref.name)} ${this.onCluster()} ${settings.join(', ')}`] : []),
      ]
    }
    const out = [`ALTER TABLE ${this.qualified(ref.name + LOCAL_SUFFIX)} ${this.onCluster()} ${all}`]
    if (columnTexts.length) out.push(`ALTER TABLE ${this.qualified(ref.name)} ${this.onCluster()} ${columnTexts.join(', ')}`)
    return out
  }

  private drop(s: Statement): string[] {
    const kind = s.tokens[1]!.text.toUpperCase()
    let i = 2
    const ifExists = s.words(i, 'IF', 'EXISTS')
    if (ifExists) i += 2
    const ref = s.name(i)
    i = ref.next
    s.noOnCluster(i)
    if (i < s.tokens.length && !(isWord(s.tokens[i], 'SYNC') && i === s.tokens.length - 1)) {
      throw s.refuse('unexpected words after the name')
    }
    const placement = this.placements.get(ref.name)
    if (!placement && !ifExists) throw s.refuse(`DROP of ${ref.name}, which no earlier migration created`)
    // SYNC frees the Keeper path at once, so a migration may create the table again.
    const dropOne = (name: string) => `DROP ${kind} ${ifExists ? 'IF EXISTS ' : ''}${this.qualified(name)} ${this.onCluster()} SYNC`
    this.placements.delete(ref.name)
    return placement === 'sharded' ? [dropOne(ref.name), dropOne(ref.name + LOCAL_SUFFIX)] : [dropOne(ref.name)]
  }

  /**
   * Swaps two tables' names in one step: how a migration moves rows into a table with another
   * sorting key while the name always exists. Names are each node's own, so ON CLUSTER. A
   * Distributed table names its local table: swapping the local tables is enough, and the
   * Distributed ones (the same columns, if the local tables have the same columns) stay.
   */
  private exchange(s: Statement): string[] {
    const a = s.name(2)
    if (!isWord(s.tokens[a.next], 'AND')) throw s.refuse('expected EXCHANGE TABLES a AND b')
    const b = s.name(a.next + 1)
    s.noOnCluster(b.next)
    if (b.next < s.tokens.length) throw s.refuse('unexpected words after the names')
    const placement = this.placements.get(a.name)
    const other = this.placements.get(b.name)
    if (!placement || !other) throw s.refuse(`EXCHANGE of ${placement ? b.name : a.name}, which no earlier migration created`)
    if (placement !== other) throw s.refuse(`${a.name} and ${b.name} are placed differently (${placement}, ${other})`)
    if (placement === 'view') throw s.refuse('EXCHANGE of views is not translated')
    const stored = (name: string) => this.qualified(placement === 'sharded' ? name + LOCAL_SUFFIX : name)
    return [`EXCHANGE TABLES ${stored(a.name)} AND ${stored(b.name)} ${this.onCluster()}`]
  }

  private onStoredRows(s: Statement): string[] {
    const verb = s.tokens[0]!.text.toUpperCase()
    let i = 2
    const ifExists = verb === 'TRUNCATE' && s.words(i, 'IF', 'EXISTS')
    if (ifExists) i += 2
    const ref = s.name(i)
    s.noOnCluster(ref.next)
    const placement = this.placements.get(ref.name)
    if (placement !== 'sharded' && placement !== 'replicated') throw s.refuse(`${verb} of ${ref.name}, which holds no stored rows`)
    const tail = ref.next < s.tokens.length ? ` ${s.text(ref.next, s.tokens.length - 1)}` : ''
    return [`${verb} TABLE ${ifExists ? 'IF EXISTS ' : ''}${this.storage(ref.name).clause}${tail}`]
  }

  /** The text from token `from` on, with every table read after FROM or JOIN qualified (and local if `local`). */
  private tablesIn(s: Statement, from: number, local: boolean): string {
    let out = ''
    let at = s.tokens[from]?.start ?? s.sql.length
    for (let k = from; k < s.tokens.length; k++) {
      const t = s.tokens[k]!
      const reads = isWord(t, 'FROM') || (isWord(t, 'JOIN') && !isWord(s.tokens[k - 1], 'ARRAY'))
      if (!reads || !isName(s.tokens[k + 1])) continue
      const ref = readName(s.tokens, k + 1)
      // A table function, a name in another database, or a name no migration made (a CTE) stays.
      if (!ref || ref.database !== undefined || isPunct(s.tokens[ref.next], '(')) continue
      const placement = this.placements.get(ref.name)
      if (!placement) continue
      const name = local && placement === 'sharded' ? ref.name + LOCAL_SUFFIX : ref.name
      out += s.sql.slice(at, ref.start) + this.qualified(name)
      at = ref.end
    }
    return out + s.sql.slice(at)
  }

  // Names are qualified everywhere: on the other nodes an ON CLUSTER query does not always run
  // in the initiator's database (ClickHouse issues 6104, 37318).
  private qualified(name: string): string {
    return `${quoteName(this.target.database)}.${quoteName(name)}`
  }

  private onCluster(): string {
    return `ON CLUSTER ${quoteName(this.target.cluster)}`
  }

  private refuse(statement: string, reason: string): ClusterDdlError {
    const head = statement.replace(/\s+/g, ' ').trim().slice(0, 100)
    return new ClusterDdlError(`cannot translate for CLICKHOUSE_CLUSTER: ${reason}: "${head}"`)
  }
}

/** One statement under translation, with the helpers its parts share. */
class Statement {
  constructor(
    readonly sql: string,
    readonly tokens: Token[],
    private database: string,
    readonly refuse: (reason: string) => ClusterDdlError,
  ) {}

  /** The original text from token `a` to token `b`, both included. */
  text(a: number, b: number): string {
    return this.sql.slice(this.tokens[a]!.start, this.tokens[b]!.end)
  }

  words(at: number, ...words: string[]): boolean {
    return words.every((w, k) => isWord(this.tokens[at + k], w))
  }

  name(at: number): NameRef {
    const ref = readName(this.tokens, at)
    if (!ref) throw this.refuse(`expected a name, got ${this.tokens[at]?.text ?? 'the end'}`)
    if (ref.database !== undefined && ref.database !== this.database) {
      throw this.refuse(`migrations name tables without a database; got ${ref.database}.${ref.name}`)
    }
    return ref
  }

  noOnCluster(at: number): void {
    if (isWord(this.tokens[at], 'ON')) throw this.refuse('migrations must not say ON CLUSTER; it is added for CLICKHOUSE_CLUSTER')
  }
}

interface NameRef {
  database?: string
  name: string
  /** index of the token after the name */
  next: number
  start: number
  end: number
}

function readName(tokens: Token[], at: number): NameRef | undefined {
  const first = tokens[at]
  if (!isName(first)) return undefined
  const second = tokens[at + 2]
  if (isPunct(tokens[at + 1], '.') && isName(second)) {
    return { database: first.value, name: second.value, next: at + 3, start: first.start, end: second.end }
  }
  return { name: first.value, next: at + 1, start: first.start, end: first.end }
}

/** The first column of the sorting key (`ORDER BY x` or `ORDER BY (x, …)`), if it is a plain column. */
function leadingSortColumn(tokens: Token[]): string | undefined {
  let depth = 0
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]
    if (isPunct(t, '(')) depth++
    else if (isPunct(t, ')')) depth--
    else if (depth === 0 && isWord(t, 'ORDER') && isWord(tokens[k + 1], 'BY')) {
      let j = k + 2
      if (isPunct(tokens[j], '(')) j++
      const first = tokens[j]
      return isName(first) && !isPunct(tokens[j + 1], '(') ? first.value : undefined
    }
  }
  return undefined
}

function alterKind(command: Token[], s: Statement): 'columns' | 'settings' | 'storage' {
  const words = command.slice(0, 2).map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''))
  const two = words.join(' ')
  // A codec says how parts are stored; a Distributed table stores none (and one that accepted a
  // codec could fail to load at the next restart, as it does with TTLs: ClickHouse #33344).
  if (two === 'MODIFY COLUMN' && command.some((t) => isWord(t, 'CODEC'))) return 'storage'
  if (COLUMN_COMMANDS.has(two)) return 'columns'
  if (two === 'MODIFY SETTING' || two === 'RESET SETTING') return 'settings'
  if (STORAGE_COMMANDS.has(two) || STORAGE_COMMANDS.has(words[0]!)) return 'storage'
  throw s.refuse(`ALTER command ${two.trim() || command[0]?.text} is not translated`)
}

export function quoteName(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`'
}

export function sqlString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'"
}

/** Every migration's statements as cluster DDL. Throws, naming the file, before anything runs. */
export function translateMigrations(target: ClusterTarget, migrations: Migration[]): { schema: ClusterSchema; migrations: Migration[] } {
  const schema = new ClusterSchema(target)
  const translated = migrations.map((m) => ({
    ...m,
    statements: m.statements.flatMap((statement) => {
      try {
        return schema.translate(statement)
      } catch (err) {
        throw err instanceof ClusterDdlError ? new ClusterDdlError(`${m.name}: ${err.message}`) : err
      }
    }),
  }))
  return { schema, migrations: translated }
}
