/**
 * The engine's central guarantee, tested against a model of what can happen to a home:
 * after any sequence of creates (spawned ones too), appends, torn and garbage writes, crashes
 * between the file write and the projection, appends failing on a full disk, archive moves (by
 * hand, and the engine's cascading archive and unarchive), metadata updates (name, memory mode,
 * git), closes and resumes with their cascades, deletes, restarts and interrupted backfills, and
 * new pages of paginated history written by the host, the live projections equal a rebuild from
 * the files, table by table.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, FastCheck as fc, Layer } from "effect"
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { basename, join } from "node:path"
import type { MetadataPatch } from "../../src/domain/MetadataPatch.js"
import { encodeRolloutLine } from "../../src/domain/RolloutItem.js"
import { DEFAULT_MESSAGE_KINDS } from "../../src/domain/ThreadMessages.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { listRolloutFiles } from "../../src/infra/rollout/RolloutFiles.js"
import { type FileFold, foldRolloutFile, nextFileResume } from "../../src/infra/rollout/RolloutFold.js"
import { nodeSyscalls, type RolloutSyscalls, RolloutSyscallsRef } from "../../src/infra/rollout/RolloutStore.js"
import { itemArb, runs, timeoutFor, type WholeItem } from "../fixtures/arbitraries.js"
import { writePage } from "../fixtures/historyPages.js"

const root = mkdtempSync(join(tmpdir(), "engine-model-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let homes = 0

type Action =
  | { readonly _tag: "Create"; readonly cwd: string; readonly parent: number | undefined }
  | { readonly _tag: "Update"; readonly thread: number; readonly patch: MetadataPatch }
  | { readonly _tag: "Close" | "Resume"; readonly thread: number; readonly cascade: boolean }
  | { readonly _tag: "EngineArchive" | "EngineUnarchive" | "Delete"; readonly thread: number }
  | { readonly _tag: "Append"; readonly thread: number; readonly items: ReadonlyArray<WholeItem> }
  | { readonly _tag: "CrashAfterWrite"; readonly thread: number; readonly items: ReadonlyArray<WholeItem> }
  | { readonly _tag: "Garbage"; readonly thread: number; readonly text: string }
  | { readonly _tag: "Torn"; readonly thread: number; readonly item: WholeItem; readonly cut: number }
  | {
    readonly _tag: "FullDisk"
    readonly thread: number
    readonly items: ReadonlyArray<WholeItem>
    readonly cut: number
  }
  | { readonly _tag: "Archive"; readonly thread: number }
  | { readonly _tag: "Paginate"; readonly thread: number; readonly items: ReadonlyArray<WholeItem> }
  | { readonly _tag: "Reopen" }
  | { readonly _tag: "Backfill"; readonly maxBatches: number | undefined; readonly crash: boolean }

const thread = fc.nat(7)
const items = fc.array(itemArb, { minLength: 1, maxLength: 6 })

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      _tag: fc.constant("Create" as const),
      cwd: fc.constantFrom("/work/a", "/work/b", ""),
      parent: fc.option(thread, { nil: undefined })
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      _tag: fc.constant("Update" as const),
      thread,
      patch: fc.constantFrom<MetadataPatch>(
        { name: "Named" },
        { name: null },
        { memoryMode: "disabled" },
        { memoryMode: null, gitBranch: "dev" },
        { name: "Both", memoryMode: "enabled" }
      )
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({ _tag: fc.constantFrom("Close" as const, "Resume" as const), thread, cascade: fc.boolean() })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      _tag: fc.constantFrom("EngineArchive" as const, "EngineUnarchive" as const, "Delete" as const),
      thread
    })
  },
  { weight: 6, arbitrary: fc.record({ _tag: fc.constant("Append" as const), thread, items }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("CrashAfterWrite" as const), thread, items }) },
  {
    weight: 1,
    arbitrary: fc.record({
      _tag: fc.constant("Garbage" as const),
      thread,
      text: fc.constantFrom("not json\n", "{\"type\":\n", "{}\n", "\n")
    })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Torn" as const), thread, item: itemArb, cut: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ _tag: fc.constant("FullDisk" as const), thread, items, cut: fc.nat({ max: 300 }) })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Archive" as const), thread }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Paginate" as const), thread, items }) },
  { weight: 2, arbitrary: fc.constant({ _tag: "Reopen" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      _tag: fc.constant("Backfill" as const),
      maxBatches: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      crash: fc.boolean()
    })
  }
)

/** The disk fills up after `cut` bytes of the next write: a short write, then ENOSPC. */
const fullDiskAfter = (cut: number): RolloutSyscalls => {
  let left = cut
  return {
    ...nodeSyscalls,
    write: (fd, buffer, offset, length) => {
      if (left === 0) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })
      const n = nodeSyscalls.write(fd, buffer, offset, Math.min(length, left))
      left -= n
      return n
    }
  }
}

/** A thread's indexed messages as the database holds them, in file order. */
const messagesOf = (database: string, id: string) => {
  const db = new Sqlite(database, { readonly: true })
  try {
    return db.prepare(
      "SELECT position, turn_index AS turnIndex, kind, text FROM thread_messages WHERE thread_id = ? ORDER BY position"
    ).all(id)
  } finally {
    db.close()
  }
}

interface Model {
  ids: Array<string>
  /** Each thread's current file: where the host writes. */
  readonly paths: Map<string, string>
  /** Each thread's files, in fold order (its pages, SPEC §1); the last is `paths`'. */
  readonly files: Map<string, Array<string>>
  readonly deleted: Array<string>
  pages: number
}

/** Follows the engine's record of the thread's files (after a move by the engine). */
const follow = (model: Model, id: string, placement: Engine.ThreadRecord["placement"]) => {
  model.paths.set(id, placement.rolloutPath)
  model.files.set(id, [...(placement.earlierFiles ?? []).map((f) => f.path), placement.rolloutPath])
}

/** The host moved the thread's current file: the model's last file moves with it. */
const moved = (model: Model, id: string, to: string) => {
  model.paths.set(id, to)
  const files = model.files.get(id)!
  files[files.length - 1] = to
}

const run = (actions: ReadonlyArray<Action>) =>
  Effect.gen(function*() {
    const dir = join(root, String(homes++))
    const home = join(dir, "home")
    mkdirSync(home, { recursive: true })
    const paths = { home, database: join(dir, "state.sqlite"), batchSize: 2 }
    const model: Model = { ids: [], paths: new Map(), files: new Map(), deleted: [], pages: 0 }
    const open = () => Layer.fresh(Engine.layer(paths))
    let layer = open()
    const withEngine = <A, E>(use: (engine: Engine.Engine) => Effect.Effect<A, E>) =>
      Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(layer))
    const pick = (index: number) => (model.ids.length === 0 ? undefined : model.ids[index % model.ids.length])

    for (const action of actions) {
      switch (action._tag) {
        case "Create": {
          const parent = action.parent === undefined ? undefined : pick(action.parent)
          const record = yield* withEngine((engine) =>
            engine.createThread(
              parent === undefined ? { cwd: action.cwd } : { cwd: action.cwd, parent_thread_id: parent }
            )
          )
          model.ids.push(record.metadata.id)
          follow(model, record.metadata.id, record.placement)
          break
        }
        case "Update": {
          const id = pick(action.thread)
          if (id !== undefined) yield* withEngine((engine) => engine.updateThreadMetadata(id, action.patch))
          break
        }
        case "Close":
        case "Resume": {
          const id = pick(action.thread)
          if (id === undefined) break
          const options = { cascade: action.cascade }
          yield* withEngine((engine) =>
            action._tag === "Close" ? engine.closeThread(id, options) : engine.resumeThread(id, options)
          )
          break
        }
        case "EngineArchive":
        case "EngineUnarchive": {
          const id = pick(action.thread)
          if (id === undefined) break
          yield* withEngine((engine) =>
            Effect.gen(function*() {
              yield* action._tag === "EngineArchive" ? engine.archiveThread(id) : engine.unarchiveThread(id)
              // A cascade moves descendants' files too: the model follows every thread's row.
              for (const known of model.ids) {
                const record = yield* engine.getThread(known)
                if (record !== undefined) follow(model, known, record.placement)
              }
            })
          )
          break
        }
        case "Delete": {
          const id = pick(action.thread)
          if (id === undefined) break
          yield* withEngine((engine) => engine.deleteThread(id))
          model.ids = model.ids.filter((known) => known !== id)
          model.deleted.push(id)
          break
        }
        case "Append": {
          const id = pick(action.thread)
          if (id !== undefined) yield* withEngine((engine) => engine.append(id, action.items))
          break
        }
        case "CrashAfterWrite": {
          // The engine wrote the lines, then the process died before projecting them.
          const id = pick(action.thread)
          if (id !== undefined) appendFileSync(model.paths.get(id)!, action.items.map(encodeRolloutLine).join(""))
          break
        }
        case "Garbage": {
          const id = pick(action.thread)
          if (id !== undefined) appendFileSync(model.paths.get(id)!, action.text)
          break
        }
        case "Torn": {
          const id = pick(action.thread)
          if (id !== undefined) {
            const line = encodeRolloutLine(action.item)
            appendFileSync(model.paths.get(id)!, line.slice(0, action.cut % line.length))
          }
          break
        }
        case "FullDisk": {
          // The disk fills up mid-append. Whole lines or nothing: a failed append leaves the
          // file as it was.
          const id = pick(action.thread)
          if (id !== undefined) {
            const sizeBefore = statSync(model.paths.get(id)!).size
            const outcome = yield* withEngine((engine) =>
              engine.append(id, action.items).pipe(
                Effect.provideService(RolloutSyscallsRef, fullDiskAfter(action.cut)),
                Effect.either
              )
            )
            // Right: the lines fitted in the space left.
            if (outcome._tag === "Left") {
              expect(outcome.left._tag).toBe("RolloutWriteError")
              expect(statSync(model.paths.get(id)!).size).toBe(sizeBefore)
            }
          }
          break
        }
        case "Archive": {
          const id = pick(action.thread)
          if (id !== undefined) {
            const from = model.paths.get(id)!
            if (from.includes("/archived_sessions/")) break
            const to = join(home, "archived_sessions", basename(from))
            mkdirSync(join(home, "archived_sessions"), { recursive: true })
            renameSync(from, to)
            moved(model, id, to)
          }
          break
        }
        case "Paginate": {
          // The host continues the thread in a new file, named after every earlier one.
          const id = pick(action.thread)
          if (id === undefined) break
          model.pages++
          const page = writePage(home, id, Date.now() + model.pages * 3_600_000, action.items)
          model.paths.set(id, page)
          model.files.get(id)!.push(page)
          break
        }
        case "Reopen":
          layer = open()
          yield* withEngine(() => Effect.void)
          break
        case "Backfill": {
          yield* withEngine((engine) =>
            engine.backfill({
              restart: true,
              ...(action.maxBatches === undefined ? {} : { maxBatches: action.maxBatches })
            })
          )
          if (action.crash) {
            // The process was killed mid-run: its claim stays, owned by a process that is gone.
            const db = new Sqlite(paths.database)
            db.prepare("UPDATE backfill_state SET status = 'running', owner = ? WHERE id = 1 AND status != 'complete'")
              .run(`pid:2147483646:${hostname()}`)
            db.close()
          }
          break
        }
      }
    }
    // A restart catches up whatever a crash left unprojected; then live must equal rebuilt.
    layer = open()
    const report = yield* withEngine((engine) => engine.verify())
    expect(report.differences).toEqual([])
    // An independent oracle: every row equals a full-decode fold of its files, one after the other.
    for (const id of model.ids) {
      const record = yield* withEngine((engine) => engine.getThread(id))
      let folded: FileFold | undefined
      // Message positions count lines across the thread's files.
      const messages: Array<FileFold["messages"][number]> = []
      let linesBefore = 0
      for (const file of model.files.get(id)!) {
        folded = yield* foldRolloutFile(file, {
          defaultModelProvider: "openai",
          decode: "full",
          messageKinds: DEFAULT_MESSAGE_KINDS,
          ...(folded === undefined ? {} : { resume: nextFileResume(folded) })
        })
        for (const message of folded.messages) messages.push({ ...message, position: message.position + linesBefore })
        linesBefore += folded.end.nextLineNumber - 1
      }
      expect(record?.metadata).toEqual(folded!.state.metadata)
      expect(messagesOf(paths.database, id)).toEqual(messages)
      expect(record?.placement.rolloutPath).toBe(model.paths.get(id))
      expect(record?.placement.earlierFiles?.map((f) => f.path) ?? []).toEqual(model.files.get(id)!.slice(0, -1))
      expect(record?.placement.projectedOffset).toBe(folded!.end.offset)
    }
    // A deleted thread stays deleted: no file of it, no row, after a rebuild too.
    yield* withEngine((engine) => engine.rebuild())
    const left = (yield* listRolloutFiles(home)).files.map((f) => f.name.threadId)
    for (const id of model.deleted) {
      expect(left).not.toContain(id)
      expect(yield* withEngine((engine) => engine.getThread(id))).toBeUndefined()
    }
    rmSync(dir, { recursive: true, force: true })
  })

describe("engine model", () => {
  it.live(
    "after any sequence of appends, crashes, restarts, backfills, updates, closes, archive cascades, deletes and new pages of paginated threads, live projections equal a rebuild from the files",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(actionArb, { minLength: 1, maxLength: 25 }),
            (actions) => Effect.runPromise(run(actions))
          ),
          { numRuns: runs(25) }
        )
      ),
    timeoutFor(25, 600_000)
  )
})
