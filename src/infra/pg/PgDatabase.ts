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
import { randomUUID } from "node:crypto"
import type { ComparedTable } from "../../projections/Projection.js"
import { type Program, run, runEffect, values } from "../../projections/Statements.js"
import { compareTables } from "../sql/CompareTables.js"
import { applyPending, type Migration, readMigrations } from "../sql/Migrations.js"
import { DatabaseError, type ScratchDatabase, SqlDatabase } from "../sql/SqlDatabase.js"
import { displayName } from "./PgUrl.js"

export { displayName, withoutPassword } from "./PgUrl.js"

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

/** The session setting naming the connection's host: `threads.host_id` defaults to it. */
export const HOST_SETTING = "rollout_state.host_id"

/** A value in libpq's `options`: the server splits them at spaces, unless escaped. */
const optionValue = (value: string) => value.replace(/[\\\s]/g, (c) => `\\${c}`)

/**
 * `url` with every connection's `search_path` set to `schema` and its host setting to `hostId`
 * (libpq's `options` parameter): set at connect, so no connection of the pool writes without.
 */
const inSchema = (url: string, schema: string, hostId: string): string => {
  const parsed = new URL(url)
  const options = parsed.searchParams.get("options")
  parsed.searchParams.set(
    "options",
    `${options === null ? "" : `${options} `}-c search_path=${schema} -c ${HOST_SETTING}=${optionValue(hostId)}`
  )
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

const OWN_THREADS = `host_id = current_setting('${HOST_SETTING}')`

/**
 * Advisory locks on the threads, taken in key order (two writers of overlapping threads never
 * wait for each other in a cycle): READ COMMITTED lets two transactions read a thread's row
 * before either writes it, where SQLite's `BEGIN IMMEDIATE` lets one at a time. Then the
 * threads of other hosts among them.
 */
function* claimThreads(schema: string, threadIds: ReadonlyArray<string>): Program<ReadonlyMap<string, string>> {
  if (threadIds.length === 0) return new Map()
  const ids = [...new Set(threadIds)]
  yield* run(
    `SELECT count(pg_advisory_xact_lock(k)) FROM (
      SELECT hashtextextended(? || id, 0) AS k FROM unnest(?::text[]) AS id ORDER BY 1) AS keys`,
    [`rollout-state:${schema}:thread:`, ids]
  )
  const others = yield* values(`SELECT id, host_id FROM threads WHERE id = ANY(?::text[]) AND NOT ${OWN_THREADS}`, [
    ids
  ])
  return new Map(others.map(([id, host]) => [id as string, host as string]))
}

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
      try: () => inSchema(options.url, schema, options.hostId),
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
    const runProgram = <A>(program: Program<A>) => Effect.provideService(runEffect(program), SqlClient.SqlClient, sql)
    const database: PgDatabase = {
      dialect: "pg",
      name,
      schema,
      hostId: options.hostId,
      sql,
      transaction: sql.withTransaction,
      exclusive,
      hostLock: exclusive(`files:${options.hostId}`),
      run: runProgram,
      transact: (program) => sql.withTransaction(runProgram(program)),
      ownThreads: OWN_THREADS,
      claimThreads: (threadIds) => claimThreads(schema, threadIds),
      scratch: Effect.suspend(() => scratchBeside(database, options)),
      // No parameters: the simple query protocol, which runs several statements.
      execScript: (script: string) => Effect.asVoid(sql.unsafe(script).raw),
      toDatabaseError: (operation: string) => toDatabaseError(name, operation)
    }
    return database
  })

/**
 * A migrated scratch schema in the same database, of the same host, dropped with the scope;
 * compared by schema-qualified names on the live pool, the live side limited to this host's
 * threads. Tables the live schema does not have (SQLite's FTS vocabulary: here the search
 * vector is generated from the compared text) are not compared.
 */
const scratchBeside = (
  live: PgDatabase,
  options: PgDatabaseOptions
): Effect.Effect<ScratchDatabase, DatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const schema = `verify_${randomUUID().replaceAll("-", "").slice(0, 24)}`
    yield* Effect.addFinalizer(() => Effect.ignore(live.sql`DROP SCHEMA IF EXISTS ${live.sql(schema)} CASCADE`))
    const database = yield* open({ ...options, schema, maxConnections: 2 })
    yield* migrate(database)
    const { sql } = live
    const present = (tables: ReadonlyArray<ComparedTable>) =>
      Effect.map(
        sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
          WHERE table_schema = ${live.schema}`,
        (rows) => {
          const names = new Set(rows.map((row) => row.table_name))
          return tables.filter((t) => names.has(t.table))
        }
      )
    return {
      database,
      compare: (tables) =>
        Effect.flatMap(present(tables), (compared) =>
          compareTables(sql, {
            live: (table) => `"${live.schema}".${table}`,
            rebuilt: (table) => `"${schema}".${table}`,
            liveWhere: (column) => `${column} IN (SELECT id FROM "${live.schema}".threads WHERE ${OWN_THREADS})`
          }, compared)).pipe(Effect.mapError(toDatabaseError(live.name, "verify")))
    }
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
