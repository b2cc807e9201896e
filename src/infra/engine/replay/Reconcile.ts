/**
 * Reconcile (SPEC §4): fold every file afresh, compare with its rows in every projection, and
 * report threads missing from the database, rows whose file is gone, and drifted rows with the
 * names of the fields that differ. `repair` replays the drifted and missing threads through the
 * projector and deletes the orphans.
 * @since 0.1.0
 */
import { Effect } from "effect"
import { PROJECTIONS } from "../../../projections/Projection.js"
import { chunksOf } from "../../../projections/Statements.js"
import type { ThreadDelta } from "../../../projections/ThreadDelta.js"
import { threadRows, threadsProjection } from "../../../projections/ThreadsProjection.js"
import { fileStat, placementAfterFold } from "../../rollout/FileStat.js"
import { type HomeNotFound, listRolloutFiles, type RolloutFile } from "../../rollout/RolloutFiles.js"
import { foldRolloutFile } from "../../rollout/RolloutFold.js"
import { yieldToEventLoop } from "../../rollout/RolloutReader.js"
import { Database, type DatabaseError, toDatabaseError } from "../../sqlite/Database.js"
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
  const database = yield* Database
  const projector = yield* ThreadProjector
  const named = (operation: string) => toDatabaseError(database.file, operation)

  /** The fields of each fold's thread that drift, in every projection, in `PROJECTIONS` order. */
  const driftOf = (folds: ReadonlyArray<ThreadDelta>) =>
    database.direct.use((s) => {
      const present = threadRows.loadPositions(s, folds.map((f) => f.after.metadata.id))
      const drifts = PROJECTIONS.map((projection) => projection.drift(s, folds))
      return new Map(folds.map((f) => {
        const id = f.after.metadata.id
        return [id, present.has(id) ? drifts.flatMap((d) => d.get(id) ?? []) : undefined] as const
      }))
    }).pipe(Effect.mapError(named("compare projections")))

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
      for (const batch of chunksOf(listing.files, config.batchSize)) {
        yield* yieldToEventLoop
        const folds: Array<{ file: RolloutFile; fold: ThreadDelta }> = []
        for (const file of batch) {
          scanned++
          const facts = fileStat(file.path)
          const result = yield* Effect.either(
            foldRolloutFile(file.path, {
              defaultModelProvider: config.defaultModelProvider,
              messageKinds: config.messageKinds
            })
          )
          if (result._tag === "Left" || facts === undefined) {
            const reason = result._tag === "Left" ? result.left.reason : "file not found"
            failed.push({ path: file.path, reason })
            problems.add({ file: file.path, line: null, reason })
            continue
          }
          const { counts, end, issues, messages, state } = result.right
          parseErrors += counts.parseErrors
          for (const issue of issues) problems.add(issueProblem(issue))
          problems.omit(counts.parseErrors + counts.warnings - issues.length)
          seen.add(state.metadata.id)
          folds.push({
            file,
            fold: { before: undefined, after: state, placement: placementAfterFold(file, facts, end), messages }
          })
        }
        const drifts = yield* driftOf(folds.map((f) => f.fold))
        for (const { file, fold } of folds) {
          const id = fold.after.metadata.id
          const fields = drifts.get(id)
          if (fields === undefined) {
            missing.push(id)
            toRepair.push(file)
          } else if (fields.length > 0) {
            drifted.push({ id, fields })
            toRepair.push(file)
          }
        }
        options.onProgress?.({
          total: listing.files.length,
          scanned,
          upserted: 0,
          unchanged: scanned - missing.length - drifted.length - failed.length,
          failed: failed.length,
          parseErrors,
          watermark: batch[batch.length - 1]?.relativePath ?? null,
          ...problems.snapshot()
        })
      }
      const allIds = yield* database.direct.use((s) =>
        s.values("SELECT id FROM threads", []).map(([id]) => id as string)
      )
        .pipe(Effect.mapError(named("list threads")))
      const orphaned = allIds.filter((id) => !seen.has(id))
      if (options.repair) {
        for (const batch of chunksOf(toRepair, config.batchSize)) {
          yield* yieldToEventLoop
          yield* projector.project(batch.map((f) => ({ path: f.path, archived: f.archived })), {
            from: "scratch",
            defaultModelProvider: config.defaultModelProvider
          })
        }
        yield* database.direct.transact((s) => threadsProjection.clear(s, orphaned))
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
