/**
 * Finding a thread's rollout file and projecting it, following a file that another process
 * moved (archived, unarchived) meanwhile.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { basename, join } from "node:path"
import { parseRolloutFileName } from "../../domain/RolloutFileName.js"
import { type ThreadRow, ThreadsProjection } from "../../projections/ThreadsProjection.js"
import { ARCHIVED_SESSIONS_DIR, listRolloutFiles, SESSIONS_DIR } from "../rollout/RolloutFiles.js"
import { belongsTo, rolloutIdentity } from "../rollout/RolloutIdentity.js"
import { Database, mapDatabaseError, toDatabaseError } from "../sqlite/Database.js"
import { EngineConfig } from "./EngineConfig.js"
import { ProjectionFailed, ThreadNotFound } from "./EngineError.js"
import { ThreadProjector } from "./ThreadProjector.js"

/**
 * A thread's rollout file and whether it lives under `archived_sessions/`.
 * @since 0.1.0
 */
export interface ThreadFile {
  readonly path: string
  readonly archived: boolean
  /** The thread's row as read when locating the file, which the projection then need not read. */
  readonly row?: ThreadRow | undefined
}

/**
 * A thread's file once projected, and how far its projection now reaches.
 * @since 0.1.0
 */
export interface ProjectedThreadFile {
  readonly path: string
  readonly archived: boolean
  readonly projectedOffset: number
}

/**
 * Where a file with this base name lives once unarchived: the date folders of its name.
 * @since 0.1.0
 */
export const liveRolloutPath = (home: string, fileName: string): string => {
  const date = /^rollout-(\d{4})-(\d{2})-(\d{2})/.exec(fileName)
  return date === null
    ? join(home, SESSIONS_DIR, fileName)
    : join(home, SESSIONS_DIR, date[1]!, date[2]!, date[3]!, fileName)
}

/**
 * Where a file with this base name lives once archived (flat, SPEC §1).
 * @since 0.1.0
 */
export const archivedRolloutPath = (home: string, fileName: string): string =>
  join(home, ARCHIVED_SESSIONS_DIR, fileName)

/**
 * The thread's file: its row's path when the file there is the thread's; else the places an
 * archive or unarchive moves it to; else any file of the home that belongs to the thread. A row
 * pointing at another thread's file (a copy, tampering) is never answered with that file: the
 * thread's own file is, or `ThreadNotFound` when it has none.
 * @since 0.1.0
 */
export const locateThread = (threadId: string) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const threads = yield* ThreadsProjection
    const rows = yield* mapDatabaseError("find thread")(threads.load([threadId]))
    const row = rows.get(threadId)
    const name = basename(row?.rollout_path ?? "")
    // The row's file name says where a move puts it, when the name is this thread's.
    const movable = parseRolloutFileName(name)?.threadId === threadId.toLowerCase()
    // A few rounds: another process may move the file between two of these checks.
    for (let round = 0; row !== undefined && round < 3; round++) {
      if (belongsTo(row.rollout_path, threadId)) return { path: row.rollout_path, archived: row.archived === 1, row }
      if (!movable) break
      const archived = archivedRolloutPath(config.home, name)
      if (belongsTo(archived, threadId)) return { path: archived, archived: true }
      const live = liveRolloutPath(config.home, name)
      if (belongsTo(live, threadId)) return { path: live, archived: false }
    }
    const listing = yield* listRolloutFiles(config.home)
    const file = listing.files.find((f) => f.name.threadId === threadId.toLowerCase() && belongsTo(f.path, threadId))
    if (file !== undefined) return { path: file.path, archived: file.archived }
    // A row whose own file is gone everywhere: callers report the missing file by its path.
    if (row !== undefined && movable && rolloutIdentity(row.rollout_path)._tag === "Missing") {
      return { path: row.rollout_path, archived: row.archived === 1 }
    }
    return yield* new ThreadNotFound({ threadId })
  })

/**
 * Projects the thread's file; when it moved before the projection read it, projects it
 * where it is now. Returns where it was projected from.
 * @since 0.1.0
 */
export const projectThreadFile = (threadId: string, file: ThreadFile) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const projector = yield* ThreadProjector
    const sql = yield* SqlClient.SqlClient
    const projectAt = (target: ThreadFile) =>
      Effect.map(
        projector.project([target], { from: "rows", defaultModelProvider: config.defaultModelProvider }),
        ([outcome]) => outcome ?? { _tag: "Failed" as const, path: target.path, reason: "no outcome" }
      )
    const projected = (at: ThreadFile, offset: number): ProjectedThreadFile => ({
      path: at.path,
      archived: at.archived,
      projectedOffset: offset
    })
    const first = yield* projectAt(file)
    if (first._tag !== "Failed") return projected(file, first.projectedOffset)
    // Perhaps moved meanwhile (even moved back by now). Files move only under the write
    // lock: holding it, locate the file and try once more while it stays put.
    return yield* sql.withTransaction(Effect.gen(function*() {
      const moved = yield* locateThread(threadId)
      const again = yield* projectAt(moved)
      if (again._tag === "Failed") return yield* new ProjectionFailed({ file: moved.path, reason: again.reason })
      return projected(moved, again.projectedOffset)
    })).pipe(Effect.catchTag("SqlError", (error) =>
      Effect.flatMap(Database, (db) =>
        Effect.fail(toDatabaseError(db.file, "project a moved file")(error)))))
  })
