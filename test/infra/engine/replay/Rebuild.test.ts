import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../../src/infra/engine/Engine.js"
import { CORPUS_HOME } from "../../../fixtures/corpus.js"

const corpusHome = () => {
  const dir = mkdtempSync(join(tmpdir(), "rebuild-"))
  const home = join(dir, "home")
  cpSync(CORPUS_HOME, home, { recursive: true })
  return { home, database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(
  options: Parameters<typeof Engine.layer>[0],
  use: (engine: Engine.Engine, sql: SqlClient.SqlClient) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const sql = yield* SqlClient.SqlClient
    return yield* use(engine, sql)
  }).pipe(Effect.provide(Layer.fresh(Engine.layer(options))))

describe("rebuild", () => {
  it.live("keeps the rows of threads whose files remain, so state cascading from a thread survives", () =>
    Effect.gen(function*() {
      const paths = corpusHome()
      const kept = yield* withEngine(paths, (engine, sql) =>
        Effect.gen(function*() {
          yield* engine.backfill()
          // Stands for any operational table keyed on a thread with ON DELETE CASCADE.
          yield* sql`CREATE TABLE keyed (thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE)`
          yield* sql`INSERT INTO keyed SELECT id FROM threads`
          const rows = yield* sql<
            { id: string; rollout_path: string }
          >`SELECT id, rollout_path FROM threads ORDER BY id`
          // One file disappears from the log: a replay no longer produces its thread.
          rmSync(rows[0]!.rollout_path)
          yield* engine.rebuild()
          const keyed = yield* sql<{ thread_id: string }>`SELECT thread_id FROM keyed ORDER BY thread_id`
          const threads = yield* sql<{ id: string }>`SELECT id FROM threads ORDER BY id`
          expect(keyed.map((k) => k.thread_id)).toEqual(threads.map((t) => t.id))
          expect(threads.map((t) => t.id)).toEqual(rows.slice(1).map((r) => r.id))
          return threads.length
        }))
      expect(kept).toBeGreaterThan(1)
      const report = yield* withEngine(paths, (engine) => engine.verify())
      expect(report.differences).toEqual([])
    }))

  it.live("a rebuild stopped midway leaves a state that catch-up and backfill turn into the replay", () =>
    Effect.gen(function*() {
      const paths = corpusHome()
      yield* withEngine(paths, (engine) => engine.backfill())
      const small = { ...paths, batchSize: 2 }
      yield* withEngine(small, (engine) => engine.rebuild({ maxBatches: 1 }))
      const report = yield* withEngine(small, (engine) =>
        Effect.gen(function*() {
          yield* engine.backfill()
          return yield* engine.verify()
        }))
      expect(report.differences).toEqual([])
    }))
})
