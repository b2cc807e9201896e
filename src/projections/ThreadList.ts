/**
 * The thread list (SPEC §5): filters, a sort key, a direction, and keyset pages on
 * `(sort_ms, id)` with `nextCursor` and `backwardsCursor`.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Either, Layer } from "effect"
import { decodeCursor, encodeCursor, type InvalidCursor, type SortDirection } from "../domain/PageCursor.js"
import { THREAD_SELECT, type ThreadRow, threadRowsOf } from "./ThreadsProjection.js"

/** @since 0.1.0 */
export type ThreadSortKey = "created_at" | "updated_at"

/** @since 0.1.0 */
export const DEFAULT_PAGE_SIZE = 25
/** @since 0.1.0 */
export const MAX_PAGE_SIZE = 200

/**
 * What to list; every filter is optional.
 * @since 0.1.0
 * @category models
 */
export interface ThreadListQuery {
  /** `true`: archived threads only; otherwise live ones only. */
  readonly archived?: boolean
  /** Source kinds (`cli`, `vscode`, `exec`, `mcp`, `subagent`, …); empty means all. */
  readonly sourceKinds?: ReadonlyArray<string>
  /** Model providers; empty means all. */
  readonly modelProviders?: ReadonlyArray<string>
  /** Exact working directory. */
  readonly cwd?: string
  /** Case-sensitive substring of the title or the first user message. */
  readonly search?: string
  readonly sortKey?: ThreadSortKey
  readonly direction?: SortDirection
  readonly limit?: number
  readonly cursor?: string
}

/**
 * One page: `nextCursor` continues in the same direction (null at the end);
 * `backwardsCursor` is the page's first position, from which listing in the opposite
 * direction gives exactly the rows before the page.
 * @since 0.1.0
 * @category models
 */
export interface ThreadPage {
  readonly items: ReadonlyArray<ThreadRow>
  readonly nextCursor: string | null
  readonly backwardsCursor: string | null
}

/** @since 0.1.0 @category models */
export interface ThreadList {
  readonly list: (query: ThreadListQuery) => Effect.Effect<ThreadPage, SqlError | InvalidCursor>
}

/** @since 0.1.0 @category tags */
export const ThreadList = Context.GenericTag<ThreadList>("rollout-state/ThreadList")

/** @since 0.1.0 */
export const pageSize = (limit: number | undefined): number =>
  Math.min(Math.max(Math.trunc(limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const list = (query: ThreadListQuery) =>
    Effect.gen(function*() {
      const sortKey = query.sortKey ?? "created_at"
      const direction = query.direction ?? "desc"
      const limit = pageSize(query.limit)
      const column = sortKey === "created_at" ? "created_at_ms" : "updated_at_ms"
      const after = query.cursor === undefined ? undefined : yield* Either.match(decodeCursor(sortKey, query.cursor), {
        onLeft: (error) => Effect.fail(error),
        onRight: (position) => Effect.succeed(position)
      })
      const conditions = [sql`archived = ${query.archived ? 1 : 0}`]
      if (query.cwd !== undefined) conditions.push(sql`cwd = ${query.cwd}`)
      if (query.sourceKinds !== undefined && query.sourceKinds.length > 0) {
        conditions.push(sql`source_kind IN ${sql.in(query.sourceKinds)}`)
      }
      if (query.modelProviders !== undefined && query.modelProviders.length > 0) {
        conditions.push(sql`model_provider IN ${sql.in(query.modelProviders)}`)
      }
      if (query.search !== undefined && query.search !== "") {
        // A case-sensitive substring: SQLite's `instr`, PostgreSQL's `strpos`.
        const contains = (column: string) =>
          sql.onDialectOrElse({
            pg: () => sql`strpos(COALESCE(${sql(column)}, ''), ${query.search}) > 0`,
            orElse: () => sql`instr(COALESCE(${sql(column)}, ''), ${query.search}) > 0`
          })
        conditions.push(sql`(${contains("title")} OR ${contains("first_user_message")})`)
      }
      // A row-value range on the index's (sort, id) columns: ties are ordered by id.
      if (after !== undefined) {
        conditions.push(
          direction === "desc"
            ? sql`(${sql(column)}, id) < (${after.sortMs}, ${after.id})`
            : sql`(${sql(column)}, id) > (${after.sortMs}, ${after.id})`
        )
      }
      const order = sql.literal(direction === "desc" ? "DESC" : "ASC")
      const rows = yield* sql`SELECT ${sql.literal(THREAD_SELECT)} FROM threads WHERE ${sql.and(conditions)}
        ORDER BY ${sql(column)} ${order}, id ${order} LIMIT ${limit + 1}`.values.pipe(Effect.map(threadRowsOf))
      const items = rows.slice(0, limit)
      const positionOf = (row: ThreadRow) => ({ sortMs: row[column], id: row.id })
      const first = items[0]
      const last = items[items.length - 1]
      return {
        items,
        nextCursor: rows.length > limit && last !== undefined ? encodeCursor(sortKey, positionOf(last)) : null,
        backwardsCursor: first === undefined ? null : encodeCursor(sortKey, positionOf(first))
      } satisfies ThreadPage
    })
  return ThreadList.of({ list })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(ThreadList, make)
