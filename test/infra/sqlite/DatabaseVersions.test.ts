import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "../../../src/infra/sqlite/Database.js"

const tempFile = () => join(mkdtempSync(join(tmpdir(), "db-versions-")), "state.sqlite")

const withDatabase = <A, E>(file: string, use: (db: Database.Database) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(Effect.tap(Database.open({ file }), Database.migrate), use))

/** Runs `effect` and returns what it logged at WARN and above. */
const warningsOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") lines.push(String(Array.isArray(message) ? message.join(" ") : message))
    })
    const value = yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return { value, lines }
  })

describe("Database schema versions (SPEC §11)", () => {
  it.effect("a database a newer release migrated further opens, works and warns once; nothing is migrated down", () =>
    Effect.gen(function*() {
      const file = tempFile()
      yield* withDatabase(
        file,
        ({ sql }) =>
          Effect.zipRight(
            sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (9999, 'future')`,
            sql`CREATE TABLE future_table (x)`
          )
      )
      const first = yield* warningsOf(withDatabase(file, ({ sql }) =>
        Effect.gen(function*() {
          yield* sql`INSERT INTO logs (ts, ts_nanos, level, target, message, feedback_log_body, process_uuid, estimated_bytes)
            VALUES (1, 0, 'INFO', 't', 'm', 'm', 'p', 1)`
          return (yield* sql<{ n: number }>`SELECT count(*) AS n FROM logs`)[0]!.n
        })))
      expect(first.value).toBe(1)
      expect(first.lines).toEqual([expect.stringMatching(/newer release \(migrations 9999 are unknown here/)])
      const second = yield* warningsOf(withDatabase(file, ({ sql }) =>
        Effect.map(
          sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name = 'future_table'`,
          (rows) => rows.length
        )))
      // The newer release's table is still there; the warning is not repeated for the same file.
      expect(second).toEqual({ value: 1, lines: [] })
    }))

  it.effect("a database whose recorded migrations differ from ours is refused with schema-mismatch, naming them", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const logs = Database.migrations().find((m) => m.name === "logs")!
      yield* withDatabase(
        file,
        ({ sql }) => sql`UPDATE effect_sql_migrations SET name = 'something_else' WHERE migration_id = ${logs.id}`
      )
      const error = yield* Effect.flip(withDatabase(file, () => Effect.void))
      expect(error).toMatchObject({ _tag: "DatabaseError", reason: "schema-mismatch", operation: "migrate", file })
      expect(error.detail).toContain(`${logs.id} "something_else"`)
    }))

  it.effect("a new database uses incremental auto-vacuum; an existing one keeps its mode", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const mode = yield* withDatabase(file, ({ sql }) => sql<{ auto_vacuum: number }>`PRAGMA auto_vacuum`)
      expect(mode[0]?.auto_vacuum).toBe(2)
      expect(statSync(file).size).toBeGreaterThan(0)
      const again = yield* withDatabase(file, ({ sql }) => sql<{ auto_vacuum: number }>`PRAGMA auto_vacuum`)
      expect(again[0]?.auto_vacuum).toBe(2)
    }))
})
