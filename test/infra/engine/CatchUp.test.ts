import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"

const freshHome = () => {
  const dir = mkdtempSync(join(tmpdir(), "catchup-"))
  return { home: join(dir, "home"), database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(
  paths: { home: string; database: string },
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

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

  it.live("a file moved by another process is followed by its id; a file gone everywhere is reported missing", () =>
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
      const report = yield* withEngine(paths, (engine) => engine.catchUp)
      expect(report.missingFiles).toEqual([gone.placement.rolloutPath])
      const record = yield* withEngine(paths, (engine) => engine.getThread(moved.metadata.id))
      expect(record?.placement).toMatchObject({ rolloutPath: archivedPath, archived: true })
    }))
})
