import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { connectPg, scratchSchema, sqlite } from "../../fixtures/dialects.js"

/** SQLite's own tables and FTS5's shadow tables: PostgreSQL has a tsvector column instead. */
const SQLITE_ONLY = /^(sqlite_|thread_messages_fts|thread_messages_terms)/
/** Columns replaced on purpose, with why. */
const REPLACED: Record<string, string> = {
  // One row per host instead of SQLite's single row.
  "backfill_state.id": "backfill_state.host_id"
}

const sqliteColumns = Effect.scoped(Effect.gen(function*() {
  const db = yield* Effect.flatMap(sqlite.shared, (shared) => shared.connect())
  const tables = yield* db.sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
  const columns: Array<string> = []
  for (const { name } of tables) {
    if (SQLITE_ONLY.test(name)) continue
    const info = yield* db.sql<{ name: string }>`SELECT name FROM pragma_table_info(${name})`
    for (const column of info) columns.push(`${name}.${column.name}`)
  }
  return columns.sort()
}))

describe("the PostgreSQL schema", () => {
  it.live("has every table and column of the SQLite schema (the two cannot drift apart silently)", () =>
    Effect.scoped(Effect.gen(function*() {
      const expected = (yield* sqliteColumns).map((column) => REPLACED[column] ?? column)
      expect(expected.length).toBeGreaterThan(100)
      const db = yield* connectPg(yield* scratchSchema)
      const actual = (yield* db.sql<{ table_name: string; column_name: string }>`
        SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`)
        .map((row) => `${row.table_name}.${row.column_name}`)
      expect(expected.filter((column) => !actual.includes(column))).toEqual([])
      // What pg has beyond SQLite's columns, so an addition is a decision too.
      expect(actual.filter((column) => !expected.includes(column)).sort()).toEqual([
        "thread_messages.search",
        "threads.host_id"
      ])
    })))

  it.live("message search matches words whatever their case and accents, as SQLite's unicode61 does", () =>
    Effect.scoped(Effect.gen(function*() {
      const db = yield* connectPg(yield* scratchSchema)
      const [unaccent] = yield* db.sql<{ n: number }>`
        SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'unaccent'`
      const rows = yield* db.sql<{ folded: boolean; cased: boolean }>`
        SELECT to_tsvector('thread_search', 'Crème Brûlée') @@ plainto_tsquery('thread_search', 'creme') AS folded,
          to_tsvector('thread_search', 'Crème Brûlée') @@ plainto_tsquery('thread_search', 'CRÈME') AS cased`
      expect(rows[0]).toEqual({ folded: unaccent!.n > 0, cased: true })
    })))
})
