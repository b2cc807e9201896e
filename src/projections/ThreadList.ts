/**
 * The thread list (SPEC §5): filters, a sort key, a direction, and keyset pages on
 * `(sort_ms, id)` with `nextCursor` and `backwardsCursor`.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import { Context, Effect, Layer } from "effect"
import {
  decodeCursor,
  encodeCursor,
  type InvalidCursor,
  type Position,
  type SortDirection
} from "../domain/PageCursor.js"
import {
  type InvalidSourceKind,
  kindsOfFilter,
  type SourceKind,
  type SourceKindFilter
} from "../domain/SessionSource.js"
import { normalizeCwd } from "../domain/WorkingDirectory.js"
import { THREAD_COLUMNS, THREAD_SELECT, type ThreadRow, threadRowsOf } from "./ThreadsProjection.js"

/** @since 0.1.0 */
export type ThreadSortKey = "created_at" | "updated_at"

/** @since 0.1.0 */
export const DEFAULT_PAGE_SIZE = 25
/** @since 0.1.0 */
export const MAX_PAGE_SIZE = 200

/**
 * Which threads by archive state: `none` (live only, the default), `only`, or `all`.
 * @since 0.1.0
 */
export type ArchivedFilter = "all" | "only" | "none"

/**
 * What to list; every filter is optional.
 * @since 0.1.0
 * @category models
 */
export interface ThreadListQuery {
  /** `only`, `none` (the default) or `all`; `true` and `false` mean `only` and `none`. */
  readonly archived?: ArchivedFilter | boolean
  /**
   * Source kinds or groups (`SessionSource.SOURCE_KIND_FILTERS`): absent means every kind, an
   * empty list the interactive ones (`cli`, `vscode`), as the reference's `thread/list`.
   */
  readonly sourceKinds?: ReadonlyArray<SourceKindFilter>
  /** Model providers; empty means all. */
  readonly modelProviders?: ReadonlyArray<string>
  /**
   * Working directories, compared normalised (`/a/b/.` is `/a/b`): a thread in any of them
   * matches; an empty list matches nothing, as in the reference.
   */
  readonly cwd?: string | ReadonlyArray<string>
  /** Threads spawned by this thread (`parent_thread_id`). */
  readonly parentThreadId?: string
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
  readonly list: (query: ThreadListQuery) => Effect.Effect<ThreadPage, SqlError | InvalidCursor | InvalidSourceKind>
}

/** @since 0.1.0 @category tags */
export const ThreadList = Context.GenericTag<ThreadList>("rollout-state/ThreadList")

/** @since 0.1.0 */
export const pageSize = (limit: number | undefined): number =>
  Math.min(Math.max(Math.trunc(limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)

/** The `archived` column values a filter admits. @since 0.1.0 */
export const archivedValues = (archived: ThreadListQuery["archived"]): ReadonlyArray<0 | 1> => {
  switch (archived) {
    case true:
    case "only":
      return [1]
    case "all":
      return [0, 1]
    default:
      return [0]
  }
}

const unique = <A>(values: ReadonlyArray<A>): ReadonlyArray<A> => [...new Set(values)]

/**
 * The statement for one page: `limit + 1` rows from `after` (exclusive), in order.
 *
 * Every filter with several values (archived `all`, several cwds, several source kinds) is
 * answered as a `UNION ALL` of one ordered, limited arm per value, each arm a range on the index
 * for its equality prefix (`(archived, cwd, sort, id)`, `(archived, source_kind, sort, id)`): a
 * plain `IN` can make SQLite read every matching row and sort them (see docs/decisions.md).
 * One filter drives the arms (parent, else cwd, else source kind); the others are checked on the
 * rows it reads, written `+column` so the planner does not pick their index instead.
 * @since 0.1.0
 */
export const pageStatement = (
  sql: SqlClient.SqlClient,
  query: ThreadListQuery,
  kinds: ReadonlyArray<SourceKind> | undefined,
  after: Position | undefined,
  limit: number
): Statement.Statement<unknown> | undefined => {
  const column = (query.sortKey ?? "created_at") === "created_at" ? "created_at_ms" : "updated_at_ms"
  const direction = query.direction ?? "desc"
  const cwds = query.cwd === undefined
    ? undefined
    : unique((typeof query.cwd === "string" ? [query.cwd] : query.cwd).map(normalizeCwd))
  if (cwds !== undefined && cwds.length === 0) return undefined
  const shared: Array<Statement.Fragment> = []
  // SQLite's unary `+` keeps a filter column out of index choice (the sort's index wins);
  // PostgreSQL has no `+` on text, and its planner weighs the choice by statistics instead.
  const unindexed = (column: string) =>
    sql.onDialectOrElse({ pg: () => sql(column), orElse: () => sql.literal(`+${column}`) })
  if (query.modelProviders !== undefined && query.modelProviders.length > 0) {
    shared.push(sql`${unindexed("model_provider")} IN ${sql.in(query.modelProviders)}`)
  }
  if (query.search !== undefined && query.search !== "") {
    // A case-sensitive substring: SQLite's `instr`, PostgreSQL's `strpos`.
    const contains = (column: string) =>
      sql.onDialectOrElse({
        pg: () => sql`strpos(COALESCE(${sql(column)}, ''), ${query.search}) > 0`,
        orElse: () => sql`instr(COALESCE(${sql(column)}, ''), ${query.search}) > 0`
      })
    shared.push(sql`(${contains("title")} OR ${contains("first_user_message")})`)
  }
  // A row-value range on the index's (sort, id) columns: ties are ordered by id.
  if (after !== undefined) {
    shared.push(
      direction === "desc"
        ? sql`(${sql(column)}, id) < (${after.sortMs}, ${after.id})`
        : sql`(${sql(column)}, id) > (${after.sortMs}, ${after.id})`
    )
  }
  let arms: Array<Array<Statement.Fragment>> = archivedValues(query.archived).map((a) => [sql`archived = ${a}`])
  const split = (values: ReadonlyArray<Statement.Fragment>) => {
    arms = arms.flatMap((arm) => values.map((value) => [...arm, value]))
  }
  if (query.parentThreadId !== undefined) {
    split([sql`parent_thread_id = ${query.parentThreadId}`])
    if (cwds !== undefined) shared.push(sql`${unindexed("cwd")} IN ${sql.in(cwds)}`)
    if (kinds !== undefined) shared.push(sql`${unindexed("source_kind")} IN ${sql.in(kinds)}`)
  } else if (cwds !== undefined) {
    split(cwds.map((cwd) => sql`cwd = ${cwd}`))
    if (kinds !== undefined) shared.push(sql`${unindexed("source_kind")} IN ${sql.in(kinds)}`)
  } else if (kinds !== undefined) {
    if (kinds.length === 0) return undefined
    split(kinds.map((kind) => sql`source_kind = ${kind}`))
  }
  const order = sql.literal(direction === "desc" ? "DESC" : "ASC")
  const sortBy = sql`${sql(column)} ${order}, id ${order}`
  const select = (columns: string, arm: ReadonlyArray<Statement.Fragment>) =>
    sql`SELECT ${sql.literal(columns)} FROM threads WHERE ${sql.and([...arm, ...shared])}
      ORDER BY ${sortBy} LIMIT ${limit + 1}`
  if (arms.length === 1) return select(THREAD_SELECT, arms[0]!)
  // The arms read only keys (from the index itself when nothing else is checked); the page's
  // rows are then looked up by id, so the merge never copies whole rows.
  const union = arms.map((arm, i) => sql`SELECT * FROM (${select(`${column}, id`, arm)}) AS ${sql(`arm${i}`)}`)
    .reduce((acc, arm) => sql`${acc} UNION ALL ${arm}`)
  return sql`SELECT ${sql.literal(JOINED_SELECT)}
    FROM (${union} ORDER BY ${sortBy} LIMIT ${limit + 1}) AS k ${innerJoin(sql)} threads AS t ON t.id = k.id
    ORDER BY k.${sql(column)} ${order}, k.id ${order}`
}

/**
 * An inner join in the order written: SQLite's `CROSS JOIN` (its planner keeps that order);
 * PostgreSQL's takes no `ON`, and a plain `JOIN` is the same join there.
 */
const innerJoin = (sql: SqlClient.SqlClient) =>
  sql.onDialectOrElse({ pg: () => sql.literal("JOIN"), orElse: () => sql.literal("CROSS JOIN") })

const JOINED_SELECT = THREAD_COLUMNS.map((c) => `t.${c}`).join(", ")

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const list = (query: ThreadListQuery) =>
    Effect.gen(function*() {
      const sortKey = query.sortKey ?? "created_at"
      const limit = pageSize(query.limit)
      const column = sortKey === "created_at" ? "created_at_ms" : "updated_at_ms"
      const after = query.cursor === undefined ? undefined : yield* decodeCursor(sortKey, query.cursor)
      const kinds = query.sourceKinds === undefined ? undefined : yield* kindsOfFilter(query.sourceKinds)
      const statement = pageStatement(sql, query, kinds, after, limit)
      const rows = statement === undefined ? [] : threadRowsOf(yield* statement.values)
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
