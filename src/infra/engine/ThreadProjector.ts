/**
 * Projects rollout files into every projection: resume each file's fold from its rows,
 * fold the new tail, and write all projections in one `BEGIN IMMEDIATE` transaction.
 * Live append, catch-up, backfill, rebuild and repair all go through `project`.
 * @since 0.1.0
 */
import { Context, Effect, Either, Layer, Option } from "effect"
import { basename } from "node:path"
import { parseRolloutFileName } from "../../domain/RolloutFileName.js"
import type { ThreadState } from "../../domain/ThreadState.js"
import { loadStates as loadStatesWith, type WriteItem, writeProjections } from "../../projections/ProjectionWriter.js"
import type { Statements } from "../../projections/Statements.js"
import { type ThreadRow, threadRows } from "../../projections/ThreadsProjection.js"
import { archivedAtOf, fileStat, placementAfterFold } from "../rollout/FileStat.js"
import * as FoldPool from "../rollout/FoldPool.js"
import * as ReadAhead from "../rollout/ReadAhead.js"
import type { FileFold, ReadCounts } from "../rollout/RolloutFold.js"
import { belongsTo, rolloutIdentity } from "../rollout/RolloutIdentity.js"
import type { ReadIssue, RolloutReadError } from "../rollout/RolloutIssue.js"
import { Database, type DatabaseError, toDatabaseError } from "../sqlite/Database.js"
import { defaults as configDefaults, EngineConfig } from "./EngineConfig.js"

/**
 * A file to project; `archived` follows from where it lives.
 * @since 0.1.0
 */
export interface FileTarget {
  readonly path: string
  readonly archived: boolean
  /**
   * The thread's row as the caller just read it (a live append locates the file by it): the
   * plan uses it instead of reading it again. A stale one costs a second plan, never a wrong
   * write: the write checks the row is still as planned.
   */
  readonly row?: ThreadRow | undefined
}

/**
 * What projecting one file did.
 * @since 0.1.0
 * @category models
 */
export type FileOutcome =
  | { readonly _tag: "Unchanged"; readonly path: string; readonly threadId: string; readonly projectedOffset: number }
  | {
    readonly _tag: "Projected"
    readonly path: string
    readonly threadId: string
    readonly created: boolean
    readonly projectedOffset: number
    readonly counts: ReadCounts
    readonly issues: ReadonlyArray<ReadIssue>
  }
  | { readonly _tag: "Failed"; readonly path: string; readonly reason: string; readonly error?: RolloutReadError }

/**
 * `rows`: continue each file from what its rows say (live, catch-up, backfill);
 * `scratch`: fold every file from its first byte and replace its rows (rebuild, repair).
 * @since 0.1.0
 */
export type ProjectFrom = "rows" | "scratch"

/** @since 0.1.0 */
export interface ProjectOptions {
  readonly from: ProjectFrom
  readonly defaultModelProvider: string
}

/** @since 0.1.0 @category models */
export interface ThreadProjector {
  readonly project: (
    files: ReadonlyArray<FileTarget>,
    options: ProjectOptions
  ) => Effect.Effect<ReadonlyArray<FileOutcome>, DatabaseError>
  /** The state the rows of these threads hold (only each thread's last turn is loaded). */
  readonly loadStates: (
    rows: ReadonlyArray<ThreadRow>
  ) => Effect.Effect<ReadonlyMap<string, ThreadState>, DatabaseError>
}

/** @since 0.1.0 @category tags */
export const ThreadProjector = Context.GenericTag<ThreadProjector>("rollout-state/ThreadProjector")

interface Planned {
  readonly target: FileTarget
  readonly size: number
  readonly mtimeMs: number
  readonly archivedAt: number | null
  readonly row: ThreadRow | undefined
  readonly resume: ThreadState | undefined
}

interface Folded extends WriteItem {
  readonly planned: Planned
  readonly counts: ReadCounts
  readonly issues: ReadonlyArray<ReadIssue>
}

/** Finds each file's rows: by path, else by the id in its name when the file moved. */
const planWith = (
  statements: Statements,
  files: ReadonlyArray<FileTarget>,
  options: ProjectOptions
): Array<Planned | FileOutcome> => {
  const hinted = files.flatMap((f) => (f.row === undefined ? [] : [f.row]))
  const byPath = new Map<string, ThreadRow>()
  const byId = new Map(hinted.map((row) => [row.id, row]))
  for (const row of hinted) byPath.set(row.rollout_path, row)
  const unhinted = files.filter((f) => f.row === undefined).map((f) => f.path)
  if (options.from === "rows" && unhinted.length > 0) {
    for (const [path, row] of threadRows.findByPath(statements, unhinted)) byPath.set(path, row)
  }
  const nameIds = files.flatMap((f) => {
    const id = parseRolloutFileName(basename(f.path))?.threadId
    return id !== undefined && !byId.has(id) && !(options.from === "rows" && byPath.get(f.path)?.id === id) ? [id] : []
  })
  if (nameIds.length > 0) { for (const [id, row] of threadRows.load(statements, nameIds)) byId.set(id, row) }
  const planned: Array<Planned | FileOutcome> = []
  const resumable: Array<ThreadRow> = []
  for (const target of files) {
    const found = rolloutIdentity(target.path)
    if (found._tag === "Missing") {
      planned.push({ _tag: "Failed", path: target.path, reason: "file not found" })
      continue
    }
    const nameId = parseRolloutFileName(basename(target.path))?.threadId
    let row: ThreadRow | undefined = options.from === "rows" ? byPath.get(target.path) : undefined
    // A row pointing at a file that is not its thread's never resumes from it (SPEC §12).
    if (row !== undefined && row.id.toLowerCase() !== found.threadId) row = undefined
    if (row === undefined && nameId !== undefined) {
      const other = byId.get(nameId)
      if (other !== undefined && options.from === "scratch") row = other
      // The file's own row, when it records this path or a path that is no longer its file
      // (moved by an archive or unarchive).
      else if (
        other !== undefined && found.threadId === nameId &&
        (other.rollout_path === target.path || !belongsTo(other.rollout_path, other.id))
      ) row = other
    }
    const size = found.size
    const archivedAt = archivedAtOf(target.archived, found.mtimeMs)
    if (
      options.from === "rows" && row !== undefined && row.rollout_path === target.path && row.file_size === size &&
      row.archived_at_ms === archivedAt
    ) {
      planned.push({ _tag: "Unchanged", path: target.path, threadId: row.id, projectedOffset: row.projected_offset })
      continue
    }
    // A row at offset 0 holds nothing folded (a rebuild reset it): fold from scratch.
    const canResume = options.from === "rows" && row !== undefined && row.projected_offset > 0 &&
      size >= row.projected_offset
    if (canResume) resumable.push(row!)
    planned.push({ target, size, mtimeMs: found.mtimeMs, archivedAt, row, resume: undefined })
  }
  const states = resumable.length === 0 ? new Map<string, ThreadState>() : loadStatesWith(statements, resumable)
  return planned.map((p) =>
    "_tag" in p ? p : { ...p, resume: p.row !== undefined && states.has(p.row.id) ? states.get(p.row.id) : undefined }
  )
}

/** Where a planned fold resumes: after what the row holds, when its state was loaded. */
const resumeOf = (planned: Planned) =>
  planned.resume !== undefined && planned.row !== undefined
    ? { state: planned.resume, offset: planned.row.projected_offset, nextLineNumber: planned.row.projected_lines + 1 }
    : undefined

/**
 * The tools projection rewrites a thread's tools when the list is a new array, which a fold
 * makes only when a session meta lists tools; a fold posted by the pool's worker is a copy,
 * so an unchanged list is given back the array it resumed from.
 */
const withResumedTools = (resumed: ThreadState | undefined, state: ThreadState): ThreadState =>
  resumed === undefined || resumed.dynamicTools === state.dynamicTools ||
    JSON.stringify(resumed.dynamicTools) !== JSON.stringify(state.dynamicTools)
    ? state
    : { ...state, dynamicTools: resumed.dynamicTools }

/** The fold as a delta to write, or why the file cannot be projected. */
const foldedOf = (planned: Planned, folded: Either.Either<FileFold, RolloutReadError>): Folded | FileOutcome => {
  if (Either.isLeft(folded)) {
    return { _tag: "Failed", path: planned.target.path, reason: folded.left.reason, error: folded.left }
  }
  const { counts, end, issues } = folded.right
  const state = withResumedTools(planned.resume, folded.right.state)
  if (state.metadata.id === "") {
    return { _tag: "Failed", path: planned.target.path, reason: "no session meta and no thread id in the file name" }
  }
  const placement = placementAfterFold(planned.target, { size: planned.size, mtimeMs: planned.mtimeMs }, end)
  const delta = { before: planned.resume, after: state, placement, messages: folded.right.messages }
  return { planned, delta, expected: planned.row, counts, issues }
}

/**
 * Needs a scope: the read-ahead worker, when bulk work started it, stops with it. Plans, small
 * folds and writes are synchronous calls on the connection, one effect each: a live append
 * went from 278 effect steps to 108.
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const { direct, file } = yield* Database
  const readAhead = yield* ReadAhead.make
  const foldPool = yield* FoldPool.make()
  const messageKinds = Option.match(yield* Effect.serviceOption(EngineConfig), {
    onNone: () => configDefaults.messageKinds,
    onSome: (config) => config.messageKinds
  })
  const dbError = (operation: string) => toDatabaseError(file, operation)

  const loadStates = (rows: ReadonlyArray<ThreadRow>) =>
    Effect.mapError(direct.use((s) => loadStatesWith(s, rows)), dbError("load thread state"))

  const plan = (files: ReadonlyArray<FileTarget>, options: ProjectOptions) =>
    Effect.mapError(direct.use((s) => planWith(s, files, options)), dbError("plan"))

  const write = (folded: ReadonlyArray<Folded>) =>
    Effect.mapError(
      direct.transact((s) => {
        // Under the lock: a thread deleted since its file was folded (its file gone, its row too)
        // must not come back as a new row. A fold from a row is checked by the row (stale).
        const vanished = folded.filter((f) =>
          f.planned.row === undefined && fileStat(f.planned.target.path) === undefined
        )
        const present = vanished.length === 0 ? folded : folded.filter((f) => !vanished.includes(f))
        return { ...writeProjections(s, present), vanished }
      }),
      dbError("write projections")
    )

  const project = (files: ReadonlyArray<FileTarget>, options: ProjectOptions) =>
    Effect.gen(function*() {
      const outcomes = new Map<string, FileOutcome>()
      let pending = files
      for (let attempt = 0; attempt < 5 && pending.length > 0; attempt++) {
        const planned = yield* plan(pending, options)
        const folded: Array<Folded> = []
        const toFold = planned.filter((p): p is Planned => !("_tag" in p))
        const jobs = toFold.map((p) => {
          const resume = resumeOf(p)
          const from = resume?.offset ?? 0
          return {
            path: p.target.path,
            bytes: Math.max(0, p.size - from),
            from,
            options: {
              defaultModelProvider: options.defaultModelProvider,
              messageKinds,
              ...(resume === undefined ? {} : { resume })
            }
          }
        })
        const reaching = readAhead.warm(
          jobs.map((job) => ({ path: job.path, from: job.from, to: job.from + job.bytes }))
        )
        const folds = yield* foldPool.foldAll(jobs, reaching)
        const results = [
          ...planned.filter((p): p is FileOutcome => "_tag" in p),
          ...toFold.map((p, index) => foldedOf(p, folds[index]!))
        ]
        for (const result of results) {
          if ("_tag" in result) outcomes.set(result.path, result)
          else folded.push(result)
        }
        const { stale, vanished, written } = yield* write(folded)
        for (const f of vanished) {
          outcomes.set(f.planned.target.path, { _tag: "Failed", path: f.planned.target.path, reason: "file not found" })
        }
        for (const f of written) {
          outcomes.set(f.planned.target.path, {
            _tag: "Projected",
            path: f.planned.target.path,
            threadId: f.delta.after.metadata.id,
            created: f.planned.row === undefined,
            projectedOffset: f.delta.placement.projectedOffset,
            counts: f.counts,
            issues: f.issues
          })
        }
        // Another process projected these meanwhile: plan them again from its rows.
        pending = stale.map(({ planned: { target } }) => ({ path: target.path, archived: target.archived }))
      }
      for (const target of pending) {
        outcomes.set(target.path, {
          _tag: "Failed",
          path: target.path,
          reason: "kept changing under concurrent writers"
        })
      }
      return files.map((f) => outcomes.get(f.path)!)
    })

  return ThreadProjector.of({ project, loadStates })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.scoped(ThreadProjector, make)
