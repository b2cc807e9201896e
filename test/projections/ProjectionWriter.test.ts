import { describe, expect, it } from "@effect/vitest"
import { initial } from "../../src/domain/ThreadFold.js"
import type { ThreadState, Turn } from "../../src/domain/ThreadState.js"
import { loadStates, type WriteItem, writeProjections } from "../../src/projections/ProjectionWriter.js"
import type { Statements } from "../../src/projections/Statements.js"
import { runSync } from "../../src/projections/Statements.js"
import type { ThreadPlacement } from "../../src/projections/ThreadDelta.js"
import { threadRows } from "../../src/projections/ThreadsProjection.js"
import { scalar, withStatements } from "../fixtures/projectionStatements.js"

const A = "019a9f10-1111-7222-8333-444455556666"
const B = "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff"
const PARENT = "019a9f10-0000-7000-8000-000000000000"

const turn = (index: number, tokensUsed = 10 * index): Turn => ({
  index,
  turnId: `t${index}`,
  startedAt: 1_000 + index,
  model: "gpt-x",
  reasoningEffort: "high",
  cwd: "/work",
  userMessage: `message ${index}`,
  tokensUsed
})

const TOOL = { name: "lookup", namespace: null, description: "d", inputSchema: { type: "object" }, hidden: false }

/** A thread with a row in every projection: a tool, `turns` turns, a parent. */
const stateOf = (id: string, turns = 2): ThreadState => {
  const state = initial(id, { fileNameTimestamp: 1_000, defaultModelProvider: "openai" })
  const all = Array.from({ length: turns }, (_, i) => turn(i))
  return {
    ...state,
    metadata: { ...state.metadata, parentThreadId: PARENT, cwd: "/work", title: "first" },
    dynamicTools: [TOOL],
    earlierTurns: all.slice(0, -1),
    lastTurn: all.at(-1) ?? null
  }
}

const placementAt = (offset: number, rolloutPath = "/h/sessions/a.jsonl"): ThreadPlacement => ({
  rolloutPath,
  archived: false,
  archivedAt: null,
  projectedOffset: offset,
  projectedLines: offset / 10,
  fileSize: offset
})

const fresh = (after: ThreadState, placement = placementAt(100)): WriteItem => ({
  delta: { before: undefined, after, placement },
  expected: undefined
})

const write = (s: Statements, items: ReadonlyArray<WriteItem>) => {
  const { stale, written } = runSync(writeProjections(items), s)
  return { written: written.length, stale: stale.length }
}

const count = (s: Statements, table: string, id: string) =>
  scalar(
    s,
    `SELECT count(*) FROM ${table} WHERE ${
      table === "threads" ? "id" : table === "thread_spawn_edges" ? "child_thread_id" : "thread_id"
    } = ?`,
    [id]
  )

const rowCounts = (s: Statements, id: string) =>
  ["threads", "thread_dynamic_tools", "thread_turns", "thread_spawn_edges"].map((t) => count(s, t, id))

/** What a resumed fold's item is: `before` as the rows hold it, `expected` the row planned from. */
const resumed = (s: Statements, id: string, after: (before: ThreadState) => ThreadState, offset: number): WriteItem => {
  const expected = runSync(threadRows.load([id]), s).get(id)!
  const before = runSync(loadStates([expected]), s).get(id)!
  return { delta: { before, after: after(before), placement: placementAt(offset, expected.rollout_path) }, expected }
}

const operational = (s: Statements, id: string) =>
  s.run("INSERT INTO thread_memory (thread_id, trace_summary, memory_summary, updated_at_ms) VALUES (?, '', '', 1)", [
    id
  ])

describe("ProjectionWriter", () => {
  it.effect("loads the state a resumed fold needs: metadata, tools, last turn and progress, no earlier turns", () =>
    withStatements((s) => {
      const state = stateOf(A, 3)
      const bare = initial(B, { fileNameTimestamp: 5, defaultModelProvider: "openai" })
      write(s, [fresh(state), fresh(bare, placementAt(10, "/h/sessions/b.jsonl"))])
      const rows = runSync(threadRows.load([A, B]), s)
      const states = runSync(loadStates([rows.get(A)!, rows.get(B)!]), s)
      expect(states.get(A)).toEqual({ ...state, earlierTurns: [] })
      expect(states.get(B)).toEqual(bare)
      expect(states.get(B)!.dynamicTools).toEqual([])
      expect(states.get(B)!.lastTurn).toBeNull()
    }))

  it.effect("writes a new thread and an unchanged resumed one; a resumed fold writes only from its last turn", () =>
    withStatements((s) => {
      expect(write(s, [fresh(stateOf(A, 2))])).toEqual({ written: 1, stale: 0 })
      expect(rowCounts(s, A)).toEqual([1, 1, 2, 1])
      // From scratch again, with no row planned from: written over the row there is.
      expect(write(s, [fresh(stateOf(A, 2), placementAt(120))])).toEqual({ written: 1, stale: 0 })
      expect(scalar(s, "SELECT projected_offset FROM threads WHERE id = ?", [A])).toBe(120)
      // Turn 0 changed in the database: a resumed fold (before has turn 1 last) leaves it as it is.
      s.run("UPDATE thread_turns SET tokens_used = 77 WHERE thread_id = ? AND turn_index = 0", [A])
      const item = resumed(s, A, (before) => ({
        ...before,
        earlierTurns: [turn(0), turn(1, 15)],
        lastTurn: turn(2)
      }), 200)
      expect(write(s, [item])).toEqual({ written: 1, stale: 0 })
      expect(s.values("SELECT turn_index, tokens_used FROM thread_turns WHERE thread_id = ? ORDER BY turn_index", [A]))
        .toEqual([[0, 77], [1, 15], [2, 20]])
      expect(scalar(s, "SELECT projected_offset FROM threads WHERE id = ?", [A])).toBe(200)
    }))

  it.effect("leaves a fold stale when the row moved on, moved file, vanished, or appeared under a resumed fold", () =>
    withStatements((s) => {
      write(s, [fresh(stateOf(A))])
      const planned = resumed(s, A, (before) => ({ ...before, metadata: { ...before.metadata, title: "new" } }), 300)
      const title = () => scalar(s, "SELECT title FROM threads WHERE id = ?", [A])
      // Another process projected further meanwhile.
      s.run("UPDATE threads SET projected_offset = 150 WHERE id = ?", [A])
      expect(write(s, [planned])).toEqual({ written: 0, stale: 1 })
      expect(title()).toBe("first")
      // Same offset, but the file moved (archived).
      s.run("UPDATE threads SET projected_offset = 100, rollout_path = '/h/archived/a.jsonl' WHERE id = ?", [A])
      expect(write(s, [planned])).toEqual({ written: 0, stale: 1 })
      s.run("UPDATE threads SET rollout_path = '/h/sessions/a.jsonl' WHERE id = ?", [A])
      expect(write(s, [planned])).toEqual({ written: 1, stale: 0 })
      expect(title()).toBe("new")
      // A resumed fold planned with no row, when a row has appeared since.
      const unplanned: WriteItem = { delta: { ...planned.delta, placement: placementAt(400) }, expected: undefined }
      expect(write(s, [unplanned])).toEqual({ written: 0, stale: 1 })
      // A resumed fold planned with no row, when there is still none: written.
      s.run("DELETE FROM threads WHERE id = ?", [A])
      expect(write(s, [unplanned])).toEqual({ written: 1, stale: 0 })
      // A row planned from that has gone.
      s.run("DELETE FROM threads WHERE id = ?", [A])
      expect(write(s, [planned])).toEqual({ written: 0, stale: 1 })
      expect(rowCounts(s, A)).toEqual([0, 0, 0, 0])
    }))

  it.effect("a thread folded again from scratch replaces its rows but keeps its thread row and operational state", () =>
    withStatements((s) => {
      write(s, [fresh(stateOf(A, 3))])
      operational(s, A)
      const expected = runSync(threadRows.load([A]), s).get(A)!
      const refold = {
        ...stateOf(A, 1),
        dynamicTools: [] as const,
        metadata: { ...stateOf(A).metadata, parentThreadId: null }
      }
      expect(write(s, [{ delta: { before: undefined, after: refold, placement: placementAt(50) }, expected }]))
        .toEqual({ written: 1, stale: 0 })
      expect(rowCounts(s, A)).toEqual([1, 0, 1, 0])
      expect(scalar(s, "SELECT count(*) FROM thread_memory WHERE thread_id = ?", [A])).toBe(1)
    }))

  it.effect("a file that now names another thread deletes the old thread with all its rows", () =>
    withStatements((s) => {
      write(s, [fresh(stateOf(A))])
      operational(s, A)
      const expected = runSync(threadRows.load([A]), s).get(A)!
      expect(write(s, [{ delta: { before: undefined, after: stateOf(B), placement: placementAt(80) }, expected }]))
        .toEqual({ written: 1, stale: 0 })
      expect(rowCounts(s, A)).toEqual([0, 0, 0, 0])
      expect(scalar(s, "SELECT count(*) FROM thread_memory", [])).toBe(0)
      expect(rowCounts(s, B)).toEqual([1, 1, 2, 1])
    }))

  it.effect("a stale fold from scratch clears nothing", () =>
    withStatements((s) => {
      write(s, [fresh(stateOf(A))])
      const expected = { ...runSync(threadRows.load([A]), s).get(A)!, projected_offset: 1 }
      const item: WriteItem = { delta: { before: undefined, after: stateOf(B), placement: placementAt(80) }, expected }
      expect(write(s, [item])).toEqual({ written: 0, stale: 1 })
      expect(rowCounts(s, A)).toEqual([1, 1, 2, 1])
      expect(rowCounts(s, B)).toEqual([0, 0, 0, 0])
    }))
})
