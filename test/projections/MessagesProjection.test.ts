import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { initial } from "../../src/domain/ThreadFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { messagesProjection } from "../../src/projections/MessagesProjection.js"
import { writeProjections } from "../../src/projections/ProjectionWriter.js"
import { runSync } from "../../src/projections/Statements.js"
import type { ThreadDelta } from "../../src/projections/ThreadDelta.js"
import { threadsProjection } from "../../src/projections/ThreadsProjection.js"

const ID = "019a9f10-1111-7222-8333-444455556666"

const delta = (messages: ThreadDelta["messages"]): ThreadDelta => ({
  before: undefined,
  after: initial(ID, { fileNameTimestamp: 1_000, defaultModelProvider: "openai" }),
  placement: {
    rolloutPath: "/h/sessions/f.jsonl",
    archived: false,
    archivedAt: null,
    projectedOffset: 10,
    projectedLines: 2,
    fileSize: 10
  },
  ...(messages === undefined ? {} : { messages })
})

const withDatabase = <A>(use: (database: Database.Database) => Effect.Effect<A, unknown>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "messages-projection-"))),
    (dir) =>
      Effect.scoped(
        Effect.flatMap(Effect.tap(Database.open({ file: join(dir, "state.sqlite") }), Database.migrate), use)
      ),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

describe("thread_messages projection", () => {
  it.effect("the index follows the rows through insert, clear, a cascade from threads and reset", () =>
    withDatabase(({ direct }) =>
      Effect.gen(function*() {
        const terms = direct.use((s) => s.values("SELECT term, doc, cnt FROM thread_messages_terms ORDER BY term", []))
        const matches = (query: string) =>
          direct.use((s) =>
            s.values("SELECT rowid FROM thread_messages_fts WHERE thread_messages_fts MATCH ?", [query]).length
          )
        const integrity = direct.use((s) =>
          s.run("INSERT INTO thread_messages_fts (thread_messages_fts, rank) VALUES ('integrity-check', 1)", [])
        )
        const write = (d: ThreadDelta) =>
          direct.transact((s) => runSync(writeProjections([{ delta: d, expected: undefined }]), s))
        yield* write(delta([
          { position: 1, turnIndex: 0, kind: "user", text: "Fix the flaky login test" },
          { position: 2, turnIndex: 0, kind: "agent", text: "Café fixed" }
        ]))
        expect(yield* terms).toEqual([
          ["cafe", 1, 1],
          ["fix", 1, 1],
          ["fixed", 1, 1],
          ["flaky", 1, 1],
          ["login", 1, 1],
          ["test", 1, 1],
          ["the", 1, 1]
        ])
        // Case and accents fold away.
        expect(yield* matches("CAFÉ")).toBe(1)
        yield* integrity
        yield* direct.transact((s) => runSync(messagesProjection.clear([ID]), s))
        expect(yield* terms).toEqual([])
        yield* integrity
        yield* write(delta([{ position: 1, turnIndex: null, kind: "user", text: "flaky again" }]))
        expect(yield* matches("flaky")).toBe(1)
        yield* direct.transact((s) => runSync(threadsProjection.clear([ID]), s))
        expect(yield* terms).toEqual([])
        yield* integrity
        yield* write(delta([{ position: 1, turnIndex: null, kind: "user", text: "flaky once more" }]))
        yield* direct.transact((s) => runSync(messagesProjection.reset(), s))
        expect(yield* terms).toEqual([])
        yield* integrity
      })
    ))
})
