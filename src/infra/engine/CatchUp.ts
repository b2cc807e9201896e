/**
 * Catch-up on open (SPEC §4): project every thread whose file changed since it was projected
 * (grew, or, archived, was touched), following files that moved, and report files gone.
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { archivedAtOf, fileStat } from "../rollout/FileStat.js"
import { type HomeNotFound, listRolloutFiles } from "../rollout/RolloutFiles.js"
import { belongsTo } from "../rollout/RolloutIdentity.js"
import { Database, type DatabaseError, toDatabaseError } from "../sqlite/Database.js"
import { EngineConfig } from "./EngineConfig.js"
import { fileOfThread } from "./ThreadFiles.js"
import { ThreadProjector } from "./ThreadProjector.js"

/** @since 0.1.0 */
export interface CatchUpReport {
  readonly checked: number
  readonly caughtUp: number
  readonly missingFiles: ReadonlyArray<string>
  readonly failed: ReadonlyArray<{ readonly path: string; readonly reason: string }>
}

/** @since 0.1.0 @category models */
export interface CatchUp {
  readonly run: Effect.Effect<CatchUpReport, DatabaseError | HomeNotFound>
}

/** @since 0.1.0 @category tags */
export const CatchUp = Context.GenericTag<CatchUp>("rollout-state/CatchUp")

interface Position {
  readonly id: string
  readonly rollout_path: string
  readonly archived: boolean
  readonly archived_at_ms: number | null
  readonly file_size: number
}

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* Database
  const projector = yield* ThreadProjector

  const run = Effect.gen(function*() {
    // Value arrays on the direct path: every open reads every thread's position.
    const rows = yield* database.direct.use((s) =>
      s.values("SELECT id, rollout_path, archived, archived_at_ms, file_size FROM threads", []).map((
        [id, path, archived, archivedAt, size]
      ): Position => ({
        id: id as string,
        rollout_path: path as string,
        archived: archived === 1,
        archived_at_ms: archivedAt as number | null,
        file_size: size as number
      }))
    ).pipe(Effect.mapError(toDatabaseError(database.file, "list threads")))
    const stale: Array<{ path: string; archived: boolean }> = []
    const missing: Array<Position> = []
    // Opening a home of many threads stats every file. Synchronously: 10,000 stats take 33 ms
    // so, and 290 ms as promises even 16 at a time (bench/figures/catchup.ts). A yield every
    // 1,000 keeps a host's event loop responsive.
    for (const [index, row] of rows.entries()) {
      if (index % 1000 === 999) yield* Effect.yieldNow()
      const facts = fileStat(row.rollout_path)
      if (facts === undefined) {
        missing.push(row)
        continue
      }
      const touched = row.archived && archivedAtOf(true, facts.mtimeMs) !== row.archived_at_ms
      if (facts.size === row.file_size && !touched) continue
      // Only a changed file is projected, so only its identity is read; another thread's file
      // is the row's missing one, looked for by name below.
      if (belongsTo(row.rollout_path, row.id)) stale.push({ path: row.rollout_path, archived: row.archived })
      else missing.push(row)
    }
    // A file gone from its recorded path may have moved (archived, unarchived): follow it by id.
    const stillMissing: Array<string> = []
    if (missing.length > 0) {
      const listing = yield* listRolloutFiles(config.home)
      for (const row of missing) {
        const moved = fileOfThread(listing, row.id)
        if (moved === undefined) stillMissing.push(row.rollout_path)
        else stale.push({ path: moved.path, archived: moved.archived })
      }
    }
    const outcomes = yield* projector.project(stale, {
      from: "rows",
      defaultModelProvider: config.defaultModelProvider
    })
    return {
      checked: rows.length,
      caughtUp: outcomes.filter((o) => o._tag === "Projected").length,
      missingFiles: stillMissing,
      failed: outcomes.flatMap((o) => (o._tag === "Failed" ? [{ path: o.path, reason: o.reason }] : []))
    } satisfies CatchUpReport
  })

  return CatchUp.of({ run })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(CatchUp, make)
