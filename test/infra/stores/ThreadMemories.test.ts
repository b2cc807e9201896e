import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, FastCheck as fc, Option, TestClock, TestContext } from "effect"
import { nextMemoryUpdatedAt } from "../../../src/domain/MemoryJobs.js"
import { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import * as ThreadMemories from "../../../src/infra/stores/ThreadMemories.js"
import { runs } from "../../fixtures/arbitraries.js"
import { dialects } from "../../fixtures/dialects.js"
import { insertThreads } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

describe.each(dialects)("ThreadMemories on $dialect", ({ cases, dialect, layer }) => {
  const withMemories = <A, E>(
    use: (memories: ThreadMemories.ThreadMemories) => Effect.Effect<A, E, SqlClient.SqlClient | SqlDatabase>
  ) => Effect.flatMap(ThreadMemories.make, use).pipe(Effect.provide(layer()))

  it.effect("an upsert is read back, and a second upsert at the same instant still advances updated_at", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: tid("t1") }])
        yield* TestClock.adjust(1_000)
        const first = yield* memories.upsert({ threadId: tid("t1"), traceSummary: "trace", memorySummary: "memory" })
        expect(first).toEqual({ threadId: tid("t1"), traceSummary: "trace", memorySummary: "memory", updatedAt: 1_000 })
        expect(yield* memories.get(tid("t1"))).toEqual(Option.some(first))
        const second = yield* memories.upsert({
          threadId: tid("t1"),
          traceSummary: "trace 2",
          memorySummary: "memory 2"
        })
        expect(second).toEqual({
          threadId: tid("t1"),
          traceSummary: "trace 2",
          memorySummary: "memory 2",
          updatedAt: 1_001
        })
        yield* TestClock.adjust(5_000)
        expect((yield* memories.upsert({ threadId: tid("t1"), traceSummary: "t", memorySummary: "m" })).updatedAt).toBe(
          6_000
        )
        expect(yield* memories.get(tid("t2"))).toEqual(Option.none())
      })
    ))

  it.effect("the last N memories for a cwd are those of threads with exactly that cwd, newest first, ties by thread id", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: tid("a"), cwd: "/repo" }, { id: tid("b"), cwd: "/repo" }, {
          id: tid("c"),
          cwd: "/repo/sub"
        }, {
          id: tid("d"),
          cwd: "/repo"
        }])
        yield* memories.upsert({ threadId: tid("a"), traceSummary: "", memorySummary: tid("a") })
        yield* memories.upsert({ threadId: tid("b"), traceSummary: "", memorySummary: tid("b") })
        yield* memories.upsert({ threadId: tid("c"), traceSummary: "", memorySummary: tid("c") })
        yield* TestClock.adjust(10)
        yield* memories.upsert({ threadId: tid("d"), traceSummary: "", memorySummary: tid("d") })
        const recent = yield* memories.recentForCwd({ cwd: "/repo", limit: 2 })
        expect(recent.map((m) => m.threadId)).toEqual([tid("d"), tid("b")])
        expect((yield* memories.recentForCwd({ cwd: "/repo", limit: 10 })).map((m) => m.threadId)).toEqual([
          tid("d"),
          tid("b"),
          tid("a")
        ])
        expect(yield* memories.recentForCwd({ cwd: "/elsewhere", limit: 10 })).toEqual([])
      })
    ))

  it.effect("a memory for a thread with no row is refused with an error naming thread_memory", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          memories.upsert({ threadId: tid("ghost"), traceSummary: "", memorySummary: "" })
        )
        expect(error).toMatchObject({ _tag: "DatabaseError", operation: "thread_memory: upsert", reason: "failed" })
        expect(error._tag === "DatabaseError" && error.detail).toMatch(/FOREIGN KEY/i)
        expect(error._tag === "DatabaseError" && error.file).toMatch(
          dialect === "pg" ? /\(schema test_/ : /state\.sqlite$/
        )
      })
    ))

  it.effect("a row that does not decode is a corrupt DatabaseError naming the table", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: tid("t1") }])
        const sql = yield* SqlClient.SqlClient
        // SQLite: a TEXT column keeps the blob it was given; the schema wants a string.
        // PostgreSQL's columns are typed: one made NUMERIC holds what is not an Int.
        yield* sql.onDialectOrElse({
          pg: () =>
            Effect.zipRight(
              sql`ALTER TABLE thread_memory ALTER COLUMN updated_at_ms TYPE NUMERIC`,
              sql`INSERT INTO thread_memory (thread_id, trace_summary, memory_summary, updated_at_ms)
                VALUES (${tid("t1")}, 't', 'm', 1.5)`
            ),
          orElse: () =>
            sql`INSERT INTO thread_memory (thread_id, trace_summary, memory_summary, updated_at_ms)
              VALUES (${tid("t1")}, x'6869', 'm', 1)`
        })
        const error = yield* Effect.flip(memories.get(tid("t1")))
        expect(error).toMatchObject({ _tag: "DatabaseError", operation: "thread_memory: get", reason: "corrupt" })
      })
    ))

  it.effect("a memory goes with its thread's row when the row is deleted", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: tid("t1") }])
        yield* memories.upsert({ threadId: tid("t1"), traceSummary: "", memorySummary: "m" })
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM threads WHERE id = ${tid("t1")}`
        expect(yield* memories.get(tid("t1"))).toEqual(Option.none())
      })
    ))

  it.effect("property: updated_at strictly increases with every upsert from two connections, and equals the rule's value", () =>
    Effect.scoped(Effect.flatMap(cases, (freshCase) =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                connection: fc.nat(1),
                thread: fc.constantFrom(tid("t1"), tid("t2")),
                advance: fc.oneof(fc.constant(0), fc.nat(3))
              }),
              {
                minLength: 1,
                maxLength: 30
              }
            ),
            (steps) =>
              Effect.runPromise(
                Effect.scoped(Effect.gen(function*() {
                  const database = yield* freshCase
                  const stores = yield* Effect.forEach([0, 1], () =>
                    Effect.flatMap(
                      database.connect(),
                      (db) => ThreadMemories.make.pipe(Effect.provideService(SqlDatabase, db))
                    ))
                  yield* Effect.flatMap(
                    database.connect(),
                    (db) =>
                      insertThreads([{ id: tid("t1") }, { id: tid("t2") }]).pipe(
                        Effect.provideService(SqlClient.SqlClient, db.sql)
                      )
                  )
                  const model = new Map<string, number>()
                  for (const step of steps) {
                    yield* TestClock.adjust(step.advance)
                    const now = yield* Clock.currentTimeMillis
                    const written = yield* stores[step.connection]!.upsert({
                      threadId: step.thread,
                      traceSummary: "t",
                      memorySummary: `${now}`
                    })
                    const expected = nextMemoryUpdatedAt(model.get(step.thread), now)
                    expect(written.updatedAt).toBe(expected)
                    if (model.has(step.thread)) {
                      expect(written.updatedAt).toBeGreaterThan(model.get(step.thread)!)
                    }
                    model.set(step.thread, expected)
                  }
                })).pipe(Effect.provide(TestContext.TestContext))
              )
          ),
          { numRuns: runs(50) }
        )
      ))))
})
