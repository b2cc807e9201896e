/**
 * Verify (SPEC §4): rebuild the projections from the log into a temporary database and
 * compare every projection table with the live one, row by row and column by column.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "../../sqlite/Database.js"
import { EngineConfig } from "../EngineConfig.js"
import * as ThreadProjector from "../ThreadProjector.js"
import { type Problem, type RunOptions, runRebuild } from "./Backfill.js"

/** A difference between the live and the rebuilt projections. @since 0.1.0 */
export interface VerifyDifference {
  readonly table: string
  readonly key: string
  /** The differing column, or `(row)` when the row exists on one side only. */
  readonly column: string
  readonly live: unknown
  readonly rebuilt: unknown
}

/** @since 0.1.0 @category models */
export interface VerifyReport {
  readonly ok: boolean
  readonly tables: ReadonlyArray<{ readonly table: string; readonly liveRows: number; readonly rebuiltRows: number }>
  readonly differences: ReadonlyArray<VerifyDifference>
  /** What the rebuild from the log reported (skipped and failed files, line issues). */
  readonly problems: ReadonlyArray<Problem>
  readonly problemsOmitted: number
}

/** Projection tables and their keys. @since 0.1.0 */
export const PROJECTION_TABLES = [
  { table: "threads", key: ["id"] },
  { table: "thread_dynamic_tools", key: ["thread_id", "position"] },
  { table: "thread_turns", key: ["thread_id", "turn_index"] },
  { table: "thread_spawn_edges", key: ["child_thread_id"] }
] as const

const MAX_DIFFERENCES = 1000

/** @since 0.1.0 */
export const runVerify = (live: Database.Database, options: RunOptions = {}) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "rollout-state-verify-"))),
    (dir) => compareWithRebuild(live, join(dir, "rebuilt.sqlite"), options),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const compareWithRebuild = (live: Database.Database, file: string, options: RunOptions) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const rebuiltDb = Database.layer({ file })
    const sqlLayer = Layer.effect(SqlClient.SqlClient, Effect.map(Database.Database, (db) => db.sql)).pipe(
      Layer.provideMerge(rebuiltDb)
    )
    const rebuilt = yield* runRebuild(options).pipe(
      Effect.provide(ThreadProjector.layerAll.pipe(
        Layer.provideMerge(sqlLayer),
        Layer.provideMerge(Layer.succeed(EngineConfig, config))
      ))
    )
    const sql = live.sql
    const dbError = Database.toDatabaseError(live.file, "verify")
    const compare = Effect.gen(function*() {
      yield* sql`ATTACH DATABASE ${file} AS rebuilt`
      const tables: Array<{ table: string; liveRows: number; rebuiltRows: number }> = []
      const differences: Array<VerifyDifference> = []
      for (const { key, table } of PROJECTION_TABLES) {
        const [liveCount] = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM main.${sql(table)}`
        const [rebuiltCount] = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM rebuilt.${sql(table)}`
        tables.push({ table, liveRows: liveCount?.n ?? 0, rebuiltRows: rebuiltCount?.n ?? 0 })
        const onlyLive = yield* sql<Record<string, unknown>>`SELECT * FROM main.${
          sql(table)
        } EXCEPT SELECT * FROM rebuilt.${sql(table)}`
        const onlyRebuilt = yield* sql<Record<string, unknown>>`SELECT * FROM rebuilt.${
          sql(table)
        } EXCEPT SELECT * FROM main.${sql(table)}`
        const keyOf = (row: Record<string, unknown>) => key.map((k) => String(row[k])).join("/")
        const rebuiltByKey = new Map(onlyRebuilt.map((row) => [keyOf(row), row]))
        for (const liveRow of onlyLive) {
          const k = keyOf(liveRow)
          const rebuiltRow = rebuiltByKey.get(k)
          rebuiltByKey.delete(k)
          if (rebuiltRow === undefined) {
            differences.push({ table, key: k, column: "(row)", live: "present", rebuilt: "absent" })
            continue
          }
          for (const column of Object.keys(liveRow)) {
            if (liveRow[column] !== rebuiltRow[column]) {
              differences.push({ table, key: k, column, live: liveRow[column], rebuilt: rebuiltRow[column] })
            }
          }
        }
        for (const k of rebuiltByKey.keys()) {
          differences.push({ table, key: k, column: "(row)", live: "absent", rebuilt: "present" })
        }
      }
      return {
        ok: differences.length === 0,
        tables,
        differences: differences.slice(0, MAX_DIFFERENCES),
        problems: rebuilt.problems,
        problemsOmitted: rebuilt.problemsOmitted
      } satisfies VerifyReport
    })
    return yield* compare.pipe(
      Effect.ensuring(Effect.ignore(sql`DETACH DATABASE rebuilt`)),
      Effect.mapError(dbError)
    )
  })
