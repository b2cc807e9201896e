/**
 * A PostgreSQL database that hosts share, through `@effect/sql-pg`: a pool whose connections
 * work in a schema of their own (`search_path`), the numbered `.sql` migrations of
 * `migrations/pg/` applied on open under an advisory lock, and driver failures classified into
 * the same `DatabaseError` reasons as SQLite's.
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import { applyPending, type Migration, readMigrations } from "../sql/Migrations.js"
import { DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"

/** @since 0.1.0 */
export interface PgDatabaseOptions {
  /** `postgres://user[:password]@host[:port]/database`. */
  readonly url: string
  /** Where the tables live (created on open); default `rollout_state`. */
  readonly schema?: string
  /** The host whose rows this connection writes (`SqlDatabase.hostId`). */
  readonly hostId: string
  /** Connections of the pool; default 10. */
  readonly maxConnections?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PgDatabase extends SqlDatabase {
  readonly dialect: "pg"
  readonly hostId: string
  readonly schema: string
}

/** @since 0.1.0 @category tags */
export const PgDatabase = Context.GenericTag<PgDatabase>("rollout-state/PgDatabase")

/** @since 0.1.0 */
export const DEFAULT_SCHEMA = "rollout_state"

/** A name that needs no quoting, in `search_path` or in SQL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * The reason of a driver failure: by SQLSTATE when the server answered, by the socket's error
 * code when it could not be reached.
 * @since 0.1.0
 */
export const reasonOf = (cause: unknown): DatabaseError["reason"] => {
  const code = (cause as { code?: unknown } | undefined)?.code
  if (typeof code !== "string") return "failed"
  if (code === "40001" || code === "40P01" || code === "55P03") return "busy"
  if (code === "25006") return "read-only"
  if (code.startsWith("08") || code.startsWith("28") || code === "3D000") return "cannot-open"
  if (code === "53100") return "disk-full"
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH"].includes(code)) return "cannot-open"
  return "failed"
}

const DETAILS: Record<DatabaseError["reason"], string> = {
  busy: "the transaction conflicted with another (serialization failure, deadlock or lock not available)",
  "read-only": "the database is read-only (a standby, or a read-only transaction)",
  "cannot-open": "cannot connect to the database",
  "not-a-database": "not a rollout-state database",
  corrupt: "the database's data is corrupt",
  "disk-full": "disk full: no space left on the server",
  "too-new": "the database was migrated by a newer version",
  "schema-mismatch": "the database's recorded migrations are not this release's",
  failed: "statement failed"
}

/**
 * Maps any failure (a `SqlError` or a thrown driver error) on the database `name` to a `DatabaseError`.
 * @since 0.1.0
 */
export const toDatabaseError = (name: string, operation: string) => (error: unknown): DatabaseError => {
  if (error instanceof DatabaseError) return error
  const cause = error instanceof SqlError ? error.cause : error
  const reason = reasonOf(cause)
  const message = cause instanceof Error ? cause.message : String(cause)
  return new DatabaseError({
    file: name,
    operation,
    reason,
    detail: reason === "failed" ? message : `${DETAILS[reason]} (${message})`,
    cause
  })
}

/**
 * The database in messages: its URL without the password, and the schema.
 * @since 0.1.0
 */
export const displayName = (url: string, schema: string): string => `${withoutPassword(url)} (schema ${schema})`

/**
 * `url` without its password, to be shown.
 * @since 0.1.0
 */
export const withoutPassword = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.password = ""
    return parsed.toString()
  } catch {
    return "a PostgreSQL URL that does not parse"
  }
}

/** `url` with every connection's `search_path` set to `schema` (libpq's `options` parameter). */
const inSchema = (url: string, schema: string): string => {
  const parsed = new URL(url)
  const options = parsed.searchParams.get("options")
  parsed.searchParams.set("options", `${options === null ? "" : `${options} `}-c search_path=${schema}`)
  return parsed.toString()
}

/**
 * Values come back as SQLite's do: integers (BIGINT included: counts, `*_ms`, ids, all far
 * below 2^53) and numerics as numbers, the rest as the server's text.
 */
const NUMBER_TYPES = new Set([20, 21, 23, 700, 701, 1700])
const parserFor = (oid: number) => (NUMBER_TYPES.has(oid) ? Number : oid === 16 ? (v: string) => v === "t" : String)
const TYPES = { getTypeParser: (oid: number) => parserFor(oid) }

/** The advisory lock's key for `lock` in `schema`: one key space per database, so both are in it. */
const lockKey = (schema: string, lock: string) => `rollout-state:${schema}:${lock}`

/**
 * Opens the database's pool, checking it answers, without migrating it.
 * @since 0.1.0
 */
export const open = (options: PgDatabaseOptions): Effect.Effect<PgDatabase, DatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const schema = options.schema ?? DEFAULT_SCHEMA
    const name = displayName(options.url, schema)
    if (!SCHEMA_NAME.test(schema)) {
      return yield* new DatabaseError({
        file: name,
        operation: "open",
        reason: "cannot-open",
        detail: `schema "${schema}" is not a lower-case SQL name (a-z, 0-9, _; at most 63)`
      })
    }
    const url = yield* Effect.try({
      try: () => inSchema(options.url, schema),
      catch: (cause) =>
        new DatabaseError({ file: name, operation: "open", reason: "cannot-open", detail: "not a URL", cause })
    })
    const sql = yield* PgClient.make({
      url: Redacted.make(url),
      maxConnections: options.maxConnections ?? 10,
      applicationName: "rollout-state",
      types: TYPES
    }).pipe(
      Effect.provide(Reactivity.layer),
      // Whatever stopped the first query, the database could not be opened.
      Effect.mapError((error) => {
        const failure = toDatabaseError(name, "open")(error)
        return failure.reason === "failed"
          ? new DatabaseError({
            ...failure,
            reason: "cannot-open",
            detail: `${DETAILS["cannot-open"]} (${failure.detail})`
          })
          : failure
      })
    )
    const exclusive = (lock: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      sql.withTransaction(
        Effect.zipRight(sql`SELECT pg_advisory_xact_lock(hashtextextended(${lockKey(schema, lock)}, 0))`, effect)
      )
    return {
      dialect: "pg",
      name,
      schema,
      hostId: options.hostId,
      sql,
      transaction: sql.withTransaction,
      exclusive,
      // No parameters: the simple query protocol, which runs several statements.
      execScript: (script: string) => Effect.asVoid(sql.unsafe(script).raw),
      toDatabaseError: (operation: string) => toDatabaseError(name, operation)
    } satisfies PgDatabase
  })

/**
 * The numbered migrations for PostgreSQL shipped with the package: `migrations/pg/NNNN_name.sql`.
 * @since 0.1.0
 */
export const migrations = (): ReadonlyArray<Migration> => readMigrations("pg")

/**
 * Applies the shipped migrations the schema has not recorded (`applyPending`: its rules, the
 * same as SQLite's) in one transaction holding an advisory lock: two hosts opening at once do not
 * both migrate (the second waits, then finds them recorded). The lock is the database's, not the
 * schema's: `CREATE EXTENSION` is database-wide and must not race either.
 * @since 0.1.0
 */
export const migrate = (database: PgDatabase): Effect.Effect<ReadonlyArray<readonly [number, string]>, DatabaseError> =>
  Effect.gen(function*() {
    const { sql } = database
    const { applied, warning } = yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(hashtextextended(${"rollout-state:migrate"}, 0))`
      yield* sql`CREATE SCHEMA IF NOT EXISTS ${sql(database.schema)}`
      yield* sql`CREATE TABLE IF NOT EXISTS effect_sql_migrations (
        migration_id INTEGER PRIMARY KEY NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        name TEXT NOT NULL)`
      return yield* applyPending(database, migrations())
    })).pipe(Effect.mapError(toDatabaseError(database.name, "migrate")))
    yield* warning
    return applied
  })

/**
 * The database as the context a store reads it from: itself, as a `SqlDatabase`, and its `SqlClient`.
 * @since 0.1.0
 */
export const context = (database: PgDatabase): Context.Context<PgDatabase | SqlDatabase | SqlClient.SqlClient> =>
  Context.make(PgDatabase, database).pipe(
    Context.add(SqlDatabase, database),
    Context.add(SqlClient.SqlClient, database.sql)
  )

/**
 * The database, opened and migrated, as a layer of it, of its `SqlDatabase` and of its `SqlClient`.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: PgDatabaseOptions
): Layer.Layer<PgDatabase | SqlDatabase | SqlClient.SqlClient, DatabaseError> =>
  Layer.scopedContext(Effect.map(Effect.tap(open(options), migrate), context))
