import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { layer as threadListLayer, ThreadList, type ThreadListQuery } from "../../src/projections/ThreadList.js"
import { type ThreadRow, toThreadRow } from "../../src/projections/ThreadsProjection.js"
import { runs } from "../fixtures/arbitraries.js"

const databaseLayer = () => {
  const file = join(mkdtempSync(join(tmpdir(), "thread-list-")), "state.sqlite")
  return threadListLayer.pipe(Layer.provideMerge(Database.layer({ file })))
}

interface Spec {
  readonly id: string
  readonly created: number
  readonly updated: number
  readonly archived: boolean
  readonly cwd: string
  readonly title: string
  readonly source: string
}

const rowOf = (spec: Spec): ThreadRow => {
  const state = initial(spec.id, { fileNameTimestamp: spec.created, defaultModelProvider: "openai" })
  return toThreadRow(
    {
      ...state.metadata,
      createdAt: spec.created,
      updatedAt: spec.updated,
      cwd: spec.cwd,
      title: spec.title,
      source: spec.source
    },
    state.progress,
    {
      rolloutPath: `/home/${spec.id}.jsonl`,
      archived: spec.archived,
      archivedAt: null,
      projectedOffset: 0,
      projectedLines: 0,
      fileSize: 0
    }
  )
}

const insert = (specs: ReadonlyArray<Spec>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    specs.length === 0
      ? Effect.void
      : sql`INSERT INTO threads ${sql.insert(specs.map(rowOf))} ON CONFLICT (id) DO UPDATE SET
              updated_at_ms = excluded.updated_at_ms, title = excluded.title`.pipe(Effect.asVoid))

/** Heavy ties: a handful of distinct timestamps for many rows. */
const specArb = (index: number) =>
  fc.record({
    created: fc.integer({ min: 0, max: 4 }).map((n) => 1_700_000_000_000 + n),
    updated: fc.integer({ min: 0, max: 4 }).map((n) => 1_700_000_000_000 + n),
    archived: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    cwd: fc.constantFrom("/a", "/b"),
    title: fc.constantFrom("fix bug", "add feature", "bug hunt", ""),
    source: fc.constantFrom("cli", "vscode", "{\"subagent\":\"review\"}")
  }).map((s) => ({ ...s, id: `0000${index.toString(16).padStart(4, "0")}-0000-4000-8000-000000000000` }))

const datasetArb = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => specArb(i)))
)

const queryArb: fc.Arbitrary<ThreadListQuery> = fc.record({
  sortKey: fc.constantFrom("created_at" as const, "updated_at" as const),
  direction: fc.constantFrom("asc" as const, "desc" as const),
  limit: fc.integer({ min: 1, max: 7 }),
  archived: fc.boolean(),
  cwd: fc.option(fc.constantFrom("/a", "/b"), { nil: undefined }),
  search: fc.option(fc.constantFrom("bug", "feature"), { nil: undefined }),
  sourceKinds: fc.option(fc.constantFrom(["cli"], ["subagent"], ["cli", "vscode"]), { nil: undefined })
}, { requiredKeys: ["sortKey", "direction", "limit"] })

/** The naive answer: filter and sort everything in memory. */
const expected = (specs: ReadonlyArray<Spec>, query: ThreadListQuery): Array<string> => {
  const key = query.sortKey === "updated_at" ? "updated" : "created"
  const kind = (source: string) => (source.startsWith("{") ? Object.keys(JSON.parse(source) as object)[0] : source)
  const matching = specs.filter((s) =>
    s.archived === (query.archived ?? false) &&
    (query.cwd === undefined || s.cwd === query.cwd) &&
    (query.search === undefined || s.title.includes(query.search)) &&
    (query.sourceKinds === undefined || query.sourceKinds.includes(kind(s.source)!))
  )
  const ascending = [...matching].sort((a, b) => a[key] - b[key] || (a.id < b.id ? -1 : 1)).map((s) => s.id)
  return query.direction === "asc" ? ascending : ascending.reverse()
}

const traverse = (query: ThreadListQuery) =>
  Effect.gen(function*() {
    const list = yield* ThreadList
    const seen: Array<string> = []
    let cursor: string | undefined
    for (let pages = 0; pages < 100; pages++) {
      const page = yield* list.list({ ...query, ...(cursor === undefined ? {} : { cursor }) })
      seen.push(...page.items.map((r) => r.id))
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    return seen
  })

describe("thread list", () => {
  it.effect("a full traversal yields every matching row exactly once, in order, whatever the ties and page size", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(datasetArb, queryArb, (specs, query) =>
          Effect.runPromise(
            Effect.gen(function*() {
              yield* insert(specs)
              expect(yield* traverse(query)).toEqual(expected(specs, query))
            }).pipe(Effect.provide(databaseLayer()))
          )),
        { numRuns: runs(150) }
      )
    ))

  it.effect("listing from a page's backwardsCursor in the other direction gives exactly the rows before the page, new ones included", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          datasetArb,
          queryArb,
          fc.nat(),
          fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 6 }),
          (specs, query, skip, bumps) =>
            Effect.runPromise(
              Effect.gen(function*() {
                yield* insert(specs)
                const list = yield* ThreadList
                // Read some page of the window, then let the world move on.
                let page = yield* list.list(query)
                for (let i = 0; i < skip % 3 && page.nextCursor !== null; i++) {
                  page = yield* list.list({ ...query, cursor: page.nextCursor })
                }
                if (page.backwardsCursor === null) {
                  return
                }
                const later = specs.map((s, i) => ({
                  ...s,
                  updated: s.updated + (bumps[i % Math.max(bumps.length, 1)] ?? 0),
                  title: s.title
                }))
                const fresh = bumps.map((b, i) => ({
                  ...specs[0] ?? later[0]!,
                  id: `ffff${i.toString(16).padStart(4, "0")}-0000-4000-8000-000000000000`,
                  created: 1_700_000_000_000 + b,
                  updated: 1_700_000_000_000 + b
                }))
                const world = [...later, ...(specs.length > 0 ? fresh : [])]
                yield* insert(world)
                const reverse = query.direction === "asc" ? "desc" as const : "asc" as const
                const before = yield* traverse({ ...query, direction: reverse, cursor: page.backwardsCursor })
                const first = page.items[0]!
                const key = query.sortKey === "updated_at" ? "updated_at_ms" : "created_at_ms"
                const anchor = { sortMs: first[key], id: first.id }
                const all = expected(world, { ...query, direction: reverse })
                const position = (id: string) => world.find((s) => s.id === id)!
                const isBefore = (id: string) => {
                  const s = position(id)
                  const v = query.sortKey === "updated_at" ? s.updated : s.created
                  const after = v > anchor.sortMs || (v === anchor.sortMs && id > anchor.id)
                  const beforeIt = v < anchor.sortMs || (v === anchor.sortMs && id < anchor.id)
                  return query.direction === "desc" ? after : beforeIt
                }
                expect(before).toEqual(all.filter(isBefore))
              }).pipe(Effect.provide(databaseLayer()))
            )
        ),
        { numRuns: runs(150) }
      )
    ))

  it.effect("every list query is served by an index, without sorting in a temporary b-tree", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const plans: Array<string> = []
      for (const column of ["created_at_ms", "updated_at_ms"]) {
        for (const dir of ["DESC", "ASC"]) {
          for (const extra of ["", "AND cwd = '/a'", "AND source_kind IN ('cli')", "AND instr(title, 'x') > 0"]) {
            for (const range of ["", `AND (${column}, id) ${dir === "DESC" ? "<" : ">"} (1, 'x')`]) {
              const rows = yield* sql.unsafe<{ detail: string }>(
                `EXPLAIN QUERY PLAN SELECT * FROM threads WHERE archived = 0 ${extra} ${range} ORDER BY ${column} ${dir}, id ${dir} LIMIT 26`
              )
              const plan = rows.map((r) => r.detail).join(" | ")
              plans.push(plan)
              expect(plan, plan).toMatch(/USING (COVERING )?INDEX threads_archived/)
              expect(plan, plan).not.toMatch(/TEMP B-TREE/)
            }
          }
        }
      }
      expect(plans).toHaveLength(32)
    }).pipe(Effect.provide(databaseLayer())))

  it.effect("a cursor made for another sort key, or not made by the engine, is refused as invalid", () =>
    Effect.gen(function*() {
      const list = yield* ThreadList
      yield* insert([{
        id: "00000001-0000-4000-8000-000000000000",
        created: 1,
        updated: 2,
        archived: false,
        cwd: "/a",
        title: "t",
        source: "cli"
      }, {
        id: "00000002-0000-4000-8000-000000000000",
        created: 1,
        updated: 2,
        archived: false,
        cwd: "/a",
        title: "t",
        source: "cli"
      }])
      const page = yield* list.list({ limit: 1 })
      expect(page.nextCursor).not.toBeNull()
      const wrongSort = yield* Effect.flip(list.list({ sortKey: "updated_at", cursor: page.nextCursor! }))
      expect(wrongSort.message).toContain("made for sort created_at")
      const garbage = yield* Effect.flip(list.list({ cursor: "2025-01-01T00:00:00Z|abc" }))
      expect(garbage._tag).toBe("InvalidCursor")
    }).pipe(Effect.provide(databaseLayer())))
})
