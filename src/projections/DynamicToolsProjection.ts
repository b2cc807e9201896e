/**
 * The `thread_dynamic_tools` projection: a thread's tools in order, hidden ones flagged.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, Schema } from "effect"
import type { DynamicTool } from "../domain/DynamicTool.js"
import type { JsonValue } from "../domain/Json.js"
import { Database } from "../infra/Database.js"
import { chunksOf, forEachChunk, statementForRows, type ThreadDelta } from "./ThreadDelta.js"

/** @since 0.1.0 @category schemas */
export const DynamicToolRow = Schema.Struct({
  thread_id: Schema.String,
  position: Schema.Number,
  name: Schema.String,
  namespace: Schema.NullOr(Schema.String),
  description: Schema.String,
  input_schema: Schema.String,
  hidden: Schema.Number
})

/** @since 0.1.0 */
export type DynamicToolRow = typeof DynamicToolRow.Type

/** @since 0.1.0 */
export const toolOf = (row: DynamicToolRow): DynamicTool => ({
  name: row.name,
  namespace: row.namespace,
  description: row.description,
  inputSchema: JSON.parse(row.input_schema) as JsonValue,
  hidden: row.hidden === 1
})

const toRows = (threadId: string, tools: ReadonlyArray<DynamicTool>): Array<DynamicToolRow> =>
  tools.map((tool, position) => ({
    thread_id: threadId,
    position,
    name: tool.name,
    namespace: tool.namespace,
    description: tool.description,
    input_schema: JSON.stringify(tool.inputSchema),
    hidden: tool.hidden ? 1 : 0
  }))

/** Throws (a defect) on a row the schema rejects: the migrations guarantee the shape. */
const decodeRows = Schema.decodeUnknownSync(Schema.Array(DynamicToolRow))

/** @since 0.1.0 @category models */
export interface DynamicToolsProjection {
  readonly apply: (deltas: ReadonlyArray<ThreadDelta>) => Effect.Effect<void, SqlError>
  readonly load: (threadIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<DynamicTool>>, SqlError>
}

/** @since 0.1.0 @category tags */
export const DynamicToolsProjection = Context.GenericTag<DynamicToolsProjection>("rollout-state/DynamicToolsProjection")

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const { direct } = yield* Database
  const select = statementForRows(
    1,
    (ids) => `SELECT * FROM thread_dynamic_tools WHERE thread_id IN (${ids}) ORDER BY thread_id, position`
  )
  return DynamicToolsProjection.of({
    apply: (deltas) => {
      // The fold replaces the list (a new array) only when a session meta lists tools.
      const changed = deltas.filter((d) => d.before === undefined || d.before.dynamicTools !== d.after.dynamicTools)
      if (changed.length === 0) return Effect.void
      const ids = changed.map((d) => d.after.metadata.id)
      const rows = changed.flatMap((d) => toRows(d.after.metadata.id, d.after.dynamicTools))
      return Effect.zipRight(
        Effect.forEach(chunksOf(ids, 500), (chunk) => sql`DELETE FROM thread_dynamic_tools WHERE thread_id IN ${sql.in(chunk)}`, {
          discard: true
        }),
        Effect.forEach(chunksOf(rows), (chunk) => sql`INSERT INTO thread_dynamic_tools ${sql.insert(chunk)}`, {
          discard: true
        })
      )
    },
    load: (threadIds) =>
      forEachChunk(threadIds, 500, (chunk) => Effect.map(direct.rows(select(chunk.length), chunk), decodeRows)).pipe(
        Effect.map((chunks) => {
          const tools = new Map<string, Array<DynamicTool>>()
          for (const row of chunks.flat()) {
            const list = tools.get(row.thread_id) ?? []
            list.push(toolOf(row))
            tools.set(row.thread_id, list)
          }
          return tools
        })
      )
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(DynamicToolsProjection, make)
