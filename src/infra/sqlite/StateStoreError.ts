/**
 * The failure of a store of operational state (goals, memory jobs): the table and operation
 * that failed, and why.
 * @since 0.1.0
 */
import { SqlError } from "@effect/sql/SqlError"
import { Schema } from "effect"

/**
 * A statement on operational state failed (busy, read-only, a row that does not decode, ...).
 * @since 0.1.0
 * @category errors
 */
export class StateStoreError extends Schema.TaggedError<StateStoreError>()("StateStoreError", {
  table: Schema.String,
  operation: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.table}: ${this.operation}: ${this.detail}`
  }
}

/**
 * Maps a `SqlError` or a row that failed to decode to a `StateStoreError` naming its place.
 * @since 0.1.0
 */
export const storeError = (table: string, operation: string) => (error: unknown): StateStoreError => {
  const cause = error instanceof SqlError ? error.cause : error
  return new StateStoreError({
    table,
    operation,
    detail: cause instanceof Error ? cause.message : String(cause),
    cause
  })
}
