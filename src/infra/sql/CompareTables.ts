/**
 * Table-by-table comparison of two copies of one schema in one connection's reach, row by row
 * and column by column: verify compares the live projections with a rebuild this way (SQLite:
 * the rebuild's file attached to the live connection; PostgreSQL: a scratch schema beside the
 * live one, the live side limited to this host's threads).
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { ComparedTable } from "../../projections/Projection.js"

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
 * Where the two copies are: each table's qualified name on either side, and a condition the
 * live rows are limited by (given the table's first key column, which names the thread).
 * @since 0.1.0
 */
export interface ComparedSides {
  readonly live: (table: string) => string
  readonly rebuilt: (table: string) => string
  readonly liveWhere?: (threadColumn: string) => string
}

/**
 * Compares `tables` (each with the columns that key its rows) on the two sides.
 * @since 0.1.0
 */
export const compareTables = (
  sql: SqlClient.SqlClient,
  sides: ComparedSides,
  tables: ReadonlyArray<ComparedTable>
): Effect.Effect<TableComparison, SqlError> =>
  Effect.gen(function*() {
    const counts: Array<{ table: string; liveRows: number; rebuiltRows: number }> = []
    const differences: Array<TableDifference> = []
    for (const { columns, key, table } of tables) {
      const select = columns === undefined ? "*" : columns.join(", ")
      const live = `${sides.live(table)}${sides.liveWhere === undefined ? "" : ` WHERE ${sides.liveWhere(key[0]!)}`}`
      const rebuilt = sides.rebuilt(table)
      const [liveCount] = yield* sql.unsafe<{ n: number }>(`SELECT COUNT(*) AS n FROM ${live}`)
      const [rebuiltCount] = yield* sql.unsafe<{ n: number }>(`SELECT COUNT(*) AS n FROM ${rebuilt}`)
      counts.push({ table, liveRows: liveCount?.n ?? 0, rebuiltRows: rebuiltCount?.n ?? 0 })
      const onlyLive = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT ${select} FROM ${live} EXCEPT SELECT ${select} FROM ${rebuilt}`
      )
      const onlyRebuilt = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT ${select} FROM ${rebuilt} EXCEPT SELECT ${select} FROM ${live}`
      )
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
