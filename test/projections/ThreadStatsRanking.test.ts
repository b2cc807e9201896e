import type * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { threadRows } from "../../src/projections/ThreadsProjection.js"
import { threadStats } from "../../src/projections/ThreadStats.js"

const at = (day: number, hour: number, minute = 0) => Date.UTC(2024, 2, day, hour, minute)
const SINCE = at(4, 0)
const UNTIL = at(7, 0)

interface Spec {
  readonly created: number
  readonly model: string | null
  readonly cwd: string
  readonly tokens: number
  readonly archived?: boolean
}

// Ties on purpose: b and c share tokens (b has more threads); "-" and d share both (by key).
const SPECS: ReadonlyArray<Spec> = [
  { created: at(4, 10), model: "a", cwd: "/x", tokens: 30 },
  { created: at(5, 1), model: "a", cwd: "/w", tokens: 10 },
  { created: at(5, 2), model: "b", cwd: "", tokens: 10 },
  { created: at(5, 3), model: "b", cwd: "/w", tokens: 0 },
  { created: at(6, 0), model: null, cwd: "/w", tokens: 5, archived: true },
  { created: at(6, 1), model: "d", cwd: "/w", tokens: 5 },
  { created: SINCE, model: "c", cwd: "/y", tokens: 10 },
  // Outside the window: at its end, and a minute before its start.
  { created: UNTIL, model: "c", cwd: "/y", tokens: 1_000 },
  { created: at(3, 23, 59), model: "c", cwd: "/y", tokens: 1_000 }
]

const withThreads = <A, E>(use: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  Effect.gen(function*() {
    const database = yield* Database.Database
    yield* database.direct.run(
      threadRows.apply(
        SPECS.map((spec, i) => {
          const state = initial(`019a9f10-0000-7000-8000-${String(i).padStart(12, "0")}`, {
            fileNameTimestamp: spec.created,
            defaultModelProvider: "openai"
          })
          return {
            before: undefined,
            after: {
              ...state,
              metadata: { ...state.metadata, model: spec.model, cwd: spec.cwd, tokensUsed: spec.tokens }
            },
            placement: {
              rolloutPath: `/h/${i}.jsonl`,
              archived: spec.archived ?? false,
              archivedAt: null,
              projectedOffset: 0,
              projectedLines: 0,
              fileSize: 0
            }
          }
        })
      )
    )
    return yield* use
  }).pipe(Effect.provide(Database.layer({ file: ":memory:" })))

describe("thread stats", () => {
  it.effect("totals a window per day, per model and per cwd, ranked by tokens, then threads, then key", () =>
    withThreads(Effect.gen(function*() {
      expect(yield* threadStats({ since: SINCE, until: UNTIL, top: 4 })).toEqual({
        since: SINCE,
        until: UNTIL,
        total: { threads: 7, tokens: 70 },
        perDay: [
          { key: "2024-03-04", threads: 2, tokens: 40 },
          { key: "2024-03-05", threads: 3, tokens: 20 },
          { key: "2024-03-06", threads: 2, tokens: 10 }
        ],
        perModel: [
          { key: "a", threads: 2, tokens: 40 },
          { key: "b", threads: 2, tokens: 10 },
          { key: "c", threads: 1, tokens: 10 },
          { key: "-", threads: 1, tokens: 5 }
        ],
        perCwd: [
          { key: "/x", threads: 1, tokens: 30 },
          { key: "/w", threads: 4, tokens: 20 },
          { key: "-", threads: 1, tokens: 10 },
          { key: "/y", threads: 1, tokens: 10 }
        ]
      })
    })))

  it.effect("leaves archived threads out when asked, and keeps the top n", () =>
    withThreads(Effect.gen(function*() {
      const live = yield* threadStats({ since: SINCE, until: UNTIL, top: 2, includeArchived: false })
      expect(live.total).toEqual({ threads: 6, tokens: 65 })
      expect(live.perDay.at(-1)).toEqual({ key: "2024-03-06", threads: 1, tokens: 5 })
      expect(live.perModel).toEqual([{ key: "a", threads: 2, tokens: 40 }, { key: "b", threads: 2, tokens: 10 }])
      expect(live.perCwd).toEqual([{ key: "/x", threads: 1, tokens: 30 }, { key: "/w", threads: 3, tokens: 15 }])
      const all = yield* threadStats({ since: SINCE, until: UNTIL, top: 10, includeArchived: true })
      expect(all.total).toEqual({ threads: 7, tokens: 70 })
      expect(all.perModel.map((b) => b.key)).toEqual(["a", "b", "c", "-", "d"])
    })))

  it.effect("an empty window has no buckets", () =>
    withThreads(Effect.gen(function*() {
      expect(yield* threadStats({ since: UNTIL + 1, until: UNTIL + 2, top: 3 })).toEqual({
        since: UNTIL + 1,
        until: UNTIL + 2,
        total: { threads: 0, tokens: 0 },
        perDay: [],
        perModel: [],
        perCwd: []
      })
    })))
})
