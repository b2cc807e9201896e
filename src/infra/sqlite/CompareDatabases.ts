/**
 * Table-by-table comparison of two SQLite databases of one schema, row by row and column by
 * column: the live database and another file, attached to the live connection for the time of
 * the comparison (verify compares the live projections with a rebuild this way).
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type Database, type DatabaseError, toDatabaseError } from "./Database.js"

/** A difference between the two databases. @since 0.1.0 */
export interface TableDifference {
  readonly table: string
  readonly key: string
  /** The differing column, or `(row)` when the row exists on one side only. */
  readonly column: string
  readonly live: unknown
  readonly rebuilt: unknown
}

/** @since 0.1.0 */
export interface TableComparison {
  readonly tables: ReadonlyArray<{ readonly table: string; readonly liveRows: number; readonly rebuiltRows: number }>
  readonly differences: ReadonlyArray<TableDifference>
}

/**
 * Compares `tables` (each with the columns that key its rows) of `live` with those of `other`.
 * @since 0.1.0
 */
export const compareTables = (
  live: Database,
  other: string,
  tables: ReadonlyArray<
    { readonly table: string; readonly key: ReadonlyArray<string>; readonly columns?: ReadonlyArray<string> }
  >
): Effect.Effect<TableComparison, DatabaseError> => {
  const { sql } = live
  const compare = Effect.gen(function*() {
    yield* sql`ATTACH DATABASE ${other} AS rebuilt`
    const counts: Array<{ table: string; liveRows: number; rebuiltRows: number }> = []
    const differences: Array<TableDifference> = []
    for (const { columns, key, table } of tables) {
      const select = sql.literal(columns === undefined ? "*" : columns.join(", "))
      const [liveCount] = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM main.${sql(table)}`
      const [rebuiltCount] = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM rebuilt.${sql(table)}`
      counts.push({ table, liveRows: liveCount?.n ?? 0, rebuiltRows: rebuiltCount?.n ?? 0 })
      const onlyLive = yield* sql<Record<string, unknown>>`SELECT ${select} FROM main.${
        sql(table)
      } EXCEPT SELECT ${select} FROM rebuilt.${sql(table)}`
      const onlyRebuilt = yield* sql<Record<string, unknown>>`SELECT ${select} FROM rebuilt.${
        sql(table)
      } EXCEPT SELECT ${select} FROM main.${sql(table)}`
      const keyOf = (row: Record<string, unknown>) => key.map((k) => String(row[k])).join("/")
      const rebuiltByKey = new Map(onlyRebuilt.map((row) => [keyOf(row), row]))
      for (const liveRow of onlyLive) {
        const k = keyOf(liveRow)
        const rebuiltRow = rebuiltByKey.get(k)
        rebuiltByKey.delete(k)
        if (rebuiltRow === undefined) {
          differences.push({ table, key: k, column: "(row)", live: "present", rebuilt: "absent" })
          continue
        }
        for (const column of Object.keys(liveRow)) {
          if (liveRow[column] !== rebuiltRow[column]) {
            differences.push({ table, key: k, column, live: liveRow[column], rebuilt: rebuiltRow[column] })
          }
        }
      }
      for (const k of rebuiltByKey.keys()) {
        differences.push({ table, key: k, column: "(row)", live: "absent", rebuilt: "present" })
      }
    }
    return { tables: counts, differences }
  })
  return compare.pipe(
    Effect.ensuring(Effect.ignore(sql`DETACH DATABASE rebuilt`)),
    Effect.mapError(toDatabaseError(live.file, "verify"))
  )
}
