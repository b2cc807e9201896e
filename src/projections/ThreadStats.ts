/**
 * Threads and tokens per day, per model and per working directory over a window of creation
 * times: aggregates computed by SQLite over the `threads` projection (issue 18, `stats`).
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

/** @since 0.1.0 */
export interface StatsBucket {
  readonly key: string
  readonly threads: number
  readonly tokens: number
}

/** @since 0.1.0 */
export interface ThreadStats {
  /** Epoch ms: threads created at or after `since` and before `until`. */
  readonly since: number
  readonly until: number
  readonly total: { readonly threads: number; readonly tokens: number }
  /** One bucket per UTC day that has threads, oldest first. */
  readonly perDay: ReadonlyArray<StatsBucket>
  /** The `top` models and working directories by tokens, then threads. */
  readonly perModel: ReadonlyArray<StatsBucket>
  readonly perCwd: ReadonlyArray<StatsBucket>
}

/** @since 0.1.0 */
export interface ThreadStatsQuery {
  readonly since: number
  readonly until: number
  readonly top: number
  /** Archived threads count too unless false. */
  readonly includeArchived?: boolean
}

const buckets = (rows: ReadonlyArray<{ key: unknown; threads: unknown; tokens: unknown }>) =>
  rows.map((r) => ({ key: String(r.key), threads: Number(r.threads), tokens: Number(r.tokens ?? 0) }))

/**
 * The statistics of a window, in four aggregate queries over the `threads_archived_created`
 * index range (one pass each over the window's rows).
 * @since 0.1.0
 */
export const threadStats = (query: ThreadStatsQuery): Effect.Effect<ThreadStats, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const archived = query.includeArchived === false ? [0] : [0, 1]
    const where = sql.and([
      sql.in("archived", archived),
      sql`created_at_ms >= ${query.since}`,
      sql`created_at_ms < ${query.until}`
    ])
    const [total] = yield* sql<{ threads: number; tokens: number | null }>`
      SELECT COUNT(*) AS threads, SUM(tokens_used) AS tokens FROM threads WHERE ${where}`
    const perDay = yield* sql<{ key: string; threads: number; tokens: number }>`
      SELECT strftime('%Y-%m-%d', created_at_ms / 1000, 'unixepoch') AS key, COUNT(*) AS threads,
             SUM(tokens_used) AS tokens
        FROM threads WHERE ${where} GROUP BY key ORDER BY key`
    const perModel = yield* sql<{ key: string; threads: number; tokens: number }>`
      SELECT COALESCE(model, '-') AS key, COUNT(*) AS threads, SUM(tokens_used) AS tokens
        FROM threads WHERE ${where} GROUP BY key ORDER BY tokens DESC, threads DESC, key LIMIT ${query.top}`
    const perCwd = yield* sql<{ key: string; threads: number; tokens: number }>`
      SELECT COALESCE(NULLIF(cwd, ''), '-') AS key, COUNT(*) AS threads, SUM(tokens_used) AS tokens
        FROM threads WHERE ${where} GROUP BY key ORDER BY tokens DESC, threads DESC, key LIMIT ${query.top}`
    return {
      since: query.since,
      until: query.until,
      total: { threads: Number(total?.threads ?? 0), tokens: Number(total?.tokens ?? 0) },
      perDay: buckets(perDay),
      perModel: buckets(perModel),
      perCwd: buckets(perCwd)
    }
  })
