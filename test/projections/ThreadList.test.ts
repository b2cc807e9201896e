import * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { SourceKind, SourceKindFilter } from "../../src/domain/SessionSource.js"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import {
  layer as threadListLayer,
  pageStatement,
  ThreadList,
  type ThreadListQuery
} from "../../src/projections/ThreadList.js"
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
  readonly parent: string | null
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
      source: spec.source,
      parentThreadId: spec.parent
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

const PARENTS = ["00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2"]
const SOURCES = [
  "cli",
  "vscode",
  "exec",
  "mcp",
  "{\"subagent\":\"review\"}",
  "{\"subagent\":{\"thread_spawn\":{\"parent_thread_id\":\"p\",\"depth\":1}}}",
  "{\"subagent\":{\"other\":\"guardian\"}}"
]

/** Heavy ties: a handful of distinct timestamps for many rows. */
const specArb = (index: number) =>
  fc.record({
    created: fc.integer({ min: 0, max: 4 }).map((n) => 1_700_000_000_000 + n),
    updated: fc.integer({ min: 0, max: 4 }).map((n) => 1_700_000_000_000 + n),
    archived: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    cwd: fc.constantFrom("/a", "/b", "/c"),
    title: fc.constantFrom("fix bug", "add feature", "bug hunt", ""),
    source: fc.constantFrom(...SOURCES),
    parent: fc.constantFrom(null, null, ...PARENTS)
  }).map((s) => ({ ...s, id: `0000${index.toString(16).padStart(4, "0")}-0000-4000-8000-000000000000` }))

const datasetArb = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => specArb(i)))
)

const queryArb: fc.Arbitrary<ThreadListQuery> = fc.record({
  sortKey: fc.constantFrom("created_at" as const, "updated_at" as const),
  direction: fc.constantFrom("asc" as const, "desc" as const),
  limit: fc.integer({ min: 1, max: 7 }),
  archived: fc.constantFrom(true, false, "all" as const, "only" as const, "none" as const),
  // Spelled as a host might: normalised before comparing.
  cwd: fc.option(
    fc.oneof(fc.constantFrom("/a", "/b/."), fc.subarray(["/a", "/b/", "/c", "/a/x/.."])),
    { nil: undefined }
  ),
  parentThreadId: fc.option(fc.constantFrom(...PARENTS), { nil: undefined }),
  search: fc.option(fc.constantFrom("bug", "feature"), { nil: undefined }),
  sourceKinds: fc.option(
    fc.constantFrom<ReadonlyArray<SourceKindFilter>>(
      [],
      ["cli"],
      ["subagent"],
      ["cli", "vscode"],
      ["appServer"],
      ["subAgentThreadSpawn", "exec"],
      ["subAgentOther", "mcp", "subAgentReview"]
    ),
    { nil: undefined }
  )
}, { requiredKeys: ["sortKey", "direction", "limit"] })

/** What each kind filter selects, written out (SPEC §11). */
const SELECTS: Record<string, ReadonlyArray<string>> = {
  cli: ["cli"],
  vscode: ["vscode"],
  exec: ["exec"],
  mcp: ["mcp"],
  appServer: ["mcp"],
  subagent: SOURCES.filter((s) => s.startsWith("{\"subagent\"")),
  subAgentReview: ["{\"subagent\":\"review\"}"],
  subAgentThreadSpawn: [SOURCES[5]!],
  subAgentOther: [SOURCES[6]!]
}

/** The naive answer: filter and sort everything in memory. */
const expected = (specs: ReadonlyArray<Spec>, query: ThreadListQuery): Array<string> => {
  const key = query.sortKey === "updated_at" ? "updated" : "created"
  const archived = query.archived === true ? "only" : query.archived === false ? "none" : query.archived ?? "none"
  const cwds = query.cwd === undefined
    ? undefined
    : (typeof query.cwd === "string" ? [query.cwd] : query.cwd).map((c) =>
      c === "/a/x/.." ? "/a" : c.replace(/\/\.?$/, "")
    )
  const sources = query.sourceKinds === undefined
    ? undefined
    : query.sourceKinds.length === 0
    ? ["cli", "vscode"]
    : query.sourceKinds.flatMap((k) => SELECTS[k]!)
  const matching = specs.filter((s) =>
    (archived === "all" || s.archived === (archived === "only")) &&
    (cwds === undefined || cwds.includes(s.cwd)) &&
    (query.parentThreadId === undefined || s.parent === query.parentThreadId) &&
    (query.search === undefined || s.title.includes(query.search)) &&
    (sources === undefined || sources.includes(s.source))
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

/**
 * Checks a page's query plan: every read of `threads` is a range of an index matching `index`,
 * in order, and the only sorting is of one arm's page, for merging the arms of a union.
 */
const expectIndexedPage = (statement: Statement.Statement<unknown>, index: RegExp) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [text, params] = statement.compile()
    const rows = yield* sql.unsafe<{ id: number; parent: number; detail: string }>(`EXPLAIN QUERY PLAN ${text}`, params)
    const plan = rows.map((r) => r.detail).join(" | ")
    const reads = rows.filter((r) => / threads\b/.test(r.detail))
    expect(reads.length, plan).toBeGreaterThan(0)
    for (const read of reads) {
      expect(read.detail, plan).toMatch(/^SEARCH threads USING (COVERING )?INDEX /)
      expect(read.detail, plan).toMatch(index)
    }
    // The page's rows, when arms were merged, are looked up by id.
    expect(plan, plan).not.toMatch(/SCAN (threads|t)\b/)
    for (const sort of rows.filter((r) => r.detail.includes("TEMP B-TREE"))) {
      const parent = rows.find((r) => r.id === sort.parent)?.detail
      expect(parent === "LEFT" || parent === "RIGHT", plan).toBe(true)
    }
    return plan
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
      const filters: ReadonlyArray<{ query: ThreadListQuery; kinds?: ReadonlyArray<SourceKind>; index: RegExp }> = [
        { query: {}, index: /threads_archived_(created|updated)/ },
        { query: { archived: "all" }, index: /threads_archived_(created|updated)/ },
        { query: { cwd: "/a" }, index: /threads_archived_cwd_/ },
        { query: { cwd: ["/a", "/b", "/c"], archived: "all" }, index: /threads_archived_cwd_/ },
        { query: { cwd: ["/a", "/b"] }, kinds: ["cli", "vscode"], index: /threads_archived_cwd_/ },
        { query: {}, kinds: ["cli"], index: /threads_archived_kind_/ },
        { query: { archived: "only" }, kinds: ["subAgentReview", "exec", "mcp"], index: /threads_archived_kind_/ },
        { query: { search: "x", modelProviders: ["p"] }, index: /threads_archived_(created|updated)/ }
      ]
      for (const sortKey of ["created_at", "updated_at"] as const) {
        for (const direction of ["desc", "asc"] as const) {
          for (const filter of filters) {
            for (const after of [undefined, { sortMs: 1, id: "x" }]) {
              const statement = pageStatement(sql, { ...filter.query, sortKey, direction }, filter.kinds, after, 25)!
              plans.push(yield* expectIndexedPage(statement, filter.index))
            }
          }
        }
      }
      expect(plans).toHaveLength(64)
    }).pipe(Effect.provide(databaseLayer())))

  it.effect("a parent filter reads the parent index, whatever else is asked", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      for (const query of [{}, { cwd: ["/a", "/b"] }, { archived: "all" as const, sourceKinds: ["cli" as const] }]) {
        const statement = pageStatement(
          sql,
          { ...query, parentThreadId: "00000000-0000-4000-8000-0000000000a1" },
          query.sourceKinds === undefined ? undefined : ["cli"],
          undefined,
          25
        )!
        yield* expectIndexedPage(statement, /threads_parent_created/)
      }
    }).pipe(Effect.provide(databaseLayer())))

  it.effect("a source kind no filter names is refused as InvalidSourceKind, naming it", () =>
    Effect.gen(function*() {
      const list = yield* ThreadList
      const refused = yield* Effect.flip(list.list({ sourceKinds: ["cli", "robots" as SourceKindFilter] }))
      expect(refused._tag).toBe("InvalidSourceKind")
      expect(refused.message).toContain("\"robots\"")
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
        source: "cli",
        parent: null
      }, {
        id: "00000002-0000-4000-8000-000000000000",
        created: 1,
        updated: 2,
        archived: false,
        cwd: "/a",
        title: "t",
        source: "cli",
        parent: null
      }])
      const page = yield* list.list({ limit: 1 })
      expect(page.nextCursor).not.toBeNull()
      const wrongSort = yield* Effect.flip(list.list({ sortKey: "updated_at", cursor: page.nextCursor! }))
      expect(wrongSort.message).toContain("made for sort created_at")
      const garbage = yield* Effect.flip(list.list({ cursor: "2025-01-01T00:00:00Z|abc" }))
      expect(garbage._tag).toBe("InvalidCursor")
    }).pipe(Effect.provide(databaseLayer())))
})
