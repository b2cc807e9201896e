/**
 * Full-text search over what threads said (`thread_messages_fts`): threads ranked by relevance
 * with a snippet of their best message, the list's filters, and keyset pages on
 * `(score, id)`.
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
  type RankPosition,
  type Snippet,
  snippetOf
} from "../domain/SearchQuery.js"
import { type InvalidSourceKind, kindsOfFilter } from "../domain/SessionSource.js"
import type { MessageKind } from "../domain/ThreadMessages.js"
import { normalizeCwd } from "../domain/WorkingDirectory.js"
import { archivedValues, pageSize, type ThreadListQuery } from "./ThreadList.js"
import { THREAD_COLUMNS, type ThreadRow, threadRowsOf } from "./ThreadsProjection.js"

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
  /** Lower is better: the sum of FTS5's bm25 over the thread's matching messages. */
  readonly score: number
  /** How many of its messages match. */
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

/** FTS5 reports a query its grammar rejects as `fts5: …`; any other failure is the database's. */
const ftsReason = (error: SqlError): string | undefined => {
  const message = (error.cause as { readonly message?: unknown } | undefined)?.message
  return typeof message === "string" && message.startsWith("fts5: ") ? message.slice("fts5: ".length) : undefined
}

const SELECTED = ["r.score", "r.matches", "r.message_id", ...THREAD_COLUMNS.map((c) => `t.${c}`)].join(", ")

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  const page = (match: string, query: ThreadSearchQuery, after: RankPosition | undefined, limit: number) =>
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
      if (after !== undefined) {
        filters.push(sql`(r.score > ${after.score} OR (r.score = ${after.score} AND r.thread_id > ${after.id}))`)
      }
      // Every match is scored (bm25 needs its term counts), then summed per thread: a thread
      // saying it three times outranks one saying it once. With one MIN() in the group, SQLite
      // takes the bare `message_id` from the best message's row: the one the snippet shows.
      // bm25 is only callable in the FTS query itself, so that is materialized on its own.
      return yield* sql`WITH hits AS MATERIALIZED (
          SELECT rowid AS message_id, bm25(thread_messages_fts) AS score
          FROM thread_messages_fts WHERE thread_messages_fts MATCH ${match}
        ), ranked AS (
          SELECT m.thread_id AS thread_id, SUM(h.score) AS score, COUNT(*) AS matches, MIN(h.score) AS best,
            h.message_id AS message_id
          FROM hits h JOIN thread_messages m ON m.id = h.message_id GROUP BY m.thread_id
        )
        SELECT ${sql.literal(SELECTED)} FROM ranked r JOIN threads t ON t.id = r.thread_id
        WHERE ${sql.and(filters)}
        ORDER BY r.score, r.thread_id LIMIT ${limit + 1}`.values
    })

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
      const { match, terms } = yield* ftsQueryOf(query.query)
      const limit = pageSize(query.limit)
      const after = query.cursor === undefined
        ? undefined
        : yield* Effect.mapError(
          decodeSearchCursor(query.query, query.cursor),
          (reason) => new InvalidSearchQuery({ query: query.query, reason: `cursor: ${reason}` })
        )
      const rows = yield* page(match, query, after, limit)
      const shown = rows.slice(0, limit) as ReadonlyArray<ReadonlyArray<number>>
      const threads = threadRowsOf(shown.map((row) => row.slice(3)))
      const best = yield* messagesById(shown.map((row) => row[2]!))
      const items: Array<SearchHit> = []
      shown.forEach(([score, matches, messageId], i) => {
        // A message deleted between the two reads (its thread refolded or deleted meanwhile) leaves
        // its thread out of this page; the cursor still continues after it.
        const message = best.get(messageId!)
        if (message === undefined) return
        items.push({
          thread: threads[i]!,
          score: score!,
          matches: matches!,
          message: { position: message.position, turnIndex: message.turn_index, kind: message.kind as MessageKind },
          snippet: snippetOf(message.text, terms)
        })
      })
      const last = shown[shown.length - 1]
      return {
        items,
        nextCursor: rows.length > limit && last !== undefined
          ? encodeSearchCursor(query.query, { score: last[0]!, id: threads[shown.length - 1]!.id })
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
export const layer = Layer.effect(ThreadSearch, make)
