import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, FastCheck as fc, Option, TestClock, TestContext } from "effect"
import { nextMemoryUpdatedAt } from "../../../src/domain/MemoryJobs.js"
import * as ThreadMemories from "../../../src/infra/memories/ThreadMemories.js"
import { runs } from "../../arbitraries.js"
import { connect, insertThreads, sqlLayer, tempDatabaseFile } from "../../fixtures/stateDatabase.js"

const withMemories = <A, E>(
  use: (memories: ThreadMemories.ThreadMemories) => Effect.Effect<A, E, SqlClient.SqlClient>
) => Effect.flatMap(ThreadMemories.make, use).pipe(Effect.provide(sqlLayer()))

describe("ThreadMemories", () => {
  it.effect("an upsert is read back, and a second upsert at the same instant still advances updated_at", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: "t1" }])
        yield* TestClock.adjust(1_000)
        const first = yield* memories.upsert({ threadId: "t1", traceSummary: "trace", memorySummary: "memory" })
        expect(first).toEqual({ threadId: "t1", traceSummary: "trace", memorySummary: "memory", updatedAt: 1_000 })
        expect(yield* memories.get("t1")).toEqual(Option.some(first))
        const second = yield* memories.upsert({ threadId: "t1", traceSummary: "trace 2", memorySummary: "memory 2" })
        expect(second).toEqual({ threadId: "t1", traceSummary: "trace 2", memorySummary: "memory 2", updatedAt: 1_001 })
        yield* TestClock.adjust(5_000)
        expect((yield* memories.upsert({ threadId: "t1", traceSummary: "t", memorySummary: "m" })).updatedAt).toBe(
          6_000
        )
        expect(yield* memories.get("t2")).toEqual(Option.none())
      })
    ))

  it.effect("the last N memories for a cwd are those of threads with exactly that cwd, newest first, ties by thread id", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: "a", cwd: "/repo" }, { id: "b", cwd: "/repo" }, { id: "c", cwd: "/repo/sub" }, {
          id: "d",
          cwd: "/repo"
        }])
        yield* memories.upsert({ threadId: "a", traceSummary: "", memorySummary: "a" })
        yield* memories.upsert({ threadId: "b", traceSummary: "", memorySummary: "b" })
        yield* memories.upsert({ threadId: "c", traceSummary: "", memorySummary: "c" })
        yield* TestClock.adjust(10)
        yield* memories.upsert({ threadId: "d", traceSummary: "", memorySummary: "d" })
        const recent = yield* memories.recentForCwd({ cwd: "/repo", limit: 2 })
        expect(recent.map((m) => m.threadId)).toEqual(["d", "b"])
        expect((yield* memories.recentForCwd({ cwd: "/repo", limit: 10 })).map((m) => m.threadId)).toEqual([
          "d",
          "b",
          "a"
        ])
        expect(yield* memories.recentForCwd({ cwd: "/elsewhere", limit: 10 })).toEqual([])
      })
    ))

  it.effect("a memory for a thread with no row is refused with an error naming thread_memory", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(memories.upsert({ threadId: "ghost", traceSummary: "", memorySummary: "" }))
        expect(error).toMatchObject({ _tag: "StateStoreError", table: "thread_memory", operation: "upsert" })
        expect(error.detail).toMatch(/FOREIGN KEY/)
      })
    ))

  it.effect("a memory goes with its thread's row when the row is deleted", () =>
    withMemories((memories) =>
      Effect.gen(function*() {
        yield* insertThreads([{ id: "t1" }])
        yield* memories.upsert({ threadId: "t1", traceSummary: "", memorySummary: "m" })
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM threads WHERE id = 't1'`
        expect(yield* memories.get("t1")).toEqual(Option.none())
      })
    ))

  it.effect("property: updated_at strictly increases with every upsert from two connections, and equals the rule's value", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              connection: fc.nat(1),
              thread: fc.constantFrom("t1", "t2"),
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
                const file = tempDatabaseFile("memory-")
                const stores = yield* Effect.forEach([0, 1], () =>
                  Effect.flatMap(
                    connect(file),
                    (db) => ThreadMemories.make.pipe(Effect.provideService(SqlClient.SqlClient, db.sql))
                  ))
                yield* Effect.flatMap(
                  connect(file),
                  (db) =>
                    insertThreads([{ id: "t1" }, { id: "t2" }]).pipe(Effect.provideService(SqlClient.SqlClient, db.sql))
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
    ))
})
