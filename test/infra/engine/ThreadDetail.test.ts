import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"

const freshHome = () => {
  const dir = mkdtempSync(join(tmpdir(), "detail-"))
  return { home: join(dir, "home"), database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(
  paths: { home: string; database: string },
  use: (engine: Engine.Engine, sql: SqlClient.SqlClient) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    return yield* use(yield* Engine.Engine, yield* SqlClient.SqlClient)
  }).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

const tools = [
  { name: "lookup", description: "find a record", inputSchema: { type: "object" } },
  { name: "secret", description: "internal", inputSchema: { type: "object" }, deferLoading: true }
]

describe("thread detail", () => {
  it.live("gives metadata, the tools in order with hidden ones flagged, and the latest model and effort", () =>
    Effect.gen(function*() {
      const detail = yield* withEngine(freshHome(), (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/repo", dynamic_tools: tools })
          yield* engine.append(created.metadata.id, [
            { type: "turn_context", payload: { cwd: "/repo", model: "gpt-a", effort: "low" } },
            { type: "turn_context", payload: { cwd: "/repo", model: "gpt-b", effort: "high" } }
          ])
          return yield* engine.getThreadDetail(created.metadata.id)
        }))
      expect(detail.dynamicTools.map((t) => [t.name, t.hidden])).toEqual([["lookup", false], ["secret", true]])
      expect([detail.latestModel, detail.latestReasoningEffort]).toEqual(["gpt-b", "high"])
      expect(detail.metadata.cwd).toBe("/repo")
    }))

  it.live("reads the tools from the rollout when SQLite has none for the thread, and projects them", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine, sql) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/repo", dynamic_tools: tools })
          // As a database written by a release that did not project tools would hold it.
          yield* sql`DELETE FROM thread_dynamic_tools`
          const detail = yield* engine.getThreadDetail(created.metadata.id)
          expect(detail.dynamicTools.map((t) => t.name)).toEqual(["lookup", "secret"])
          const rows = yield* sql<
            { name: string; hidden: number }
          >`SELECT name, hidden FROM thread_dynamic_tools ORDER BY position`
          expect(rows).toEqual([{ name: "lookup", hidden: 0 }, { name: "secret", hidden: 1 }])
          expect((yield* engine.verify()).differences).toEqual([])
        }))
    }))

  it.live("projects a thread that has a file but no row, and an unknown thread is ThreadNotFound", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine, sql) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/repo" })
          yield* sql`DELETE FROM threads`
          const detail = yield* engine.getThreadDetail(created.metadata.id)
          expect(detail.metadata).toEqual(created.metadata)
          const exit = yield* Effect.exit(engine.getThreadDetail("019a9f10-0000-7000-8000-000000000000"))
          expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/ThreadNotFound/)
        }))
    }))
})
