/**
 * The `logs` table (SPEC §7): batched inserts, filtered reads and tailing, the feedback
 * export of a thread bounded in SQL by cumulative `estimated_bytes`, and retention that
 * deletes the oldest rows until the total fits a budget.
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import {
  atLeast,
  feedbackLine,
  joinLines,
  keepNewestWithin,
  lineBytes,
  LogLevelName,
  LogNanos,
  LogSeconds,
  MAX_TS,
  MIN_LINE_BYTES,
  parseLevel
} from "../../domain/LogLine.js"
import { InvalidInput, validThreadId } from "../engine/EngineError.js"
import { changedRows, placeholdersFor } from "../sql/Portable.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { PROCESS_UUID } from "./ProcessUuid.js"
import { storeFailure } from "./StoreFailure.js"

/**
 * A line to store. `estimated_bytes` is computed from it (`lineBytes(level, body)`).
 * @since 0.1.0
 * @category schemas
 */
export const LogEntry = Schema.Struct({
  /** Seconds since the epoch. */
  ts: LogSeconds,
  tsNanos: LogNanos,
  level: LogLevelName,
  target: Schema.String,
  message: Schema.String,
  /** The line after its timestamp and level: message, spans, fields. */
  feedbackLogBody: Schema.String,
  threadId: Schema.NullOr(Schema.String),
  processUuid: Schema.String,
  modulePath: Schema.NullOr(Schema.String),
  file: Schema.NullOr(Schema.String),
  line: Schema.NullOr(Schema.Int)
})

/** @since 0.1.0 @category models */
export type LogEntry = typeof LogEntry.Type

/**
 * A stored line.
 * @since 0.1.0
 * @category schemas
 */
export const LogRecord = Schema.Struct({
  id: Schema.Int,
  ...LogEntry.fields,
  estimatedBytes: Schema.NonNegativeInt
})

/** @since 0.1.0 @category models */
export type LogRecord = typeof LogRecord.Type

/**
 * A `logs` row as SQLite returns it.
 * @since 0.1.0
 * @category schemas
 */
export const LogRow = Schema.Struct({
  id: Schema.Int,
  ts: Schema.Int,
  ts_nanos: Schema.Int,
  level: Schema.String,
  target: Schema.String,
  message: Schema.String,
  feedback_log_body: Schema.String,
  thread_id: Schema.NullOr(Schema.String),
  process_uuid: Schema.String,
  module_path: Schema.NullOr(Schema.String),
  file: Schema.NullOr(Schema.String),
  line: Schema.NullOr(Schema.Int),
  estimated_bytes: Schema.Int
})

/**
 * A row decoded to a record.
 * @since 0.1.0
 * @category schemas
 */
export const LogRecordFromRow = Schema.transform(LogRow, LogRecord, {
  strict: true,
  decode: (row) => ({
    id: row.id,
    ts: row.ts,
    tsNanos: row.ts_nanos,
    // Levels compare in any case (a stored `warn` is a WARN); an unknown level does not decode.
    level: (parseLevel(row.level) ?? row.level) as LogLevelName,
    target: row.target,
    message: row.message,
    feedbackLogBody: row.feedback_log_body,
    threadId: row.thread_id,
    processUuid: row.process_uuid,
    modulePath: row.module_path,
    file: row.file,
    line: row.line,
    estimatedBytes: row.estimated_bytes
  }),
  encode: (record) => ({
    id: record.id,
    ts: record.ts,
    ts_nanos: record.tsNanos,
    level: record.level,
    target: record.target,
    message: record.message,
    feedback_log_body: record.feedbackLogBody,
    thread_id: record.threadId,
    process_uuid: record.processUuid,
    module_path: record.modulePath,
    file: record.file,
    line: record.line,
    estimated_bytes: record.estimatedBytes
  })
})

/**
 * A read of the table. Every filter is optional and they combine with AND.
 * @since 0.1.0
 * @category models
 */
export interface LogQuery {
  /** A threshold: that level and every more severe one, whatever case a row stored it in. */
  readonly level?: LogLevelName
  /** Epoch milliseconds, inclusive. */
  readonly from?: number
  /** Epoch milliseconds, exclusive. */
  readonly to?: number
  readonly threadId?: string
  readonly processUuid?: string
  /** A case-sensitive substring of the message (SQLite `instr`, PostgreSQL `strpos`, JS `includes`). */
  readonly search?: string
  /** Default 100, at most 10,000. */
  readonly limit?: number
  /**
   * Tailing: rows whose id is above this one, in id (insertion) order, oldest first.
   * Without it, the newest rows by time come first.
   */
  readonly afterId?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LogStore {
  /** Stores lines in multi-row inserts inside one transaction. */
  readonly insert: (entries: ReadonlyArray<LogEntry>) => Effect.Effect<void, InvalidInput | DatabaseError>
  readonly query: (query?: LogQuery) => Effect.Effect<ReadonlyArray<LogRecord>, InvalidInput | DatabaseError>
  /** The highest id stored, 0 when the table is empty: where a tail starts. */
  readonly lastId: Effect.Effect<number, DatabaseError>
  /**
   * A thread's rows and the threadless rows of every process that wrote for it, rendered
   * `<timestamp µs>Z <LEVEL in 5> <body>\n` oldest first (`feedbackLine`): the newest lines
   * that fit `maxBytes` (UTF-8), whole.
   */
  readonly feedbackExport: (
    input: { readonly threadId: string; readonly maxBytes: number }
  ) => Effect.Effect<string, InvalidInput | DatabaseError>
  /**
   * Deletes the oldest rows until the total `estimated_bytes` fits, then, on SQLite, gives the
   * freed pages back to the file system (`incremental_vacuum`; a database made before auto-vacuum
   * was set keeps them for reuse; PostgreSQL's autovacuum reclaims them); returns how many rows went.
   */
  readonly prune: (input: { readonly maxTotalBytes: number }) => Effect.Effect<number, InvalidInput | DatabaseError>
}

/** @since 0.1.0 @category tags */
export const LogStore = Context.GenericTag<LogStore>("rollout-state/LogStore")

/**
 * Rows per `INSERT` statement: 12 parameters each, far under SQLite's 32,766 and PostgreSQL's 65,535.
 * @since 0.1.0
 */
export const INSERT_CHUNK = 400

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 10_000
const TABLE = "logs"
const COLUMNS =
  "ts, ts_nanos, level, target, message, feedback_log_body, thread_id, process_uuid, module_path, file, line, estimated_bytes"

const valuesClause = (rows: number): string => {
  const one = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
  return Array.from({ length: rows }, () => one).join(", ")
}
const insertSql = (rows: number) => `INSERT INTO logs (${COLUMNS}) VALUES ${valuesClause(rows)}`

// The writer builds entries itself, so a full Schema check per row would be waste; the
// timestamp range is what the rendered width and `estimated_bytes` rely on.
const badEntry = (entry: LogEntry): string | undefined => {
  if (!Number.isInteger(entry.ts) || entry.ts < 0 || entry.ts > MAX_TS) {
    return `ts ${entry.ts} is not a second in 1970..9999`
  }
  if (!Number.isInteger(entry.tsNanos) || entry.tsNanos < 0 || entry.tsNanos > 999_999_999) {
    return `ts_nanos ${entry.tsNanos} is out of range`
  }
  return undefined
}

const checkCount = (what: string, value: number, min: number, max: number) =>
  Number.isInteger(value) && value >= min && value <= max
    ? Effect.void
    : Effect.fail(new InvalidInput({ what, reason: `${value} is not an integer in ${min}..${max}` }))

const splitMillis = (ms: number): readonly [number, number] => {
  const whole = Math.floor(ms)
  const seconds = Math.floor(whole / 1000)
  return [seconds, (whole - seconds * 1000) * 1_000_000]
}

/**
 * The feedback export. Parameters: thread id, thread id, rows per half, rows per half, max
 * bytes. The thread's rows are read newest first from `logs_thread_time`, no more than could
 * fit; the threadless rows of the processes that wrote for the thread come from
 * `logs_process_threadless_time`, the newest that could fit kept; the window then keeps the
 * newest whose cumulative `estimated_bytes` fits the cap, so no more than the cap leaves
 * SQLite.
 * @since 0.1.0
 */
export const FEEDBACK_EXPORT_SQL = `
WITH processes AS (
  SELECT DISTINCT process_uuid FROM logs WHERE thread_id = ?
),
candidates AS (
  SELECT * FROM (
    SELECT id, ts, ts_nanos, level, feedback_log_body, estimated_bytes FROM logs
    WHERE thread_id = ?
    ORDER BY ts DESC, ts_nanos DESC, id DESC LIMIT ?
  ) AS thread_rows
  UNION ALL
  SELECT * FROM (
    SELECT id, ts, ts_nanos, level, feedback_log_body, estimated_bytes FROM logs
    WHERE thread_id IS NULL AND process_uuid IN (SELECT process_uuid FROM processes)
    ORDER BY ts DESC, ts_nanos DESC, id DESC LIMIT ?
  ) AS process_rows
),
bounded AS (
  SELECT id, ts, ts_nanos, level, feedback_log_body,
    SUM(estimated_bytes) OVER (ORDER BY ts DESC, ts_nanos DESC, id DESC ROWS UNBOUNDED PRECEDING) AS newer_bytes
  FROM candidates
)
SELECT ts, ts_nanos, level, feedback_log_body FROM bounded
WHERE newer_bytes <= ?
ORDER BY ts DESC, ts_nanos DESC, id DESC`

/**
 * Retention. Parameter: the budget. One newest-first pass over the time index sums
 * `estimated_bytes`; every row past the budget goes.
 * @since 0.1.0
 */
export const PRUNE_SQL = `
DELETE FROM logs WHERE id IN (
  SELECT id FROM (
    SELECT id, SUM(estimated_bytes) OVER (ORDER BY ts DESC, ts_nanos DESC, id DESC ROWS UNBOUNDED PRECEDING) AS newer_bytes
    FROM logs
  ) AS ranked
  WHERE newer_bytes > ?
)`

const decodeRows = Schema.decodeUnknown(Schema.Array(LogRecordFromRow))

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const database = yield* SqlDatabase
  const sql = database.sql
  const storeError = storeFailure(database, TABLE)
  const fullChunkSql = placeholdersFor(database.dialect, insertSql(INSERT_CHUNK))
  const feedbackExportSql = placeholdersFor(database.dialect, FEEDBACK_EXPORT_SQL)
  const pruneSql = placeholdersFor(database.dialect, PRUNE_SQL)
  const contains = sql.onDialectOrElse({
    pg: () => (text: string) => sql`strpos(message, ${text}) > 0`,
    orElse: () => (text: string) => sql`instr(message, ${text}) > 0`
  })
  // A tail reads the rowid range above `afterId` (a few new rows), never an index that would
  // gather and sort every older row of the thread; PostgreSQL's planner takes the primary key.
  const tailSource = sql.literal(sql.onDialectOrElse({ sqlite: () => "logs NOT INDEXED", orElse: () => "logs" }))

  const insertChunk = (chunk: ReadonlyArray<LogEntry>) => {
    const params: Array<unknown> = new Array(chunk.length * 12)
    let i = 0
    for (const entry of chunk) {
      params[i++] = entry.ts
      params[i++] = entry.tsNanos
      params[i++] = entry.level
      params[i++] = entry.target
      params[i++] = entry.message
      params[i++] = entry.feedbackLogBody
      params[i++] = entry.threadId
      params[i++] = entry.processUuid
      params[i++] = entry.modulePath
      params[i++] = entry.file
      params[i++] = entry.line
      params[i++] = lineBytes(entry.level, entry.feedbackLogBody)
    }
    const text = chunk.length === INSERT_CHUNK
      ? fullChunkSql
      : placeholdersFor(database.dialect, insertSql(chunk.length))
    return sql.unsafe(text, params).raw
  }

  const insert = (entries: ReadonlyArray<LogEntry>): Effect.Effect<void, InvalidInput | DatabaseError> => {
    if (entries.length === 0) return Effect.void
    for (const entry of entries) {
      const reason = badEntry(entry)
      if (reason !== undefined) return Effect.fail(new InvalidInput({ what: "logs: insert", reason }))
    }
    if (entries.length <= INSERT_CHUNK) {
      return insertChunk(entries).pipe(Effect.asVoid, Effect.mapError(storeError("insert")))
    }
    return database.transaction(Effect.gen(function*() {
      for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
        yield* insertChunk(entries.slice(start, start + INSERT_CHUNK))
      }
    })).pipe(Effect.mapError(storeError("insert")))
  }

  const query = (q: LogQuery = {}) =>
    Effect.gen(function*() {
      const limit = q.limit ?? DEFAULT_LIMIT
      yield* checkCount("logs: limit", limit, 1, MAX_LIMIT)
      if (q.threadId !== undefined) yield* validThreadId(q.threadId, "logs: thread id")
      const clauses = []
      if (q.level !== undefined) clauses.push(sql`upper(level) IN ${sql.in(atLeast(q.level))}`)
      if (q.from !== undefined) {
        const [s, n] = splitMillis(q.from)
        clauses.push(sql`(ts, ts_nanos) >= (${s}, ${n})`)
      }
      if (q.to !== undefined) {
        const [s, n] = splitMillis(q.to)
        clauses.push(sql`(ts, ts_nanos) < (${s}, ${n})`)
      }
      if (q.threadId !== undefined) clauses.push(sql`thread_id = ${q.threadId}`)
      if (q.processUuid !== undefined) clauses.push(sql`process_uuid = ${q.processUuid}`)
      if (q.search !== undefined) clauses.push(contains(q.search))
      if (q.afterId !== undefined) clauses.push(sql`id > ${q.afterId}`)
      const rows = q.afterId !== undefined
        ? yield* sql`SELECT * FROM ${tailSource} WHERE ${sql.and(clauses)} ORDER BY id LIMIT ${limit}`
        : yield* sql`SELECT * FROM logs WHERE ${
          sql.and(clauses)
        } ORDER BY ts DESC, ts_nanos DESC, id DESC LIMIT ${limit}`
      return yield* decodeRows(rows)
    }).pipe(Effect.catchTags({ SqlError: storeError("query"), ParseError: storeError("query") }))

  const lastId = sql<{ readonly id: number | null }>`SELECT MAX(id) AS id FROM logs`.pipe(
    Effect.map((rows) => rows[0]?.id ?? 0),
    Effect.mapError(storeError("last id"))
  )

  const feedbackExport = (input: { readonly threadId: string; readonly maxBytes: number }) =>
    Effect.gen(function*() {
      yield* checkCount("logs: feedback export max bytes", input.maxBytes, 0, Number.MAX_SAFE_INTEGER)
      yield* validThreadId(input.threadId, "logs: thread id")
      // Every line is at least MIN_LINE_BYTES, so no more rows than this can fit: each half
      // reads at most that many index entries, newest first, before the window bounds them.
      const maxRows = Math.floor(input.maxBytes / MIN_LINE_BYTES)
      if (maxRows === 0) return ""
      const rows = yield* sql.unsafe<
        { readonly ts: number; readonly ts_nanos: number; readonly level: string; readonly feedback_log_body: string }
      >(
        feedbackExportSql,
        [input.threadId, input.threadId, maxRows, maxRows, input.maxBytes]
      )
      // estimated_bytes is the exact line size for rows this store wrote; the cut below
      // holds the cap for any other row too.
      const newestFirst = rows.map((row) =>
        feedbackLine({ ts: row.ts, tsNanos: row.ts_nanos, level: row.level, body: row.feedback_log_body })
      )
      return joinLines(keepNewestWithin(newestFirst, input.maxBytes))
    }).pipe(Effect.catchTag("SqlError", storeError("feedback export")))

  const prune = (input: { readonly maxTotalBytes: number }) =>
    Effect.gen(function*() {
      yield* checkCount("logs: retention max total bytes", input.maxTotalBytes, 0, Number.MAX_SAFE_INTEGER)
      const changes = changedRows(yield* sql.unsafe(pruneSql, [input.maxTotalBytes]).raw)
      // A script, not a statement: a prepared incremental_vacuum frees one page per step.
      // In WAL mode the file shrinks at the next checkpoint.
      if (changes > 0 && database.dialect === "sqlite") yield* database.execScript("PRAGMA incremental_vacuum")
      return changes
    }).pipe(Effect.catchTag("SqlError", storeError("prune")))

  return LogStore.of({ insert, query, lastId, feedbackExport, prune })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(LogStore, make)

/**
 * An entry with this process's uuid and no thread, module, file or line: what a host that
 * writes lines itself (not through the logger) usually starts from.
 * @since 0.1.0
 * @category constructors
 */
export const entry = (
  fields: Pick<LogEntry, "ts" | "tsNanos" | "level" | "message"> & Partial<LogEntry>
): LogEntry => ({
  target: "rollout-state",
  feedbackLogBody: fields.message,
  threadId: null,
  processUuid: PROCESS_UUID,
  modulePath: null,
  file: null,
  line: null,
  ...fields
})
