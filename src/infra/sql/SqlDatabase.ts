/**
 * What a store needs of a database, whichever the dialect: the SQL client, transactions, the
 * dialect's one classifier of driver failures, and a name for messages. SQLite's `Database`
 * (`src/infra/sqlite`) and PostgreSQL's `PgDatabase` (`src/infra/pg`) both provide it.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, type Effect, Schema } from "effect"

/**
 * The database failed in a way a host can act on; `reason` says which, `operation` where.
 * `file` names the database: its file for SQLite, its URL (without password) and schema for
 * PostgreSQL.
 * @since 0.1.0
 * @category errors
 */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  file: Schema.String,
  operation: Schema.String,
  reason: Schema.Literal(
    "busy",
    "read-only",
    "cannot-open",
    "not-a-database",
    "corrupt",
    "disk-full",
    "too-new",
    "schema-mismatch",
    "failed"
  ),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.file}: ${this.operation}: ${this.detail}`
  }
}

/** @since 0.1.0 */
export type Dialect = "sqlite" | "pg"

/**
 * @since 0.1.0
 * @category models
 */
export interface SqlDatabase {
  readonly dialect: Dialect
  /** The database in messages and `DatabaseError.file`. */
  readonly name: string
  readonly sql: SqlClient.SqlClient
  /**
   * The host whose rows this connection writes in a database hosts share (PostgreSQL); null
   * for a SQLite file, which one host owns.
   */
  readonly hostId: string | null
  /**
   * A write transaction (a savepoint inside another). SQLite: `BEGIN IMMEDIATE`, so
   * it already excludes every other writer; PostgreSQL: READ COMMITTED.
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
  /**
   * `transaction`, holding until it ends the lock named `lock`, which every connection to the
   * database shares: read-decide-write rules run in it as they do on SQLite, one at a time.
   * PostgreSQL: `pg_advisory_xact_lock`; SQLite: `transaction` (its write lock is that lock).
   */
  readonly exclusive: (
    lock: string
  ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
  /** Runs a script of several statements (migrations, bulk deletes). */
  readonly execScript: (script: string) => Effect.Effect<void, SqlError>
  /** The dialect's classifier: any failure (a `SqlError`, a driver error) as a `DatabaseError`. */
  readonly toDatabaseError: (operation: string) => (error: unknown) => DatabaseError
}

/** @since 0.1.0 @category tags */
export const SqlDatabase = Context.GenericTag<SqlDatabase>("rollout-state/SqlDatabase")
