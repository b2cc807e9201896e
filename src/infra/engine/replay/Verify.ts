/**
 * Verify (SPEC §4): rebuild the projections from the log into a temporary database and
 * compare every projection table with the live one, row by row and column by column.
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { COMPARED_TABLES } from "../../../projections/Projection.js"
import type { HomeNotFound } from "../../rollout/RolloutFiles.js"
import { compareTables, type TableDifference } from "../../sqlite/CompareDatabases.js"
import * as Database from "../../sqlite/Database.js"
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
  const live = yield* Database.Database

  /** A rebuild of the home into `file`: a database, projector and rebuild of its own. */
  const rebuildInto = (file: string, options: RunOptions) =>
    Effect.flatMap(Rebuild.make, (rebuild) => rebuild(options)).pipe(
      Effect.provide(ThreadProjector.layer.pipe(
        Layer.provideMerge(Database.layer({ file })),
        Layer.provideMerge(Layer.succeed(EngineConfig, config))
      ))
    )

  return (options: RunOptions = {}): Effect.Effect<VerifyReport, Database.DatabaseError | HomeNotFound> =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "rollout-state-verify-"))),
      (dir) =>
        Effect.gen(function*() {
          const file = join(dir, "rebuilt.sqlite")
          const rebuilt = yield* rebuildInto(file, options)
          const { differences, tables } = yield* compareTables(live, file, COMPARED_TABLES)
          return {
            ok: differences.length === 0,
            tables,
            differences: differences.slice(0, MAX_DIFFERENCES),
            problems: rebuilt.problems,
            problemsOmitted: rebuilt.problemsOmitted
          } satisfies VerifyReport
        }),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
})
