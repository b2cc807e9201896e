/**
 * Rebuild (SPEC §4): reset every projection and replay every file; operational state is
 * untouched, except that the backfill is complete afterwards.
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { PROJECTIONS } from "../../../projections/Projection.js"
import { run } from "../../../projections/Statements.js"
import { type HomeNotFound, listRolloutFiles } from "../../rollout/RolloutFiles.js"
import { type DatabaseError, SqlDatabase } from "../../sql/SqlDatabase.js"
import { EngineConfig } from "../EngineConfig.js"
import { makeBatches } from "./Backfill.js"
import * as BackfillState from "./BackfillState.js"
import type { BackfillReport, RunOptions } from "./Report.js"

/** @since 0.1.0 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const state = yield* BackfillState.make
  const inBatches = yield* makeBatches
  const named = database.toDatabaseError
  // A database hosts share: this host's threads only (the others' files are on their disks).
  const own = database.hostId === null ? undefined : database.ownThreads

  /**
   * Leaves every projection holding nothing folded. Thread rows are reset, not deleted, so that
   * operational state keyed on a thread (memory, goals) survives. A rebuild killed midway leaves
   * reset rows that catch-up folds from scratch, and a pending backfill that finds files not yet
   * replayed.
   */
  const reset = database.transaction(Effect.zipRight(
    database.run(function*() {
      for (const projection of PROJECTIONS) yield* projection.reset(own)
    }()),
    state.resetForRebuild
  )).pipe(Effect.mapError(named("clear projections")))

  return (options: RunOptions = {}): Effect.Effect<BackfillReport, DatabaseError | HomeNotFound> =>
    Effect.gen(function*() {
      const listing = yield* listRolloutFiles(config.home)
      yield* reset
      const { failures, issues, progress, stopped } = yield* inBatches(listing.files, "scratch", {
        ...options,
        skipped: listing.skipped
      })
      const report = { ...progress, skippedFiles: listing.skipped, failures, issues }
      if (stopped) return { ...report, status: "pending" } satisfies BackfillReport
      const at = yield* Clock.currentTimeMillis
      yield* database.transaction(Effect.zipRight(
        // Rows no file claimed (file gone or unreadable) are what a replay does not produce.
        database.run(run(`DELETE FROM threads WHERE file_size = -1${own === undefined ? "" : ` AND ${own}`}`, [])),
        state.completeByRebuild(progress.watermark, at)
      )).pipe(Effect.mapError(named("complete rebuild")))
      return { ...report, status: "complete" } satisfies BackfillReport
    })
})
