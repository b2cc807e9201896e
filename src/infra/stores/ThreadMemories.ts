/**
 * The `thread_memory` store (SPEC §8): a thread's trace summary and memory summary, upserted
 * with an `updated_at` that always advances, and listed newest first per working directory.
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import { type InvalidInput, validThreadId } from "../engine/EngineError.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { storeFailure } from "./StoreFailure.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const ThreadMemory = Schema.Struct({
  threadId: Schema.String,
  traceSummary: Schema.String,
  memorySummary: Schema.String,
  updatedAt: Schema.Int
})

/** @since 0.1.0 */
export type ThreadMemory = typeof ThreadMemory.Type

/**
 * A `thread_memory` row decoded to a `ThreadMemory`.
 * @since 0.1.0
 * @category schemas
 */
export const ThreadMemoryFromRow = Schema.transform(
  Schema.Struct({
    thread_id: Schema.String,
    trace_summary: Schema.String,
    memory_summary: Schema.String,
    updated_at_ms: Schema.Int
  }),
  ThreadMemory,
  {
    strict: true,
    decode: (row) => ({
      threadId: row.thread_id,
      traceSummary: row.trace_summary,
      memorySummary: row.memory_summary,
      updatedAt: row.updated_at_ms
    }),
    encode: (memory) => ({
      thread_id: memory.threadId,
      trace_summary: memory.traceSummary,
      memory_summary: memory.memorySummary,
      updated_at_ms: memory.updatedAt
    })
  }
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ThreadMemories {
  readonly get: (threadId: string) => Effect.Effect<Option.Option<ThreadMemory>, InvalidInput | DatabaseError>
  /**
   * Writes a thread's memory; `updatedAt` becomes the clock's time, or one past the previous
   * value when that is not later. The thread must have a row (the memory cascades from it).
   */
  readonly upsert: (input: {
    readonly threadId: string
    readonly traceSummary: string
    readonly memorySummary: string
  }) => Effect.Effect<ThreadMemory, InvalidInput | DatabaseError>
  /**
   * The `limit` most recently written memories of threads whose `cwd` is exactly `cwd`, in
   * write order across the database (a rewrite in the same millisecond as an older write of
   * another thread comes first).
   */
  readonly recentForCwd: (
    input: { readonly cwd: string; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<ThreadMemory>, DatabaseError>
}

/** @since 0.1.0 @category tags */
export const ThreadMemories = Context.GenericTag<ThreadMemories>("rollout-state/ThreadMemories")

const TABLE = "thread_memory"
const decodeRows = Schema.decodeUnknown(Schema.Array(ThreadMemoryFromRow))

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const database = yield* SqlDatabase
  const sql = database.sql
  const storeError = storeFailure(database, TABLE)
  // Writers on other connections do not wait for each other on PostgreSQL (READ COMMITTED):
  // a sequence, not MAX + 1, keeps their write order apart.
  const nextWriteSeq = sql.onDialectOrElse({
    pg: () => sql`nextval('thread_memory_write_seq_seq')`,
    orElse: () => sql`(SELECT COALESCE(MAX(write_seq), 0) + 1 FROM thread_memory)`
  })
  const greatest = sql.literal(sql.onDialectOrElse({ pg: () => "GREATEST", orElse: () => "MAX" }))
  const first = (rows: ReadonlyArray<unknown>) =>
    Effect.map(decodeRows(rows), (memories) => Option.fromNullable(memories[0]))

  return ThreadMemories.of({
    get: (threadId) =>
      Effect.zipRight(
        validThreadId(threadId, `${TABLE}: get: thread id`),
        sql`SELECT * FROM thread_memory WHERE thread_id = ${threadId}`.pipe(
          Effect.flatMap(first),
          Effect.mapError(storeError("get"))
        )
      ),
    // One statement computes MemoryJobs.nextMemoryUpdatedAt from the row it replaces (the
    // conflicting row is locked, so concurrent upserts of one thread on PostgreSQL queue).
    upsert: (input) =>
      validThreadId(input.threadId, `${TABLE}: upsert: thread id`).pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.flatMap((now) =>
          sql`INSERT INTO thread_memory (thread_id, trace_summary, memory_summary, updated_at_ms, write_seq)
            VALUES (${input.threadId}, ${input.traceSummary}, ${input.memorySummary}, ${now}, ${nextWriteSeq})
            ON CONFLICT (thread_id) DO UPDATE SET
              trace_summary = excluded.trace_summary,
              memory_summary = excluded.memory_summary,
              updated_at_ms = ${greatest} (excluded.updated_at_ms, thread_memory.updated_at_ms + 1),
              write_seq = excluded.write_seq
            RETURNING *`
        ),
        Effect.flatMap(first),
        Effect.flatMap(Option.match({
          onNone: () => Effect.dieMessage("thread_memory: upsert returned no row"),
          onSome: Effect.succeed
        })),
        Effect.mapError(storeError("upsert"))
      ),
    recentForCwd: ({ cwd, limit }) =>
      sql`SELECT m.* FROM thread_memory m JOIN threads t ON t.id = m.thread_id
        WHERE t.cwd = ${cwd}
        ORDER BY m.write_seq DESC
        LIMIT ${Math.max(0, Math.floor(limit))}`.pipe(
        Effect.flatMap(decodeRows),
        Effect.mapError(storeError("recent for cwd"))
      )
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(ThreadMemories, make)
