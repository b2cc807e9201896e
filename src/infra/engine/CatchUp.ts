/**
 * Catch-up on open (SPEC §4, §11): project every thread whose file changed since it was
 * projected (grew, or, archived, was touched; or one of its earlier pages changed), following
 * files that moved; once a backfill is complete, also the files added since (a walk of the
 * newest date folders and `archived_sessions/`); delete the rows of threads whose file is gone
 * everywhere.
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { basename, join, sep } from "node:path"
import { chunksOf, values } from "../../projections/Statements.js"
import { earlierFilesOf, threadsProjection } from "../../projections/ThreadsProjection.js"
import { archivedAtOf, fileStat } from "../rollout/FileStat.js"
import { movedPlaces, SESSIONS_DIR } from "../rollout/Layout.js"
import { type HomeNotFound, listRolloutFiles } from "../rollout/RolloutFiles.js"
import { belongsTo } from "../rollout/RolloutIdentity.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { EngineConfig } from "./EngineConfig.js"
import * as BackfillState from "./replay/BackfillState.js"
import { fileOfThread } from "./ThreadFiles.js"
import { ThreadProjector } from "./ThreadProjector.js"

/** @since 0.1.0 */
export interface CatchUpReport {
  readonly checked: number
  /** Threads already projected whose file changed: projected again. */
  readonly caughtUp: number
  /** Threads projected for the first time: files added since (a completed backfill's discovery). */
  readonly added: number
  /** The recorded paths of threads whose file was gone everywhere: their rows were deleted. */
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
  /** The pages before `rollout_path` (paginated history), as JSON; `null` for nearly all. */
  readonly earlier_files: string | null
}

/** Whether a page before the thread's current file is gone or changed since it was folded. */
const earlierChanged = (row: Position): boolean =>
  row.earlier_files !== null &&
  earlierFilesOf(row.earlier_files).some((file) => fileStat(file.path)?.size !== file.size)

/**
 * The newest day a live thread's file is foldered under: files added since are in its folder or
 * later ones (or in `archived_sessions/`). No day (no live rows): the whole home is listed.
 */
const newestDay = (home: string, rows: ReadonlyArray<Position>): { readonly sessionsFrom?: string } => {
  const prefix = join(home, SESSIONS_DIR) + sep
  let newest: string | undefined
  for (const row of rows) {
    if (row.archived || !row.rollout_path.startsWith(prefix)) continue
    const [year, month, date] = row.rollout_path.slice(prefix.length).split(sep)
    if (year === undefined || month === undefined || date === undefined) continue
    const day = `${year}/${month}/${date}`
    if (DAY.test(day) && (newest === undefined || day > newest)) newest = day
  }
  return newest === undefined ? {} : { sessionsFrom: newest }
}

const DAY = /^\d{4}\/\d{2}\/\d{2}$/

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const projector = yield* ThreadProjector
  const backfillState = yield* BackfillState.make

  /**
   * Deletes the rows (and, by their foreign keys, the child rows) of threads whose file is gone
   * everywhere. Under the write lock, where no file moves, each is looked for once more where a
   * move would have put it. Returns the paths of the rows deleted.
   */
  const deleteGone = (gone: ReadonlyArray<Position>) =>
    gone.length === 0 ? Effect.succeed([]) : database.transact(function*() {
      const ids: Array<string> = []
      const paths: Array<string> = []
      for (const row of gone) {
        const places = [row.rollout_path, ...movedPlaces(config.home, basename(row.rollout_path)).map((p) => p.path)]
        if (places.some((place) => belongsTo(place, row.id))) continue
        ids.push(row.id)
        paths.push(row.rollout_path)
      }
      yield* threadsProjection.clear(ids)
      return paths
    }()).pipe(Effect.mapError(database.toDatabaseError("delete rows of gone files")))

  const run = Effect.gen(function*() {
    // Value arrays (SQLite: on the direct path): every open reads every thread's position. This
    // host's threads only: the others' files are on their disks.
    const rows = yield* database.run(values(
      `SELECT id, rollout_path, archived, archived_at_ms, file_size, earlier_files FROM threads WHERE ${database.ownThreads}`,
      []
    )).pipe(
      Effect.map((found) =>
        found.map((
          [id, path, archived, archivedAt, size, earlier]
        ): Position => ({
          id: id as string,
          rollout_path: path as string,
          archived: archived === 1,
          archived_at_ms: archivedAt as number | null,
          file_size: size as number,
          earlier_files: earlier as string | null
        }))
      ),
      Effect.mapError(database.toDatabaseError("list threads"))
    )
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
      if (facts.size === row.file_size && !touched && !earlierChanged(row)) continue
      // Only a changed file is projected, so only its identity is read; another thread's file
      // is the row's missing one, looked for by name below.
      if (belongsTo(row.rollout_path, row.id)) stale.push({ path: row.rollout_path, archived: row.archived })
      else missing.push(row)
    }
    // Until a backfill is complete, it is what finds the home's files (in batches, resumably).
    const backfilled = (yield* backfillState.read).status === "complete"
    if (missing.length === 0 && !backfilled) return yield* projected(rows.length, stale, [])
    // A file gone from its recorded path may have moved (archived, unarchived): follow it by id.
    const gone: Array<Position> = []
    const known = new Set(rows.flatMap((row) => [
      row.rollout_path,
      ...(row.earlier_files === null ? [] : earlierFilesOf(row.earlier_files).map((file) => file.path))
    ]))
    const listing = yield* listRolloutFiles(
      config.home,
      missing.length > 0 ? {} : newestDay(config.home, rows)
    )
    for (const row of missing) {
      const moved = fileOfThread(listing, row.id)
      if (moved === undefined) gone.push(row)
      else {
        stale.push({ path: moved.path, archived: moved.archived })
        known.add(moved.path)
      }
    }
    // Files added since (the host's own recorder writes them): projected like any other.
    if (backfilled) {
      for (const file of listing.files) {
        if (!known.has(file.path)) stale.push({ path: file.path, archived: file.archived })
      }
    }
    return yield* projected(rows.length, stale, yield* deleteGone(gone))
  })

  /** Projects the changed files, a batch at a time, and reports. */
  const projected = (
    checked: number,
    stale: ReadonlyArray<{ readonly path: string; readonly archived: boolean }>,
    deleted: ReadonlyArray<string>
  ) =>
    Effect.map(
      Effect.forEach(chunksOf(stale, config.batchSize), (batch) =>
        projector.project(batch, { from: "rows", defaultModelProvider: config.defaultModelProvider })),
      (batches): CatchUpReport => {
        const outcomes = batches.flat()
        return {
          checked,
          caughtUp: outcomes.filter((o) =>
            o._tag === "Projected" && !o.created
          ).length,
          added: outcomes.filter((o) => o._tag === "Projected" && o.created).length,
          missingFiles: deleted,
          failed: outcomes.flatMap((o) => (o._tag === "Failed" ? [{ path: o.path, reason: o.reason }] : []))
        }
      }
    )

  return CatchUp.of({ run })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(CatchUp, make)
