/**
 * Verify (SPEC §4): rebuild the projections from the log into a temporary database and
 * compare every projection table with the live one, row by row and column by column.
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { COMPARED_TABLES } from "../../../projections/Projection.js"
import type { HomeNotFound } from "../../rollout/RolloutFiles.js"
import type { TableDifference } from "../../sql/CompareTables.js"
import { type DatabaseError, SqlDatabase } from "../../sql/SqlDatabase.js"
import { EngineConfig } from "../EngineConfig.js"
import * as ThreadProjector from "../ThreadProjector.js"
import * as Rebuild from "./Rebuild.js"
import type { Problem, RunOptions } from "./Report.js"

/** A difference between the live and the rebuilt projections. @since 0.1.0 */
export type VerifyDifference = TableDifference

/** @since 0.1.0 @category models */
export interface VerifyReport {
  readonly ok: boolean
  readonly tables: ReadonlyArray<{ readonly table: string; readonly liveRows: number; readonly rebuiltRows: number }>
  readonly differences: ReadonlyArray<VerifyDifference>
  /** What the rebuild from the log reported (skipped and failed files, line issues). */
  readonly problems: ReadonlyArray<Problem>
  readonly problemsOmitted: number
}

const MAX_DIFFERENCES = 1000

/** @since 0.1.0 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const live = yield* SqlDatabase

  /** A rebuild of the home into `database`: a projector and rebuild of its own. */
  const rebuildInto = (database: SqlDatabase, options: RunOptions) =>
    Effect.flatMap(Rebuild.make, (rebuild) => rebuild(options)).pipe(
      Effect.provide(ThreadProjector.layer.pipe(
        Layer.provideMerge(Layer.succeed(SqlDatabase, database)),
        Layer.provideMerge(Layer.succeed(EngineConfig, config))
      ))
    )

  return (options: RunOptions = {}): Effect.Effect<VerifyReport, DatabaseError | HomeNotFound> =>
    Effect.scoped(Effect.gen(function*() {
      const scratch = yield* live.scratch
      const rebuilt = yield* rebuildInto(scratch.database, options)
      const { differences, tables } = yield* scratch.compare(COMPARED_TABLES)
      return {
        ok: differences.length === 0,
        tables,
        differences: differences.slice(0, MAX_DIFFERENCES),
        problems: rebuilt.problems,
        problemsOmitted: rebuilt.problemsOmitted
      } satisfies VerifyReport
    }))
})
