/**
 * The statements port: a projection's programs give the same rows whether run synchronously on
 * SQLite's prepared statements or as effects through `@effect/sql` (the path another dialect
 * takes), and the placeholders are renumbered for PostgreSQL.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { initial } from "../../src/domain/ThreadFold.js"
import type { ThreadState } from "../../src/domain/ThreadState.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { COMPARED_TABLES, PROJECTIONS } from "../../src/projections/Projection.js"
import { loadStates, type WriteItem, writeProjections } from "../../src/projections/ProjectionWriter.js"
import {
  numberedPlaceholders,
  type Program,
  rows,
  run,
  runEffect,
  runSync,
  type Statements,
  values
} from "../../src/projections/Statements.js"
import { threadRows } from "../../src/projections/ThreadsProjection.js"

const ids = Array.from({ length: 3 }, (_, i) => `019a9f10-0000-7000-8000-00000000000${i}`)

const stateOf = (id: string, i: number): ThreadState => {
  const state = initial(id, { fileNameTimestamp: 1_000 + i, defaultModelProvider: "openai" })
  const turn = (index: number) => ({
    index,
    turnId: `t${index}`,
    startedAt: 2_000 + index,
    model: "gpt-x",
    reasoningEffort: null,
    cwd: "/w",
    userMessage: `say ${index}`,
    tokensUsed: index
  })
  return {
    ...state,
    metadata: { ...state.metadata, cwd: "/w", title: `thread ${i}`, parentThreadId: i > 0 ? ids[0]! : null },
    dynamicTools: [{ name: "t", namespace: null, description: "d", inputSchema: { type: "object" }, hidden: i === 2 }],
    earlierTurns: [turn(0)],
    lastTurn: turn(1)
  }
}

const items: ReadonlyArray<WriteItem> = ids.map((id, i) => ({
  delta: {
    before: undefined,
    after: stateOf(id, i),
    placement: {
      rolloutPath: `/h/sessions/${i}.jsonl`,
      archived: false,
      archivedAt: null,
      projectedOffset: 10,
      projectedLines: 1,
      fileSize: 10
    },
    messages: [{ position: 1, turnIndex: 0, kind: "user", text: `flaky login ${i}` }]
  },
  expected: undefined
}))

/** Every compared table's rows, in key order. */
const dump = (s: Statements) =>
  COMPARED_TABLES.map(({ columns, key, table }) =>
    s.rows(`SELECT ${(columns ?? ["*"]).join(", ")} FROM ${table} ORDER BY ${key.join(", ")}`, [])
  )

const withDatabase = <A>(use: (database: Database.Database) => Effect.Effect<A, unknown>) =>
  Effect.scoped(Effect.flatMap(Effect.tap(Database.open({ file: ":memory:" }), Database.migrate), use))

/** Runs `program` through the database's `SqlClient`, as a PostgreSQL connection would. */
const throughSql = <A>(database: Database.Database, program: Program<A>) =>
  Effect.provideService(runEffect(program), SqlClient.SqlClient, database.sql)

describe("the statements port", () => {
  it("renumbers ? placeholders as $n for PostgreSQL, leaving quoted text alone", () => {
    expect(numberedPlaceholders("SELECT ?, '?', \"a?\", 'it''s ?' FROM t WHERE a IN (?, ?)")).toBe(
      "SELECT $1, '?', \"a?\", 'it''s ?' FROM t WHERE a IN ($2, $3)"
    )
    expect(numberedPlaceholders("DELETE FROM t")).toBe("DELETE FROM t")
  })

  it("runSync hands each statement's result back to the program, in order", () => {
    const seen: Array<string> = []
    const statements: Statements = {
      values: (sql) => (seen.push(`values ${sql}`), [[1, 2]]),
      rows: (sql) => (seen.push(`rows ${sql}`), [{ a: 3 }]),
      run: (sql) => void seen.push(`run ${sql}`)
    }
    const result = runSync(
      (function*() {
        const v = yield* values("V", [])
        const r = yield* rows("R", [])
        yield* run("W", [v[0]![1], r[0]!["a"]])
        return [v, r] as const
      })(),
      statements
    )
    expect(result).toEqual([[[1, 2]], [{ a: 3 }]])
    expect(seen).toEqual(["values V", "rows R", "run W"])
  })

  it.effect("every projection's programs leave the same rows through @effect/sql as through runSync", () =>
    Effect.gen(function*() {
      const direct = yield* withDatabase((database) =>
        database.direct.use((s) => {
          const written = runSync(writeProjections(items), s)
          const drift = PROJECTIONS.map((p) => runSync(p.drift(items.map((i) => i.delta)), s))
          const states = runSync(loadStates([...runSync(threadRows.load(ids), s).values()]), s)
          return { written: written.written.length, drift, states, tables: dump(s) }
        })
      )
      const viaSql = yield* withDatabase((database) =>
        Effect.gen(function*() {
          const written = yield* throughSql(database, writeProjections(items))
          const drift: Array<ReadonlyMap<string, ReadonlyArray<string>>> = []
          for (const p of PROJECTIONS) drift.push(yield* throughSql(database, p.drift(items.map((i) => i.delta))))
          const found = yield* throughSql(database, threadRows.load(ids))
          const states = yield* throughSql(database, loadStates([...found.values()]))
          const tables = yield* database.direct.use(dump)
          return { written: written.written.length, drift, states, tables }
        })
      )
      expect(direct.written).toBe(3)
      expect(direct.tables.every((table) => table.length > 0)).toBe(true)
      expect(viaSql).toEqual(direct)
      // Clearing through @effect/sql empties what runSync wrote.
      const cleared = yield* withDatabase((database) =>
        Effect.gen(function*() {
          yield* database.direct.use((s) => runSync(writeProjections(items), s))
          for (const p of [...PROJECTIONS].reverse()) yield* throughSql(database, p.clear(ids))
          return yield* database.direct.use(dump)
        })
      )
      expect(cleared.flat()).toEqual([])
    }))

  it.effect("a program that throws, or a failing statement, fails runEffect with an SqlError", () =>
    withDatabase((database) =>
      Effect.gen(function*() {
        const thrown = yield* Effect.exit(throughSql(
          database,
          (function*(): Program<void> {
            yield* run("SELECT 1", [])
            throw new Error("a row that does not decode")
          })()
        ))
        expect(Exit.isFailure(thrown) && JSON.stringify(thrown.cause)).toContain("SqlError")
        const failed = yield* Effect.exit(throughSql(database, run("SELECT * FROM no_such_table", [])))
        expect(Exit.isFailure(failed) && JSON.stringify(failed.cause)).toContain("SqlError")
      })
    ))
})
