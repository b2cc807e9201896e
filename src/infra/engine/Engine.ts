/**
 * The engine a host embeds: create threads and append items (log first, then
 * projections), catch up on open, and run backfill, rebuild, reconcile and verify.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, Context, Effect, Either, identity, Layer } from "effect"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import type { InvalidAgentPath } from "../../domain/AgentPath.js"
import type { MetadataPatch } from "../../domain/MetadataPatch.js"
import type { InvalidCursor } from "../../domain/PageCursor.js"
import {
  decodeRolloutItem,
  encodeRolloutLine,
  type RolloutItem,
  rolloutLineOf,
  type SessionMeta,
  type SkippedItem,
  type SpawnStatus
} from "../../domain/RolloutItem.js"
import { type SourceKind, sourceKind } from "../../domain/SessionSource.js"
import type { ThreadMetadata } from "../../domain/ThreadState.js"
import { formatTimestamp } from "../../domain/Timestamp.js"
import { AgentGraph, type AgentNotFound, layer as agentGraphLayer } from "../../projections/AgentGraph.js"
import type { ThreadPlacement } from "../../projections/ThreadDelta.js"
import { layer as threadListLayer, ThreadList, type ThreadListQuery } from "../../projections/ThreadList.js"
import {
  layer as threadSearchLayer,
  type SearchMatch,
  ThreadSearch,
  type ThreadSearchQuery
} from "../../projections/ThreadSearch.js"
import { metadataOf, placementOf, type ThreadRow } from "../../projections/ThreadsProjection.js"
import { layer as turnListLayer, TurnList, type TurnListQuery, type TurnPage } from "../../projections/TurnList.js"
import { isPostgresUrl } from "../pg/PgUrl.js"
import { newRolloutPath } from "../rollout/Layout.js"
import { canonicalHome, HomeNotFound } from "../rollout/RolloutFiles.js"
import { appendToRollout, createRollout, isMissingFile, uuidV7, type WriteOptions } from "../rollout/RolloutStore.js"
import { SqlDatabase } from "../sql/SqlDatabase.js"
import { CatchUp, type CatchUpReport, layer as CatchUpLayer } from "./CatchUp.js"
import { defaults as EngineConfigDefaults, EngineConfig } from "./EngineConfig.js"
import * as EngineDatabase from "./EngineDatabase.js"
import { type EngineError, InvalidInput, ProjectionFailed, ThreadNotFound, validThreadId } from "./EngineError.js"
import * as OpenBackfill from "./OpenBackfill.js"
import type { BackfillProgress } from "./OpenBackfill.js"
import type { ReconcileReport } from "./replay/Reconcile.js"
import { layer as ReplayLayer, Replay } from "./replay/Replay.js"
import type { BackfillReport, BatchProgress, RunOptions } from "./replay/Report.js"
import type { VerifyReport } from "./replay/Verify.js"
import * as ThreadDetail from "./ThreadDetail.js"
import { FileMoved, layer as ThreadFilesLayer, type ThreadFile, ThreadFiles } from "./ThreadFiles.js"
import * as ThreadMutations from "./ThreadMutations.js"
import * as ThreadProjector from "./ThreadProjector.js"

/**
 * A thread as the projections hold it.
 * @since 0.1.0
 * @category models
 */
export interface ThreadRecord {
  readonly metadata: ThreadMetadata
  readonly placement: ThreadPlacement
  /** The kind of `metadata.source` (SPEC §11), what `sourceKinds` filters on. */
  readonly sourceKind: SourceKind
}

/** @since 0.1.0 */
export type WritableItem = Exclude<RolloutItem, SkippedItem>

/**
 * A new thread's session meta; `id` and `timestamp` are generated when absent.
 * @since 0.1.0
 */
export type NewThread = Omit<SessionMeta, "id" | "timestamp"> & { readonly id?: string; readonly timestamp?: string }

/** A page of threads (SPEC §5). @since 0.1.0 */
export interface ThreadRecordPage {
  readonly items: ReadonlyArray<ThreadRecord>
  readonly nextCursor: string | null
  readonly backwardsCursor: string | null
  /** Present while the home's backfill is unfinished: the page holds what is projected so far (SPEC §11). */
  readonly backfill?: BackfillProgress
}

/** A search hit, its thread as `listThreads` gives it. @since 0.1.0 */
export interface SearchRecord extends SearchMatch {
  readonly thread: ThreadRecord
}

/** A page of search hits, best first. @since 0.1.0 */
export interface SearchRecordPage {
  readonly items: ReadonlyArray<SearchRecord>
  /** False when more messages matched than a search scores: the threads of the newest are ranked. */
  readonly exhaustive: boolean
  readonly nextCursor: string | null
}

/** @since 0.1.0 */
export interface AppendResult {
  readonly threadId: string
  readonly rolloutPath: string
  readonly lines: number
  readonly projectedOffset: number
}

/** @since 0.1.0 @category models */
export interface Engine {
  readonly createThread: (meta: NewThread) => Effect.Effect<ThreadRecord, EngineError>
  /** `options.durability` overrides the configured one for this append. */
  readonly append: (
    threadId: string,
    items: ReadonlyArray<WritableItem>,
    options?: WriteOptions
  ) => Effect.Effect<AppendResult, EngineError>
  readonly catchUp: Effect.Effect<CatchUpReport, EngineError>
  readonly backfill: (
    options?: RunOptions & { readonly restart?: boolean }
  ) => Effect.Effect<BackfillReport, EngineError>
  readonly rebuild: (options?: RunOptions) => Effect.Effect<BackfillReport, EngineError>
  readonly reconcile: (
    options: { readonly repair: boolean } & RunOptions
  ) => Effect.Effect<ReconcileReport, EngineError>
  readonly verify: (options?: RunOptions) => Effect.Effect<VerifyReport, EngineError>
  readonly getThread: (threadId: string) => Effect.Effect<ThreadRecord | undefined, EngineError>
  readonly listThreads: (query: ThreadListQuery) => Effect.Effect<ThreadRecordPage, EngineError | InvalidCursor>
  readonly listTurns: (threadId: string, query: TurnListQuery) => Effect.Effect<TurnPage, EngineError | InvalidCursor>
  /**
   * Threads whose messages match a full-text query, most relevant first, each with a snippet of
   * its best message; the list's filters; a query or cursor that cannot run is `InvalidInput`.
   */
  readonly searchThreads: (query: ThreadSearchQuery) => Effect.Effect<SearchRecordPage, EngineError>
  /** Metadata, dynamic tools (hidden ones flagged) and the latest model and effort. */
  readonly getThreadDetail: (threadId: string) => Effect.Effect<ThreadDetail.ThreadDetail, EngineError>
  /** Patches git fields, name and memory mode: absent keeps, null clears, a string sets; recorded in the rollout first. */
  readonly updateThreadMetadata: (threadId: string, patch: MetadataPatch) => Effect.Effect<ThreadRecord, EngineError>
  readonly archiveThread: (threadId: string) => Effect.Effect<ThreadRecord, EngineError>
  readonly unarchiveThread: (threadId: string) => Effect.Effect<ThreadRecord, EngineError>
  /**
   * Closes the thread as an agent (the spawn edge to it closes), recorded in its rollout; with
   * `cascade`, its open descendants first, leaves first. The threads closed, in order.
   */
  readonly closeThread: (
    threadId: string,
    options?: ThreadMutations.CascadeOptions
  ) => Effect.Effect<ReadonlyArray<string>, EngineError>
  /** Reopens a closed thread; with `cascade`, its ancestors first, root first. The threads reopened, in order. */
  readonly resumeThread: (
    threadId: string,
    options?: ThreadMutations.CascadeOptions
  ) => Effect.Effect<ReadonlyArray<string>, EngineError>
  /**
   * Deletes the thread's rollout file(s), its projection rows and the operational rows keyed on
   * it (goal, memory, log lines), safe against a concurrent append. The files deleted.
   */
  readonly deleteThread: (threadId: string) => Effect.Effect<ReadonlyArray<string>, EngineError>
  /** The threads this one spawned, by child id; with `status`, those whose edge has it. */
  readonly agentChildren: (threadId: string, status?: SpawnStatus) => Effect.Effect<ReadonlyArray<string>, EngineError>
  /**
   * Every thread spawned below this one, breadth-first by depth then child id; cascade close walks
   * it from the end. With `status`, only through edges of that status.
   */
  readonly agentDescendants: (
    threadId: string,
    status?: SpawnStatus
  ) => Effect.Effect<ReadonlyArray<string>, EngineError>
  /** The threads above this one, root first (cascade resume order). */
  readonly agentAncestors: (threadId: string) => Effect.Effect<ReadonlyArray<string>, EngineError>
  /** The thread an agent path names (`/root/agent_1`, `agent_2`, `../agent_4`) seen from a calling thread. */
  readonly resolveAgentPath: (
    reference: string,
    fromThreadId: string
  ) => Effect.Effect<string, EngineError | AgentNotFound | InvalidAgentPath>
}

/** @since 0.1.0 @category tags */
export const Engine = Context.GenericTag<Engine>("rollout-state/Engine")

const isWrapped = (item: WritableItem): item is Exclude<WritableItem, { type: "legacy_header" | "legacy_state" }> =>
  item.type !== "legacy_header" && item.type !== "legacy_state" && !(item.type === "response_item" && item.legacy)

const recordOf = (row: ThreadRow): ThreadRecord => ({
  metadata: metadataOf(row),
  placement: placementOf(row),
  sourceKind: sourceKind(row.source)
})

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const files = yield* ThreadFiles
  const catchUp = yield* CatchUp
  const replay = yield* Replay
  const threadList = yield* ThreadList
  const threadSearch = yield* ThreadSearch
  const turnList = yield* TurnList
  const agentGraph = yield* AgentGraph
  const mutations = yield* ThreadMutations.make
  const readThreadDetail = yield* ThreadDetail.make
  const dbError = database.toDatabaseError

  /** Each item stamped and checked against the rollout schema, as the lines to write; one effect for the batch. */
  const validLines = (items: ReadonlyArray<WritableItem>, now: number): Effect.Effect<Array<string>, InvalidInput> =>
    Effect.suspend(() => {
      const lines: Array<string> = []
      for (const [index, item] of items.entries()) {
        const stamped = isWrapped(item) && item.timestamp === undefined
          ? { ...item, timestamp: formatTimestamp(now) }
          : item
        const check = decodeRolloutItem(rolloutLineOf(stamped))
        if (Either.isLeft(check)) {
          return Effect.fail(new InvalidInput({ what: `item ${index}`, reason: check.left.reason }))
        }
        lines.push(encodeRolloutLine(stamped))
      }
      return Effect.succeed(lines)
    })

  const getThread = (threadId: string) =>
    Effect.map(files.row(threadId), (row) => (row === undefined ? undefined : recordOf(row)))

  const recordAfterMutation = (threadId: string) =>
    Effect.flatMap(getThread(threadId), (record) =>
      record === undefined
        ? Effect.fail(new ProjectionFailed({ file: threadId, reason: "row missing after the mutation" }))
        : Effect.succeed(record))

  const graphQuery = <A>(query: Effect.Effect<A, SqlError>) =>
    Effect.catchTag(query, "SqlError", (error) => Effect.fail(dbError("query agent graph")(error)))

  /** Every entry taking a thread id checks it first (SPEC §12): ids name files and key rows. */
  const withId = <A, E>(threadId: string, use: Effect.Effect<A, E>) => Effect.zipRight(validThreadId(threadId), use)

  /** A write that found no file (moved by another process meanwhile) is followed, never recreated. */
  const appendAt = (text: string, write: WriteOptions) => (file: ThreadFile) =>
    Effect.catchIf(
      appendToRollout(file.path, text, write),
      isMissingFile,
      (error) => Effect.fail(new FileMoved({ error }))
    ).pipe(Effect.as(file))

  return Engine.of({
    createThread: (meta) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const id = meta.id === undefined ? uuidV7(now) : yield* validThreadId(meta.id)
        const payload = { ...meta, id, timestamp: meta.timestamp ?? formatTimestamp(now) }
        const [line] = yield* validLines([{ type: "session_meta", timestamp: formatTimestamp(now), payload }], now)
        const path = newRolloutPath(config.home, id, now)
        yield* createRollout(path, line!, { durability: config.durability })
        yield* files.project(id, { path, archived: false })
        const record = yield* getThread(id)
        if (record === undefined) {
          return yield* new ProjectionFailed({ file: path, reason: "row missing after projection" })
        }
        return record
      }),

    append: (threadId, items, options) =>
      Effect.gen(function*() {
        yield* validThreadId(threadId)
        const write = { durability: options?.durability ?? config.durability }
        const now = yield* Clock.currentTimeMillis
        const lines = yield* validLines(items, now)
        const located = yield* files.locate(threadId)
        const file = yield* files.following(threadId, located, appendAt(lines.join(""), write))
        // Projection reads the file from the recorded offset, so whatever is in the log
        // (this batch, a concurrent writer's, a tail a crash left unprojected) lands once.
        const projected = yield* files.project(threadId, file)
        return {
          threadId,
          rolloutPath: projected.path,
          lines: lines.length,
          projectedOffset: projected.projectedOffset
        }
      }),

    catchUp: catchUp.run,
    backfill: replay.backfill,
    rebuild: replay.rebuild,
    reconcile: replay.reconcile,
    verify: replay.verify,
    getThread: (threadId) => withId(threadId, getThread(threadId)),
    listTurns: (threadId, query) =>
      Effect.gen(function*() {
        yield* validThreadId(threadId)
        const row = yield* files.row(threadId)
        if (row === undefined) return yield* new ThreadNotFound({ threadId })
        return yield* turnList.list(threadId, query).pipe(
          Effect.catchTag("SqlError", (error) => Effect.fail(dbError("list turns")(error)))
        )
      }),
    getThreadDetail: (threadId) => withId(threadId, readThreadDetail(threadId)),
    updateThreadMetadata: (threadId, patch) =>
      withId(threadId, Effect.zipRight(mutations.updateThreadMetadata(threadId, patch), recordAfterMutation(threadId))),
    archiveThread: (threadId) =>
      withId(threadId, Effect.zipRight(mutations.archiveThread(threadId), recordAfterMutation(threadId))),
    unarchiveThread: (threadId) =>
      withId(threadId, Effect.zipRight(mutations.unarchiveThread(threadId), recordAfterMutation(threadId))),
    deleteThread: (threadId) => withId(threadId, mutations.deleteThread(threadId)),
    closeThread: (threadId, options) => withId(threadId, mutations.closeThread(threadId, options)),
    resumeThread: (threadId, options) => withId(threadId, mutations.resumeThread(threadId, options)),
    agentChildren: (threadId, status) => withId(threadId, graphQuery(agentGraph.children(threadId, status))),
    agentDescendants: (threadId, status) => withId(threadId, graphQuery(agentGraph.descendants(threadId, status))),
    agentAncestors: (threadId) => withId(threadId, graphQuery(agentGraph.ancestors(threadId))),
    resolveAgentPath: (reference, fromThreadId) =>
      withId(
        fromThreadId,
        agentGraph.resolve(reference, fromThreadId).pipe(
          Effect.catchTag("SqlError", (error) => Effect.fail(dbError("resolve agent path")(error)))
        )
      ),
    listThreads: (query) =>
      Effect.gen(function*() {
        if (query.parentThreadId !== undefined) yield* validThreadId(query.parentThreadId, "parentThreadId")
        const page = yield* threadList.list(query).pipe(
          Effect.catchTags({
            SqlError: (error) => Effect.fail(dbError("list threads")(error)),
            InvalidSourceKind: (error) => Effect.fail(new InvalidInput({ what: "sourceKinds", reason: error.message }))
          })
        )
        return { ...page, items: page.items.map(recordOf) }
      }),
    searchThreads: (query) =>
      threadSearch.search(query).pipe(
        Effect.map((page) => ({ ...page, items: page.items.map((hit) => ({ ...hit, thread: recordOf(hit.thread) })) })),
        Effect.catchTags({
          SqlError: (error) => Effect.fail(dbError("search threads")(error)),
          InvalidSearchQuery: (error) => Effect.fail(new InvalidInput({ what: "query", reason: error.reason })),
          InvalidSourceKind: (error) => Effect.fail(new InvalidInput({ what: "sourceKinds", reason: error.message }))
        })
      )
  })
})

/** The reference's users saw host start-ups time out during a first index build (SPEC §11). */
const DEFAULT_BACKFILL_GATE_MS = 10_000

/** A host's first run names a home that does not exist yet: make it and the database's folder. */
const createFolders = (home: string, database: string) =>
  Layer.effectDiscard(Effect.try({
    try: () => {
      mkdirSync(home, { recursive: true })
      if (!isPostgresUrl(database)) mkdirSync(dirname(database), { recursive: true })
    },
    catch: (cause) =>
      new HomeNotFound({
        home,
        reason: `cannot create the home or database folder: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`
      })
  }))

/**
 * The engine over a home and a database (`EngineDatabase`: a SQLite file, or a PostgreSQL URL
 * with this host's id): creates the home and the database's folder when missing (unless
 * read-only), opens and migrates the database, runs a pending backfill (waiting up to the
 * gate), then catches up every thread whose file changed since it was projected. On a database
 * hosts share, backfill, catch-up, rebuild, reconcile and verify work on this host's threads;
 * reads (list, search, agent graph, detail) span the fleet.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options:
    & {
      readonly home: string
      /** Open the database (SQLite) read-only: reads work, every projection write fails as read-only. */
      readonly readonly?: boolean
      /** Whether opening runs a pending backfill (default true; never when read-only). */
      readonly openBackfill?: boolean
      /** How long opening waits for that backfill (ms, default 10 s; `Infinity`: to its end). */
      readonly backfillGateMs?: number
      /** Progress of the open's backfill, after every batch. */
      readonly onOpenBackfill?: (progress: BatchProgress) => void
    }
    & EngineDatabase.EngineDatabaseOptions
    & Partial<Omit<EngineConfig, "home">>
): Layer.Layer<Engine | EngineConfig | SqlDatabase | SqlClient.SqlClient, EngineError> => {
  const folders = options.readonly ? identity : Layer.provide(createFolders(options.home, options.database))
  // Resolved once the home exists: every stored path starts from its canonical name (SPEC §12).
  const configLayer = Layer.effect(
    EngineConfig,
    Effect.map(canonicalHome(options.home), (home) => ({ ...EngineConfigDefaults, ...options, home }))
  ).pipe(folders)
  const databaseLayer = EngineDatabase.layer(options).pipe(folders)
  // Each service over the ones before it: projector, then thread files, then catch-up and replay.
  const projector = ThreadProjector.layer
  const threadFiles = ThreadFilesLayer.pipe(Layer.provideMerge(projector))
  const services = Layer.mergeAll(
    CatchUpLayer,
    ReplayLayer,
    threadListLayer,
    Layer.unwrapEffect(Effect.map(EngineConfig, (c) => threadSearchLayer({ scoringBudget: c.searchScoringBudget }))),
    turnListLayer,
    agentGraphLayer
  ).pipe(
    Layer.provideMerge(threadFiles)
  )
  const opened = Effect.gen(function*() {
    const engine = yield* make
    const backfill = yield* OpenBackfill.start(yield* Replay, {
      run: !options.readonly && options.openBackfill !== false,
      gateMs: options.backfillGateMs ?? DEFAULT_BACKFILL_GATE_MS,
      ...(options.onOpenBackfill === undefined ? {} : { onProgress: options.onOpenBackfill })
    })
    if (!options.readonly) yield* engine.catchUp
    return Engine.of({
      ...engine,
      listThreads: (query) =>
        // The progress first: the page then holds at least what it says was done.
        Effect.zipWith(
          Effect.mapError(backfill, identity<EngineError>),
          engine.listThreads(query),
          (progress, page) => (progress === undefined ? page : { ...page, backfill: progress })
        )
    })
  })
  return Layer.scoped(Engine, opened).pipe(
    Layer.provide(services),
    Layer.provideMerge(Layer.merge(configLayer, databaseLayer))
  )
}
