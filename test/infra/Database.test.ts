import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as Database from "../../src/infra/Database.js"

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

  it.effect("refuses a database migrated by a newer release with a too-new DatabaseError", () =>
    Effect.gen(function*() {
      const file = tempFile()
      yield* withDatabase(file, ({ sql }) => sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (9999, 'future')`)
      const exit = yield* Effect.exit(withDatabase(file, () => Effect.void))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toMatch(/too-new|newer than this release/)
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
          const tables = yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'logs'`
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

  it.effect("reports a read-only database file as read-only when writing", () =>
    Effect.gen(function*() {
      if (process.getuid?.() === 0) {
        // root ignores file modes; open the database read-only instead
        const file = tempFile()
        yield* withDatabase(file, () => Effect.void)
        const error = yield* Effect.flip(Effect.scoped(Effect.flatMap(
          Database.open({ file, readonly: true }),
          ({ sql }) => Effect.mapError(sql`INSERT INTO backfill_state (id, status, updated_at_ms) VALUES (2, 'pending', 0)`, Database.toDatabaseError(file, "insert"))
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
})
