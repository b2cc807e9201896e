import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { toThreadRow } from "../../src/projections/ThreadsProjection.js"
import { statsStatement, threadStats } from "../../src/projections/ThreadStats.js"
import { runs } from "../fixtures/arbitraries.js"

const DAY = 86_400_000
const START = Date.UTC(2030, 0, 1)

interface Spec {
  readonly created: number
  readonly archived: boolean
  readonly model: string | null
  readonly cwd: string
  readonly tokens: number
}

const rowOf = (spec: Spec, index: number) => {
  const id = `00000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`
  const state = initial(id, { fileNameTimestamp: spec.created, defaultModelProvider: "openai" })
  return toThreadRow(
    {
      ...state.metadata,
      createdAt: spec.created,
      updatedAt: spec.created,
      model: spec.model,
      cwd: spec.cwd,
      tokensUsed: spec.tokens
    },
    state.progress,
    {
      rolloutPath: `/home/${id}.jsonl`,
      archived: spec.archived,
      archivedAt: null,
      projectedOffset: 0,
      projectedLines: 0,
      fileSize: 0
    }
  )
}

const withDatabase = <A, E>(use: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  Effect.provide(
    use,
    Database.layer({ file: join(mkdtempSync(join(tmpdir(), "thread-stats-")), "state.sqlite") })
  )

const specArb = fc.record({
  created: fc.integer({ min: START - 2 * DAY, max: START + 12 * DAY }),
  archived: fc.boolean(),
  model: fc.constantFrom(null, "gpt-5", "o3"),
  cwd: fc.constantFrom("", "/a", "/b"),
  tokens: fc.nat({ max: 10_000 })
})

/** The same statistics, counted one spec at a time. */
const counted = (specs: ReadonlyArray<Spec>, since: number, until: number, includeArchived: boolean) => {
  const inWindow = specs.filter((s) => s.created >= since && s.created < until && (includeArchived || !s.archived))
  const sum = (key: (s: Spec) => string) => {
    const groups = new Map<string, { threads: number; tokens: number }>()
    for (const s of inWindow) {
      const group = groups.get(key(s)) ?? { threads: 0, tokens: 0 }
      groups.set(key(s), { threads: group.threads + 1, tokens: group.tokens + s.tokens })
    }
    return groups
  }
  return {
    total: { threads: inWindow.length, tokens: inWindow.reduce((n, s) => n + s.tokens, 0) },
    perDay: sum((s) => new Date(s.created).toISOString().slice(0, 10)),
    perModel: sum((s) => s.model ?? "-"),
    perCwd: sum((s) => (s.cwd === "" ? "-" : s.cwd))
  }
}

describe("thread stats (issue 18)", () => {
  it.effect("a window's statistics are a range of the covering index: no row of threads is read", () =>
    withDatabase(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      for (const includeArchived of [true, false]) {
        const [text, params] = statsStatement(sql, { since: START, until: START + DAY, top: 5, includeArchived })
          .compile()
        const plan = (yield* sql.unsafe<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`, params))
          .map((row) => row.detail)
          .join(" | ")
        expect(plan).toMatch(
          /SEARCH threads USING COVERING INDEX threads_stats \(archived=\? AND created_at_ms>\? AND created_at_ms<\?\)/
        )
      }
    })))

  it.effect("property: per day, per model and per cwd sums equal a count of the threads in the window", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(specArb, { maxLength: 40 }),
          fc.integer({ min: 0, max: 10 }),
          fc.integer({ min: 1, max: 10 }),
          fc.boolean(),
          (specs, from, days, includeArchived) =>
            Effect.runPromise(withDatabase(Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              if (specs.length > 0) yield* sql`INSERT INTO threads ${sql.insert(specs.map(rowOf))}`
              const since = START + from * DAY - DAY
              const until = since + days * DAY
              const stats = yield* threadStats({ since, until, top: 10, includeArchived })
              const expected = counted(specs, since, until, includeArchived)
              expect(stats.total).toEqual(expected.total)
              expect(new Map(stats.perDay.map((b) => [b.key, { threads: b.threads, tokens: b.tokens }])))
                .toEqual(expected.perDay)
              expect(new Map(stats.perModel.map((b) => [b.key, { threads: b.threads, tokens: b.tokens }])))
                .toEqual(expected.perModel)
              expect(new Map(stats.perCwd.map((b) => [b.key, { threads: b.threads, tokens: b.tokens }])))
                .toEqual(expected.perCwd)
            })))
        ),
        { numRuns: runs(30) }
      )
    ))
})
