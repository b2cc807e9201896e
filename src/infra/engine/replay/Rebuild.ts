/**
 * Rebuild (SPEC §4): reset every projection and replay every file; operational state is
 * untouched, except that the backfill is complete afterwards.
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { PROJECTIONS } from "../../../projections/Projection.js"
import { runSync } from "../../../projections/Statements.js"
import { type HomeNotFound, listRolloutFiles } from "../../rollout/RolloutFiles.js"
import { Database, type DatabaseError, toDatabaseError } from "../../sqlite/Database.js"
import { EngineConfig } from "../EngineConfig.js"
import { makeBatches } from "./Backfill.js"
import * as BackfillState from "./BackfillState.js"
import type { BackfillReport, RunOptions } from "./Report.js"

/** @since 0.1.0 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* Database
  const state = yield* BackfillState.make
  const inBatches = yield* makeBatches
  const named = (operation: string) => toDatabaseError(database.file, operation)

  /**
   * Leaves every projection holding nothing folded. Thread rows are reset, not deleted, so that
   * operational state keyed on a thread (memory, goals) survives. A rebuild killed midway leaves
   * reset rows that catch-up folds from scratch, and a pending backfill that finds files not yet
   * replayed.
   */
  const reset = database.direct.transaction(Effect.zipRight(
    database.direct.use((s) => {
      for (const projection of PROJECTIONS) runSync(projection.reset(), s)
    }),
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
      yield* database.direct.transaction(Effect.zipRight(
        // Rows no file claimed (file gone or unreadable) are what a replay does not produce.
        database.direct.use((s) => s.run("DELETE FROM threads WHERE file_size = -1", [])),
        state.completeByRebuild(progress.watermark, at)
      )).pipe(Effect.mapError(named("complete rebuild")))
      return { ...report, status: "complete" } satisfies BackfillReport
    })
})
