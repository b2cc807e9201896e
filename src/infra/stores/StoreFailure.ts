/**
 * How the stores of operational state (logs, memories, memory jobs, goals) report a failure:
 * a `DatabaseError` naming the database, and the table and operation in `operation`.
 * Driver failures go through the dialect's one classifier (`SqlDatabase.toDatabaseError`); a
 * row that does not decode is `corrupt` (the schema's constraints should have kept it out).
 * @since 0.1.0
 */
import { ParseResult } from "effect"
import { DatabaseError, type SqlDatabase } from "../sql/SqlDatabase.js"

/**
 * The failure of `operation` on `table` of `database`.
 * @since 0.1.0
 */
export const storeFailure =
  (database: Pick<SqlDatabase, "name" | "toDatabaseError">, table: string) =>
  (operation: string) =>
  (error: unknown): DatabaseError => {
    const where = `${table}: ${operation}`
    if (error instanceof DatabaseError) return error
    if (ParseResult.isParseError(error)) {
      return new DatabaseError({
        file: database.name,
        operation: where,
        reason: "corrupt",
        detail: `a row does not decode: ${error.message}`,
        cause: error
      })
    }
    return database.toDatabaseError(where)(error)
  }
