import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { execFileSync } from "node:child_process"
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { listRolloutFiles } from "../../../src/infra/rollout/RolloutFiles.js"
import { foldRolloutFileNow } from "../../../src/infra/rollout/RolloutFold.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"
import { generateHome } from "../../fixtures/generateHome.js"

const freshHome = (copyCorpus = false) => {
  const dir = mkdtempSync(join(tmpdir(), "engine-"))
  const home = join(dir, "home")
  if (copyCorpus) cpSync(CORPUS_HOME, home, { recursive: true })
  return { home, database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(
  paths: Parameters<typeof Engine.layer>[0],
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

/** An engine whose open leaves the backfill to the test (SPEC §11's open-time backfill is OpenBackfill.test.ts's). */
const backfilledByHand = (paths: { home: string; database: string }) => ({ ...paths, openBackfill: false })

const userMessage = (message: string) => ({
  type: "event_msg" as const,
  payload: { type: "user_message" as const, message }
})

describe("Engine", () => {
  it.live("creates a thread and projects appended items after writing them to its file", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const record = yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/work/app", source: "cli", model_provider: "acme" })
          yield* engine.append(created.metadata.id, [
            { type: "turn_context", payload: { cwd: "/work/app", model: "gpt-x", effort: "high" } },
            userMessage("fix the build")
          ])
          return yield* engine.getThread(created.metadata.id)
        }))
      expect(record?.metadata).toMatchObject({
        cwd: "/work/app",
        source: "cli",
        modelProvider: "acme",
        model: "gpt-x",
        reasoningEffort: "high",
        title: "fix the build",
        firstUserMessage: "fix the build"
      })
      const listing = yield* listRolloutFiles(paths.home)
      expect(listing.files).toHaveLength(1)
      expect(record?.placement.projectedLines).toBe(3)
    }))

  it.live("rejects a thread id that is not a UUID as InvalidInput naming it, and writes no file for it", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const sandbox = join(paths.home, "..")
      const outcomes = yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/w" })
          const bad = ["../../../../../../escaped", "a/b", "", created.metadata.id.toUpperCase()]
          return [
            ...(yield* Effect.forEach(bad, (id) => Effect.flip(engine.createThread({ id, cwd: "/w" })))),
            yield* Effect.flip(engine.append("../x", [userMessage("hi")])),
            yield* Effect.flip(engine.getThread("a/b")),
            yield* Effect.flip(engine.archiveThread("")),
            yield* Effect.flip(engine.updateThreadMetadata("/etc/passwd", { gitSha: "c0ffee" })),
            yield* Effect.flip(engine.agentChildren("x\u0000y"))
          ]
        }))
      expect(outcomes.map((error) => error._tag)).toEqual(Array(9).fill("InvalidInput"))
      expect(outcomes[0]!.message).toMatch(/^thread id: "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/escaped" is not a UUID/)
      expect(readdirSync(sandbox).filter((name) => !name.startsWith("state.sqlite"))).toEqual(["home"])
      const listing = yield* listRolloutFiles(paths.home)
      expect([listing.files.length, listing.skipped]).toEqual([1, []])
      rmSync(sandbox, { recursive: true, force: true })
    }))

  it.live("stores canonical paths, so a home named relatively or through a symlink is one home and is not re-projected", () =>
    Effect.gen(function*() {
      const paths = freshHome(true)
      const sandbox = join(paths.home, "..")
      const real = realpathSync(paths.home)
      symlinkSync(paths.home, join(sandbox, "link"))
      const named = (home: string) => backfilledByHand({ home, database: paths.database })
      const first = yield* withEngine(named(relative(process.cwd(), paths.home)), (engine) => engine.backfill())
      expect(first.upserted).toBeGreaterThan(0)
      const threads = yield* withEngine(
        named(paths.home),
        (engine) => engine.listThreads({ limit: 200, archived: false })
      )
      expect(threads.items.length).toBeGreaterThan(0)
      for (const item of threads.items) expect(item.placement.rolloutPath.startsWith(`${real}/sessions/`)).toBe(true)
      const again = yield* withEngine(named(join(sandbox, "link")), (engine) => engine.backfill({ restart: true }))
      expect([again.scanned, again.upserted, again.unchanged]).toEqual([first.scanned, 0, first.scanned])
      const verified = yield* withEngine(named(real), (engine) => engine.verify())
      expect(verified.differences).toEqual([])
      rmSync(sandbox, { recursive: true, force: true })
    }))

  it.live("backfill and rebuild project rollouts under a symlinked folder or file and report each entry they leave out", () =>
    Effect.gen(function*() {
      const paths = freshHome(true)
      const sandbox = join(paths.home, "..")
      const real = realpathSync(paths.home)
      // sessions/2025/11 becomes a link to a folder outside the home; the archived rollout a link to a file.
      renameSync(join(paths.home, "sessions/2025/11"), join(sandbox, "november"))
      symlinkSync(join(sandbox, "november"), join(paths.home, "sessions/2025/11"))
      const archived = "archived_sessions/rollout-2025-11-21T08-00-00-019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff.jsonl"
      renameSync(join(paths.home, archived), join(sandbox, "archived.jsonl"))
      symlinkSync(join(sandbox, "archived.jsonl"), join(paths.home, archived))
      symlinkSync(join(sandbox, "nowhere"), join(paths.home, "sessions/2025/broken"))
      execFileSync("mkfifo", [join(paths.home, "sessions/2025/pipe.jsonl")])
      mkdirSync(join(paths.home, "sessions/2025/folder.jsonl"))
      const skipped = [
        { path: join(real, "sessions/2025/broken"), reason: "broken symbolic link" },
        {
          path: join(real, "sessions/2025/folder.jsonl"),
          reason: "a folder named like a rollout file (its contents are listed)"
        },
        { path: join(real, "sessions/2025/pipe.jsonl"), reason: "not a regular file: a FIFO" }
      ]
      const [backfill, rebuild, listed] = yield* withEngine(backfilledByHand(paths), (engine) =>
        Effect.all([
          engine.backfill(),
          engine.rebuild(),
          engine.listThreads({ limit: 10, archived: true })
        ]))
      expect([backfill.scanned, backfill.upserted, backfill.skippedFiles]).toEqual([3, 3, skipped])
      expect([rebuild.scanned, rebuild.upserted, rebuild.skippedFiles]).toEqual([3, 3, skipped])
      expect(listed.items.map((t) => t.placement.rolloutPath)).toEqual([join(real, archived)])
      rmSync(sandbox, { recursive: true, force: true })
    }))

  it.live("creates a home and a database folder that do not exist yet (a host's first run)", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "engine-first-run-"))
      const paths = { home: join(dir, "new", "home"), database: join(dir, "new", "home", "db", "state.sqlite") }
      const created = yield* withEngine(paths, (engine) => engine.createThread({ cwd: "/work/app" }))
      expect(existsSync(paths.database)).toBe(true)
      const listing = yield* listRolloutFiles(paths.home)
      expect(listing.files.map((file) => file.name.threadId)).toEqual([created.metadata.id])
    }))

  it.live(
    "a backfill big enough to fold on two threads projects every thread as folding its file here does",
    () =>
      Effect.gen(function*() {
        const paths = freshHome()
        // 12 MB in one batch: over the fold pool's 8 MiB a batch, so its worker folds part of it.
        yield* Effect.promise(() => generateHome({ dir: paths.home, files: 40, totalBytes: 12_000_000, seed: 7 }))
        const files = (yield* listRolloutFiles(paths.home)).files
        expect(files).toHaveLength(40)
        yield* withEngine(backfilledByHand(paths), (engine) =>
          Effect.gen(function*() {
            const expectFoldedHere = Effect.forEach(files, (file) =>
              Effect.gen(function*() {
                const folded = Either.getOrThrow(foldRolloutFileNow(file.path, { defaultModelProvider: "openai" }))
                const record = yield* engine.getThread(folded.state.metadata.id)
                expect(record?.metadata).toEqual(folded.state.metadata)
                expect(record?.placement.projectedOffset).toBe(folded.end.offset)
              }))
            expect(yield* engine.backfill()).toMatchObject({ status: "complete", upserted: 40, failed: 0 })
            yield* expectFoldedHere
            // The worker starts after 64 MiB of big batches (the sixth round): the later rounds share with it.
            for (let round = 0; round < 12; round++) {
              expect(yield* engine.rebuild()).toMatchObject({ status: "complete", upserted: 40, failed: 0 })
              yield* expectFoldedHere
            }
          }))
      }),
    120_000
  )

  it.live("backfills the sample home, and verify and reconcile then find nothing to report", () =>
    Effect.gen(function*() {
      const paths = freshHome(true)
      yield* withEngine(backfilledByHand(paths), (engine) =>
        Effect.gen(function*() {
          const report = yield* engine.backfill()
          expect(report).toMatchObject({ status: "complete", scanned: 3, upserted: 3, failed: 0, parseErrors: 0 })
          const again = yield* engine.backfill({ restart: true })
          expect(again).toMatchObject({ status: "complete", scanned: 3, upserted: 0, unchanged: 3 })
          const verified = yield* engine.verify()
          expect(verified.differences).toEqual([])
          expect(verified.ok).toBe(true)
          const reconciled = yield* engine.reconcile({ repair: false })
          expect(reconciled).toMatchObject({ missing: [], orphaned: [], drifted: [] })
          const threads = yield* engine.listThreads({ limit: 10, archived: true })
          expect(threads.items.map((t) => t.metadata.name)).toEqual(["Cart review"])
        }))
    }))

  it.live("reconcile names drifted fields, missing and orphaned threads, and repair restores equality", () =>
    Effect.gen(function*() {
      const paths = freshHome(true)
      yield* withEngine(paths, (engine) => engine.backfill())
      const Sqlite = (yield* Effect.promise(() => import("better-sqlite3"))).default
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          // Tampered behind the open engine's back (an open would catch up a row whose file is
          // gone, and find files newer than the newest projected).
          const db = new Sqlite(paths.database)
          db.prepare("UPDATE threads SET title = 'tampered', tokens_used = 7 WHERE id = ?").run(
            "019a9f10-1111-7222-8333-444455556666"
          )
          db.prepare("DELETE FROM threads WHERE id = ?").run("5973b6c0-94b8-487b-a530-2aeb6098ae0e")
          db.exec(`CREATE TEMP TABLE copy AS SELECT * FROM threads LIMIT 1;
            UPDATE copy SET id = 'ffffffff-0000-4000-8000-000000000000', rollout_path = rollout_path || '.gone';
            INSERT INTO threads SELECT * FROM copy; DROP TABLE copy;`)
          db.close()
          const report = yield* engine.reconcile({ repair: true })
          expect(report.missing).toEqual(["5973b6c0-94b8-487b-a530-2aeb6098ae0e"])
          expect(report.orphaned).toEqual(["ffffffff-0000-4000-8000-000000000000"])
          expect(report.drifted).toEqual([{
            id: "019a9f10-1111-7222-8333-444455556666",
            fields: ["title", "tokensUsed"]
          }])
          const after = yield* engine.reconcile({ repair: false })
          expect(after).toMatchObject({ missing: [], orphaned: [], drifted: [] })
          expect((yield* engine.verify()).ok).toBe(true)
        }))
    }))

  it.live("an interrupted backfill resumes after its last checkpoint and ends like an uninterrupted one", () =>
    Effect.gen(function*() {
      const paths = freshHome(true)
      const layer = Engine.layer({ ...backfilledByHand(paths), batchSize: 1 })
      yield* Effect.flatMap(Engine.Engine, (engine) =>
        Effect.gen(function*() {
          const first = yield* engine.backfill({ maxBatches: 2 })
          expect(first).toMatchObject({ status: "pending", scanned: 2 })
          const second = yield* engine.backfill()
          expect(second).toMatchObject({ status: "complete", scanned: 1 })
          expect((yield* engine.verify()).ok).toBe(true)
        })).pipe(Effect.provide(layer))
    }))
})
