/**
 * A thread's rollout file: finding it (also after another process moved it: archived,
 * unarchived), and doing something with it that follows such a move. Files move only under
 * the database write lock, so an attempt that finds its file gone is retried once holding
 * the lock, where the file stays put.
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer } from "effect"
import { basename } from "node:path"
import { parseRolloutFileName } from "../../domain/RolloutFileName.js"
import { type ThreadRow, threadRows } from "../../projections/ThreadsProjection.js"
import { movedPlaces } from "../rollout/Layout.js"
import { type HomeListing, type HomeNotFound, listRolloutFiles, type RolloutFile } from "../rollout/RolloutFiles.js"
import { belongsTo, rolloutIdentity } from "../rollout/RolloutIdentity.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
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
 * What an attempt on a thread's file fails with when the file is not where it looked: the
 * error to give if it is not found elsewhere either.
 * @since 0.1.0
 */
export class FileMoved<E> extends Data.TaggedError("FileMoved")<{ readonly error: E }> {}

/**
 * The thread's own file in a listing: named with its id and holding its log.
 * @since 0.1.0
 */
export const fileOfThread = (listing: HomeListing, threadId: string): RolloutFile | undefined =>
  filesById(listing).get(threadId.toLowerCase())?.find((f) => belongsTo(f.path, threadId))

/**
 * Every file of a listing that belongs to the thread (live, archived, compressed, reverted).
 * @since 0.1.0
 */
export const filesOfThread = (listing: HomeListing, threadId: string): ReadonlyArray<RolloutFile> =>
  filesById(listing).get(threadId.toLowerCase())?.filter((f) => belongsTo(f.path, threadId)) ?? []

/** A listing's files by the id in their names, made once per listing (catch-up asks for many). */
const byIdOf = new WeakMap<HomeListing, ReadonlyMap<string, ReadonlyArray<RolloutFile>>>()
const filesById = (listing: HomeListing) => {
  let index = byIdOf.get(listing)
  if (index === undefined) {
    const built = new Map<string, Array<RolloutFile>>()
    for (const file of listing.files) {
      const list = built.get(file.name.threadId)
      if (list === undefined) built.set(file.name.threadId, [file])
      else list.push(file)
    }
    index = built
    byIdOf.set(listing, index)
  }
  return index
}

/** @since 0.1.0 @category models */
export interface ThreadFiles {
  /** The thread's row, when it has one. */
  readonly row: (threadId: string) => Effect.Effect<ThreadRow | undefined, DatabaseError>
  /**
   * The thread's file: its row's path when the file there is the thread's; else the places an
   * archive or unarchive moves it to; else any file of the home that belongs to the thread. A
   * row pointing at another thread's file (a copy, tampering) is never answered with that file.
   */
  readonly locate: (threadId: string) => Effect.Effect<ThreadFile, DatabaseError | HomeNotFound | ThreadNotFound>
  /**
   * Runs `attempt` on `file`; when it fails with `FileMoved`, locates the thread's file again
   * under the write lock and attempts once more there (a second `FileMoved` gives its error).
   */
  readonly following: <A, E, M>(
    threadId: string,
    file: ThreadFile,
    attempt: (file: ThreadFile) => Effect.Effect<A, E | FileMoved<M>>
  ) => Effect.Effect<A, E | M | DatabaseError | HomeNotFound | ThreadNotFound>
  /** Projects the thread's file, following it when it moved; returns where it was projected from. */
  readonly project: (
    threadId: string,
    file: ThreadFile
  ) => Effect.Effect<ProjectedThreadFile, DatabaseError | HomeNotFound | ThreadNotFound | ProjectionFailed>
}

/** @since 0.1.0 @category tags */
export const ThreadFiles = Context.GenericTag<ThreadFiles>("rollout-state/ThreadFiles")

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const projector = yield* ThreadProjector

  const row = (threadId: string) =>
    Effect.map(
      Effect.mapError(
        database.run(threadRows.load([threadId])),
        database.toDatabaseError("find thread")
      ),
      (rows) => rows.get(threadId)
    )

  const locate = (threadId: string) =>
    Effect.gen(function*() {
      const found = yield* row(threadId)
      const name = basename(found?.rollout_path ?? "")
      // The row's file name says where a move puts it, when the name is this thread's.
      const movable = parseRolloutFileName(name)?.threadId === threadId.toLowerCase()
      // A few rounds: another process may move the file between two of these checks.
      for (let round = 0; found !== undefined && round < 3; round++) {
        if (belongsTo(found.rollout_path, threadId)) {
          return { path: found.rollout_path, archived: found.archived === 1, row: found }
        }
        if (!movable) break
        const moved = movedPlaces(config.home, name).find((place) => belongsTo(place.path, threadId))
        if (moved !== undefined) return moved
      }
      const file = fileOfThread(yield* listRolloutFiles(config.home), threadId)
      if (file !== undefined) return { path: file.path, archived: file.archived }
      // A row whose own file is gone everywhere: callers report the missing file by its path.
      if (found !== undefined && movable && rolloutIdentity(found.rollout_path)._tag === "Missing") {
        return { path: found.rollout_path, archived: found.archived === 1 }
      }
      return yield* new ThreadNotFound({ threadId })
    })

  const following = <A, E, M>(
    threadId: string,
    file: ThreadFile,
    attempt: (file: ThreadFile) => Effect.Effect<A, E | FileMoved<M>>
  ): Effect.Effect<A, E | M | DatabaseError | HomeNotFound | ThreadNotFound> => {
    const isMoved = (error: E | FileMoved<M>): error is FileMoved<M> => error instanceof FileMoved
    const once = (at: ThreadFile) => Effect.catchIf(attempt(at), isMoved, (moved) => Effect.fail(moved.error))
    return Effect.catchIf(
      attempt(file),
      isMoved,
      () =>
        database.hostLock(Effect.flatMap(locate(threadId), once)).pipe(
          Effect.catchTag("SqlError", (error) => Effect.fail(database.toDatabaseError("follow a moved file")(error)))
        )
    )
  }

  const project = (threadId: string, file: ThreadFile) =>
    following(threadId, file, (at) =>
      Effect.flatMap(
        projector.project([at], { from: "rows", defaultModelProvider: config.defaultModelProvider }),
        ([outcome]): Effect.Effect<ProjectedThreadFile, DatabaseError | FileMoved<ProjectionFailed>> =>
          outcome === undefined || outcome._tag === "Failed"
            ? Effect.fail(
              new FileMoved({ error: new ProjectionFailed({ file: at.path, reason: outcome?.reason ?? "no outcome" }) })
            )
            : Effect.succeed({ path: at.path, archived: at.archived, projectedOffset: outcome.projectedOffset })
      ))

  return ThreadFiles.of({ row, locate, following, project })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(ThreadFiles, make)
