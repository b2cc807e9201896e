/**
 * The engine's central guarantee, tested against a model of what can happen to a home:
 * after any sequence of creates (spawned ones too), appends, torn and garbage writes, crashes
 * between the file write and the projection, appends failing on a full disk, archive moves (by
 * hand, and the engine's cascading archive and unarchive), metadata updates (name, memory mode,
 * git), closes and resumes with their cascades, deletes, restarts and interrupted backfills, and
 * new pages of paginated history written by the host, the live projections equal a rebuild from
 * the files, table by table, and each thread's rows equal a fold of its files.
 * @since 0.1.0
 */
import { Effect, FastCheck as fc } from "effect"
import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs"
import { hostname } from "node:os"
import { basename, join } from "node:path"
import type { MetadataPatch } from "../domain/MetadataPatch.js"
import { encodeRolloutLine } from "../domain/RolloutItem.js"
import type { ThreadRecord } from "../infra/engine/Engine.js"
import { listRolloutFiles } from "../infra/rollout/RolloutFiles.js"
import { nodeSyscalls, type RolloutSyscalls, RolloutSyscallsRef } from "../infra/rollout/RolloutStore.js"
import { itemArb, type WholeItem } from "./Arbitraries.js"
import { expectEqual, expectThat } from "./Check.js"
import type { EngineFactory } from "./EngineFactory.js"
import { writePage } from "./HistoryPages.js"
import { expectProjectedAsLogged } from "./LogOracle.js"
import { workbench } from "./Workbench.js"

/** The property's statement, as a test names it. @since 0.1.0 */
export const ENGINE_MODEL_PROPERTY =
  "after any sequence of appends, crashes, restarts, backfills, updates, closes, archive cascades, deletes and new pages of paginated threads, live projections equal a rebuild from the files"

/**
 * One thing that happens to a home. `thread` picks among the model's threads (modulo their count).
 * @since 0.1.0
 * @category models
 */
export type ModelAction =
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

/** @since 0.1.0 */
export const modelActionArb: fc.Arbitrary<ModelAction> = fc.oneof(
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

/**
 * The disk fills up after `cut` bytes of the next write: a short write, then ENOSPC.
 * @since 0.1.0
 */
export const fullDiskAfter = (cut: number): RolloutSyscalls => {
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

/** A claim a killed process left: running, owned by a process of this host that is gone. */
export const DEAD_OWNER = `pid:2147483646:${hostname()}`

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
const follow = (model: Model, id: string, placement: ThreadRecord["placement"]) => {
  model.paths.set(id, placement.rolloutPath)
  model.files.set(id, [...(placement.earlierFiles ?? []).map((f) => f.path), placement.rolloutPath])
}

/** The host moved the thread's current file: the model's last file moves with it. */
const moved = (model: Model, id: string, to: string) => {
  model.paths.set(id, to)
  const files = model.files.get(id)!
  files[files.length - 1] = to
}

/**
 * Runs `actions` on a fresh home and database from `factory`, then checks the guarantee.
 * @since 0.1.0
 */
export const runEngineModel = <D, E>(factory: EngineFactory<D, E>, actions: ReadonlyArray<ModelAction>) =>
  Effect.scoped(Effect.gen(function*() {
    const bench = yield* workbench(factory, { batchSize: 2 })
    const { home } = bench
    const model: Model = { ids: [], paths: new Map(), files: new Map(), deleted: [], pages: 0 }
    // Every action opens the engine anew (its open catches up what the host wrote meanwhile).
    const withEngine = bench.withEngine
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
              yield* expectEqual(
                "an append on a full disk fails as a write error",
                outcome.left._tag,
                "RolloutWriteError"
              )
              yield* expectEqual(
                "an append on a full disk leaves the file as it was",
                statSync(model.paths.get(id)!).size,
                sizeBefore
              )
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
          yield* withEngine(() => Effect.void)
          break
        case "Backfill": {
          yield* withEngine((engine, sql) =>
            Effect.gen(function*() {
              yield* engine.backfill({
                restart: true,
                ...(action.maxBatches === undefined ? {} : { maxBatches: action.maxBatches })
              })
              if (action.crash) {
                // The process was killed mid-run: its claim stays, owned by a process that is gone.
                yield* sql`UPDATE backfill_state SET status = 'running', owner = ${DEAD_OWNER}
                  WHERE status != 'complete'`
              }
            })
          )
          break
        }
      }
    }
    // A restart catches up whatever a crash left unprojected; then live must equal rebuilt.
    yield* withEngine((engine, sql) =>
      expectProjectedAsLogged(engine, sql, new Map(model.ids.map((id) => [id, model.files.get(id)!])))
    )
    // A deleted thread stays deleted: no file of it, no row, after a rebuild too.
    yield* withEngine((engine) => engine.rebuild())
    const left = (yield* listRolloutFiles(home)).files.map((f) => f.name.threadId)
    for (const id of model.deleted) {
      yield* expectThat(`deleted thread ${id} has no file left`, !left.includes(id), () => "a file of it remains")
      const record = yield* withEngine((engine) => engine.getThread(id))
      yield* expectThat(`deleted thread ${id} has no row after a rebuild`, record === undefined, () => "it has a row")
    }
  }))

/**
 * The property over `factory`: `numRuns` random sequences of up to 25 actions. Resolves when
 * it holds; rejects with fast-check's report (the counterexample, its seed and path) when not.
 * @since 0.1.0
 */
export const engineModelProperty = <D, E>(
  factory: EngineFactory<D, E>,
  options: { readonly numRuns: number }
): Effect.Effect<void> =>
  Effect.promise(() =>
    fc.assert(
      fc.asyncProperty(
        fc.array(modelActionArb, { minLength: 1, maxLength: 25 }),
        (actions) => Effect.runPromise(runEngineModel(factory, actions))
      ),
      { numRuns: options.numRuns }
    )
  )
