/**
 * The port the projections write and read through: a connection's statements as plain
 * synchronous calls that throw on failure, valid only inside the callback of whatever
 * holds the connection (SQLite: `Database.direct.use` or `transact`). Projections build
 * their multi-row statements with the helpers below.
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface Statements {
  /** Each row as an array of its values, in the select list's order. */
  readonly values: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<ReadonlyArray<unknown>>
  /** Each row as an object keyed by column name. */
  readonly rows: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<Record<string, unknown>>
  readonly run: (sql: string, params: ReadonlyArray<unknown>) => void
}

/** Rows per multi-row statement: well under SQLite's 32,766 bound parameters. @since 0.1.0 */
export const ROWS_PER_STATEMENT = 250

/** Keys per `IN` list. @since 0.1.0 */
export const KEYS_PER_STATEMENT = 500

/** @since 0.1.0 */
export const chunksOf = <A>(items: ReadonlyArray<A>, size = ROWS_PER_STATEMENT): Array<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/**
 * A multi-row statement's text for `rows` rows of `columns` placeholders, built once per row count
 * (a live append would otherwise rebuild and rehash a kilobyte of SQL per statement). With one
 * column it also makes an `IN` list: `IN ((?), (?))`.
 * @since 0.1.0
 */
export const statementForRows = (columns: number, build: (values: string) => string) => {
  const texts = new Map<number, string>()
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`
  return (rows: number): string => {
    let text = texts.get(rows)
    if (text === undefined) {
      text = build(Array.from({ length: rows }, () => row).join(", "))
      texts.set(rows, text)
    }
    return text
  }
}

/** The rows' values in `columns` order, for a statement of `statementForRows`. @since 0.1.0 */
export const valuesOf = <R>(rows: ReadonlyArray<R>, columns: ReadonlyArray<keyof R & string>): Array<unknown> => {
  const params: Array<unknown> = []
  for (const r of rows) for (const column of columns) params.push(r[column])
  return params
}

/** Runs `text(n)` over `keys` in `IN` lists of at most `KEYS_PER_STATEMENT`. @since 0.1.0 */
export const runByKeys = (
  statements: Statements,
  text: (keys: number) => string,
  keys: ReadonlyArray<unknown>
): void => {
  for (const chunk of chunksOf(keys, KEYS_PER_STATEMENT)) statements.run(text(chunk.length), chunk)
}

/**
 * The rows `select(n)` gives for `keys`, asked in `IN` lists of at most `KEYS_PER_STATEMENT`,
 * decoded and grouped by `keyOf` in the order the statement returns them.
 * @since 0.1.0
 */
export const groupedByKeys = <R, A>(
  statements: Statements,
  select: (keys: number) => string,
  keys: ReadonlyArray<string>,
  decode: (rows: ReadonlyArray<Record<string, unknown>>) => ReadonlyArray<R>,
  keyOf: (row: R) => string,
  valueOf: (row: R) => A
): ReadonlyMap<string, ReadonlyArray<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const chunk of chunksOf(keys, KEYS_PER_STATEMENT)) {
    for (const row of decode(statements.rows(select(chunk.length), chunk))) {
      const group = groups.get(keyOf(row))
      if (group === undefined) groups.set(keyOf(row), [valueOf(row)])
      else group.push(valueOf(row))
    }
  }
  return groups
}
