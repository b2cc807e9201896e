import { describe, expect, it } from "@effect/vitest"
import type { DynamicTool } from "../../src/domain/DynamicTool.js"
import { initial } from "../../src/domain/ThreadFold.js"
import type { ThreadState, Turn } from "../../src/domain/ThreadState.js"
import { dynamicToolsProjection, toolRows } from "../../src/projections/DynamicToolsProjection.js"
import { spawnEdgeRows, spawnEdgesProjection } from "../../src/projections/SpawnEdgesProjection.js"
import type { Statements } from "../../src/projections/Statements.js"
import { runSync } from "../../src/projections/Statements.js"
import type { ThreadDelta } from "../../src/projections/ThreadDelta.js"
import { threadRows, threadsProjection, toThreadRow } from "../../src/projections/ThreadsProjection.js"
import { turnRows, turnsProjection } from "../../src/projections/TurnsProjection.js"
import { scalar, withStatements } from "../fixtures/projectionStatements.js"

/** `n` distinct thread ids, sorting in creation order. */
const ids = (n: number, prefix = "019a9f10-0000-7000-8000-") =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(12, "0")}`)
const [A, B, P, Q] = ids(4) as [string, string, string, string]

const turn = (index: number, tokensUsed = 10 * index): Turn => ({
  index,
  turnId: index === 0 ? null : `t${index}`,
  startedAt: index === 0 ? null : 1_000 + index,
  model: index === 0 ? null : "gpt-x",
  reasoningEffort: index === 0 ? null : "high",
  cwd: `/work/${index}`,
  userMessage: index === 0 ? null : `message ${index}`,
  tokensUsed
})

const tool = (name: string, hidden = false): DynamicTool => ({
  name,
  namespace: hidden ? "ns" : null,
  description: `about ${name}`,
  inputSchema: { type: "object", properties: { q: { type: "string" } } },
  hidden
})

const stateOf = (id: string, change: Partial<ThreadState> = {}, parent: string | null = null): ThreadState => {
  const state = initial(id, { fileNameTimestamp: 1_000, defaultModelProvider: "openai" })
  return { ...state, ...change, metadata: { ...state.metadata, parentThreadId: parent, ...change.metadata } }
}

const placement = {
  rolloutPath: "/h/sessions/a.jsonl",
  archived: false,
  archivedAt: null,
  projectedOffset: 10,
  projectedLines: 1,
  fileSize: 10
}

const delta = (after: ThreadState, before?: ThreadState): ThreadDelta => ({ before, after, placement })

/** A `threads` row for each thread, so the tables that reference it take rows. */
const withThreads = (s: Statements, states: ReadonlyArray<ThreadState>) =>
  runSync(threadRows.apply(states.map((state) => delta(state))), s)

const turnsOfTable = (s: Statements, id: string) =>
  s.values("SELECT turn_index, tokens_used FROM thread_turns WHERE thread_id = ? ORDER BY turn_index", [id])

describe("turns projection", () => {
  it.effect("a fold from scratch writes every turn; a resumed one rewrites from the last projected turn on", () =>
    withStatements((s) => {
      const first = stateOf(A, { earlierTurns: [turn(0), turn(1)], lastTurn: turn(2) })
      withThreads(s, [first, stateOf(B)])
      runSync(turnRows.apply([delta(first)]), s)
      expect(turnsOfTable(s, A)).toEqual([[0, 0], [1, 10], [2, 20]])
      s.run("UPDATE thread_turns SET tokens_used = 5 WHERE turn_index < 2", [])
      const next = stateOf(A, { earlierTurns: [turn(0, 1), turn(1, 1), turn(2, 25)], lastTurn: turn(3) })
      runSync(turnRows.apply([delta(next, first)]), s)
      expect(turnsOfTable(s, A)).toEqual([[0, 5], [1, 5], [2, 25], [3, 30]])
      // A thread with no turn yet writes none; resumed, it writes its first turns.
      runSync(turnRows.apply([delta(stateOf(B))]), s)
      expect(turnsOfTable(s, B)).toEqual([])
      runSync(turnRows.apply([delta(stateOf(B, { earlierTurns: [turn(0)], lastTurn: turn(1) }), stateOf(B))]), s)
      expect(turnsOfTable(s, B)).toEqual([[0, 0], [1, 10]])
    }))

  it.effect("loads each thread's last turn and all its turns in order, field for field", () =>
    withStatements((s) => {
      const a = stateOf(A, { earlierTurns: [turn(0), turn(1)], lastTurn: turn(2) })
      const b = stateOf(B, { lastTurn: turn(0) })
      withThreads(s, [a, b, stateOf(P)])
      runSync(turnRows.apply([delta(a), delta(b)]), s)
      expect(runSync(turnRows.loadLast([A, B, P]), s)).toEqual(new Map([[A, turn(2)], [B, turn(0)]]))
      const all = runSync(turnRows.loadAll([B, A, P]), s)
      expect([...all.keys()].sort()).toEqual([A, B])
      expect(all.get(A)!.map((row) => row.turn_index)).toEqual([0, 1, 2])
      expect(all.get(A)![1]).toEqual({
        thread_id: A,
        turn_index: 1,
        turn_id: "t1",
        started_at_ms: 1_001,
        model: "gpt-x",
        reasoning_effort: "high",
        cwd: "/work/1",
        user_message: "message 1",
        tokens_used: 10
      })
      expect(all.get(B)).toEqual([expect.objectContaining({ thread_id: B, turn_index: 0, turn_id: null })])
    }))

  it.effect("reads more threads than one IN list holds", () =>
    withStatements((s) => {
      const many = ids(1_001, "019a9f10-1111-7000-8000-").map((id) => stateOf(id, { lastTurn: turn(0) }))
      withThreads(s, many)
      runSync(turnRows.apply(many.map((state) => delta(state))), s)
      expect(scalar(s, "SELECT count(*) FROM thread_turns")).toBe(1_001)
      const keys = many.map((state) => state.metadata.id)
      expect(runSync(turnRows.loadLast(keys), s).size).toBe(1_001)
      expect(runSync(turnRows.loadAll(keys), s).size).toBe(1_001)
      runSync(turnRows.clear(keys), s)
      expect(scalar(s, "SELECT count(*) FROM thread_turns")).toBe(0)
    }))

  it.effect("drift names turns when a thread's rows differ from its fold, or it has none", () =>
    withStatements((s) => {
      const a = stateOf(A, { earlierTurns: [turn(0)], lastTurn: turn(1) })
      withThreads(s, [a, stateOf(B), stateOf(P)])
      runSync(turnRows.apply([delta(a)]), s)
      const folds = [delta(a), delta(stateOf(B)), delta(stateOf(P, { lastTurn: turn(0) }))]
      expect(runSync(turnsProjection.drift(folds), s)).toEqual(new Map([[P, ["turns"]]]))
      s.run("UPDATE thread_turns SET cwd = 'x' WHERE turn_index = 1", [])
      expect(runSync(turnsProjection.drift(folds), s)).toEqual(new Map([[A, ["turns"]], [P, ["turns"]]]))
      runSync(turnsProjection.reset(), s)
      expect(scalar(s, "SELECT count(*) FROM thread_turns")).toBe(0)
    }))
})

describe("dynamic tools projection", () => {
  const toolsOfTable = (s: Statements, id: string) =>
    s.rows("SELECT * FROM thread_dynamic_tools WHERE thread_id = ? ORDER BY position", [id])

  it.effect("writes a thread's tools in order, and rewrites them only when the fold replaced the list", () =>
    withStatements((s) => {
      const first = stateOf(A, { dynamicTools: [tool("b"), tool("a", true)] })
      withThreads(s, [first, stateOf(B)])
      runSync(toolRows.apply([delta(first), delta(stateOf(B))]), s)
      expect(toolsOfTable(s, A)).toEqual([
        {
          thread_id: A,
          position: 0,
          name: "b",
          namespace: null,
          description: "about b",
          input_schema: `{"type":"object","properties":{"q":{"type":"string"}}}`,
          hidden: 0
        },
        expect.objectContaining({ position: 1, name: "a", namespace: "ns", hidden: 1 })
      ])
      expect(toolsOfTable(s, B)).toEqual([])
      expect(runSync(toolRows.load([A, B]), s)).toEqual(new Map([[A, first.dynamicTools]]))
      // The same list (as a resumed fold keeps it): the rows are not touched.
      s.run("UPDATE thread_dynamic_tools SET description = 'kept'", [])
      const resumed = { ...first, metadata: { ...first.metadata, title: "t" } }
      runSync(toolRows.apply([delta(resumed, first)]), s)
      expect(toolsOfTable(s, A).map((row) => row["description"])).toEqual(["kept", "kept"])
      // A new list replaces the old one, even a shorter one.
      const replaced = { ...first, dynamicTools: [tool("c")] }
      runSync(toolRows.apply([delta(replaced, first)]), s)
      expect(toolsOfTable(s, A).map((row) => [row["position"], row["name"]])).toEqual([[0, "c"]])
      // An emptied list leaves no rows.
      runSync(toolRows.apply([delta({ ...first, dynamicTools: [] }, replaced)]), s)
      expect(toolsOfTable(s, A)).toEqual([])
    }))

  it.effect("drift names dynamicTools for a thread whose rows differ; reset and clear remove rows", () =>
    withStatements((s) => {
      const a = stateOf(A, { dynamicTools: [tool("x")] })
      withThreads(s, [a, stateOf(B)])
      runSync(toolRows.apply([delta(a), delta(stateOf(B))]), s)
      expect(runSync(dynamicToolsProjection.drift([delta(a), delta(stateOf(B))]), s)).toEqual(new Map())
      expect(runSync(dynamicToolsProjection.drift([delta(stateOf(B, { dynamicTools: [tool("y")] }))]), s))
        .toEqual(new Map([[B, ["dynamicTools"]]]))
      s.run("UPDATE thread_dynamic_tools SET hidden = 1", [])
      expect(runSync(dynamicToolsProjection.drift([delta(a)]), s)).toEqual(new Map([[A, ["dynamicTools"]]]))
      runSync(dynamicToolsProjection.clear([B]), s)
      expect(scalar(s, "SELECT count(*) FROM thread_dynamic_tools")).toBe(1)
      runSync(dynamicToolsProjection.reset(), s)
      expect(scalar(s, "SELECT count(*) FROM thread_dynamic_tools")).toBe(0)
    }))
})

describe("spawn edges projection", () => {
  const edges = (s: Statements) =>
    s.values("SELECT child_thread_id, parent_thread_id, status FROM thread_spawn_edges ORDER BY child_thread_id", [])

  it.effect("writes an edge when a thread gains or changes its parent, and removes it when it loses it", () =>
    withStatements((s) => {
      withThreads(s, [stateOf(A), stateOf(B)])
      runSync(spawnEdgeRows.apply([delta(stateOf(A, {}, P)), delta(stateOf(B))]), s)
      expect(edges(s)).toEqual([[A, P, "open"]])
      // Unchanged parent: the row is not written (a status set elsewhere stays).
      s.run("UPDATE thread_spawn_edges SET status = 'closed'", [])
      runSync(spawnEdgeRows.apply([delta(stateOf(A, {}, P), stateOf(A, {}, P))]), s)
      expect(edges(s)).toEqual([[A, P, "closed"]])
      // Nor is a row that differs from an unchanged fold (reconcile repairs it, not a write).
      s.run("UPDATE thread_spawn_edges SET parent_thread_id = 'other'", [])
      runSync(spawnEdgeRows.apply([delta(stateOf(A, {}, P), stateOf(A, {}, P)), delta(stateOf(B), stateOf(B))]), s)
      expect(edges(s)).toEqual([[A, "other", "closed"]])
      // A new parent rewrites the edge with the fold's status (folded from the log, SPEC §11).
      runSync(spawnEdgeRows.apply([delta(stateOf(A, {}, Q), stateOf(A, {}, P))]), s)
      expect(edges(s)).toEqual([[A, Q, "open"]])
      expect(runSync(spawnEdgeRows.loadEdges([A, B]), s)).toEqual(new Map([[A, { parent: Q, status: "open" }]]))
      runSync(spawnEdgeRows.apply([delta(stateOf(A), stateOf(A, {}, Q)), delta(stateOf(B, {}, P), stateOf(B))]), s)
      expect(edges(s)).toEqual([[B, P, "open"]])
    }))

  it.effect("drift names spawnEdge for a missing, extra or different parent; reset and clear remove edges", () =>
    withStatements((s) => {
      withThreads(s, [stateOf(A), stateOf(B), stateOf(P)])
      runSync(spawnEdgeRows.apply([delta(stateOf(A, {}, P)), delta(stateOf(B, {}, P))]), s)
      expect(runSync(spawnEdgesProjection.drift([delta(stateOf(A, {}, P)), delta(stateOf(P))]), s)).toEqual(new Map())
      expect(runSync(
        spawnEdgesProjection.drift([
          delta(stateOf(A, {}, Q)),
          delta(stateOf(B)),
          delta(stateOf(P, {}, Q))
        ]),
        s
      )).toEqual(new Map([[A, ["spawnEdge"]], [B, ["spawnEdge"]], [P, ["spawnEdge"]]]))
      runSync(spawnEdgesProjection.clear([A]), s)
      expect(edges(s)).toEqual([[B, P, "open"]])
      runSync(spawnEdgesProjection.reset(), s)
      expect(edges(s)).toEqual([])
    }))
})

describe("threads projection", () => {
  it.effect("loads rows by id, by path and as positions; drift names the differing fields as hosts see them", () =>
    withStatements((s) => {
      const a = stateOf(A, { metadata: { ...stateOf(A).metadata, title: "a" } })
      runSync(
        threadRows.apply([delta(a), { ...delta(stateOf(B)), placement: { ...placement, rolloutPath: "/h/b.jsonl" } }]),
        s
      )
      expect(runSync(threadRows.load([A, P]), s)).toEqual(
        new Map([[A, toThreadRow(a.metadata, a.progress, placement)]])
      )
      expect([...runSync(threadRows.findByPath(["/h/b.jsonl", "/h/none.jsonl"]), s).keys()]).toEqual(["/h/b.jsonl"])
      expect(runSync(threadRows.findByPath(["/h/b.jsonl"]), s).get("/h/b.jsonl")!.id).toBe(B)
      expect(runSync(threadRows.loadPositions([A, B, P]), s)).toEqual(
        new Map([
          [A, { id: A, rollout_path: "/h/sessions/a.jsonl", projected_offset: 10 }],
          [B, { id: B, rollout_path: "/h/b.jsonl", projected_offset: 10 }]
        ])
      )
      expect(runSync(threadsProjection.drift([delta(a), delta(stateOf(P))]), s)).toEqual(new Map())
      s.run(
        "UPDATE threads SET created_at_ms = 1, rollout_path = 'x', archived_at_ms = 3, source_kind = 'k' WHERE id = ?",
        [A]
      )
      expect(runSync(threadsProjection.drift([delta(a)]), s)).toEqual(
        new Map([[A, ["rolloutPath", "createdAt", "archivedAt", "sourceKind"]]])
      )
      runSync(threadsProjection.reset(), s)
      expect(s.values("SELECT projected_offset, projected_lines, file_size FROM threads", []))
        .toEqual([[0, 0, -1], [0, 0, -1]])
      runSync(threadsProjection.clear([A]), s)
      expect(s.values("SELECT id FROM threads", [])).toEqual([[B]])
    }))

  it.effect("writes and reads more rows than one statement holds", () =>
    withStatements((s) => {
      const many = ids(1_001, "019a9f10-2222-7000-8000-").map((id) => stateOf(id))
      runSync(threadRows.apply(many.map((state) => delta(state))), s)
      const keys = many.map((state) => state.metadata.id)
      expect(runSync(threadRows.load(keys), s).size).toBe(1_001)
      expect(runSync(threadRows.loadPositions(keys), s).size).toBe(1_001)
      runSync(threadRows.clear(keys), s)
      expect(scalar(s, "SELECT count(*) FROM threads")).toBe(0)
    }))
})
