/**
 * Full-text search over what threads said (`thread_messages_fts`): threads ranked by relevance
 * with a snippet of their best message, the list's filters, and keyset pages on
 * `(score, id)` over a scored window of at most a budget of matches, newest first.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import { Context, Effect, Layer } from "effect"
import {
  decodeSearchCursor,
  encodeSearchCursor,
  ftsQueryOf,
  InvalidSearchQuery,
  type ScoredWindow,
  type SearchExpression,
  type Snippet,
  snippetOf
} from "../domain/SearchQuery.js"
import { rankThreads, type ScoredMessage } from "../domain/SearchRanking.js"
import { type InvalidSourceKind, kindsOfFilter } from "../domain/SessionSource.js"
import type { MessageKind } from "../domain/ThreadMessages.js"
import { normalizeCwd } from "../domain/WorkingDirectory.js"
import { archivedValues, pageSize, type ThreadListQuery } from "./ThreadList.js"
import { THREAD_SELECT, type ThreadRow, threadRowsOf } from "./ThreadsProjection.js"

/**
 * What to search for, and in which threads; every filter is optional and means what it means
 * in the thread list.
 * @since 0.1.0
 * @category models
 */
export interface ThreadSearchQuery
  extends Pick<ThreadListQuery, "archived" | "sourceKinds" | "modelProviders" | "cwd" | "limit" | "cursor">
{
  /** Words (all must match), `"phrases"`, `prefix*`, `AND`/`OR`/`NOT`, parentheses. */
  readonly query: string
  /** Threads updated at or after this time (epoch ms). */
  readonly updatedFromMs?: number
  /** Threads updated before this time (epoch ms). */
  readonly updatedBeforeMs?: number
}

/** What a search says of a thread it found. @since 0.1.0 @category models */
export interface SearchMatch {
  /** Lower is better: the sum of FTS5's bm25 over the thread's matching messages (those scored). */
  readonly score: number
  /** How many of its messages match (of those scored). */
  readonly matches: number
  /** The best-ranked matching message: where it is, and a snippet of it. */
  readonly message: { readonly position: number; readonly turnIndex: number | null; readonly kind: MessageKind }
  readonly snippet: Snippet
}

/** @since 0.1.0 @category models */
export interface SearchHit extends SearchMatch {
  readonly thread: ThreadRow
}

/** @since 0.1.0 @category models */
export interface SearchPage {
  readonly items: ReadonlyArray<SearchHit>
  /**
   * Whether every matching message was scored: false when more matched than the scoring budget,
   * and the ranking is of the threads of the newest of them only (the same set on every page).
   */
  readonly exhaustive: boolean
  /** Continues after the page's last thread; null at the end. */
  readonly nextCursor: string | null
}

/** @since 0.1.0 @category models */
export interface ThreadSearch {
  readonly search: (
    query: ThreadSearchQuery
  ) => Effect.Effect<SearchPage, SqlError | InvalidSearchQuery | InvalidSourceKind>
}

/** @since 0.1.0 @category tags */
export const ThreadSearch = Context.GenericTag<ThreadSearch>("rollout-state/ThreadSearch")

/**
 * Most matching messages a search scores, newest first (index rowid order): bm25 costs each
 * match, and a common word matches hundreds of thousands. Measured in docs/decisions.md,
 * "Full-text search".
 * @since 0.1.0
 */
export const DEFAULT_SCORING_BUDGET = 2000

/**
 * FTS5 reports a query its grammar rejects as `fts5: …`, PostgreSQL as a syntax error (42601)
 * in the tsquery; any other failure is the database's.
 */
const ftsReason = (error: SqlError): string | undefined => {
  const cause = error.cause as { readonly message?: unknown; readonly code?: unknown } | undefined
  const message = cause?.message
  if (typeof message !== "string") return undefined
  if (message.startsWith("fts5: ")) return message.slice("fts5: ".length)
  return cause?.code === "42601" && message.includes("tsquery") ? `syntax error (${message})` : undefined
}

/** @since 0.1.0 @category models */
export interface ThreadSearchOptions {
  /** Most matching messages a query scores (default `DEFAULT_SCORING_BUDGET`). */
  readonly scoringBudget?: number
}

/** @since 0.1.0 @category constructors */
export const make = (options: ThreadSearchOptions = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const budget = Math.max(1, Math.trunc(options.scoringBudget ?? DEFAULT_SCORING_BUDGET))

    /** The matches of threads passing the filters, newest first: `budget + 1` at most. */
    const scoredMessages = (
      expression: SearchExpression,
      query: ThreadSearchQuery,
      window: ScoredWindow | undefined
    ) =>
      Effect.gen(function*() {
        const filters: Array<Statement.Fragment> = [sql`t.archived IN ${sql.in(archivedValues(query.archived))}`]
        if (query.cwd !== undefined) {
          const cwds = (typeof query.cwd === "string" ? [query.cwd] : query.cwd).map(normalizeCwd)
          if (cwds.length === 0) return []
          filters.push(sql`t.cwd IN ${sql.in(cwds)}`)
        }
        if (query.sourceKinds !== undefined) {
          const kinds = yield* kindsOfFilter(query.sourceKinds)
          if (kinds.length === 0) return []
          filters.push(sql`t.source_kind IN ${sql.in(kinds)}`)
        }
        if (query.modelProviders !== undefined && query.modelProviders.length > 0) {
          filters.push(sql`t.model_provider IN ${sql.in(query.modelProviders)}`)
        }
        if (query.updatedFromMs !== undefined) filters.push(sql`t.updated_at_ms >= ${query.updatedFromMs}`)
        if (query.updatedBeforeMs !== undefined) filters.push(sql`t.updated_at_ms < ${query.updatedBeforeMs}`)
        const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
        if (window !== undefined) {
          const id = pg ? sql`m.id` : sql`thread_messages_fts.rowid`
          filters.push(sql`${id} BETWEEN ${window.oldest} AND ${window.newest}`)
        }
        // PostgreSQL: the GIN index on the generated vector finds the matches; `ts_rank` is
        // higher for better, so its negation is the score (lower is better, as bm25's).
        const rows = pg
          ? yield* sql`SELECT m.id, m.thread_id, -ts_rank(m.search, q.query)
            FROM to_tsquery('thread_search'::regconfig, ${expression.tsquery}) AS q (query)
              JOIN thread_messages m ON m.search @@ q.query
              JOIN threads t ON t.id = m.thread_id
            WHERE ${sql.and(filters)}
            ORDER BY m.id DESC LIMIT ${budget + 1}`.values
          : yield* fts5Messages(expression.match, filters)
        return rows.map(([messageId, threadId, score]): ScoredMessage => ({
          messageId: Number(messageId),
          threadId: threadId as string,
          score: Number(score)
        }))
      })

    const fts5Messages = (match: string, filters: ReadonlyArray<Statement.Fragment>) =>
      Effect.gen(function*() {
        // FTS5 walks a term's postings in rowid order and computes bm25 only for the rows this
        // returns, so the newest `budget + 1` cost that many, whatever the term's frequency.
        // CROSS JOIN keeps the index the outer loop, its order consumed (no sort).
        const rows = yield* sql`SELECT thread_messages_fts.rowid, m.thread_id, bm25(thread_messages_fts)
          FROM thread_messages_fts
            CROSS JOIN thread_messages m ON m.id = thread_messages_fts.rowid
            CROSS JOIN threads t ON t.id = m.thread_id
          WHERE thread_messages_fts MATCH ${match} AND ${sql.and(filters)}
          ORDER BY thread_messages_fts.rowid DESC LIMIT ${budget + 1}`.values
        return rows
      })

    const threadsById = (ids: ReadonlyArray<string>) =>
      Effect.map(
        ids.length === 0
          ? Effect.succeed([])
          : sql`SELECT ${sql.literal(THREAD_SELECT)} FROM threads WHERE id IN ${sql.in(ids)}`.values,
        (values) => new Map(threadRowsOf(values).map((row) => [row.id, row]))
      )

    const messagesById = (ids: ReadonlyArray<number>) =>
      Effect.map(
        ids.length === 0
          ? Effect.succeed([])
          : sql<{ id: number; position: number; turn_index: number | null; kind: string; text: string }>`SELECT
            id, position, turn_index, kind, text FROM thread_messages WHERE id IN ${sql.in(ids)}`,
        (rows) => new Map(rows.map((row) => [row.id, row]))
      )

    const search = (query: ThreadSearchQuery) =>
      Effect.gen(function*() {
        const expression = yield* ftsQueryOf(query.query)
        const { terms } = expression
        const limit = pageSize(query.limit)
        const cursor = query.cursor === undefined
          ? undefined
          : yield* Effect.mapError(
            decodeSearchCursor(query.query, query.cursor),
            (reason) => new InvalidSearchQuery({ query: query.query, reason: `cursor: ${reason}` })
          )
        const found = yield* scoredMessages(expression, query, cursor?.window)
        const scored = found.slice(0, budget)
        // The first page fixes the window; later pages rank the same set (an append meanwhile
        // is newer than it and stays out).
        const window: ScoredWindow | undefined = cursor?.window ?? (scored.length === 0 ? undefined : {
          oldest: scored[scored.length - 1]!.messageId,
          newest: scored[0]!.messageId,
          exhaustive: found.length <= budget
        })
        const ranked = rankThreads(scored, cursor?.after)
        const shown = ranked.slice(0, limit)
        const [threads, best] = yield* Effect.all([
          threadsById(shown.map((r) => r.threadId)),
          messagesById(shown.map((r) => r.bestMessageId))
        ])
        const items: Array<SearchHit> = []
        for (const { bestMessageId, matches, score, threadId } of shown) {
          // A thread or message deleted between the reads (refolded or deleted meanwhile) leaves
          // the thread out of this page; the cursor still continues after it.
          const thread = threads.get(threadId)
          const message = best.get(bestMessageId)
          if (thread === undefined || message === undefined) continue
          items.push({
            thread,
            score,
            matches,
            message: { position: message.position, turnIndex: message.turn_index, kind: message.kind as MessageKind },
            snippet: snippetOf(message.text, terms)
          })
        }
        const last = shown[shown.length - 1]
        return {
          items,
          exhaustive: window?.exhaustive ?? true,
          nextCursor: ranked.length > limit && last !== undefined && window !== undefined
            ? encodeSearchCursor(query.query, { after: { score: last.score, id: last.threadId }, window })
            : null
        } satisfies SearchPage
      }).pipe(
        Effect.catchTag("SqlError", (error): Effect.Effect<never, SqlError | InvalidSearchQuery> => {
          const reason = ftsReason(error)
          return reason === undefined
            ? Effect.fail(error)
            : Effect.fail(new InvalidSearchQuery({ query: query.query, reason }))
        })
      )

    return ThreadSearch.of({ search })
  })

/** @since 0.1.0 @category layers */
export const layer = (options: ThreadSearchOptions = {}) => Layer.effect(ThreadSearch, make(options))
