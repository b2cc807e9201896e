/**
 * What differs between the drivers below the SQL: placeholders in hand-written statement texts,
 * and how a write says how many rows it changed.
 * @since 0.1.0
 */
import { numberedPlaceholders } from "../../projections/Statements.js"
import type { Dialect } from "./SqlDatabase.js"

/**
 * A statement text written with `?` placeholders (SQLite's), numbered for PostgreSQL (`$1`,
 * `$2`, …), as the projections' programs are.
 * @since 0.1.0
 */
export const placeholdersFor = (dialect: Dialect, text: string): string =>
  dialect === "pg" ? numberedPlaceholders(text) : text

/**
 * Rows a write changed, from its raw result: better-sqlite3's `changes`, node-postgres's `rowCount`.
 * @since 0.1.0
 */
export const changedRows = (raw: unknown): number => {
  const result = raw as { readonly changes?: number; readonly rowCount?: number | null } | undefined
  return result?.changes ?? result?.rowCount ?? 0
}
