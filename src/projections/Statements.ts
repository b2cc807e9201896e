/**
 * The port the projections read and write through. A projection's work is a `Program`: a
 * generator that yields each statement (`values`, `rows`, `run`) and is handed back its result,
 * so the same definition runs on any connection. SQLite runs a program synchronously on its
 * prepared statements (`runSync` over `Statements`, the live append's fast path); a database
 * reached through `@effect/sql` (PostgreSQL) runs it as an effect (`runEffect`).
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

/**
 * One statement of a program: `values` returns each row as an array of its values in the
 * select list's order, `rows` each row as an object keyed by column name, `run` nothing.
 * Placeholders are `?`, in order.
 * @since 0.1.0
 * @category models
 */
export interface SqlStep {
  readonly kind: "values" | "rows" | "run"
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

/**
 * A projection's work over a connection, returning `A`.
 * @since 0.1.0
 * @category models
 */
export type Program<A> = Generator<SqlStep, A, unknown>

/** @since 0.1.0 */
export function* values(sql: string, params: ReadonlyArray<unknown>): Program<ReadonlyArray<ReadonlyArray<unknown>>> {
  return (yield { kind: "values", sql, params }) as ReadonlyArray<ReadonlyArray<unknown>>
}

/** @since 0.1.0 */
export function* rows(sql: string, params: ReadonlyArray<unknown>): Program<ReadonlyArray<Record<string, unknown>>> {
  return (yield { kind: "rows", sql, params }) as ReadonlyArray<Record<string, unknown>>
}

/** @since 0.1.0 */
export function* run(sql: string, params: ReadonlyArray<unknown>): Program<void> {
  yield { kind: "run", sql, params }
}

/**
 * A connection's statements as plain synchronous calls that throw on failure, valid only inside
 * the callback of whatever holds the connection (SQLite: `Database.direct.use` or `transact`).
 * @since 0.1.0
 * @category models
 */
export interface Statements {
  readonly values: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<ReadonlyArray<unknown>>
  readonly rows: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<Record<string, unknown>>
  readonly run: (sql: string, params: ReadonlyArray<unknown>) => void
}

const execute = (statements: Statements, step: SqlStep): unknown => {
  switch (step.kind) {
    case "values":
      return statements.values(step.sql, step.params)
    case "rows":
      return statements.rows(step.sql, step.params)
    case "run":
      return statements.run(step.sql, step.params)
  }
}

/**
 * Runs `program` on `statements` at once; a failing statement's throw ends it.
 * @since 0.1.0
 */
export const runSync = <A>(program: Program<A>, statements: Statements): A => {
  let next = program.next()
  while (!next.done) next = program.next(execute(statements, next.value))
  return next.value
}

/**
 * `?` placeholders as PostgreSQL's `$1, $2, …` (none of the programs' statements has a `?` in a
 * string literal or identifier; quoted text is skipped all the same).
 * @since 0.1.0
 */
export const numberedPlaceholders = (sql: string): string => {
  let n = 0
  let quote: string | undefined
  let out = ""
  for (const c of sql) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined
    } else if (c === "'" || c === "\"") {
      quote = c
    } else if (c === "?") {
      out += `$${++n}`
      continue
    }
    out += c
  }
  return out
}

/**
 * Runs `program` through the `SqlClient` in context, a statement per step (each costs an
 * `@effect/sql` statement, ~20–35 µs; SQLite's hot paths use `runSync`). A throw of the program
 * itself (a row that does not decode) fails it as an `SqlError`, as on `runSync`'s connection.
 * @since 0.1.0
 */
export const runEffect = <A>(program: Program<A>): Effect.Effect<A, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const text = sql.onDialectOrElse({ pg: () => numberedPlaceholders, orElse: () => (s: string) => s })
    const resume = (input: unknown): Effect.Effect<A, SqlError> =>
      Effect.suspend(() => {
        let next: IteratorResult<SqlStep, A>
        try {
          next = program.next(input)
        } catch (cause) {
          return Effect.fail(new SqlError({ cause, message: "Failed to run a projection program" }))
        }
        if (next.done) return Effect.succeed(next.value)
        const step = next.value
        const statement = sql.unsafe(text(step.sql), step.params)
        const result: Effect.Effect<unknown, SqlError> = step.kind === "values"
          ? statement.values
          : step.kind === "rows"
          ? statement
          : Effect.asVoid(statement.raw)
        return Effect.flatMap(result, resume)
      })
    return resume(undefined)
  })

/**
 * ` WHERE` `column` names a thread `own` selects, or nothing when `own` is not given.
 * @since 0.1.0
 */
export const ofThreads = (column: string, own: string | undefined): string =>
  own === undefined ? "" : ` WHERE ${column} IN (SELECT id FROM threads WHERE ${own})`

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
export function* runByKeys(text: (keys: number) => string, keys: ReadonlyArray<unknown>): Program<void> {
  for (const chunk of chunksOf(keys, KEYS_PER_STATEMENT)) yield* run(text(chunk.length), chunk)
}

/**
 * The rows `select(n)` gives for `keys`, asked in `IN` lists of at most `KEYS_PER_STATEMENT`,
 * decoded and grouped by `keyOf` in the order the statement returns them.
 * @since 0.1.0
 */
export function* groupedByKeys<R, A>(
  select: (keys: number) => string,
  keys: ReadonlyArray<string>,
  decode: (rows: ReadonlyArray<Record<string, unknown>>) => ReadonlyArray<R>,
  keyOf: (row: R) => string,
  valueOf: (row: R) => A
): Program<ReadonlyMap<string, ReadonlyArray<A>>> {
  const groups = new Map<string, Array<A>>()
  for (const chunk of chunksOf(keys, KEYS_PER_STATEMENT)) {
    for (const row of decode(yield* rows(select(chunk.length), chunk))) {
      const group = groups.get(keyOf(row))
      if (group === undefined) groups.set(keyOf(row), [valueOf(row)])
      else group.push(valueOf(row))
    }
  }
  return groups
}
