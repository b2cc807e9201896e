import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { encodeRolloutLine } from "../../../src/domain/RolloutItem.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { newRolloutPath } from "../../../src/infra/rollout/Layout.js"
import { threadIdOf } from "../../fixtures/threadIds.js"

const freshHome = () => {
  const dir = mkdtempSync(join(tmpdir(), "catchup-"))
  return { home: join(dir, "home"), database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(
  paths: Parameters<typeof Engine.layer>[0],
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

/** A rollout as a host's own recorder writes it, behind the engine's back. */
const written = (id: string, path: string) => {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(
    path,
    encodeRolloutLine({
      type: "session_meta",
      timestamp: "2030-01-01T00:00:00.000Z",
      payload: { id, timestamp: "2030-01-01T00:00:00.000Z", cwd: "/recorded", cli_version: "1", source: "cli" }
    })
  )
}

describe("catch-up on open", () => {
  it.live("an archived file touched since (same size, new mtime) gets the new archive time, as a rebuild reads it", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const archived = yield* withEngine(
        paths,
        (engine) =>
          Effect.flatMap(engine.createThread({ cwd: "/work" }), (created) => engine.archiveThread(created.metadata.id))
      )
      const file = archived.placement.rolloutPath
      const touched = new Date(Date.UTC(2026, 0, 1, 12, 0, 0, 250))
      utimesSync(file, touched, touched)
      const report = yield* withEngine(paths, (engine) => engine.catchUp)
      expect(report.caughtUp).toBe(0) // the layer's own catch-up already did it
      const after = yield* withEngine(paths, (engine) => engine.getThread(archived.metadata.id))
      expect(after?.placement.archivedAt).toBe(Math.floor(statSync(file).mtimeMs))
      expect((yield* withEngine(paths, (engine) => engine.verify())).differences).toEqual([])
    }))

  it.live("a file moved by another process is followed by its id; a thread whose file is gone everywhere loses its rows", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const [moved, gone] = yield* withEngine(
        paths,
        (engine) => Effect.all([engine.createThread({ cwd: "/a" }), engine.createThread({ cwd: "/b" })])
      )
      const archivedPath = join(paths.home, "archived_sessions", basename(moved.placement.rolloutPath))
      // Archived by hand (as another process would), and the other file deleted.
      mkdirSync(join(paths.home, "archived_sessions"), { recursive: true })
      renameSync(moved.placement.rolloutPath, archivedPath)
      rmSync(gone.placement.rolloutPath)
      const [record, deleted] = yield* withEngine(
        paths,
        (engine) => Effect.all([engine.getThread(moved.metadata.id), engine.getThread(gone.metadata.id)])
      )
      expect(record?.placement).toMatchObject({ rolloutPath: archivedPath, archived: true })
      expect(deleted).toBeUndefined()
      expect((yield* withEngine(paths, (engine) => engine.verify())).differences).toEqual([])
    }))

  it.live("once backfilled, an open lists files a host's recorder added since: in the newest day's folder, later ones and archived_sessions", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const first = yield* withEngine(
        paths,
        (engine) => Effect.zipLeft(engine.createThread({ cwd: "/first" }), engine.backfill())
      )
      const sameDay = threadIdOf("same-day")
      const later = threadIdOf("later")
      const archived = threadIdOf("archived")
      written(sameDay, join(dirname(first.placement.rolloutPath), `rollout-2030-01-01T00-00-00-${sameDay}.jsonl`))
      written(later, newRolloutPath(paths.home, later, Date.UTC(2030, 0, 1)))
      written(archived, join(paths.home, "archived_sessions", `rollout-2030-01-01T00-00-00-${archived}.jsonl`))
      const found = yield* withEngine(
        paths,
        (engine) => Effect.forEach([sameDay, later, archived], (id) => engine.getThread(id))
      )
      expect(found.map((record) => record?.metadata.cwd)).toEqual(["/recorded", "/recorded", "/recorded"])
      expect(found[2]?.placement.archived).toBe(true)
      expect((yield* withEngine(paths, (engine) => engine.verify())).differences).toEqual([])
    }))

  it.live("before a backfill completes, catch-up leaves new files to it; the open's own backfill finds them", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const unbackfilled = { ...paths, openBackfill: false }
      const created = yield* withEngine(unbackfilled, (engine) => engine.createThread({ cwd: "/first" }))
      const id = threadIdOf("unbackfilled")
      const path = join(dirname(created.placement.rolloutPath), `rollout-2030-01-01T00-00-00-${id}.jsonl`)
      written(id, path)
      expect(yield* withEngine(unbackfilled, (engine) => engine.catchUp)).toMatchObject({ caughtUp: 0, added: 0 })
      expect(yield* withEngine(unbackfilled, (engine) => engine.getThread(id))).toBeUndefined()
      expect((yield* withEngine(paths, (engine) => engine.getThread(id)))?.metadata.cwd).toBe("/recorded")
    }))
})
