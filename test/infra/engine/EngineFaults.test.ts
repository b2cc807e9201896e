import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { layer as projectorLayer, ThreadProjector } from "../../../src/infra/engine/ThreadProjector.js"

const freshPaths = () => {
  const dir = mkdtempSync(join(tmpdir(), "faults-"))
  return { home: join(dir, "home"), database: join(dir, "state.sqlite") }
}

const run = <A, E>(
  paths: { home: string; database: string },
  use: (engine: Engine.Engine) => Effect.Effect<A, E>,
  busyTimeoutMs?: number
) =>
  Effect.flatMap(Engine.Engine, use).pipe(
    Effect.provide(Layer.fresh(Engine.layer({ ...paths, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) })))
  )

const message = (text: string) => ({
  type: "event_msg" as const,
  payload: { type: "user_message" as const, message: text }
})

describe("engine faults", () => {
  it.live("an append while another process holds the write lock fails as busy, and the written lines are projected on reopen", () =>
    Effect.gen(function*() {
      const paths = freshPaths()
      const created = yield* run(paths, (e) => e.createThread({ cwd: "/a" }))
      const error = yield* run(paths, (e) =>
        Effect.gen(function*() {
          const other = new Sqlite(paths.database)
          other.exec("BEGIN IMMEDIATE")
          const failed = yield* Effect.flip(e.append(created.metadata.id, [message("kept in the log")]))
          other.exec("ROLLBACK")
          other.close()
          return failed
        }), 50)
      expect(error._tag).toBe("DatabaseError")
      expect(error._tag === "DatabaseError" && error.reason).toBe("busy")
      const after = yield* run(paths, (e) => e.getThread(created.metadata.id))
      expect(after?.metadata.title).toBe("kept in the log")
    }))

  it.live("a read-only database refuses projection writes as read-only, and the log keeps what was written", () =>
    Effect.gen(function*() {
      const paths = freshPaths()
      const created = yield* run(paths, (e) => e.createThread({ cwd: "/a" }))
      const error = yield* Effect.flip(
        Effect.flatMap(Engine.Engine, (e) => e.append(created.metadata.id, [message("written while read-only")])).pipe(
          Effect.provide(Layer.fresh(Engine.layer({ ...paths, readonly: true })))
        )
      )
      expect(error._tag === "DatabaseError" && error.reason).toBe("read-only")
      const after = yield* run(paths, (e) => e.getThread(created.metadata.id))
      expect(after?.metadata.title).toBe("written while read-only")
    }))

  it.live("a home that cannot be created (a file stands in its place) is a HomeNotFound error naming the folder", () =>
    Effect.gen(function*() {
      const paths = freshPaths()
      rmSync(paths.home, { recursive: true, force: true })
      writeFileSync(paths.home, "not a folder")
      const error = yield* Effect.flip(run(paths, (e) => e.backfill()))
      expect(error._tag).toBe("HomeNotFound")
      expect(error.message).toContain(paths.home)
    }))

  it.live("a file deleted between listing and reading is reported as failed and the rest of the batch is projected", () =>
    Effect.gen(function*() {
      const paths = freshPaths()
      const kept = yield* run(paths, (e) => e.createThread({ cwd: "/kept" }))
      const outcomes = yield* Effect.flatMap(ThreadProjector, (projector) =>
        projector.project(
          [{
            path: join(
              paths.home,
              "sessions/2025/01/01/rollout-2025-01-01T00-00-00-019a9f10-1111-7222-8333-444455556666.jsonl"
            ),
            archived: false
          }, { path: kept.placement.rolloutPath, archived: false }],
          { from: "scratch", defaultModelProvider: "openai" }
        )).pipe(Effect.provide(Layer.fresh(projectorLayer.pipe(Layer.provideMerge(Engine.layer(paths))))))
      expect(outcomes.map((o) => o._tag)).toEqual(["Failed", "Projected"])
      expect(outcomes[0]?._tag === "Failed" && outcomes[0].reason).toBe("file not found")
    }))
})
