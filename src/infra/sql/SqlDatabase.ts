/**
 * What a store needs of a database, whichever the dialect: the SQL client, transactions, the
 * dialect's one classifier of driver failures, and a name for messages. SQLite's `Database`
 * (`src/infra/sqlite`) and PostgreSQL's `PgDatabase` (`src/infra/pg`) both provide it.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, type Effect, Schema, type Scope } from "effect"
import type { ComparedTable } from "../../projections/Projection.js"
import type { Program } from "../../projections/Statements.js"
import type { TableComparison } from "./CompareTables.js"

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
  /**
   * The lock under which this host's rollout files move and its threads are deleted (a move
   * and a projection of the same thread never interleave). SQLite: the write transaction;
   * PostgreSQL: an advisory lock of this host's, so hosts do not wait for each other.
   */
  readonly hostLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
  /**
   * Runs a program of the statements port: reads, or writes inside the caller's transaction.
   * SQLite runs it synchronously on the connection (the live append's fast path).
   */
  readonly run: <A>(program: Program<A>) => Effect.Effect<A, SqlError>
  /** Runs a program in a write transaction of its own (a savepoint inside another). */
  readonly transact: <A>(program: Program<A>) => Effect.Effect<A, SqlError>
  /**
   * A condition on `threads` selecting this host's rows, for what a host does to its own files
   * only (catch-up, reconcile, rebuild, verify); SQLite: every row.
   */
  readonly ownThreads: string
  /**
   * Inside a projection write, before its checks: holds the write's threads against other
   * writers until the transaction ends, and returns those of them another host owns (id to
   * host), which this host must not write. SQLite: nothing to hold (`BEGIN IMMEDIATE` holds
   * everything) and no other host.
   */
  readonly claimThreads: (threadIds: ReadonlyArray<string>) => Program<ReadonlyMap<string, string>>
  /**
   * A new, migrated, empty database beside this one, of its dialect and host, removed with the
   * scope: verify rebuilds into it (SQLite: a temporary file; PostgreSQL: a scratch schema).
   */
  readonly scratch: Effect.Effect<ScratchDatabase, DatabaseError, Scope.Scope>
  /** Runs a script of several statements (migrations, bulk deletes). */
  readonly execScript: (script: string) => Effect.Effect<void, SqlError>
  /** The dialect's classifier: any failure (a `SqlError`, a driver error) as a `DatabaseError`. */
  readonly toDatabaseError: (operation: string) => (error: unknown) => DatabaseError
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ScratchDatabase {
  readonly database: SqlDatabase
  /** `tables` of the database it was made beside (this host's rows) against its own. */
  readonly compare: (tables: ReadonlyArray<ComparedTable>) => Effect.Effect<TableComparison, DatabaseError>
}

/** @since 0.1.0 @category tags */
export const SqlDatabase = Context.GenericTag<SqlDatabase>("rollout-state/SqlDatabase")
