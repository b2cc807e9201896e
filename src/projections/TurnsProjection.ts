/**
 * The `thread_turns` projection: one row per turn. Only a thread's last turn can change,
 * so a delta writes its last turn as projected and every turn after it.
 * @since 0.1.0
 */
import { Schema } from "effect"
import { type Turn, turnsOf } from "../domain/ThreadState.js"
import { driftOf } from "./Drift.js"
import type { Projection } from "./Projection.js"
import {
  chunksOf,
  groupedByKeys,
  KEYS_PER_STATEMENT,
  ofThreads,
  type Program,
  rows,
  run,
  runByKeys,
  statementForRows,
  valuesOf
} from "./Statements.js"
import type { ThreadDelta } from "./ThreadDelta.js"

/** @since 0.1.0 @category schemas */
export const TurnRow = Schema.Struct({
  thread_id: Schema.String,
  turn_index: Schema.Number,
  turn_id: Schema.NullOr(Schema.String),
  started_at_ms: Schema.NullOr(Schema.Number),
  model: Schema.NullOr(Schema.String),
  reasoning_effort: Schema.NullOr(Schema.String),
  cwd: Schema.String,
  user_message: Schema.NullOr(Schema.String),
  tokens_used: Schema.Number
})

/** @since 0.1.0 */
export type TurnRow = typeof TurnRow.Type

/** @since 0.1.0 */
export const turnOf = (row: TurnRow): Turn => ({
  index: row.turn_index,
  turnId: row.turn_id,
  startedAt: row.started_at_ms,
  model: row.model,
  reasoningEffort: row.reasoning_effort,
  cwd: row.cwd,
  userMessage: row.user_message,
  tokensUsed: row.tokens_used
})

const toRow = (threadId: string, turn: Turn): TurnRow => ({
  thread_id: threadId,
  turn_index: turn.index,
  turn_id: turn.turnId,
  started_at_ms: turn.startedAt,
  model: turn.model,
  reasoning_effort: turn.reasoningEffort,
  cwd: turn.cwd,
  user_message: turn.userMessage,
  tokens_used: turn.tokensUsed
})

/** Throws (a defect) on a row the schema rejects: the migrations guarantee the shape. */
const decodeRows = Schema.decodeUnknownSync(Schema.Array(TurnRow))

const TURN_COLUMNS = Object.keys(TurnRow.fields) as ReadonlyArray<keyof TurnRow>

const UPDATE_ALL = TURN_COLUMNS
  .filter((c) => c !== "thread_id" && c !== "turn_index")
  .map((c) => `${c} = excluded.${c}`)
  .join(", ")

const upsertRows = statementForRows(
  TURN_COLUMNS.length,
  (values) =>
    `INSERT INTO thread_turns (${TURN_COLUMNS.join(", ")}) VALUES ${values}
      ON CONFLICT (thread_id, turn_index) DO UPDATE SET ${UPDATE_ALL}`
)
const deleteTurns = statementForRows(1, (ids) => `DELETE FROM thread_turns WHERE thread_id IN (${ids})`)
const selectTurns = statementForRows(
  1,
  (ids) =>
    `SELECT ${TURN_COLUMNS.join(", ")} FROM thread_turns WHERE thread_id IN (${ids}) ORDER BY thread_id, turn_index`
)
// Per thread, MAX(turn_index) of one thread_id is a single index probe; grouped over an IN list
// it walked every turn of every thread (68 µs per live append on a 500-turn thread, against 7 µs so).
const selectLastTurns = statementForRows(
  1,
  (values) =>
    `WITH ids (thread_id) AS (VALUES ${values})
      SELECT t.* FROM ids JOIN thread_turns t ON t.thread_id = ids.thread_id
        AND t.turn_index = (SELECT MAX(m.turn_index) FROM thread_turns m WHERE m.thread_id = ids.thread_id)`
)

function* applyTurns(deltas: ReadonlyArray<ThreadDelta>): Program<void> {
  const changed = deltas.flatMap((d) => {
    const from = d.before?.lastTurn?.index ?? 0
    return turnsOf(d.after).filter((t) => t.index >= from).map((t) => toRow(d.after.metadata.id, t))
  })
  for (const chunk of chunksOf(changed)) yield* run(upsertRows(chunk.length), valuesOf(chunk, TURN_COLUMNS))
}

/**
 * The projection's programs.
 * @since 0.1.0
 */
export const turnRows = {
  /** Deletes these threads' turns. */
  clear: (threadIds: ReadonlyArray<string>): Program<void> => runByKeys(deleteTurns, threadIds),
  apply: applyTurns,
  loadLast: function*(threadIds: ReadonlyArray<string>): Program<ReadonlyMap<string, Turn>> {
    const last = new Map<string, Turn>()
    for (const chunk of chunksOf(threadIds, KEYS_PER_STATEMENT)) {
      for (const row of decodeRows(yield* rows(selectLastTurns(chunk.length), chunk))) {
        last.set(row.thread_id, turnOf(row))
      }
    }
    return last
  },
  /** Every turn of these threads, in order. */
  loadAll: (threadIds: ReadonlyArray<string>): Program<ReadonlyMap<string, ReadonlyArray<TurnRow>>> =>
    groupedByKeys(selectTurns, threadIds, decodeRows, (row) => row.thread_id, (row) => row)
}

/** @since 0.1.0 */
export const turnsProjection: Projection = {
  table: "thread_turns",
  key: ["thread_id", "turn_index"],
  overwrites: false,
  apply: turnRows.apply,
  clear: turnRows.clear,
  reset: (own) => run(`DELETE FROM thread_turns${ofThreads("thread_id", own)}`, []),
  drift: function*(folds) {
    const turns = yield* turnRows.loadAll(folds.map((f) => f.after.metadata.id))
    return driftOf(
      folds,
      "turns",
      (id) => turns.get(id) ?? [],
      (f) => turnsOf(f.after).map((turn) => toRow(f.after.metadata.id, turn))
    )
  }
}
