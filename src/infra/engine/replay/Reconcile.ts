/**
 * Reconcile (SPEC §4): fold every thread's files afresh, compare with its rows in every projection, and
 * report threads missing from the database, rows whose file is gone, and drifted rows with the
 * names of the fields that differ. `repair` replays the drifted and missing threads through the
 * projector and deletes the orphans.
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Stats } from "node:fs"
import type { ThreadMessage } from "../../../domain/ThreadMessages.js"
import { PROJECTIONS } from "../../../projections/Projection.js"
import { chunksOf, values } from "../../../projections/Statements.js"
import type { ThreadDelta } from "../../../projections/ThreadDelta.js"
import { threadRows, threadsProjection } from "../../../projections/ThreadsProjection.js"
import { fileStat, placementAfterFold } from "../../rollout/FileStat.js"
import { threadFileGroups } from "../../rollout/HistoryFiles.js"
import type { FramingEnd } from "../../rollout/LineFramer.js"
import { type HomeNotFound, listRolloutFiles, type RolloutFile } from "../../rollout/RolloutFiles.js"
import { type FoldResume, foldRolloutFile, nextFileResume, type ReadCounts } from "../../rollout/RolloutFold.js"
import type { ReadIssue } from "../../rollout/RolloutIssue.js"
import { yieldToEventLoop } from "../../rollout/RolloutReader.js"
import { type DatabaseError, SqlDatabase } from "../../sql/SqlDatabase.js"
import { EngineConfig } from "../EngineConfig.js"
import { ThreadProjector } from "../ThreadProjector.js"
import { issueProblem, type Problem, problemList, type RunOptions, skippedProblem } from "./Report.js"

/** @since 0.1.0 @category models */
export interface ReconcileReport {
  readonly missing: ReadonlyArray<string>
  readonly orphaned: ReadonlyArray<string>
  readonly drifted: ReadonlyArray<{ readonly id: string; readonly fields: ReadonlyArray<string> }>
  readonly repaired: boolean
  readonly scanned: number
  readonly failed: ReadonlyArray<{ readonly path: string; readonly reason: string }>
  /** Skipped and failed files and line issues, as `BackfillReport` has them. */
  readonly problems: ReadonlyArray<Problem>
  readonly problemsOmitted: number
}

/** @since 0.1.0 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const projector = yield* ThreadProjector
  const named = database.toDatabaseError

  /**
   * A fresh fold of one thread's files, in order, each continuing the state the one before left,
   * with the placement a projection of them gives.
   */
  const foldThread = (files: ReadonlyArray<RolloutFile>) =>
    Effect.gen(function*() {
      let resume: FoldResume | undefined
      let end: FramingEnd | undefined
      const reads: Array<{ readonly counts: ReadCounts; readonly issues: ReadonlyArray<ReadIssue> }> = []
      const sizes: Array<{ readonly size: number; readonly lines: number }> = []
      const messages: Array<ThreadMessage> = []
      let linesBefore = 0
      let facts: Stats | undefined
      for (const file of files) {
        facts = fileStat(file.path)
        const result = yield* Effect.either(foldRolloutFile(file.path, {
          defaultModelProvider: config.defaultModelProvider,
          messageKinds: config.messageKinds,
          ...(resume === undefined ? {} : { resume })
        }))
        if (result._tag === "Left" || facts === undefined) {
          return {
            _tag: "Failed",
            path: file.path,
            reason: result._tag === "Left" ? result.left.reason : "file not found"
          } as const
        }
        resume = nextFileResume(result.right)
        end = result.right.end
        const lines = end.nextLineNumber - 1
        sizes.push({ size: facts.size, lines })
        reads.push(result.right)
        // Positions count lines across the thread's files, as the projector's do.
        for (const message of result.right.messages) {
          messages.push({ ...message, position: message.position + linesBefore })
        }
        linesBefore += lines
      }
      const last = files[files.length - 1]!
      const earlierFiles = files.slice(0, -1).map((file, index) => ({ path: file.path, ...sizes[index]! }))
      const placement = {
        ...placementAfterFold(last, { size: facts!.size, mtimeMs: facts!.mtimeMs }, end!),
        ...(earlierFiles.length === 0 ? {} : { earlierFiles })
      }
      return {
        _tag: "Folded",
        fold: { before: undefined, after: resume!.state, placement, messages } satisfies ThreadDelta,
        reads
      } as const
    })

  /** The fields of each fold's thread that drift, in every projection, in `PROJECTIONS` order. */
  const driftOf = (folds: ReadonlyArray<ThreadDelta>) =>
    database.run(function*() {
      const present = yield* threadRows.loadPositions(folds.map((f) => f.after.metadata.id))
      const drifts: Array<ReadonlyMap<string, ReadonlyArray<string>>> = []
      for (const projection of PROJECTIONS) drifts.push(yield* projection.drift(folds))
      return new Map(folds.map((f) => {
        const id = f.after.metadata.id
        return [id, present.has(id) ? drifts.flatMap((d) => d.get(id) ?? []) : undefined] as const
      }))
    }()).pipe(Effect.mapError(named("compare projections")))

  return (
    options: { readonly repair: boolean } & RunOptions
  ): Effect.Effect<ReconcileReport, DatabaseError | HomeNotFound> =>
    Effect.gen(function*() {
      const listing = yield* listRolloutFiles(config.home)
      const missing: Array<string> = []
      const drifted: Array<{ id: string; fields: ReadonlyArray<string> }> = []
      const failed: Array<{ path: string; reason: string }> = []
      const toRepair: Array<RolloutFile> = []
      const seen = new Set<string>()
      const problems = problemList(listing.skipped.map(skippedProblem))
      let parseErrors = 0
      let scanned = 0
      for (const batch of chunksOf(threadFileGroups(listing.files), config.batchSize)) {
        yield* yieldToEventLoop
        const folds: Array<{ files: ReadonlyArray<RolloutFile>; fold: ThreadDelta }> = []
        for (const group of batch) {
          scanned += group.length
          const folded = yield* foldThread(group)
          if (folded._tag === "Failed") {
            failed.push({ path: folded.path, reason: folded.reason })
            problems.add({ file: folded.path, line: null, reason: folded.reason })
            continue
          }
          for (const { counts, issues } of folded.reads) {
            parseErrors += counts.parseErrors
            for (const issue of issues) problems.add(issueProblem(issue))
            problems.omit(counts.parseErrors + counts.warnings - issues.length)
          }
          seen.add(folded.fold.after.metadata.id)
          folds.push({ files: group, fold: folded.fold })
        }
        const drifts = yield* driftOf(folds.map((f) => f.fold))
        for (const { files, fold } of folds) {
          const id = fold.after.metadata.id
          const fields = drifts.get(id)
          if (fields === undefined) {
            missing.push(id)
            toRepair.push(...files)
          } else if (fields.length > 0) {
            drifted.push({ id, fields })
            toRepair.push(...files)
          }
        }
        options.onProgress?.({
          total: listing.files.length,
          scanned,
          upserted: 0,
          unchanged: scanned - toRepair.length - failed.length,
          failed: failed.length,
          parseErrors,
          watermark: batch[batch.length - 1]?.[0]?.relativePath ?? null,
          ...problems.snapshot()
        })
      }
      // This host's rows: another host's are not orphans of this home.
      const allIds = yield* database.run(values(`SELECT id FROM threads WHERE ${database.ownThreads}`, [])).pipe(
        Effect.map((found) => found.map(([id]) => id as string)),
        Effect.mapError(named("list threads"))
      )
      const orphaned = allIds.filter((id) => !seen.has(id))
      if (options.repair) {
        for (const batch of chunksOf(toRepair, config.batchSize)) {
          yield* yieldToEventLoop
          yield* projector.project(batch.map((f) => ({ path: f.path, archived: f.archived })), {
            from: "scratch",
            defaultModelProvider: config.defaultModelProvider
          })
        }
        yield* database.transact(threadsProjection.clear(orphaned))
          .pipe(Effect.mapError(named("delete orphans")))
      }
      return {
        missing,
        orphaned,
        drifted,
        repaired: options.repair,
        scanned,
        failed,
        ...problems.snapshot()
      } satisfies ReconcileReport
    })
})
