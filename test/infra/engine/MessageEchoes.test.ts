/**
 * A current host writes each user and agent message twice, as an event and as a response item
 * (issue 19): the index keeps one of the two, live (whatever the appends' chunks) as on replay,
 * and keeps every message of a legacy file (response items only).
 */
import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DEFAULT_MESSAGE_KINDS, type MessageKind } from "../../../src/domain/ThreadMessages.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import type { WritableItem } from "../../../src/infra/engine/Engine.js"
import { foldRolloutFile } from "../../../src/infra/rollout/RolloutFold.js"
import { CORPUS_REAL } from "../../fixtures/corpus.js"

const withHome = <A, E>(use: (paths: { readonly home: string; readonly database: string }) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "echoes-"))),
    (dir) => use({ home: join(dir, "home"), database: join(dir, "state.sqlite") }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const withEngine = <A, E>(
  paths: { readonly home: string; readonly database: string },
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

const rowsOf = (database: string) => {
  const db = new Sqlite(database, { readonly: true })
  try {
    return db.prepare("SELECT thread_id, position, kind, text FROM thread_messages ORDER BY thread_id, position")
      .all() as Array<{ thread_id: string; position: number; kind: string; text: string }>
  } finally {
    db.close()
  }
}

const event = (type: "user_message" | "agent_message", message: string): WritableItem => ({
  type: "event_msg",
  payload: { type, message }
})
const response = (role: "user" | "assistant", text: string): WritableItem => ({
  type: "response_item",
  payload: { type: "message", role, content: [{ type: role === "user" ? "input_text" : "output_text", text }] }
})

describe("a message written twice is indexed once", () => {
  it.live("live, with the pair split across appends or not, in either order, as a rebuild indexes it", () =>
    withHome((paths) =>
      Effect.gen(function*() {
        const live = yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            const created = yield* engine.createThread({ cwd: "/work/app", source: "cli" })
            const id = created.metadata.id
            // The user's message: response item first, its event in the next append.
            yield* engine.append(id, [response("user", "fix the flaky login test")])
            yield* engine.append(id, [event("user_message", "fix the flaky login test")])
            // The agent's: event first, in one append; then a response item with no event.
            yield* engine.append(id, [event("agent_message", "fixed it"), response("assistant", "fixed it")])
            yield* engine.append(id, [response("assistant", "only a response item")])
            // The same words again, a new message: indexed again.
            yield* engine.append(id, [event("user_message", "fix the flaky login test")])
            const page = yield* engine.searchThreads({ query: "\"flaky login\"" })
            return { rows: rowsOf(paths.database), page, report: yield* engine.verify() }
          }))
        expect(live.rows.map((r) => [r.kind, r.text])).toEqual([
          ["response", "fix the flaky login test"],
          ["agent", "fixed it"],
          ["response", "only a response item"],
          ["user", "fix the flaky login test"]
        ])
        expect(live.page.items[0]!.matches).toBe(2)
        expect(live.report.differences).toEqual([])
        yield* withEngine(paths, (engine) => engine.rebuild())
        expect(rowsOf(paths.database)).toEqual(live.rows)
      })
    ))

  it.live("a legacy file's response items are all indexed, the same words twice included", () =>
    withHome((paths) =>
      Effect.gen(function*() {
        const id = "5973b6c0-94b8-487b-a530-2aeb6098ae0e"
        const dir = join(paths.home, "sessions", "2025", "05", "10")
        mkdirSync(dir, { recursive: true })
        const bare = (role: string, text: string) =>
          JSON.stringify({ type: "message", role, content: [{ type: "input_text", text }] })
        writeFileSync(
          join(dir, `rollout-2025-05-10T09-15-00-${id}.jsonl`),
          [
            JSON.stringify({ id, timestamp: "2025-05-10T09:15:00.000Z", instructions: null }),
            bare("user", "deploy it"),
            bare("assistant", "deploy it"),
            bare("user", "deploy it")
          ].join("\n") + "\n"
        )
        yield* withEngine(paths, () => Effect.void)
        expect(rowsOf(paths.database).map((r) => [r.kind, r.text])).toEqual([
          ["response", "deploy it"],
          ["response", "deploy it"],
          ["response", "deploy it"]
        ])
      })
    ))

  it.effect("in hosts' own rollouts, every event is indexed and a response item only when no event says the same", () =>
    Effect.gen(function*() {
      let echoes = 0
      for (const name of readdirSync(CORPUS_REAL).filter((n) => n.endsWith(".jsonl"))) {
        const fold = (messageKinds: ReadonlyArray<MessageKind>) =>
          Effect.map(
            foldRolloutFile(join(CORPUS_REAL, name), { defaultModelProvider: "openai", messageKinds }),
            (folded) => folded.messages
          )
        const indexed = yield* fold(DEFAULT_MESSAGE_KINDS)
        const events = yield* fold(["user", "agent"])
        const responses = yield* fold(["response"])
        const said = new Set(events.map((m) => m.text))
        expect(indexed.length).toBe(events.length + responses.filter((m) => !said.has(m.text)).length)
        echoes += events.length + responses.length - indexed.length
      }
      expect(echoes).toBeGreaterThan(0)
    }))
})
