import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { initial } from "../../src/domain/ThreadFold.js"
import type { ThreadState } from "../../src/domain/ThreadState.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { PROJECTIONS } from "../../src/projections/Projection.js"
import { writeProjections } from "../../src/projections/ProjectionWriter.js"
import { runSync } from "../../src/projections/Statements.js"
import type { ThreadDelta } from "../../src/projections/ThreadDelta.js"

const CHILD = "019a9f10-1111-7222-8333-444455556666"
const PARENT = "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff"

/** A thread with a row in every projection: tools, two turns, a parent, two messages. */
const stateOf = (): ThreadState => {
  const state = initial(CHILD, { fileNameTimestamp: 1_000, defaultModelProvider: "openai" })
  const turn = (index: number) => ({
    index,
    turnId: `t${index}`,
    startedAt: 1_000 + index,
    model: "gpt-x",
    reasoningEffort: "high",
    cwd: "/work",
    userMessage: `message ${index}`,
    tokensUsed: 10 * index
  })
  return {
    ...state,
    metadata: { ...state.metadata, parentThreadId: PARENT, cwd: "/work" },
    dynamicTools: [{
      name: "lookup",
      namespace: null,
      description: "d",
      inputSchema: { type: "object" },
      hidden: false
    }],
    earlierTurns: [turn(0)],
    lastTurn: turn(1)
  }
}

const fold = (): ThreadDelta => ({
  before: undefined,
  after: stateOf(),
  placement: {
    rolloutPath: "/h/sessions/f.jsonl",
    archived: false,
    archivedAt: null,
    projectedOffset: 100,
    projectedLines: 4,
    fileSize: 100
  },
  messages: [
    { position: 2, turnIndex: 0, kind: "user", text: "message 0" },
    { position: 3, turnIndex: 1, kind: "agent", text: "the flaky login test is fixed" }
  ]
})

const withDatabase = <A>(use: (database: Database.Database) => Effect.Effect<A, unknown>) =>
  Effect.scoped(Effect.flatMap(
    Effect.tap(
      Database.open({ file: join(mkdtempSync(join(tmpdir(), "projection-")), "state.sqlite") }),
      Database.migrate
    ),
    use
  ))

/** A change to one row of the projection, and the field reconcile should name for it. */
const TAMPER: Record<string, { readonly sql: string; readonly field: string }> = {
  threads: { sql: "UPDATE threads SET title = 'tampered'", field: "title" },
  thread_dynamic_tools: { sql: "UPDATE thread_dynamic_tools SET description = 'x'", field: "dynamicTools" },
  thread_turns: { sql: "UPDATE thread_turns SET tokens_used = 99 WHERE turn_index = 0", field: "turns" },
  thread_spawn_edges: { sql: "UPDATE thread_spawn_edges SET parent_thread_id = 'other'", field: "spawnEdge" },
  thread_messages: { sql: "UPDATE thread_messages SET text = 'tampered' WHERE position = 3", field: "messages" }
}

/** Operational state keyed on a thread (SPEC §2): never reset by a rebuild, so not a projection. */
const OPERATIONAL = ["stage1_outputs", "thread_memory"]

describe("projection definitions", () => {
  it.effect("every table keyed on a thread is either in PROJECTIONS or named operational state, never both", () =>
    withDatabase(({ direct }) =>
      Effect.gen(function*() {
        const tables = yield* direct.use((s) =>
          s.values("SELECT name FROM sqlite_master WHERE type = 'table'", []).map(([name]) => name as string)
        )
        const referencing = yield* direct.use((s) =>
          tables.filter((table) =>
            s.rows(`SELECT "table" FROM pragma_foreign_key_list(?)`, [table]).some((fk) => fk["table"] === "threads")
          )
        )
        expect([...PROJECTIONS.map((p) => p.table), ...OPERATIONAL].sort()).toEqual(["threads", ...referencing].sort())
      })
    ))

  it.effect("a fold written through every projection shows no drift; a changed row in any one is named by its field", () =>
    withDatabase(({ direct }) =>
      Effect.gen(function*() {
        const delta = fold()
        yield* direct.transact((s) => runSync(writeProjections([{ delta, expected: undefined }]), s))
        for (const projection of PROJECTIONS) {
          expect({ table: projection.table, drift: yield* direct.use((s) => runSync(projection.drift([delta]), s)) })
            .toEqual({ table: projection.table, drift: new Map() })
        }
        for (const projection of PROJECTIONS) {
          const tamper = TAMPER[projection.table]!
          yield* direct.transact((s) => {
            s.run("SAVEPOINT tamper", [])
            s.run(tamper.sql, [])
            const drift = runSync(projection.drift([delta]), s)
            s.run("ROLLBACK TO tamper", [])
            s.run("RELEASE tamper", [])
            expect({ table: projection.table, drift }).toEqual({
              table: projection.table,
              drift: new Map([[CHILD, [tamper.field]]])
            })
          })
        }
      })
    ))

  it.effect("reset leaves every projection holding nothing folded; clear removes a thread's rows from each", () =>
    withDatabase(({ direct }) =>
      Effect.gen(function*() {
        const delta = fold()
        const count = (table: string) =>
          direct.use((s) => s.values(`SELECT count(*) FROM ${table}`, [])[0]![0] as number)
        yield* direct.transact((s) => runSync(writeProjections([{ delta, expected: undefined }]), s))
        for (const projection of PROJECTIONS) expect(yield* count(projection.table)).toBeGreaterThan(0)
        yield* direct.transact((s) => {
          for (const projection of PROJECTIONS) runSync(projection.reset(), s)
        })
        // The thread row stays (operational state is keyed on it), reset to nothing folded.
        expect(yield* direct.use((s) => s.values("SELECT projected_offset, file_size FROM threads", [])))
          .toEqual([[0, -1]])
        for (const projection of PROJECTIONS.filter((p) => p.table !== "threads")) {
          expect({ table: projection.table, rows: yield* count(projection.table) })
            .toEqual({ table: projection.table, rows: 0 })
        }
        yield* direct.transact((s) => runSync(writeProjections([{ delta, expected: undefined }]), s))
        for (const projection of [...PROJECTIONS].reverse()) {
          yield* direct.transact((s) => runSync(projection.clear([CHILD]), s))
          expect({ table: projection.table, rows: yield* count(projection.table) })
            .toEqual({ table: projection.table, rows: 0 })
        }
      })
    ))
})
