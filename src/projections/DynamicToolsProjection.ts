/**
 * The `thread_dynamic_tools` projection: a thread's tools in order, hidden ones flagged.
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { DynamicTool } from "../domain/DynamicTool.js"
import type { JsonValue } from "../domain/Json.js"
import { driftOf } from "./Drift.js"
import type { Projection } from "./Projection.js"
import {
  chunksOf,
  groupedByKeys,
  ofThreads,
  type Program,
  run,
  runByKeys,
  statementForRows,
  valuesOf
} from "./Statements.js"
import type { ThreadDelta } from "./ThreadDelta.js"

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

const TOOL_COLUMNS = Object.keys(DynamicToolRow.fields) as ReadonlyArray<keyof DynamicToolRow>
const selectTools = statementForRows(
  1,
  (ids) =>
    `SELECT ${
      TOOL_COLUMNS.join(", ")
    } FROM thread_dynamic_tools WHERE thread_id IN (${ids}) ORDER BY thread_id, position`
)
const deleteTools = statementForRows(1, (ids) => `DELETE FROM thread_dynamic_tools WHERE thread_id IN (${ids})`)
const insertTools = statementForRows(
  TOOL_COLUMNS.length,
  (values) => `INSERT INTO thread_dynamic_tools (${TOOL_COLUMNS.join(", ")}) VALUES ${values}`
)

function* applyTools(deltas: ReadonlyArray<ThreadDelta>): Program<void> {
  // The fold replaces the list (a new array) only when a session meta lists tools.
  const changed = deltas.filter((d) => d.before === undefined || d.before.dynamicTools !== d.after.dynamicTools)
  if (changed.length === 0) return
  yield* toolRows.clear(changed.map((d) => d.after.metadata.id))
  const rows = changed.flatMap((d) => toRows(d.after.metadata.id, d.after.dynamicTools))
  for (const chunk of chunksOf(rows)) yield* run(insertTools(chunk.length), valuesOf(chunk, TOOL_COLUMNS))
}

/**
 * The projection's programs.
 * @since 0.1.0
 */
export const toolRows = {
  apply: applyTools,
  /** Deletes these threads' tools. */
  clear: (threadIds: ReadonlyArray<string>): Program<void> => runByKeys(deleteTools, threadIds),
  load: (threadIds: ReadonlyArray<string>): Program<ReadonlyMap<string, ReadonlyArray<DynamicTool>>> =>
    groupedByKeys(selectTools, threadIds, decodeRows, (row) => row.thread_id, toolOf)
}

/** @since 0.1.0 */
export const dynamicToolsProjection: Projection = {
  table: "thread_dynamic_tools",
  key: ["thread_id", "position"],
  overwrites: false,
  apply: toolRows.apply,
  clear: toolRows.clear,
  reset: (own) => run(`DELETE FROM thread_dynamic_tools${ofThreads("thread_id", own)}`, []),
  drift: function*(folds) {
    const tools = yield* toolRows.load(folds.map((f) => f.after.metadata.id))
    return driftOf(folds, "dynamicTools", (id) => tools.get(id) ?? [], (f) => f.after.dynamicTools)
  }
}
