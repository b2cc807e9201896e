/**
 * The SQLite database: one connection (WAL, busy timeout, foreign keys), write
 * transactions that start with `BEGIN IMMEDIATE`, and the numbered `.sql` migrations of
 * `migrations/`, applied on open.
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import Sqlite from "better-sqlite3"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import {
  accessSync,
  constants as fsConstants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
  statfsSync
} from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { type Program, runSync, type Statements } from "../../projections/Statements.js"
import { compareTables } from "../sql/CompareTables.js"
import { applyPending, type Migration, readMigrations } from "../sql/Migrations.js"
import { DatabaseError, type ScratchDatabase, SqlDatabase } from "../sql/SqlDatabase.js"
import * as Checkpointer from "./Checkpointer.js"

export { DatabaseError } from "../sql/SqlDatabase.js"

/**
 * Free bytes on the file system of `file` (asked of its folder: the file may not exist yet).
 * @since 0.1.0
 */
export const freeBytesFor = (file: string): number | undefined => {
  if (file === "" || file === ":memory:") return undefined
  try {
    const fs = statfsSync(dirname(file))
    return fs.bavail * fs.bsize
  } catch {
    return undefined
  }
}

/**
 * SQLite reports some writes that found no space (the WAL index at open, a new journal) as
 * `SQLITE_IOERR`; with less than this left, such an error is taken for a full disk.
 */
const FULL_BELOW_BYTES = 1024 * 1024

/**
 * The reason of a driver failure on `file`; `freeBytes` is injectable for tests.
 * @since 0.1.0
 */
export const reasonOf = (
  cause: unknown,
  file: string,
  freeBytes: (file: string) => number | undefined = freeBytesFor
): DatabaseError["reason"] => {
  const code = (cause as { code?: unknown } | undefined)?.code
  if (typeof code !== "string") return "failed"
  if (code === "SQLITE_FULL") return "disk-full"
  if (code.startsWith("SQLITE_IOERR")) {
    const free = freeBytes(file)
    return free !== undefined && free < FULL_BELOW_BYTES ? "disk-full" : "failed"
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy"
  if (code.startsWith("SQLITE_READONLY")) return "read-only"
  if (code.startsWith("SQLITE_CANTOPEN")) return "cannot-open"
  if (code === "SQLITE_NOTADB") return "not-a-database"
  if (code.startsWith("SQLITE_CORRUPT")) return "corrupt"
  return "failed"
}

const DETAILS: Record<DatabaseError["reason"], string> = {
  busy: "the database is locked by another process (busy timeout elapsed)",
  "read-only": "the database is read-only",
  "cannot-open": "cannot open the database file",
  "not-a-database": "the file is not a SQLite database",
  corrupt: "the database file is corrupt",
  "disk-full": "disk full: no space left for the database",
  "too-new": "the database was migrated by a newer version",
  "schema-mismatch": "the database's recorded migrations are not this release's",
  failed: "statement failed"
}

/**
 * Maps any failure (a `SqlError` or a thrown driver error) to a `DatabaseError`.
 * @since 0.1.0
 */
export const toDatabaseError = (file: string, operation: string) => (error: unknown): DatabaseError => {
  const cause = error instanceof SqlError ? error.cause : error
  const reason = reasonOf(cause, file)
  const message = cause instanceof Error ? cause.message : String(cause)
  return new DatabaseError({
    file,
    operation,
    reason,
    detail: reason === "failed" ? message : `${DETAILS[reason]} (${message})`,
    cause
  })
}

/**
 * The database a home's engine works on: a `SqlDatabase` (its `name` is `file`, its
 * transactions `direct.transaction`) with synchronous statements for the projections.
 * @since 0.1.0
 * @category models
 */
export interface Database extends SqlDatabase {
  readonly dialect: "sqlite"
  readonly file: string
  readonly direct: DirectStatements
}

/**
 * Statements run straight on the connection's cached prepared statements, for the projections'
 * hot paths. They share `sql`'s connection and lock: inside a `sql.withTransaction` they run in
 * that transaction; outside one they run at once if nobody holds the lock, else wait for it. `@effect/sql`'s statement
 * pipeline (compiling the template, a span, fiber refs) cost ~35 µs and ~30 KB of garbage per
 * statement here, most of a live append's time in SQL and the cause of its frequent young-generation
 * collections; these cost a few µs.
 * @since 0.1.0
 * @category models
 */
export interface DirectStatements {
  /**
   * Runs `f` synchronously on the connection, under its lock (see above): several statements for
   * the price of one effect. A throw inside fails the effect with an `SqlError`.
   */
  readonly use: <A>(f: (statements: Statements) => A) => Effect.Effect<A, SqlError>
  /** Runs a program of the statements port as `use` runs a callback. */
  readonly run: <A>(program: Program<A>) => Effect.Effect<A, SqlError>
  /**
   * `use` in a transaction: `BEGIN IMMEDIATE`, `f`, `COMMIT`; `ROLLBACK` if `f` throws. Inside
   * another transaction (direct or through `sql`) it is a savepoint of that transaction.
   */
  readonly transact: <A>(f: (statements: Statements) => A) => Effect.Effect<A, SqlError>
  /**
   * `sql.withTransaction` without its span and scope (68 against 12 µs for an empty one): takes
   * the lock, `BEGIN IMMEDIATE`, commits on success, rolls back on failure or interruption.
   * Statements inside, direct or through `sql`, run in it; inside another transaction it is
   * `sql.withTransaction` (a savepoint).
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
}

/** @since 0.1.0 @category tags */
export const Database = Context.GenericTag<Database>("rollout-state/Database")

/**
 * `effect` with its failures as `DatabaseError`s naming the file of the database in context.
 * @since 0.1.0
 */
export const mapDatabaseError =
  (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, DatabaseError, R | Database> =>
    Effect.flatMap(Database, (database) => Effect.mapError(effect, toDatabaseError(database.file, operation)))

/** @since 0.1.0 */
export interface DatabaseOptions {
  readonly file: string
  readonly readonly?: boolean
  /** How long a writer waits for another process's lock (ms). */
  readonly busyTimeoutMs?: number
  /**
   * How often a worker thread checkpoints the WAL (ms; default 100), so no commit pays for it;
   * 0 leaves checkpoints to the writer's commits, as SQLite does by default.
   */
  readonly checkpointIntervalMs?: number
}

const DEFAULT_CHECKPOINT_INTERVAL_MS = 100
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000

/** The memory map of a read-only connection: a larger database is mapped up to it, read past it. */
const READ_MMAP_BYTES = 1 << 30

const connect = (file: string, options: DatabaseOptions): Sqlite.Database => {
  const db = new Sqlite(file, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? 5000 })
  try {
    if (options.readonly) {
      // A read-only open fails only at the first read (when SQLite opens the WAL): fail here.
      db.prepare("SELECT count(*) FROM sqlite_master").get()
      // Reads through a memory map: a search's scattered row lookups cost a page-cache miss
      // (a read call) each without it (docs/decisions.md, "Search costs"). A writer keeps
      // none: its mapped pages would count in its resident size.
      db.pragma(`mmap_size = ${READ_MMAP_BYTES}`)
    } else {
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = NORMAL")
    }
    db.pragma("foreign_keys = ON")
  } catch (error) {
    db.close()
    throw error
  }
  return db
}

/**
 * SQLite opens a WAL database read-only only when its `-wal` and `-shm` files exist or it can
 * create them; in a folder it cannot write it cannot, and this build takes no `immutable=1` URI
 * (`SQLITE_USE_URI=0`). Then the file (and its WAL) is copied to a temporary folder and the copy
 * is read: a snapshot as of the open (docs/decisions.md).
 */
const needsSnapshot = (options: DatabaseOptions, error: unknown): boolean => {
  const code = (error as { code?: unknown } | undefined)?.code
  return options.readonly === true && (code === "SQLITE_READONLY_DIRECTORY" || code === "SQLITE_CANTOPEN") &&
    existsSync(options.file)
}

const openSnapshot = (options: DatabaseOptions): { db: Sqlite.Database; snapshot: string } => {
  const dir = mkdtempSync(join(tmpdir(), "rollout-state-readonly-"))
  try {
    const copy = join(dir, basename(options.file))
    copyFileSync(options.file, copy)
    if (existsSync(`${options.file}-wal`)) copyFileSync(`${options.file}-wal`, `${copy}-wal`)
    return { db: connect(copy, options), snapshot: dir }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

const openConnection = (options: DatabaseOptions) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({
        try: (): { db: Sqlite.Database; snapshot?: string } => {
          try {
            return { db: connect(options.file, options) }
          } catch (error) {
            if (!needsSnapshot(options, error)) throw error
            return openSnapshot(options)
          }
        },
        catch: toDatabaseError(options.file, "open")
      }),
      ({ db, snapshot }) =>
        Effect.sync(() => {
          db.close()
          if (snapshot !== undefined) rmSync(snapshot, { recursive: true, force: true })
        })
    ),
    ({ db }) => db
  )

/**
 * Whether this process can write the database: the file (when it exists), its WAL files (when
 * they exist) and its folder. As root, the permission bits alone do not decide it: `access`
 * asks the kernel, so a read-only mount or a process without `CAP_DAC_OVERRIDE` answers no.
 * @since 0.1.0
 */
export const isWritable = (file: string): boolean =>
  [dirname(file), file, `${file}-wal`, `${file}-shm`].every((path, index) => {
    try {
      accessSync(path, fsConstants.W_OK)
      return true
    } catch (error) {
      return index > 0 && (error as NodeJS.ErrnoException).code === "ENOENT"
    }
  })

/** The connection's prepared statements, by SQL text. */
const statementCache = (db: Sqlite.Database) => {
  const statements = new Map<string, Sqlite.Statement>()
  return (sql: string): Sqlite.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      if (statements.size > 500) statements.clear()
      statements.set(sql, statement)
    }
    return statement
  }
}

const makeConnection = (db: Sqlite.Database, prepare: (sql: string) => Sqlite.Statement): Connection => {
  const run = (sql: string, params: ReadonlyArray<unknown>, raw: boolean, cached: boolean) =>
    Effect.try({
      try: (): ReadonlyArray<object> => {
        const statement = cached ? prepare(sql) : db.prepare(sql)
        if (statement.reader) return statement.all(...params) as ReadonlyArray<object>
        const result = statement.run(...params)
        return raw ? (result as unknown as ReadonlyArray<object>) : []
      },
      catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
    })
  return {
    execute: (sql, params, transformRows) => {
      const rows = run(sql, params, false, true)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeRaw: (sql, params) => run(sql, params, true, true),
    executeValues: (sql, params) =>
      Effect.try({
        try: () => {
          const statement = prepare(sql)
          if (!statement.reader) {
            statement.run(...params)
            return []
          }
          try {
            return statement.raw(true).all(...params) as ReadonlyArray<ReadonlyArray<unknown>>
          } finally {
            statement.raw(false)
          }
        },
        catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
      }),
    executeUnprepared: (sql, params, transformRows) => {
      // A BEGIN that failed (busy) is still followed by a ROLLBACK: nothing to undo.
      if (sql === "ROLLBACK" && !db.inTransaction) return Effect.succeed([])
      const rows = run(sql, params ?? [], false, false)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeStream: () => Effect.dieMessage("executeStream is not supported") as never
  }
}

/**
 * Opens the database (creating it) without migrating it.
 * @since 0.1.0
 */
export const open = (options: DatabaseOptions): Effect.Effect<Database, DatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const db = yield* openConnection(options)
    const checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS
    // An in-memory or otherwise non-WAL database has no WAL to checkpoint.
    const inWal = !options.readonly && db.pragma("journal_mode", { simple: true }) === "wal"
    if (inWal && checkpointIntervalMs > 0) {
      db.pragma(`wal_autocheckpoint = ${Checkpointer.WRITER_AUTOCHECKPOINT_PAGES}`)
      // Acquired after the connection, so released (stopped) before it closes.
      yield* Checkpointer.start({
        file: options.file,
        intervalMs: checkpointIntervalMs,
        onFailure: () => {
          if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`)
        }
      })
    }
    const prepare = statementCache(db)
    const connection = makeConnection(db, prepare)
    const semaphore = yield* Effect.makeSemaphore(1)
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    const transactionAcquirer = Effect.uninterruptibleMask((restore) =>
      Effect.as(
        Effect.zipRight(
          restore(semaphore.take(1)),
          Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, semaphore.release(1)))
        ),
        connection
      )
    )
    const sql = yield* SqlClient.make({
      acquirer,
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      // A deferred BEGIN that reads and then writes fails with SQLITE_BUSY_SNAPSHOT when
      // another process committed in between; IMMEDIATE takes the write lock up front.
      beginTransaction: "BEGIN IMMEDIATE",
      spanAttributes: [["db.system.name", "sqlite"]]
    }).pipe(Effect.provide(Reactivity.layer))
    // Inside a transaction this is a savepoint on its connection; outside, it takes the lock.
    const execScript = (script: string) =>
      sql.withTransaction(Effect.try({
        try: () => void db.exec(script),
        catch: (cause) => new SqlError({ cause, message: "Failed to run script" })
      }))
    const direct = makeDirect(sql, db, prepare, connection, semaphore)
    const database: Database = {
      dialect: "sqlite",
      file: options.file,
      name: options.file,
      hostId: null,
      sql,
      execScript,
      direct,
      transaction: direct.transaction,
      // The write lock of `BEGIN IMMEDIATE` already excludes every other writer.
      exclusive: () => direct.transaction,
      hostLock: sql.withTransaction,
      run: direct.run,
      transact: (program) => direct.transact((s) => runSync(program, s)),
      ownThreads: "1 = 1",
      claimThreads: noClaims,
      scratch: Effect.suspend(() => scratchBeside(database)),
      toDatabaseError: (operation) => toDatabaseError(options.file, operation)
    }
    return database
  })

/** A migrated database in a temporary folder; compared through `ATTACH` on the live connection. */
const scratchBeside = (live: Database): Effect.Effect<ScratchDatabase, DatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "rollout-state-verify-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const file = join(dir, "rebuilt.sqlite")
    const database = yield* Effect.tap(open({ file }), migrate)
    const { sql } = live
    return {
      database,
      compare: (tables) =>
        Effect.zipRight(
          sql`ATTACH DATABASE ${file} AS rebuilt`,
          compareTables(sql, { live: (table) => `main.${table}`, rebuilt: (table) => `rebuilt.${table}` }, tables)
        ).pipe(
          Effect.ensuring(Effect.ignore(sql`DETACH DATABASE rebuilt`)),
          Effect.mapError(toDatabaseError(live.file, "verify"))
        )
    }
  })

/** One host owns a SQLite file, and `BEGIN IMMEDIATE` already holds every thread. */
// eslint-disable-next-line require-yield
function* noClaims(): Program<ReadonlyMap<string, string>> {
  return new Map()
}

const makeStatements = (prepare: (sql: string) => Sqlite.Statement): Statements => ({
  values: (sql, params) => {
    const prepared = prepare(sql)
    try {
      return prepared.raw(true).all(...params) as ReadonlyArray<ReadonlyArray<unknown>>
    } finally {
      prepared.raw(false)
    }
  },
  rows: (sql, params) => prepare(sql).all(...params) as ReadonlyArray<Record<string, unknown>>,
  run: (sql, params) => void prepare(sql).run(...params)
})

const makeDirect = (
  sql: SqlClient.SqlClient,
  db: Sqlite.Database,
  prepare: (sql: string) => Sqlite.Statement,
  connection: Connection,
  semaphore: Effect.Semaphore
): DirectStatements => {
  const statements = makeStatements(prepare)
  // `sql.withTransaction` puts [connection, depth] in the context of the effect it runs.
  const holds = (context: Context.Context<never>) => {
    const held = Context.getOption(context, SqlClient.TransactionConnection)
    return held._tag === "Some" && held.value[0] === connection
  }
  const inTransaction = Effect.contextWith(holds)
  // The semaphore's own count, when this version of Effect has it (else: always take the lock).
  // A statement run synchronously while nobody holds the lock needs no lock: no other fiber
  // can start a transaction before it returns.
  const lockIsFree = () => (semaphore as unknown as { readonly free?: number }).free === 1
  const onConnection = <A>(body: (held: boolean) => A): Effect.Effect<A, SqlError> =>
    Effect.withFiberRuntime((fiber) => {
      const held = holds(fiber.currentContext)
      const attempt = Effect.try({
        try: () => body(held),
        catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
      })
      return held || lockIsFree() ? attempt : semaphore.withPermits(1)(attempt)
    })
  const use = <A>(f: (statements: Statements) => A) => onConnection(() => f(statements))
  let savepoints = 0
  /** Runs `f` between `begin` and `commit`; on a throw, `undo` and rethrow. */
  const between = <A>(
    begin: string,
    commit: string,
    undo: ReadonlyArray<string>,
    f: (statements: Statements) => A
  ): A => {
    prepare(begin).run()
    let result: A
    try {
      result = f(statements)
    } catch (error) {
      // A failed statement may already have ended the transaction (SQLITE_FULL, SQLITE_IOERR).
      if (db.inTransaction) { for (const text of undo) prepare(text).run() }
      throw error
    }
    prepare(commit).run()
    return result
  }
  const transact = <A>(f: (statements: Statements) => A) =>
    onConnection((held) => {
      if (!held) return between("BEGIN IMMEDIATE", "COMMIT", ["ROLLBACK"], f)
      const name = `direct_${++savepoints}`
      try {
        return between(`SAVEPOINT ${name}`, `RELEASE ${name}`, [`ROLLBACK TO ${name}`, `RELEASE ${name}`], f)
      } finally {
        savepoints--
      }
    })
  const statement = (text: string) =>
    Effect.try({
      try: () => void prepare(text).run(),
      catch: (cause) => new SqlError({ cause, message: `Failed to ${text}` })
    })
  const begun = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
    semaphore.withPermits(1)(Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        statement("BEGIN IMMEDIATE"),
        Effect.flatMap(
          Effect.exit(restore(Effect.provideService(effect, SqlClient.TransactionConnection, [connection, 0]))),
          (exit): Effect.Effect<A, E | SqlError> =>
            Exit.isSuccess(exit)
              ? Effect.as(Effect.tapError(statement("COMMIT"), () => Effect.ignore(statement("ROLLBACK"))), exit.value)
              : Effect.zipRight(Effect.ignore(statement("ROLLBACK")), exit)
        )
      )
    ))
  return {
    use,
    run: (program) => use((s) => runSync(program, s)),
    transact,
    transaction: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
      Effect.flatMap(inTransaction, (held) => (held ? sql.withTransaction(effect) : begun(effect)))
  }
}

/**
 * The numbered migrations shipped with the package: `NNNN_name.sql`.
 * @since 0.1.0
 */
export const migrations = (): ReadonlyArray<Migration> => readMigrations()

/**
 * Applies the shipped migrations the database has not recorded (`applyPending`: its rules) in
 * one `BEGIN IMMEDIATE` transaction, so two processes opening the same home do not both migrate.
 * A new database gets `auto_vacuum = INCREMENTAL` first, so log retention can give space back.
 * The bookkeeping table is the one `@effect/sql`'s Migrator keeps, so older databases open.
 * @since 0.1.0
 */
export const migrate = (database: Database): Effect.Effect<ReadonlyArray<readonly [number, string]>, DatabaseError> =>
  Effect.gen(function*() {
    const { sql } = database
    // Only before the first table exists; VACUUM writes the mode into the (empty) file.
    yield* database.direct.use((s) => {
      if (s.values("SELECT count(*) FROM sqlite_master", [])[0]?.[0] !== 0) return
      s.run("PRAGMA auto_vacuum = INCREMENTAL", [])
      s.run("VACUUM", [])
    }).pipe(Effect.mapError(toDatabaseError(database.file, "migrate: auto_vacuum")))
    // `direct.transaction`: a COMMIT that fails (disk full) is a typed failure there, a defect in `sql.withTransaction`.
    const { applied, warning } = yield* database.direct.transaction(Effect.gen(function*() {
      yield* sql`CREATE TABLE IF NOT EXISTS effect_sql_migrations (
        migration_id integer PRIMARY KEY NOT NULL,
        created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
        name VARCHAR(255) NOT NULL)`
      return yield* applyPending(database, migrations())
    })).pipe(Effect.catchTag("SqlError", (error) => Effect.fail(toDatabaseError(database.file, "migrate")(error))))
    yield* warning
    return applied
  })

/**
 * The database as the context a store or the engine reads it from: itself, as a `SqlDatabase`,
 * and its `SqlClient`.
 * @since 0.1.0
 */
export const context = (database: Database): Context.Context<Database | SqlDatabase | SqlClient.SqlClient> =>
  Context.make(Database, database).pipe(
    Context.add(SqlDatabase, database),
    Context.add(SqlClient.SqlClient, database.sql)
  )

/**
 * The database, opened and migrated, as a layer of it, of its `SqlDatabase` and of its `SqlClient`.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: DatabaseOptions
): Layer.Layer<Database | SqlDatabase | SqlClient.SqlClient, DatabaseError> =>
  Layer.scopedContext(
    Effect.map(
      Effect.tap(open(options), (database) => (options.readonly ? Effect.void : migrate(database))),
      context
    )
  )
