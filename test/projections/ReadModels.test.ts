/**
 * The read models over rows written directly: each filter, order, paging edge and error of
 * ThreadList, TurnList and AgentGraph, on a handful of rows whose expected answer is plain.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeCursor } from "../../src/domain/PageCursor.js"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { AgentGraph, AgentNotFound, layer as agentGraphLayer } from "../../src/projections/AgentGraph.js"
import {
  DEFAULT_PAGE_SIZE,
  layer as threadListLayer,
  MAX_PAGE_SIZE,
  pageSize,
  ThreadList
} from "../../src/projections/ThreadList.js"
import { toThreadRow } from "../../src/projections/ThreadsProjection.js"
import { layer as turnListLayer, TurnList } from "../../src/projections/TurnList.js"

const id = (n: number) => `019a9f10-0000-7000-8000-${String(n).padStart(12, "0")}`

interface Spec {
  readonly n: number
  readonly created: number
  readonly updated?: number
  readonly archived?: boolean
  readonly cwd?: string
  readonly title?: string
  readonly firstUserMessage?: string | null
  readonly source?: string
  readonly provider?: string
  readonly agentPath?: string | null
}

const rowOf = (s: Spec) => {
  const state = initial(id(s.n), { fileNameTimestamp: s.created, defaultModelProvider: s.provider ?? "openai" })
  return toThreadRow(
    {
      ...state.metadata,
      createdAt: s.created,
      updatedAt: s.updated ?? s.created,
      cwd: s.cwd ?? "/w",
      title: s.title ?? "",
      firstUserMessage: s.firstUserMessage ?? null,
      source: s.source ?? "cli",
      agentPath: s.agentPath ?? null
    },
    state.progress,
    {
      rolloutPath: `/home/${s.n}.jsonl`,
      archived: s.archived ?? false,
      archivedAt: null,
      projectedOffset: 0,
      projectedLines: 0,
      fileSize: 0
    }
  )
}

const freshLayer = () => {
  const file = join(mkdtempSync(join(tmpdir(), "read-models-")), "state.sqlite")
  const sql = Layer.effect(SqlClient.SqlClient, Effect.map(Database.Database, (d) => d.sql)).pipe(
    Layer.provide(Database.layer({ file }))
  )
  return Layer.mergeAll(threadListLayer, turnListLayer, agentGraphLayer).pipe(Layer.provideMerge(sql))
}

const insertThreads = (specs: ReadonlyArray<Spec>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO threads ${sql.insert(specs.map(rowOf))}`)

const listIds = (query: Parameters<ThreadList["list"]>[0]) =>
  Effect.flatMap(ThreadList, (list) => Effect.map(list.list(query), (page) => page.items.map((r) => r.id)))

const ids = (...ns: ReadonlyArray<number>) => ns.map(id)

describe("thread list", () => {
  it("clamps page sizes", () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE)
    expect(pageSize(0)).toBe(1)
    expect(pageSize(-5)).toBe(1)
    expect(pageSize(2.9)).toBe(2)
    expect(pageSize(MAX_PAGE_SIZE + 1)).toBe(MAX_PAGE_SIZE)
    expect(pageSize(MAX_PAGE_SIZE)).toBe(MAX_PAGE_SIZE)
    expect(DEFAULT_PAGE_SIZE).toBe(25)
    expect(MAX_PAGE_SIZE).toBe(200)
  })

  it.effect("filters by archive, cwd, source kind, provider and search in the title or first message", () =>
    Effect.gen(function*() {
      yield* insertThreads([
        { n: 1, created: 10, cwd: "/a", title: "fix bug", source: "cli", provider: "openai" },
        { n: 2, created: 20, cwd: "/b", title: "feature", firstUserMessage: "a bug here", source: "vscode" },
        { n: 3, created: 30, cwd: "/a", title: "other", source: `{"subagent":{"x":1}}`, provider: "azure" },
        { n: 4, created: 40, cwd: "/a", title: "bug archived", archived: true }
      ])
      expect(yield* listIds({})).toEqual(ids(3, 2, 1))
      expect(yield* listIds({ archived: true })).toEqual(ids(4))
      expect(yield* listIds({ archived: false })).toEqual(ids(3, 2, 1))
      expect(yield* listIds({ cwd: "/a" })).toEqual(ids(3, 1))
      expect(yield* listIds({ sourceKinds: ["subagent", "vscode"] })).toEqual(ids(3, 2))
      // An empty list is the interactive kinds only (SPEC §11).
      expect(yield* listIds({ sourceKinds: [] })).toEqual(ids(2, 1))
      expect(yield* listIds({ modelProviders: ["azure"] })).toEqual(ids(3))
      expect(yield* listIds({ modelProviders: [] })).toEqual(ids(3, 2, 1))
      expect(yield* listIds({ search: "bug" })).toEqual(ids(2, 1))
      expect(yield* listIds({ search: "" })).toEqual(ids(3, 2, 1))
      expect(yield* listIds({ search: "Bug" })).toEqual([])
      expect(yield* listIds({ cwd: "/a", modelProviders: ["openai"], search: "bug", archived: true })).toEqual(ids(4))
    }).pipe(Effect.provide(freshLayer())))

  it.effect("sorts by either time in either direction, ties by id, and pages with both cursors", () =>
    Effect.gen(function*() {
      yield* insertThreads([
        { n: 1, created: 10, updated: 300 },
        { n: 2, created: 20, updated: 100 },
        { n: 3, created: 20, updated: 200 },
        { n: 4, created: 5, updated: 400 }
      ])
      expect(yield* listIds({ direction: "asc" })).toEqual(ids(4, 1, 2, 3))
      expect(yield* listIds({ sortKey: "updated_at" })).toEqual(ids(4, 1, 3, 2))
      expect(yield* listIds({ sortKey: "updated_at", direction: "asc" })).toEqual(ids(2, 3, 1, 4))
      const list = yield* ThreadList
      const first = yield* list.list({ limit: 2 })
      expect(first.items.map((r) => r.id)).toEqual(ids(3, 2))
      expect(first.nextCursor).toBe(encodeCursor("created_at", { sortMs: 20, id: id(2) }))
      expect(first.backwardsCursor).toBe(encodeCursor("created_at", { sortMs: 20, id: id(3) }))
      const second = yield* list.list({ limit: 2, cursor: first.nextCursor! })
      expect(second.items.map((r) => r.id)).toEqual(ids(1, 4))
      expect(second.nextCursor).toBeNull()
      const before = { limit: 2, cursor: second.backwardsCursor!, direction: "asc" as const }
      expect((yield* list.list(before)).items.map((r) => r.id)).toEqual(ids(2, 3))
      const ascending = yield* list.list({ direction: "asc", limit: 3, sortKey: "updated_at" })
      expect(ascending.items.map((r) => r.id)).toEqual(ids(2, 3, 1))
      expect(ascending.nextCursor).toBe(encodeCursor("updated_at", { sortMs: 300, id: id(1) }))
      const rest = yield* list.list({ direction: "asc", sortKey: "updated_at", cursor: ascending.nextCursor! })
      expect(rest.items.map((r) => r.id)).toEqual(ids(4))
      const exact = yield* list.list({ limit: 4 })
      expect(exact.nextCursor).toBeNull()
      const empty = yield* list.list({ archived: true })
      expect(empty).toEqual({ items: [], nextCursor: null, backwardsCursor: null })
      const refused = yield* Effect.exit(list.list({ cursor: "%%" }))
      expect(Exit.isFailure(refused) && String(refused.cause)).toMatch(/InvalidCursor/)
    }).pipe(Effect.provide(freshLayer())))
})

describe("turn list", () => {
  it.effect("lists a thread's turns newest first or oldest first, in pages, and only that thread's", () =>
    Effect.gen(function*() {
      yield* insertThreads([{ n: 1, created: 1 }, { n: 2, created: 2 }])
      const sql = yield* SqlClient.SqlClient
      const turn = (thread: number, index: number) => ({
        thread_id: id(thread),
        turn_index: index,
        turn_id: `t${index}`,
        started_at_ms: 100 + index,
        model: "m",
        reasoning_effort: "high",
        cwd: "/w",
        user_message: `m${index}`,
        tokens_used: index * 10
      })
      yield* sql`INSERT INTO thread_turns ${sql.insert([turn(1, 0), turn(1, 1), turn(1, 2), turn(2, 0)])}`
      const list = yield* TurnList
      const all = yield* list.list(id(1), {})
      expect(all.items.map((t) => t.index)).toEqual([2, 1, 0])
      expect(all.items[0]).toEqual({
        index: 2,
        turnId: "t2",
        startedAt: 102,
        model: "m",
        reasoningEffort: "high",
        cwd: "/w",
        userMessage: "m2",
        tokensUsed: 20
      })
      expect(all.nextCursor).toBeNull()
      const key = `turns:${id(1)}`
      expect(all.backwardsCursor).toBe(encodeCursor(key, { sortMs: 2, id: id(1) }))
      const first = yield* list.list(id(1), { limit: 2, direction: "asc" })
      expect(first.items.map((t) => t.index)).toEqual([0, 1])
      expect(first.nextCursor).toBe(encodeCursor(key, { sortMs: 1, id: id(1) }))
      const second = yield* list.list(id(1), { limit: 2, direction: "asc", cursor: first.nextCursor! })
      expect(second.items.map((t) => t.index)).toEqual([2])
      expect(second.nextCursor).toBeNull()
      const down = yield* list.list(id(1), { limit: 1, direction: "desc", cursor: second.backwardsCursor! })
      expect(down.items.map((t) => t.index)).toEqual([1])
      expect(down.nextCursor).toBe(encodeCursor(key, { sortMs: 1, id: id(1) }))
      expect((yield* list.list(id(2), {})).items.map((t) => t.index)).toEqual([0])
      const none = yield* list.list(id(3), {})
      expect(none).toEqual({ items: [], nextCursor: null, backwardsCursor: null })
      const foreign = yield* Effect.exit(list.list(id(2), { cursor: first.nextCursor! }))
      expect(Exit.isFailure(foreign) && String(foreign.cause)).toMatch(/InvalidCursor.*made for sort turns:/)
    }).pipe(Effect.provide(freshLayer())))
})

describe("agent graph", () => {
  const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
    if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a failure")
    return exit.cause.error
  }

  it.effect("walks edges by child id, descendants breadth first, survives loops, and resolves paths preferring open, newer agents", () =>
    Effect.gen(function*() {
      // 1 ─ 2 (/root/a) ─ 4 (/root/a/c)
      //   ├ 3 (/root/b, closed) and 5 (/root/b, open, older) ─ 6 (/root/b/d)
      // 7 ↔ 8: a loop; 9 has a parent but no path; 10 is a root with a path.
      yield* insertThreads([
        { n: 1, created: 1 },
        { n: 2, created: 3, agentPath: "/root/a" },
        { n: 3, created: 2, agentPath: "/root/b" },
        { n: 4, created: 4, agentPath: "/root/a/c" },
        { n: 5, created: 1, agentPath: "/root/b" },
        { n: 6, created: 6, agentPath: "/root/b/d" },
        { n: 7, created: 7 },
        { n: 8, created: 8 },
        { n: 9, created: 9 },
        { n: 10, created: 10, agentPath: "/root/x" }
      ])
      const sql = yield* SqlClient.SqlClient
      const edge = (child: number, parent: number, status = "open") => ({
        child_thread_id: id(child),
        parent_thread_id: id(parent),
        status
      })
      yield* sql`INSERT INTO thread_spawn_edges ${
        sql.insert([
          edge(2, 1),
          edge(3, 1, "closed"),
          edge(4, 2),
          edge(5, 1),
          edge(6, 5),
          edge(7, 8),
          edge(8, 7),
          edge(9, 1)
        ])
      }`
      const graph = yield* AgentGraph
      expect(yield* graph.children(id(1))).toEqual(ids(2, 3, 5, 9))
      expect(yield* graph.children(id(4))).toEqual([])
      expect(yield* graph.descendants(id(1))).toEqual(ids(2, 3, 5, 9, 4, 6))
      expect(yield* graph.descendants(id(2))).toEqual(ids(4))
      expect(yield* graph.descendants(id(4))).toEqual([])
      expect(yield* graph.descendants(id(7))).toEqual(ids(8))
      expect(yield* graph.ancestors(id(4))).toEqual(ids(1, 2))
      expect(yield* graph.ancestors(id(1))).toEqual([])
      expect(yield* graph.ancestors(id(7))).toEqual(ids(8))
      expect(yield* graph.resolve("/root/b", id(4))).toBe(id(5))
      expect(yield* graph.resolve("d", id(5))).toBe(id(6))
      expect(yield* graph.resolve("../../a/c", id(6))).toBe(id(4))
      expect(yield* graph.resolve("/root", id(6))).toBe(id(1))
      expect(yield* graph.resolve("a", id(1))).toBe(id(2))
      const unknown = failure(yield* Effect.exit(graph.resolve("a", id(99))))
      expect(unknown).toBeInstanceOf(AgentNotFound)
      expect(unknown).toMatchObject({ reference: "a", fromThreadId: id(99), reason: "the calling thread is unknown" })
      expect(unknown.message).toBe(`agent a (from thread ${id(99)}): the calling thread is unknown`)
      expect(failure(yield* Effect.exit(graph.resolve("a", id(9))))).toMatchObject({
        reason: "the calling thread was spawned without an agent path"
      })
      expect(failure(yield* Effect.exit(graph.resolve("a/z", id(1))))).toMatchObject({
        reason: "no agent at /root/a/z"
      })
      expect(failure(yield* Effect.exit(graph.resolve("..", id(1))))).toMatchObject({
        _tag: "InvalidAgentPath",
        reason: "goes above /root"
      })
      // A root with a path resolves paths from itself.
      expect(yield* graph.resolve("/root", id(10))).toBe(id(10))
    }).pipe(Effect.provide(freshLayer())))
})
