import { describe, expect, it } from "vitest"
import { initial } from "../../src/domain/ThreadFold.js"
import type { ThreadMetadata } from "../../src/domain/ThreadState.js"
import { chunksOf, statementForRows, valuesOf } from "../../src/projections/Statements.js"
import {
  metadataOf,
  placementOf,
  progressOf,
  THREAD_COLUMNS,
  THREAD_SELECT,
  threadRowsOf,
  toThreadRow
} from "../../src/projections/ThreadsProjection.js"

const ID = "019ea439-5f04-7f57-962d-815ed782d47f"

// Every field distinct, so a field written to or read from the wrong column shows.
const metadata: ThreadMetadata = {
  id: ID,
  createdAt: 1,
  updatedAt: 2,
  source: `{"subagent":{"review":1}}`,
  threadSource: "thread-source",
  agentNickname: "nick",
  agentRole: "role",
  agentPath: "/root/a",
  parentThreadId: "parent",
  forkedFromId: "fork",
  modelProvider: "provider",
  model: "model",
  reasoningEffort: "high",
  cwd: "/cwd",
  cliVersion: "1.2.3",
  title: "title",
  name: "name",
  firstUserMessage: "first",
  sandboxPolicy: "sandbox",
  approvalMode: "approval",
  tokensUsed: 3,
  gitSha: "sha",
  gitBranch: "branch",
  gitOriginUrl: "origin",
  memoryMode: "memory",
  spawnStatus: "closed"
}
const progress = {
  idFromSessionMeta: true,
  createdAtSource: "session_meta",
  latestLineTimestamp: 2,
  turnOpen: true,
  turnOpenedByTask: false
} as const
const placement = {
  rolloutPath: "/home/r.jsonl",
  archived: true,
  archivedAt: 4,
  projectedOffset: 5,
  projectedLines: 6,
  fileSize: 7
}

describe("thread rows", () => {
  it("write every field to its column and read it back", () => {
    const row = toThreadRow(metadata, progress, placement)
    expect(row).toMatchObject({
      id: ID,
      rollout_path: "/home/r.jsonl",
      created_at_ms: 1,
      updated_at_ms: 2,
      source: `{"subagent":{"review":1}}`,
      source_kind: "subAgentOther",
      archived: 1,
      archived_at_ms: 4,
      projected_offset: 5,
      projected_lines: 6,
      file_size: 7
    })
    expect(metadataOf(row)).toEqual(metadata)
    expect(placementOf(row)).toEqual(placement)
    expect(progressOf(row)).toEqual(progress)
    const live = toThreadRow(metadata, progress, { ...placement, archived: false, archivedAt: null })
    expect(live.archived).toBe(0)
    expect(placementOf(live)).toMatchObject({ archived: false, archivedAt: null })
  })

  it("read value arrays in THREAD_SELECT order", () => {
    const row = toThreadRow(metadata, progress, placement)
    expect(THREAD_SELECT).toBe(THREAD_COLUMNS.join(", "))
    expect(THREAD_COLUMNS[0]).toBe("id")
    expect(threadRowsOf([THREAD_COLUMNS.map((c) => row[c])])).toEqual([row])
    expect(threadRowsOf([])).toEqual([])
  })

  it("refuse a value of the wrong type, naming the column, the row and both types", () => {
    const state = initial(ID, { fileNameTimestamp: 0, defaultModelProvider: "openai" })
    const row = toThreadRow(state.metadata, state.progress, placement)
    const values: Array<unknown> = THREAD_COLUMNS.map((c) => row[c])
    const at = (column: string, value: unknown) => {
      const copy = [...values]
      copy[THREAD_COLUMNS.indexOf(column as never)] = value
      return () => threadRowsOf([copy])
    }
    expect(at("title", 3)).toThrow(`threads.title of ${ID}: expected string, got number`)
    expect(at("title", null)).toThrow(`threads.title of ${ID}: expected string, got null`)
    expect(at("tokens_used", "3")).toThrow(`threads.tokens_used of ${ID}: expected number, got string`)
    expect(at("archived_at_ms", "x")).toThrow(`threads.archived_at_ms of ${ID}: expected number, got string`)
    expect(at("model", 1)).toThrow(`threads.model of ${ID}: expected string, got number`)
    // Nullable columns take null.
    expect(at("model", null)()[0]?.model).toBeNull()
    expect(at("archived_at_ms", null)()[0]?.archived_at_ms).toBeNull()
  })
})

describe("multi-row statements", () => {
  it("cut rows into chunks of at most the given size", () => {
    expect(chunksOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunksOf([1, 2], 2)).toEqual([[1, 2]])
    expect(chunksOf([], 2)).toEqual([])
    expect(chunksOf(Array.from({ length: 251 }, (_, i) => i)).map((c) => c.length)).toEqual([250, 1])
  })

  it("build one placeholder group per row, once per row count", () => {
    const built: Array<string> = []
    const statement = statementForRows(3, (values) => {
      built.push(values)
      return `INSERT INTO t VALUES ${values}`
    })
    expect(statement(2)).toBe("INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)")
    expect(statement(2)).toBe("INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)")
    expect(statement(1)).toBe("INSERT INTO t VALUES (?, ?, ?)")
    expect(built).toEqual(["(?, ?, ?), (?, ?, ?)", "(?, ?, ?)"])
  })

  it("lay out the rows' values in column order", () => {
    expect(valuesOf([{ a: 1, b: 2 }, { a: 3, b: 4 }], ["b", "a"])).toEqual([2, 1, 4, 3])
  })
})
