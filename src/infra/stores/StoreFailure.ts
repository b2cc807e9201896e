/**
 * How the stores of operational state (logs, memories, memory jobs, goals) report a failure:
 * a `DatabaseError` naming the database file, and the table and operation in `operation`.
 * Driver failures go through the one classifier, `toDatabaseError`; a row that does not
 * decode is `corrupt` (the schema's constraints should have kept it out).
 * @since 0.1.0
 */
import { ParseResult } from "effect"
import { DatabaseError, toDatabaseError } from "../sqlite/Database.js"

/**
 * The failure of `operation` on `table` of the database `file`.
 * @since 0.1.0
 */
export const storeFailure = (file: string, table: string) => (operation: string) => (error: unknown): DatabaseError => {
  const where = `${table}: ${operation}`
  if (error instanceof DatabaseError) return error
  if (ParseResult.isParseError(error)) {
    return new DatabaseError({
      file,
      operation: where,
      reason: "corrupt",
      detail: `a row does not decode: ${error.message}`,
      cause: error
    })
  }
  return toDatabaseError(file, where)(error)
}
