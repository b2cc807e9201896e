/**
 * Mutations a host makes to a thread without resuming it (SPEC §6, §11): a metadata patch,
 * recorded in the rollout before SQLite is touched, and archive / unarchive, which move the file.
 * Each runs under the database write lock, so two processes mutating or appending to one
 * thread serialize their projections; appends themselves interleave whole lines (O_APPEND).
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, Effect } from "effect"
import { link, mkdir, rename, rm, unlink, utimes } from "node:fs/promises"
import { basename, dirname } from "node:path"
import { type MetadataPatch, metadataPatchItems, metadataPatchProblem } from "../../domain/MetadataPatch.js"
import { encodeRolloutLine, type SessionMeta, type SpawnStatus } from "../../domain/RolloutItem.js"
import { formatTimestamp } from "../../domain/Timestamp.js"
import { AgentGraph } from "../../projections/AgentGraph.js"
import { PROJECTIONS } from "../../projections/Projection.js"
import { earlierFilesOf, metadataOf, type ThreadRow } from "../../projections/ThreadsProjection.js"
import { fileStat } from "../rollout/FileStat.js"
import { archivedRolloutPath, liveRolloutPath } from "../rollout/Layout.js"
import { listRolloutFiles } from "../rollout/RolloutFiles.js"
import { belongsTo } from "../rollout/RolloutIdentity.js"
import { forEachRolloutBatch } from "../rollout/RolloutReader.js"
import { appendToRollout, RolloutWriteError } from "../rollout/RolloutStore.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { forgetThreads } from "../stores/ThreadForget.js"
import { EngineConfig } from "./EngineConfig.js"
import { InvalidInput, ProjectionFailed, ThreadNotFound } from "./EngineError.js"
import { filesOfThread, type ThreadFile, ThreadFiles } from "./ThreadFiles.js"

/**
 * Whether a close or resume also walks the agent graph: a close its open descendants, a resume
 * its ancestors.
 * @since 0.1.0
 */
export interface CascadeOptions {
  readonly cascade?: boolean
}

/** The last `session_meta` of this thread in its file, unknown fields kept. */
const lastSessionMeta = (path: string, threadId: string) => {
  let found: SessionMeta | undefined
  return forEachRolloutBatch(path, { decode: "fold" }, (entries) => {
    for (const entry of entries) {
      if (entry._tag === "Item" && entry.item.type === "session_meta" && entry.item.payload.id === threadId) {
        found = entry.item.payload
      }
    }
  }).pipe(Effect.map(() => found))
}

/** A session meta standing for the row, for files that have none (legacy format). */
const sessionMetaOfRow = (row: ThreadRow): SessionMeta => {
  const metadata = metadataOf(row)
  return {
    id: metadata.id,
    timestamp: formatTimestamp(metadata.createdAt),
    cwd: metadata.cwd,
    cli_version: metadata.cliVersion,
    model_provider: metadata.modelProvider,
    source: metadata.source.startsWith("{") ? JSON.parse(metadata.source) as Record<string, unknown> : metadata.source
  }
}

/** Removes a rollout file; one already gone is no failure. */
const removeFile = (path: string) =>
  Effect.tryPromise({
    try: () => rm(path, { force: true }),
    catch: (cause) =>
      new RolloutWriteError({
        file: path,
        reason: `cannot delete: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })

/** Moves without ever replacing a file already at the destination. */
const moveFile = (from: string, to: string) =>
  Effect.tryPromise({
    try: async () => {
      await mkdir(dirname(to), { recursive: true })
      try {
        await link(from, to)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === "EEXIST") throw error
        // File systems without hard links: rename, after checking the destination is free.
        if (fileStat(to) !== undefined) throw Object.assign(new Error(`${to} already exists`), { code: "EEXIST" })
        await rename(from, to)
        return
      }
      await unlink(from)
    },
    catch: (cause) =>
      new RolloutWriteError({
        file: to,
        reason: (cause as NodeJS.ErrnoException).code === "EEXIST"
          ? `cannot move ${from} here: a file already exists`
          : `cannot move ${from}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })

/**
 * The mutations, over the engine's database and thread files.
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const files = yield* ThreadFiles
  const agentGraph = yield* AgentGraph

  /** Locates the thread and brings its rows up to date with its file (repairing a missing row). */
  const caughtUp = (threadId: string) =>
    Effect.gen(function*() {
      const file = yield* files.project(threadId, yield* files.locate(threadId))
      const row = yield* files.row(threadId)
      if (row === undefined) {
        return yield* new ProjectionFailed({ file: file.path, reason: `no row for thread ${threadId}` })
      }
      return { file, row }
    })

  /**
   * Patches the thread's git fields, name and memory mode: appends the lines recording it
   * (`metadataPatchItems`), then projects them (the fold applies them).
   * @since 0.1.0
   */
  const updateThreadMetadata = (threadId: string, patch: MetadataPatch) =>
    Effect.gen(function*() {
      const problem = metadataPatchProblem(patch)
      if (problem !== undefined) {
        return yield* new InvalidInput({ what: `metadata patch for ${threadId}`, reason: problem })
      }
      // Read outside the lock: the whole file may be long, and only patched fields change here.
      const before = yield* caughtUp(threadId)
      const meta = (yield* lastSessionMeta(before.file.path, threadId)) ?? sessionMetaOfRow(before.row)
      yield* database.hostLock(Effect.gen(function*() {
        // Under the lock: the git triple the patch applies to is the one no other writer changes now.
        const { file, row } = yield* caughtUp(threadId)
        const now = yield* Clock.currentTimeMillis
        const items = metadataPatchItems(patch, metadataOf(row), meta, formatTimestamp(now))
        yield* appendToRollout(file.path, items.map(encodeRolloutLine).join(""), { durability: config.durability })
        yield* files.project(threadId, file)
      })).pipe(
        Effect.catchTag("SqlError", (error) => Effect.fail(database.toDatabaseError("update thread metadata")(error)))
      )
    })

  /** Where an archive (or unarchive) puts a file of this name. */
  const destination = (path: string, toArchive: boolean): ThreadFile => {
    const name = basename(path)
    return toArchive
      ? { path: archivedRolloutPath(config.home, name), archived: true }
      : { path: liveRolloutPath(config.home, name), archived: false }
  }

  /**
   * Moves one thread's files (in the caller's transaction), its earlier pages first, and projects
   * it where it now lives. A page already gone or moved is left to the projection, which looks
   * for it where a move puts it.
   */
  const moveThread = (threadId: string, toArchive: boolean) =>
    Effect.gen(function*() {
      const { file, row } = yield* caughtUp(threadId)
      if (file.archived === toArchive) return
      for (const page of row.earlier_files === null ? [] : earlierFilesOf(row.earlier_files)) {
        const to = destination(page.path, toArchive).path
        if (to !== page.path && belongsTo(page.path, threadId)) yield* moveFile(page.path, to)
      }
      const target = destination(file.path, toArchive)
      yield* moveFile(file.path, target.path)
      if (toArchive) {
        // The archived file's mtime is the archive time a rebuild reads back (docs/decisions.md).
        const now = (yield* Clock.currentTimeMillis) / 1000
        yield* Effect.tryPromise({
          try: () => utimes(target.path, now, now),
          catch: (cause) => new RolloutWriteError({ file: target.path, reason: "cannot set the archive time", cause })
        })
      }
      yield* files.project(threadId, target)
    })

  /** Runs `use` holding the database write lock, its SQL failures named by `operation`. */
  const locked = <A, E, R>(operation: string, use: Effect.Effect<A, E, R>) =>
    database.hostLock(use).pipe(
      Effect.catchTag("SqlError", (error) => Effect.fail(database.toDatabaseError(operation)(error)))
    )

  /**
   * Moves the thread's files under `archived_sessions/` and projects it there, then does the
   * same for each of its open descendants (SPEC §11), all under one hold of the write lock;
   * archived threads are left as they are.
   * @since 0.1.0
   */
  const archiveThread = (threadId: string) =>
    locked(
      "archive thread",
      Effect.gen(function*() {
        yield* moveThread(threadId, true)
        for (const id of yield* agentGraph.descendants(threadId, "open")) yield* moveThread(id, true)
      })
    )

  /**
   * Records a close or resume in the thread's rollout (in the caller's transaction) and projects
   * it; a thread already in that status is left as it is. Whether it changed.
   */
  const setSpawnStatus = (threadId: string, status: SpawnStatus) =>
    Effect.gen(function*() {
      const { file, row } = yield* caughtUp(threadId)
      if (metadataOf(row).spawnStatus === status) return false
      const now = yield* Clock.currentTimeMillis
      const line = encodeRolloutLine({
        type: "event_msg",
        timestamp: formatTimestamp(now),
        payload: { type: "thread_spawn_status_updated", thread_id: threadId, status }
      })
      yield* appendToRollout(file.path, line, { durability: config.durability })
      yield* files.project(threadId, file)
      return true
    })

  /** Sets the status of each thread in order, under one hold of the write lock; the ones it changed. */
  const setSpawnStatuses = (
    operation: string,
    status: SpawnStatus,
    order: Effect.Effect<ReadonlyArray<string>, SqlError | DatabaseError>
  ) =>
    locked(
      operation,
      Effect.gen(function*() {
        const changed: Array<string> = []
        for (const id of yield* order) if (yield* setSpawnStatus(id, status)) changed.push(id)
        return changed
      })
    )

  /**
   * Closes the thread (the edge to it closes with it); with `cascade`, its open descendants
   * first, leaves first (SPEC §11). The threads it closed, in order.
   * @since 0.1.0
   */
  const closeThread = (threadId: string, options?: CascadeOptions) =>
    setSpawnStatuses(
      "close thread",
      "closed",
      options?.cascade === true
        ? Effect.map(agentGraph.descendants(threadId, "open"), (below) => [...below].reverse().concat(threadId))
        : Effect.succeed([threadId])
    )

  /**
   * Reopens the thread; with `cascade`, its ancestors first, root first (SPEC §11), skipping
   * any deleted since (its child's spawn edge still names it: the child's log does). The threads
   * it reopened, in order.
   * @since 0.1.0
   */
  const resumeThread = (threadId: string, options?: CascadeOptions) =>
    setSpawnStatuses(
      "resume thread",
      "open",
      options?.cascade === true
        ? Effect.gen(function*() {
          const above = yield* agentGraph.ancestors(threadId)
          const present = yield* Effect.filter(above, (id) => Effect.map(files.row(id), (row) => row !== undefined))
          return [...present, threadId]
        })
        : Effect.succeed([threadId])
    )

  /**
   * Moves the thread's file back under the date folders of its name and projects it there;
   * its descendants stay archived (SPEC §11).
   * @since 0.1.0
   */
  const unarchiveThread = (threadId: string) => locked("unarchive thread", moveThread(threadId, false))

  /**
   * Deletes the thread: every rollout file that belongs to it, then its projection rows and the
   * operational rows keyed on it, under one hold of the write lock (SPEC §11). An append racing
   * it either wrote into a file deleted here or finds no file (appends never create one), and
   * its projection, which needs the lock, then finds neither file nor row: it fails with
   * `ThreadNotFound` and nothing comes back. The files deleted, in order.
   * @since 0.1.0
   */
  const deleteThread = (threadId: string) =>
    locked(
      "delete thread",
      Effect.gen(function*() {
        // Held to the end, as a projection holds it; another host's thread is not this host's to delete.
        const others = yield* Effect.mapError(
          database.run(database.claimThreads([threadId])),
          database.toDatabaseError("delete thread")
        )
        const owner = others.get(threadId)
        if (owner !== undefined) {
          return yield* new InvalidInput({
            what: `thread ${threadId}`,
            reason: `it is host "${owner}"'s (this host is "${
              database.hostId ?? ""
            }"): a host deletes only its own threads`
          })
        }
        const row = yield* files.row(threadId)
        const own = filesOfThread(yield* listRolloutFiles(config.home), threadId).map((f) => f.path)
        const atRow = row !== undefined && belongsTo(row.rollout_path, threadId) ? [row.rollout_path] : []
        const paths = [...new Set([...own, ...atRow])]
        if (row === undefined && paths.length === 0) return yield* new ThreadNotFound({ threadId })
        for (const path of paths) yield* removeFile(path)
        yield* Effect.mapError(
          database.run(function*() {
            for (const projection of [...PROJECTIONS].reverse()) yield* projection.clear([threadId])
            yield* forgetThreads([threadId])
          }()),
          database.toDatabaseError("delete thread rows")
        )
        return paths
      })
    )

  return { updateThreadMetadata, archiveThread, unarchiveThread, closeThread, resumeThread, deleteThread }
})
