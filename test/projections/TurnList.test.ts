import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { toThreadRow } from "../../src/projections/ThreadsProjection.js"
import { layer as turnListLayer, TurnList, type TurnListQuery } from "../../src/projections/TurnList.js"
import { runs } from "../fixtures/arbitraries.js"

const THREAD = "019a9f10-1111-7222-8333-444455556666"
const OTHER = "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff"

const databaseLayer = () => {
  const file = join(mkdtempSync(join(tmpdir(), "turn-list-")), "state.sqlite")
  return turnListLayer.pipe(Layer.provideMerge(Database.layer({ file })))
}

/** A thread row and `count` turns for each of two threads. */
const seed = (counts: readonly [number, number]) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach([THREAD, OTHER], (id, t) =>
      Effect.gen(function*() {
        const state = initial(id, { fileNameTimestamp: 0, defaultModelProvider: "openai" })
        const row = toThreadRow(state.metadata, state.progress, {
          rolloutPath: `/${id}`,
          archived: false,
          archivedAt: null,
          projectedOffset: 0,
          projectedLines: 0,
          fileSize: 0
        })
        yield* sql`INSERT INTO threads ${sql.insert(row)} ON CONFLICT (id) DO NOTHING`
        const turns = Array.from({ length: counts[t] ?? 0 }, (_, index) => ({
          thread_id: id,
          turn_index: index,
          turn_id: `t${index}`,
          started_at_ms: index,
          model: "m",
          reasoning_effort: null,
          cwd: "/",
          user_message: `message ${index}`,
          tokens_used: index
        }))
        if (turns.length > 0) yield* sql`INSERT INTO thread_turns ${sql.insert(turns)} ON CONFLICT DO NOTHING`
      }), { discard: true }))

const traverse = (query: TurnListQuery) =>
  Effect.gen(function*() {
    const list = yield* TurnList
    const seen: Array<number> = []
    let cursor: string | undefined
    for (let pages = 0; pages < 200; pages++) {
      const page = yield* list.list(THREAD, { ...query, ...(cursor === undefined ? {} : { cursor }) })
      seen.push(...page.items.map((t) => t.index))
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    return seen
  })

describe("turn list", () => {
  it.effect("a page that reaches the last turn has no next cursor, even when it is exactly full", () =>
    Effect.gen(function*() {
      yield* seed([2, 0])
      const list = yield* TurnList
      const full = yield* list.list(THREAD, { limit: 2 })
      expect([full.items.map((t) => t.index), full.nextCursor]).toEqual([[1, 0], null])
      const first = yield* list.list(THREAD, { limit: 1 })
      expect(first.nextCursor).not.toBeNull()
      const last = yield* list.list(THREAD, { limit: 1, cursor: first.nextCursor! })
      expect([last.items.map((t) => t.index), last.nextCursor]).toEqual([[0], null])
    }).pipe(Effect.provide(databaseLayer())))

  it.effect("a traversal in either direction yields every turn of the thread exactly once, in order", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 30 }),
          fc.integer({ min: 1, max: 8 }),
          fc.constantFrom("asc" as const, "desc" as const),
          (count, limit, direction) =>
            Effect.runPromise(
              Effect.gen(function*() {
                yield* seed([count, 5])
                const indexes = Array.from({ length: count }, (_, i) => i)
                expect(yield* traverse({ limit, direction })).toEqual(direction === "asc" ? indexes : indexes.reverse())
              }).pipe(Effect.provide(databaseLayer()))
            )
        ),
        { numRuns: runs(60) }
      )
    ))

  it.effect("a newest-first page's backwardsCursor, listed ascending, gives exactly the turns added after it", () =>
    Effect.gen(function*() {
      yield* seed([5, 0])
      const list = yield* TurnList
      const page = yield* list.list(THREAD, { limit: 2 })
      expect(page.items.map((t) => t.index)).toEqual([4, 3])
      expect(yield* traverse({ direction: "asc", cursor: page.backwardsCursor! })).toEqual([])
      yield* seed([9, 0])
      expect(yield* traverse({ direction: "asc", cursor: page.backwardsCursor! })).toEqual([5, 6, 7, 8])
    }).pipe(Effect.provide(databaseLayer())))

  it.effect("a cursor made for another thread's turns is refused", () =>
    Effect.gen(function*() {
      yield* seed([3, 3])
      const list = yield* TurnList
      const page = yield* list.list(OTHER, { limit: 1 })
      const error = yield* Effect.flip(list.list(THREAD, { cursor: page.nextCursor! }))
      expect(error._tag).toBe("InvalidCursor")
    }).pipe(Effect.provide(databaseLayer())))
})
