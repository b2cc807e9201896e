/**
 * Paginated history (SPEC §1, issue 16 item 5): a thread continued in further files is the
 * union of its files, in order, live and after a rebuild alike.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { encodeRolloutLine } from "../../../src/domain/RolloutItem.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { foldRolloutFile } from "../../../src/infra/rollout/RolloutFold.js"
import { writePage } from "../../fixtures/historyPages.js"

const DAY = 86_400_000
// Pages are named by their creation time, and the engine names a new thread's file by the
// clock: a later page is named later than today.
const T0 = Math.floor(Date.now() / 1000) * 1000

const freshHome = () => {
  const dir = mkdtempSync(join(tmpdir(), "paginated-"))
  return { dir, home: join(dir, "home"), database: join(dir, "state.sqlite"), openBackfill: false }
}

const withEngine = <A, E>(
  paths: Parameters<typeof Engine.layer>[0],
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

const said = (text: string, at: number): Engine.WritableItem => ({
  type: "event_msg",
  timestamp: new Date(at).toISOString(),
  payload: { type: "user_message", message: text }
})
const tokens = (total: number, at: number): Engine.WritableItem => ({
  type: "event_msg",
  timestamp: new Date(at).toISOString(),
  payload: { type: "token_count", info: { total_token_usage: { total_tokens: total } } }
})
const model = (name: string, at: number): Engine.WritableItem => ({
  type: "turn_context",
  timestamp: new Date(at).toISOString(),
  payload: { cwd: "/work/paged", model: name }
})

/** The fold of the thread's files one after the other: what its rows must hold. */
const foldOfFiles = (files: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let resume: Parameters<typeof foldRolloutFile>[1]["resume"]
    for (const file of files) {
      const folded = yield* foldRolloutFile(file, {
        defaultModelProvider: "openai",
        decode: "full",
        ...(resume === undefined ? {} : { resume })
      })
      resume = { state: folded.state, offset: 0, nextLineNumber: 1 }
    }
    return resume!.state
  })

const turnMessages = (engine: Engine.Engine, id: string) =>
  Effect.map(
    engine.listTurns(id, { limit: 100, direction: "asc" }),
    (page) => page.items.map((turn) => turn.userMessage)
  )

/** A thread begun by the engine, then continued by the host in a page of its own. */
const pagedThread = (engine: Engine.Engine, home: string) =>
  Effect.gen(function*() {
    const created = yield* engine.createThread({ cwd: "/work/paged", timestamp: new Date(T0).toISOString() })
    const id = created.metadata.id
    yield* engine.append(id, [model("gpt-5", T0 + 1), said("first page", T0 + 2), tokens(100, T0 + 3)])
    // Backfilled: an open then finds files added since.
    yield* engine.backfill()
    const page = writePage(home, id, T0 + DAY, [model("gpt-5.1", T0 + DAY + 1), said("second page", T0 + DAY + 2)])
    return { id, base: created.placement.rolloutPath, page }
  })

describe("paginated history", () => {
  it.live("a page continuing a thread folds after its first file: one thread, the union of both, as a rebuild and reconcile see it", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const { base, id, page } = yield* withEngine(paths, (engine) => pagedThread(engine, paths.home))
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const record = (yield* engine.getThread(id))!
          expect(record.placement.rolloutPath).toBe(page)
          // The first file's meta and three lines: a page's lines count on from them.
          expect(record.placement.earlierFiles).toEqual([{ path: base, size: statSync(base).size, lines: 4 }])
          expect(record.metadata).toEqual((yield* foldOfFiles([base, page])).metadata)
          expect(record.metadata).toMatchObject({ model: "gpt-5.1", title: "first page", tokensUsed: 100 })
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "second page"])
          expect((yield* engine.listThreads({ limit: 10 })).items.map((t) => t.metadata.id)).toEqual([id])
          // Both pages are searched as one thread: the page's line 3 is the thread's line 7.
          const found = yield* engine.searchThreads({ query: "page" })
          expect(found.items.map((hit) => [hit.thread.metadata.id, hit.matches])).toEqual([[id, 2]])
          const second = yield* engine.searchThreads({ query: "second" })
          expect(second.items[0]?.message.position).toBe(4 + 3)
          // Appends go to the thread's last page.
          const appended = yield* engine.append(id, [said("third", T0 + DAY + 3)])
          expect(appended.rolloutPath).toBe(page)
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "second page", "third"])
          const reconciled = yield* engine.reconcile({ repair: false })
          expect(reconciled).toMatchObject({ missing: [], orphaned: [], drifted: [] })
          expect((yield* engine.verify()).differences).toEqual([])
          const live = (yield* engine.getThread(id))!
          yield* engine.rebuild()
          const rebuilt = (yield* engine.getThread(id))!
          expect(rebuilt.metadata).toEqual(live.metadata)
          expect(rebuilt.placement).toMatchObject({ rolloutPath: page, earlierFiles: [{ path: base }] })
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "second page", "third"])
        }))
      rmSync(paths.dir, { recursive: true, force: true })
    }))

  it.live("a backfill that meets the page before its first file (one file per batch) ends where a rebuild does", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const { base, id, page } = yield* withEngine(paths, (engine) => pagedThread(engine, paths.home))
      // The page archived by hand: `archived_sessions/` is listed before `sessions/`.
      const archivedPage = join(paths.home, "archived_sessions", basename(page))
      mkdirSync(dirname(archivedPage), { recursive: true })
      renameSync(page, archivedPage)
      const fresh = { ...paths, database: join(paths.dir, "fresh.sqlite"), batchSize: 1 }
      yield* withEngine(fresh, (engine) =>
        Effect.gen(function*() {
          const report = yield* engine.backfill()
          expect(report).toMatchObject({ status: "complete", scanned: 2, failed: 0 })
          const record = (yield* engine.getThread(id))!
          expect(record.placement).toMatchObject({ rolloutPath: archivedPage, archived: true })
          expect(record.placement.earlierFiles?.map((f) => f.path)).toEqual([base])
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "second page"])
          expect((yield* engine.verify()).differences).toEqual([])
        }))
      rmSync(paths.dir, { recursive: true, force: true })
    }))

  it.live("lines appended to an earlier page after the next one was projected fold in file order: the thread is folded again from its first file", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const { base, id, page } = yield* withEngine(paths, (engine) => pagedThread(engine, paths.home))
      yield* withEngine(
        paths,
        (engine) => Effect.map(engine.getThread(id), (r) => expect(r?.placement.rolloutPath).toBe(page))
      )
      appendFileSync(base, encodeRolloutLine(said("late on the first page", T0 + 10)))
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const report = yield* engine.catchUp
          expect(report.failed).toEqual([])
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "late on the first page", "second page"])
          const record = (yield* engine.getThread(id))!
          expect(record.metadata).toEqual((yield* foldOfFiles([base, page])).metadata)
          expect((yield* engine.verify()).differences).toEqual([])
        }))
      rmSync(paths.dir, { recursive: true, force: true })
    }))

  it.live("archive and unarchive move every page of the thread; delete removes them all", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const { base, id, page } = yield* withEngine(paths, (engine) => pagedThread(engine, paths.home))
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const archived = yield* engine.archiveThread(id)
          const inArchive = (file: string) => join(paths.home, "archived_sessions", basename(file))
          expect(archived.placement).toMatchObject({ rolloutPath: inArchive(page), archived: true })
          expect(archived.placement.earlierFiles?.map((f) => f.path)).toEqual([inArchive(base)])
          expect([existsSync(base), existsSync(page)]).toEqual([false, false])
          expect((yield* engine.verify()).differences).toEqual([])
          const restored = yield* engine.unarchiveThread(id)
          expect(restored.placement).toMatchObject({
            rolloutPath: page,
            archived: false,
            earlierFiles: [{ path: base }]
          })
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "second page"])
          expect((yield* engine.verify()).differences).toEqual([])
          const deleted = yield* engine.deleteThread(id)
          expect([...deleted].sort()).toEqual([base, page].sort())
          expect([existsSync(base), existsSync(page)]).toEqual([false, false])
          expect(yield* engine.getThread(id)).toBeUndefined()
        }))
      rmSync(paths.dir, { recursive: true, force: true })
    }))

  it.live("a page whose own meta id is new belongs to the thread its history_base names", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const id = yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/work/paged" })
          yield* engine.append(created.metadata.id, [said("first page", T0 + 2)])
          yield* engine.backfill()
          return created.metadata.id
        }))
      writePage(paths.home, id, T0 + DAY, [said("second page", T0 + DAY + 2)], "01a23bf0-0000-7000-8000-000000000001")
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          expect((yield* engine.listThreads({ limit: 10 })).items.map((t) => t.metadata.id)).toEqual([id])
          expect(yield* turnMessages(engine, id)).toEqual(["first page", "second page"])
          expect((yield* engine.verify()).differences).toEqual([])
        }))
      rmSync(paths.dir, { recursive: true, force: true })
    }))
})
