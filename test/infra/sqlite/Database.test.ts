import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "../../../src/infra/sqlite/Database.js"

const tempFile = (name = "state.sqlite") => join(mkdtempSync(join(tmpdir(), "db-")), name)

const withDatabase = <A, E>(file: string, use: (db: Database.Database) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(Effect.tap(Database.open({ file }), Database.migrate), use))

describe("Database", () => {
  it.effect("applies every migration once and records it, in WAL mode with foreign keys on", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const first = yield* withDatabase(file, () => Effect.void).pipe(Effect.as("ok"))
      expect(first).toBe("ok")
      const applied = yield* Effect.scoped(Effect.flatMap(Database.open({ file }), Database.migrate))
      expect(applied).toEqual([])
      yield* withDatabase(file, ({ sql }) =>
        Effect.gen(function*() {
          const [mode] = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
          const [keys] = yield* sql<{ foreign_keys: number }>`PRAGMA foreign_keys`
          const migrations = yield* sql<{ migration_id: number }>`SELECT migration_id FROM effect_sql_migrations`
          expect(mode?.journal_mode).toBe("wal")
          expect(keys?.foreign_keys).toBe(1)
          expect(migrations.map((m) => m.migration_id)).toEqual(Database.migrations().map((m) => m.id))
        }))
    }))

  it.effect("applies a migration numbered below the latest applied one when it was never recorded", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const logs = Database.migrations().find((m) => m.name === "logs")!
      // A database migrated by a checkout where the logs migration had not been merged yet.
      yield* withDatabase(file, ({ execScript, sql }) =>
        Effect.zipRight(
          execScript("DROP TABLE logs"),
          sql`DELETE FROM effect_sql_migrations WHERE migration_id = ${logs.id}`
        ))
      const applied = yield* Effect.scoped(Effect.flatMap(Database.open({ file }), Database.migrate))
      expect(applied).toEqual([[logs.id, "logs"]])
      yield* withDatabase(file, ({ sql }) =>
        Effect.gen(function*() {
          const tables = yield* sql<
            { name: string }
          >`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'logs'`
          expect(tables).toHaveLength(1)
        }))
    }))

  it.effect("names the file and says not-a-database when the file is not SQLite", () =>
    Effect.gen(function*() {
      const file = tempFile()
      writeFileSync(file, "this is not a database, just text that is long enough to be read as a header")
      const error = yield* Effect.flip(withDatabase(file, () => Effect.void))
      expect(error._tag).toBe("DatabaseError")
      expect(error.reason).toBe("not-a-database")
      expect(error.message).toContain(file)
    }))

  it.effect("a read-only connection reads through a memory map; a writer maps nothing (its resident size)", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const mmapOf = (db: Database.Database) =>
        Effect.map(db.sql<{ mmap_size: number }>`PRAGMA mmap_size`, ([row]) => row?.mmap_size)
      expect(yield* withDatabase(file, mmapOf)).toBe(0)
      expect(yield* Effect.scoped(Effect.flatMap(Database.open({ file, readonly: true }), mmapOf))).toBe(2 ** 30)
    }))

  it.effect("reports a read-only database file as read-only when writing", () =>
    Effect.gen(function*() {
      if (process.getuid?.() === 0) {
        // root ignores file modes; open the database read-only instead
        const file = tempFile()
        yield* withDatabase(file, () => Effect.void)
        const error = yield* Effect.flip(Effect.scoped(Effect.flatMap(
          Database.open({ file, readonly: true }),
          ({ sql }) =>
            Effect.mapError(
              sql`INSERT INTO backfill_state (id, status, updated_at_ms) VALUES (2, 'pending', 0)`,
              Database.toDatabaseError(file, "insert")
            )
        )))
        expect(error.reason).toBe("read-only")
        return
      }
      const file = tempFile()
      yield* withDatabase(file, () => Effect.void)
      chmodSync(file, 0o444)
      const error = yield* Effect.flip(withDatabase(file, ({ sql }) => sql`DELETE FROM threads`))
      expect(error).toBeDefined()
    }))

  it.effect("writes start with BEGIN IMMEDIATE so a second connection cannot sneak a write in between", () =>
    Effect.gen(function*() {
      const file = tempFile()
      yield* withDatabase(file, () => Effect.void)
      const Sqlite = (yield* Effect.promise(() => import("better-sqlite3"))).default
      const other = new Sqlite(file, { timeout: 50 })
      yield* withDatabase(file, ({ sql }) =>
        sql.withTransaction(Effect.sync(() => {
          // The transaction has not written yet, but already holds the write lock.
          expect(() => other.prepare("UPDATE backfill_state SET updated_at_ms = 1").run()).toThrow(/locked|busy/i)
        })))
      other.prepare("UPDATE backfill_state SET updated_at_ms = 1").run()
      other.close()
    }))

  it.live("checkpoints the WAL from a worker thread without a commit doing it, and leaves no WAL after closing", () =>
    Effect.gen(function*() {
      const file = tempFile()
      yield* withDatabase(file, () => Effect.void)
      const sizeBefore = statSync(file).size
      yield* withDatabase(file, ({ execScript }) =>
        Effect.gen(function*() {
          // ~2 MB of pages: below the writer's own checkpoint threshold, so until a checkpoint
          // runs they live in the WAL and the database file does not grow.
          yield* execScript(`CREATE TABLE filler (body TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
            INSERT INTO filler SELECT hex(randomblob(2000)) FROM n;`)
          const deadline = Date.now() + 5000
          while (statSync(file).size <= sizeBefore && Date.now() < deadline) yield* Effect.sleep("20 millis")
          expect(statSync(file).size).toBeGreaterThan(sizeBefore + 1_000_000)
        }))
      expect(existsSync(`${file}-wal`)).toBe(false)
    }))

  it.live("leaves checkpoints to the writer's commits when the checkpoint interval is 0", () =>
    Effect.gen(function*() {
      const file = tempFile()
      yield* withDatabase(file, () => Effect.void)
      const sizeBefore = statSync(file).size
      yield* Effect.scoped(Effect.gen(function*() {
        const { execScript } = yield* Effect.tap(Database.open({ file, checkpointIntervalMs: 0 }), Database.migrate)
        yield* execScript(`CREATE TABLE filler (body TEXT);
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
          INSERT INTO filler SELECT hex(randomblob(2000)) FROM n;`)
        yield* Effect.sleep("300 millis")
        expect(statSync(file).size).toBe(sizeBefore)
      }))
      expect(statSync(file).size).toBeGreaterThan(sizeBefore + 1_000_000)
    }))

  it.live("direct statements join an open transaction, and a failure rolls back what both kinds of statement wrote", () =>
    withDatabase(tempFile(), ({ direct, execScript, sql }) =>
      Effect.gen(function*() {
        yield* execScript("CREATE TABLE notes (body TEXT)")
        const failed = yield* Effect.exit(sql.withTransaction(Effect.gen(function*() {
          yield* direct.use((s) => s.run("INSERT INTO notes VALUES (?)", ["direct"]))
          yield* sql`INSERT INTO notes VALUES ('sql')`
          expect(yield* direct.use((s) => s.values("SELECT body FROM notes ORDER BY body", []))).toEqual([["direct"], [
            "sql"
          ]])
          return yield* Effect.fail("stop")
        })))
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* direct.use((s) => s.values("SELECT count(*) FROM notes", []))).toEqual([[0]])
        yield* direct.transaction(Effect.zipRight(
          direct.use((s) => s.run("INSERT INTO notes VALUES (?)", ["kept"])),
          sql`INSERT INTO notes VALUES ('kept too')`
        ))
        const undone = yield* Effect.exit(direct.transaction(Effect.zipRight(
          direct.use((s) => s.run("INSERT INTO notes VALUES (?)", ["undone"])),
          Effect.fail("stop")
        )))
        expect(Exit.isFailure(undone)).toBe(true)
        expect(yield* direct.use((s) => s.rows("SELECT body FROM notes ORDER BY body", []))).toEqual([
          { body: "kept" },
          {
            body: "kept too"
          }
        ])
      })))

  it.live("a direct statement outside a transaction waits for another fiber's, never reading its uncommitted rows", () =>
    withDatabase(tempFile(), ({ direct, execScript, sql }) =>
      Effect.gen(function*() {
        yield* execScript("CREATE TABLE notes (body TEXT)")
        const writer = yield* Effect.fork(Effect.exit(sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO notes VALUES ('uncommitted')`
          yield* Effect.sleep("100 millis")
          return yield* Effect.fail("roll back")
        }))))
        yield* Effect.sleep("20 millis")
        // On one connection, a read that did not wait would see the writer's row.
        expect(yield* direct.use((s) => s.values("SELECT count(*) FROM notes", []))).toEqual([[0]])
        yield* Fiber.join(writer)
      })))

  it.live("a synchronous transaction commits what it wrote, and rolls all of it back when its body throws", () =>
    withDatabase(tempFile(), ({ direct, execScript }) =>
      Effect.gen(function*() {
        yield* execScript("CREATE TABLE notes (body TEXT)")
        const written = yield* direct.transact((s) => {
          s.run("INSERT INTO notes VALUES (?)", ["one"])
          s.run("INSERT INTO notes VALUES (?)", ["two"])
          return s.values("SELECT count(*) FROM notes", [])
        })
        expect(written).toEqual([[2]])
        const failed = yield* Effect.exit(direct.transact((s) => {
          s.run("INSERT INTO notes VALUES (?)", ["three"])
          s.run("INSERT INTO missing_table VALUES (?)", ["four"])
        }))
        expect(failed).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "SqlError" } } })
        expect(yield* direct.use((s) => s.rows("SELECT body FROM notes ORDER BY body", []))).toEqual([{ body: "one" }, {
          body: "two"
        }])
        // The connection is out of any transaction: a new one begins.
        yield* direct.transact((s) => s.run("INSERT INTO notes VALUES (?)", ["five"]))
        expect(yield* direct.use((s) => s.values("SELECT count(*) FROM notes", []))).toEqual([[3]])
      })))

  it.live("a synchronous transaction inside an open one is a savepoint: its failure undoes only its own rows", () =>
    withDatabase(tempFile(), ({ direct, execScript, sql }) =>
      Effect.gen(function*() {
        yield* execScript("CREATE TABLE notes (body TEXT)")
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO notes VALUES ('outer')`
          const inner = yield* Effect.exit(direct.transact((s) => {
            s.run("INSERT INTO notes VALUES (?)", ["inner"])
            throw new Error("inner fails")
          }))
          expect(Exit.isFailure(inner)).toBe(true)
          yield* direct.transact((s) => s.run("INSERT INTO notes VALUES (?)", ["inner kept"]))
        }))
        expect(yield* direct.use((s) => s.values("SELECT body FROM notes ORDER BY body", []))).toEqual([
          ["inner kept"],
          ["outer"]
        ])
        // And the outer transaction's rollback takes a committed savepoint with it.
        const undone = yield* Effect.exit(direct.transaction(Effect.zipRight(
          direct.transact((s) => s.run("INSERT INTO notes VALUES (?)", ["gone"])),
          Effect.fail("stop")
        )))
        expect(Exit.isFailure(undone)).toBe(true)
        expect(yield* direct.use((s) => s.values("SELECT count(*) FROM notes", []))).toEqual([[2]])
      })))

  it.live("a synchronous transaction waits for another fiber's transaction to end", () =>
    withDatabase(tempFile(), ({ direct, execScript, sql }) =>
      Effect.gen(function*() {
        yield* execScript("CREATE TABLE notes (body TEXT)")
        const writer = yield* Effect.fork(sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO notes VALUES ('first')`
          yield* Effect.sleep("100 millis")
        })))
        yield* Effect.sleep("20 millis")
        // Without the lock this BEGIN IMMEDIATE would fail: the connection is already in a transaction.
        const seen = yield* direct.transact((s) => {
          s.run("INSERT INTO notes VALUES (?)", ["second"])
          return s.values("SELECT body FROM notes ORDER BY rowid", [])
        })
        expect(seen).toEqual([["first"], ["second"]])
        yield* Fiber.join(writer)
      })))
})
