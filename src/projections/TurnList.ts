/**
 * A thread's turns (SPEC §5), with the thread list's paging contract: `direction`,
 * `cursor`, `nextCursor`, `backwardsCursor`, keyset on the turn index.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Either, Layer, Schema } from "effect"
import { decodeCursor, encodeCursor, type InvalidCursor, type SortDirection } from "../domain/PageCursor.js"
import type { Turn } from "../domain/ThreadState.js"
import { pageSize } from "./ThreadList.js"
import { turnOf, TurnRow } from "./TurnsProjection.js"

/** @since 0.1.0 */
export interface TurnListQuery {
  readonly direction?: SortDirection
  readonly limit?: number
  readonly cursor?: string
}

/** @since 0.1.0 */
export interface TurnPage {
  readonly items: ReadonlyArray<Turn>
  readonly nextCursor: string | null
  readonly backwardsCursor: string | null
}

/** @since 0.1.0 @category models */
export interface TurnList {
  readonly list: (threadId: string, query: TurnListQuery) => Effect.Effect<TurnPage, SqlError | InvalidCursor>
}

/** @since 0.1.0 @category tags */
export const TurnList = Context.GenericTag<TurnList>("rollout-state/TurnList")

const decodeRows = Schema.decodeUnknown(Schema.Array(TurnRow))

/** A cursor is bound to its thread: one made for another thread is refused. */
const sortKeyOf = (threadId: string) => `turns:${threadId}`

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return TurnList.of({
    list: (threadId, query) =>
      Effect.gen(function*() {
        const direction = query.direction ?? "desc"
        const limit = pageSize(query.limit)
        const key = sortKeyOf(threadId)
        const after = query.cursor === undefined ? undefined : yield* Either.match(decodeCursor(key, query.cursor), {
          onLeft: (error) => Effect.fail(error),
          onRight: (position) => Effect.succeed(position.sortMs)
        })
        const range = after === undefined
          ? sql`1 = 1`
          : direction === "desc"
          ? sql`turn_index < ${after}`
          : sql`turn_index > ${after}`
        const order = sql.literal(direction === "desc" ? "DESC" : "ASC")
        const rows = yield* sql`SELECT * FROM thread_turns WHERE thread_id = ${threadId} AND ${range}
          ORDER BY turn_index ${order} LIMIT ${limit + 1}`.pipe(Effect.flatMap((raw) => Effect.orDie(decodeRows(raw))))
        const items = rows.slice(0, limit).map(turnOf)
        const cursorAt = (
          turn: Turn | undefined
        ) => (turn === undefined ? null : encodeCursor(key, { sortMs: turn.index, id: threadId }))
        return {
          items,
          nextCursor: rows.length > limit ? cursorAt(items[items.length - 1]) : null,
          backwardsCursor: cursorAt(items[0])
        }
      })
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(TurnList, make)
